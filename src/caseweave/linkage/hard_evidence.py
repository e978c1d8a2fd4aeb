"""Subjects whose records state dates of birth that cannot both be one person's: flagged for review.

Links chain: A~B through a shared e-mail, B~C through a shared phone, and a subject may come to hold
a father and his son. Records that state different dates of birth (not the same, not day and month
swapped, not one character off) are such a sign, and the subject says so to whoever reads it, with
the dates it may see. It is flagged, not split: dates of birth are themselves often wrong in
referrals (on Febrl3, 489 of 591 pairs of one person's records that state two dates differ by more
than one character), and splitting on them there broke 1 true cluster in 14.

Pure logic: the caller passes the dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import combinations


def one_person(first: date, second: date) -> bool:
    """The same date, or one a clerk's slip away from it."""
    if first == second:
        return True
    if first.year == second.year and first.month == second.day and first.day == second.month:
        return True
    a, b = first.isoformat(), second.isoformat()
    return sum(x != y for x, y in zip(a, b, strict=True)) <= 1


def conflicting(dates: Iterable[date]) -> list[tuple[date, date]]:
    """The pairs of distinct stated dates that cannot be one person's, earliest first."""
    return [(a, b) for a, b in combinations(sorted(set(dates)), 2) if not one_person(a, b)]
