"""Exact correlation: two person records of one operation that hold the same normalised selector.

MISP links every pair of attributes with equal values; that buries analysts in links through
dynamic IP addresses, Tor exits and "test@test.com". Here a shared value links two records only if
- it is not on an enabled warning list, and (for IP addresses) not in a special-purpose range;
- at most `max_persons` person records of the operation hold it: a value seen for more is reported
  as over-correlating instead of linking everyone to everyone;
- for IP addresses, the two sightings' windows overlap or lie within `tolerance` of each other
  (an address leased to one household today belongs to another next month), and neither sighting
  is marked as a possible proxy by the file that reported it.

The incremental case (a new referral's records against millions of stored sightings) runs a handful
of queries on the (selector_type, value) index, never a scan of all sightings. The window logic runs
in Python on the rows of values that pass, which are few per value by construction.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import combinations
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, distinct, func, or_, select
from sqlalchemy.orm import Session

from caseweave.db.bulk import bulk_insert, chunks
from caseweave.intake.models import Sighting
from caseweave.linkage.driver_values import flags as driver_flags
from caseweave.linkage.driver_values import moment, raw
from caseweave.linkage.models import Link
from caseweave.linkage.warninglist_match import WarninglistMatcher
from caseweave.selectors import InvalidSelector, normalise

# IP flags (selectors/ip.py) of ranges that never identify one person on the public internet.
EXCLUDED_IP_FLAGS = frozenset(
    {"private", "reserved", "loopback", "link_local", "multicast", "documentation", "unspecified", "cgnat"}
)
SPECIAL_RANGE = "special-purpose IP range"
DEFAULT_TOLERANCE = timedelta(hours=24)  # Settings.link_ip_tolerance_hours
DEFAULT_MAX_PERSONS = 25  # Settings.link_max_persons_per_value
_CHUNK = 500  # values or ids per IN list: well inside every engine's parameter limit


class SelectorLink(NamedTuple):  # a tuple: sorting hundreds of thousands of them stays fast
    """One row for `links` (kind "selector"): a_id < b_id, with the sightings that gave the link."""

    a_id: int
    b_id: int
    selector_type: str
    value: str
    a_sighting_id: int
    b_sighting_id: int
    gap_seconds: int | None  # IP only: 0 where the windows overlap, else the time between them


@dataclass(frozen=True, order=True)
class OverCorrelating:
    selector_type: str
    value: str
    persons: int  # distinct person records of the operation that hold it


@dataclass
class CorrelationResult:
    operation_id: int
    person_record_ids: frozenset[int] | None  # None: the whole operation
    links: list[SelectorLink] = field(default_factory=list)
    over_correlating: list[OverCorrelating] = field(default_factory=list)
    # shared values left out, by reason (a warning list's name, or SPECIAL_RANGE)
    excluded: Counter[str] = field(default_factory=Counter)


class SightingWindow(NamedTuple):
    """A sighting of one value as the window logic needs it."""

    id: int
    person: int
    start: float  # POSIX seconds; 0 where the sighting has no window (then never usable for IP)
    end: float
    usable: bool  # may give an IP link: windowed, not a special range, not a possible proxy


def correlate(
    session: Session,
    operation_id: int,
    person_record_ids: Iterable[int] | None = None,
    *,
    matcher: WarninglistMatcher,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    max_persons: int = DEFAULT_MAX_PERSONS,
) -> CorrelationResult:
    """Selector links between the given person records (None: all) and every record of the operation."""
    given = None if person_record_ids is None else frozenset(person_record_ids)
    result = CorrelationResult(operation_id, given)
    read: dict[tuple[str, str], list[SightingWindow]] | None = None
    if given is None:
        counts = _shared_in_operation(session, operation_id)
    else:  # a few values: their sightings read once, and their holders counted from them
        read = dict(_rows(session, operation_id, _values_of(session, operation_id, given)))
        counts = {key: len({sighting.person for sighting in rows}) for key, rows in read.items()}
    candidates: dict[str, set[str]] = defaultdict(set)
    for (selector_type, value), persons in counts.items():
        if persons < 2:
            continue
        reason = excluded_because(selector_type, value, matcher)
        if reason is not None:
            result.excluded[reason] += 1
        elif persons > max_persons:
            result.over_correlating.append(OverCorrelating(selector_type, value, persons))
        else:
            candidates[selector_type].add(value)
    limit = tolerance.total_seconds()
    if read is None:
        found = _rows(session, operation_id, candidates)
    else:
        found = (
            ((kind, value), read[(kind, value)]) for kind, values in candidates.items() for value in values
        )
    for (selector_type, value), rows in found:
        result.links.extend(_links(selector_type, value, rows, given, limit))
    result.links.sort()
    result.over_correlating.sort()
    return result


def excluded_because(selector_type: str, value: str, matcher: WarninglistMatcher) -> str | None:
    """Why a value never links anyone, or None: a special-purpose IP range, or a warning list's name."""
    if selector_type == "ip":
        try:
            flags = normalise("ip", value).flags
        except InvalidSelector:
            return "not an IP address"  # stored before the normaliser refused such values
        if flags & EXCLUDED_IP_FLAGS:
            return SPECIAL_RANGE
    return matcher.match(selector_type, value)


def _held(operation_id: int) -> Any:
    """Sightings of the operation tied to a person record, found through another index (selector or
    person record): SQLite, without statistics, would otherwise read the whole operation's sightings
    through ix_sightings_operation_id. `+ 0` keeps the condition but hides that index."""
    return and_((Sighting.operation_id + 0) == operation_id, Sighting.person_record_id.is_not(None))


def _shared_in_operation(session: Session, operation_id: int) -> dict[tuple[str, str], int]:
    """Every value of the operation held by two or more person records, with their number."""
    persons = func.count(distinct(Sighting.person_record_id))
    query = (
        select(Sighting.selector_type, Sighting.value, persons)
        .where(Sighting.operation_id == operation_id, Sighting.person_record_id.is_not(None))
        .group_by(Sighting.selector_type, Sighting.value)
        .having(persons >= 2)
    )
    return {(t, v): n for t, v, n in session.execute(query)}


def _values_of(session: Session, operation_id: int, given: frozenset[int]) -> dict[str, set[str]]:
    values: dict[str, set[str]] = defaultdict(set)
    for chunk in chunks(sorted(given), _CHUNK):
        query = (
            select(Sighting.selector_type, Sighting.value)
            .where(_held(operation_id), Sighting.person_record_id.in_(chunk))
            .distinct()
        )
        for selector_type, value in session.execute(query):
            values[selector_type].add(value)
    return values


def _rows(
    session: Session, operation_id: int, values: dict[str, set[str]]
) -> Iterator[tuple[tuple[str, str], list[SightingWindow]]]:
    """The sightings of each value, grouped by value. Only an IP link needs the window,
    flags and proxy mark: other values are read without them (no times or JSON to convert)."""
    window = (
        raw(Sighting.observed_from),
        raw(Sighting.observed_to),
        raw(Sighting.flags),
        Sighting.possible_proxy,
    )
    for selector_type, held in sorted(values.items()):
        ip = selector_type == "ip"
        columns = (Sighting.id, Sighting.person_record_id, Sighting.value, *(window if ip else ()))
        for chunk in chunks(sorted(held), _CHUNK):
            query = select(*columns).where(
                _held(operation_id), Sighting.selector_type == selector_type, Sighting.value.in_(chunk)
            )
            grouped: dict[str, list[SightingWindow]] = defaultdict(list)
            for sid, person, value, *seen in session.execute(query):
                if ip:
                    grouped[value].append(_seen(sid, person, *seen))
                else:
                    grouped[value].append(SightingWindow(sid, person, 0.0, 0.0, True))
            for value in sorted(grouped):
                yield (selector_type, value), grouped[value]


def _seen(sid: int, person: int, start: Any, end: Any, flags: Any, proxy: bool) -> SightingWindow:
    """An IP sighting's window."""
    begun = moment(start)
    if begun is None:
        return SightingWindow(sid, person, 0.0, 0.0, False)
    first = begun.timestamp()
    ended = moment(end)
    last = first if ended is None else ended.timestamp()  # no end: the instant it was observed
    usable = not (proxy or EXCLUDED_IP_FLAGS.intersection(driver_flags(flags)))
    return SightingWindow(sid, person, first, last, usable)


def _links(
    selector_type: str, value: str, rows: Sequence[SightingWindow], given: frozenset[int] | None, limit: float
) -> Iterator[SelectorLink]:
    by_person: dict[int, list[SightingWindow]] = defaultdict(list)
    ip = selector_type == "ip"
    for row in rows:
        if not ip or row.usable:
            by_person[row.person].append(row)
    for a, b in combinations(sorted(by_person), 2):
        if given is not None and a not in given and b not in given:
            continue
        if not ip:
            first_a = min(r.id for r in by_person[a])
            first_b = min(r.id for r in by_person[b])
            yield SelectorLink(a, b, selector_type, value, first_a, first_b, None)
            continue
        closest = nearest(by_person[a], by_person[b])
        if closest is not None and closest[0] <= limit:
            gap, sid_a, sid_b = closest
            yield SelectorLink(a, b, selector_type, value, sid_a, sid_b, int(gap))


def nearest(side_a: list[SightingWindow], side_b: list[SightingWindow]) -> tuple[float, int, int] | None:
    """The smallest gap between a window of side a and one of side b (0 on overlap), with the ids.

    One sweep by start time: each window is compared with the window of the other side that ends
    latest among those started before it, the nearest of them, so the nearest pair is always compared.
    """
    ordered = heapq.merge(
        sorted((r.start, r.end, r.id, 0) for r in side_a),
        sorted((r.start, r.end, r.id, 1) for r in side_b),
    )
    latest: list[tuple[float, int] | None] = [None, None]  # per side: (end, sighting id)
    best: tuple[float, int, int] | None = None
    for start, end, sid, side in ordered:
        other = latest[1 - side]
        if other is not None:
            gap = max(0.0, start - other[0])
            pair = (sid, other[1]) if side == 0 else (other[1], sid)
            if best is None or (gap, *pair) < best:
                best = (gap, *pair)
        mine = latest[side]
        if mine is None or end > mine[0]:
            latest[side] = (end, sid)
    return best


def store_links(session: Session, run_id: int | None, result: CorrelationResult) -> int:
    """Replace the selector links of the result's records (all of the operation's for a full run)."""
    scope = and_(Link.kind == "selector", Link.operation_id == result.operation_id)
    if result.person_record_ids is None:
        session.execute(delete(Link).where(scope))
    else:
        # `+ 0` as in _held: SQLite, without statistics, would read all of the operation's links
        # through ix_links_operation_id instead of the few of these records (ix_links_pair, ix_links_b).
        held = and_(Link.kind == "selector", (Link.operation_id + 0) == result.operation_id)
        for chunk in chunks(sorted(result.person_record_ids), _CHUNK):
            session.execute(delete(Link).where(held, or_(Link.a_id.in_(chunk), Link.b_id.in_(chunk))))
    rows = [
        {
            "operation_id": result.operation_id,
            "a_id": link.a_id,
            "b_id": link.b_id,
            "kind": "selector",
            "selector_type": link.selector_type,
            "value": link.value,
            "evidence": link.selector_type,
            "a_sighting_id": link.a_sighting_id,
            "b_sighting_id": link.b_sighting_id,
            "gap_seconds": link.gap_seconds,
            "run_id": run_id,
        }
        for link in result.links
    ]
    bulk_insert(session, Link.metadata.tables[Link.__tablename__], rows)
    return len(rows)
