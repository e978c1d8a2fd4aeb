"""Users, passwords, login and API tokens."""
