"""Benchmarks: each runs the raw engine beside caseweave in the same run and prints the ratio."""
