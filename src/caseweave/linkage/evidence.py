"""What a link shows, in words an investigator reads: the selector type that two records share, or
"probable match: …" with the comparisons that weighed for the model. Worked out once, when the
link is stored (links.evidence), so that alerts and lead packages never decode the model's parts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PROBABLE = "probable match"


def probable_match(contributions: Mapping[str, Any] | None) -> str:
    """A model link's label: the comparisons that weighed for the match. (A selector link's label is
    its selector type.)"""
    parts = sorted(
        name for name, part in (contributions or {}).items() if float(part.get("match_weight", 0.0)) > 0
    )
    return f"{PROBABLE}: {', '.join(parts)}" if parts else PROBABLE


def kinds(labels: Iterable[str | None]) -> list[str]:
    """What matched, in words an investigator reads: the distinct labels of some links, sorted (a
    link without one adds nothing)."""
    return sorted({text for text in labels if text})
