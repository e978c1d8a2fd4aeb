"""What a link shows, in words an investigator reads: the selector type that two records share, or
"probable match: …" with the comparisons that weighed for the model. Worked out once, when the
link is stored (links.evidence), so that alerts and lead packages never decode the model's parts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PROBABLE = "probable match"


def label(kind: str, selector_type: str | None, contributions: Mapping[str, Any] | None) -> str | None:
    if kind == "selector":
        return selector_type or None
    if kind != "probabilistic":
        return None
    parts = sorted(
        name for name, part in (contributions or {}).items() if float(part.get("match_weight", 0.0)) > 0
    )
    return f"{PROBABLE}: {', '.join(parts)}" if parts else PROBABLE


def kinds(labels: Iterable[str | None]) -> list[str]:
    """The distinct labels, sorted (a link without one adds nothing)."""
    return sorted({text for text in labels if text})
