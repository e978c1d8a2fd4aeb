"""Synthetic operations with ground truth: invented people, referrals in five formats, and truth.json.

Everything is invented (names glued from syllables, example domains, synthetic IP ranges, checksum-valid
but random identifiers); no media content exists anywhere. Deterministic for a seed.
"""

from __future__ import annotations

from caseweave.synth.operation import SynthSummary, write_operation

__all__ = ["SynthSummary", "write_operation"]
