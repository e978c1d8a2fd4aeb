"""Linkage: exact correlation, probabilistic linkage, subjects, judgements and alerts."""
