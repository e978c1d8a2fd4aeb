"""Need-to-know: one policy, applied as SQL filters by every query that returns case data."""
