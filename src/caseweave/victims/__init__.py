"""Victims: pseudonymous records of children in the material, and the safeguarding queue."""
