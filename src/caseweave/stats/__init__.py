"""Operation figures: internal counts under need-to-know, public releases under disclosure control, charts."""
