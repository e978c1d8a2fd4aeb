"""Hash-chained, append-only audit log of every read and write of case data."""
