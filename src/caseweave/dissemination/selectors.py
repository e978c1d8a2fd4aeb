"""A subject's selectors as a package shows them: one entry per normalised value, with every window
it was observed in. For an IP address the window (and port) is what a production order to an ISP
needs, so windows are kept one by one rather than merged into a range."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from caseweave.intake.models import Sighting

MAX_WINDOWS = 100  # per selector; the count of all is always given


def selector_entries(sightings: Iterable[Sighting]) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str], list[Sighting]] = defaultdict(list)
    for sighting in sightings:
        grouped[(sighting.selector_type, sighting.value)].append(sighting)
    return [_entry(kind, value, found) for (kind, value), found in sorted(grouped.items())]


def _entry(kind: str, value: str, found: list[Sighting]) -> dict[str, Any]:
    windows = sorted(
        {
            (
                s.observed_from.isoformat() if s.observed_from else "",
                s.observed_to.isoformat() if s.observed_to else "",
                s.port or 0,
                s.context or "",
                s.platform or "",
            )
            for s in found
            if s.observed_from or s.observed_to  # a sighting with no time is counted, not a window
        }
    )
    starts = [w[0] for w in windows if w[0]]
    ends = [w[1] or w[0] for w in windows if w[1] or w[0]]
    return {
        "type": kind,
        "value": value,
        "sightings": len(found),
        "first_seen": min(starts) if starts else None,
        "last_seen": max(ends) if ends else None,
        "platforms": sorted({s.platform for s in found if s.platform}),
        "contexts": sorted({s.context for s in found if s.context}),
        "possible_proxy": any(s.possible_proxy for s in found),
        "windows": [
            {
                "from": start or None,
                "to": end or None,
                "port": port or None,
                "context": context or None,
                "platform": platform or None,
            }
            for start, end, port, context, platform in windows[:MAX_WINDOWS]
        ],
        "windows_total": len(windows),
    }
