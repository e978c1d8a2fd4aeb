"""caseweave: joint operations against online child sexual exploitation, across agencies."""

__version__ = "0.1.0"
