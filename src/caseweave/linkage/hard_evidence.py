"""Records whose stated facts cannot both be one person's are kept apart, however they are linked.

Links chain: A~B through a shared handle, B~C through a shared address, and a subject grows to hold
several people. A subject whose members state different dates of birth (not a typo: not the same,
not day and month swapped, not one character off) is such a chain. Its records with conflicting
dates become cannot-links for constrained clustering (linkage.clustering), which then applies the
strongest links first and refuses the ones that would join them: the chain is split where its
evidence is weakest. An analyst's "same" judgement overrides (the date may be wrong in one file).

Pure logic: the caller passes the components evidence would form and the stated dates of birth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import combinations

from caseweave.linkage.clustering import JudgedPair

HARD_EVIDENCE = -1  # the judgement id of a cannot-link this module makes, not an analyst's
MAX_PAIRS = 200_000  # per run: a component needing more is an over-correlation to fix at its source


def _one_person(first: date, second: date) -> bool:
    """The same date, or one a clerk's slip away from it."""
    if first == second:
        return True
    if first.year == second.year and first.month == second.day and first.day == second.month:
        return True
    a, b = first.isoformat(), second.isoformat()
    return sum(x != y for x, y in zip(a, b, strict=True)) <= 1


def held_apart(
    components: Iterable[Sequence[int]], born: Mapping[int, date], together: Mapping[int, int]
) -> tuple[list[JudgedPair], int]:
    """Cannot-links between records of one component whose dates of birth conflict, and how many
    components had such records. `together`: record -> the root of its analysts' "same" chain;
    records an analyst joined are never held apart."""
    pairs: list[JudgedPair] = []
    split = 0
    for component in components:
        by_date: dict[date, list[int]] = {}
        for record in component:
            if record in born:
                by_date.setdefault(born[record], []).append(record)
        if len(by_date) < 2:
            continue
        found = False
        for (first, left), (second, right) in combinations(sorted(by_date.items()), 2):
            if _one_person(first, second):
                continue
            for a in left:
                for b in right:
                    if together.get(a, a) != together.get(b, b) and len(pairs) < MAX_PAIRS:
                        pairs.append(JudgedPair(a, b, "not_same", HARD_EVIDENCE))
                        found = True
        split += found
    return pairs, split
