"""The demo operation: shaped like the real case, with synthetic agencies and users."""
