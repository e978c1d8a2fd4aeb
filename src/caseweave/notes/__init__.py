"""Notes on an operation: the first case-data record type, and the proof of the access policy."""
