"""Dissemination: immutable, versioned lead packages for each receiving agency (JSON, HTML, PDF), their
receipt, acknowledgement and outcomes, and what changed since the last version. See docs/dissemination.md."""
