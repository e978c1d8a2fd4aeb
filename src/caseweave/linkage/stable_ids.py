"""Stable public ids for subjects across clustering runs, with lineage.

Pure logic, no database: the caller passes who each record belonged to before this run, the
subjects' ages and the new clusters; it stores the ids, events and retirements it gets back.

For each previous subject S, look at the new clusters holding its (surviving) records:
- one cluster: S continues there (it may have grown, or shrunk because records were deleted);
- several: S is split. S retires ("split") and no part keeps its id: after a split no part is
  clearly the person S meant, and anyone who acted on S (an alert, a package) must look again.
  The parts take new ids whose "created" event names S as parent (or, where a part joined a
  subject that continues, that subject's "grew" event names S);
- none (every record deleted): S retires ("emptied").
For each new cluster, the subjects continuing in it: none, a new id; one, it keeps its id;
several, a merge: the oldest survives and each other retires ("merged", related = survivor).

So an id only ever names one growing belief about one person: it never moves to a set that lost
any of its surviving records, and a retired id is never handed out again (new_id() must never
repeat an id, e.g. a database sequence; a repeat seen in this run raises ValueError).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

EventKind = Literal["created", "grew", "shrank", "merged", "split", "emptied"]
RetiredStatus = Literal["merged", "split", "emptied"]


@dataclass(frozen=True, slots=True)
class LineageEvent:
    """What happened to one subject in this run.

    created: related = split parents it took records from. grew: related = subjects whose records
    it took in (merged or split ones). shrank: its records were deleted. merged: related = the
    survivor. split: related = the subjects now holding its records. emptied: all records deleted.
    A retiring subject's records_removed is its whole previous size.
    """

    kind: EventKind
    subject: str
    related: tuple[str, ...] = ()
    records_added: int = 0
    records_removed: int = 0


@dataclass(frozen=True, slots=True)
class Assignment:
    """subject_of_cluster[i] is the id of clusters[i]; retired: the ids this run retired."""

    subject_of_cluster: list[str]
    events: list[LineageEvent]
    retired: dict[str, RetiredStatus]


def _holders(previous: Mapping[int, str], clusters: Sequence[frozenset[int]]) -> dict[str, dict[int, int]]:
    """previous subject -> {cluster index: how many of its records are there now}."""
    holders: dict[str, dict[int, int]] = {}
    seen: set[int] = set()
    for index, members in enumerate(clusters):
        if not members:
            raise ValueError(f"cluster {index} is empty")
        before = len(seen)
        seen.update(members)
        if len(seen) - before != len(members):
            raise ValueError(f"cluster {index} repeats a record of an earlier cluster")
        for record in members:
            subject = previous.get(record)
            if subject is not None:
                counts = holders.setdefault(subject, {})
                counts[index] = counts.get(index, 0) + 1
    return holders


def assign(
    previous: Mapping[int, str],
    subject_age: Mapping[str, int],
    clusters: Sequence[frozenset[int]],
    new_id: Callable[[], str],
) -> Assignment:
    """Give each cluster a subject id (see the module's text for the rules).

    previous: record -> subject id before this run. subject_age: smaller = older (e.g. the
    subject's database id); needed only for subjects that merge. new_id() is called once per new
    subject, in order of each new cluster's smallest record, so the result is deterministic.
    """
    holders = _holders(previous, clusters)
    size_before: dict[str, int] = {}
    for subject in previous.values():
        size_before[subject] = size_before.get(subject, 0) + 1

    continuing: dict[int, list[str]] = {}  # cluster index -> subjects continuing in it
    split_parents: dict[int, list[str]] = {}  # cluster index -> split subjects with records in it
    for subject, where in holders.items():
        if len(where) == 1:
            continuing.setdefault(next(iter(where)), []).append(subject)
        else:
            for index in where:
                split_parents.setdefault(index, []).append(subject)

    def age(subject: str) -> tuple[int, str]:
        if subject not in subject_age:
            raise ValueError(f"subject {subject} merges but has no age")
        return (subject_age[subject], subject)

    taken = set(size_before)
    subject_of_cluster: list[str] = [""] * len(clusters)
    events: list[LineageEvent] = []
    retired: dict[str, RetiredStatus] = {}
    for index in sorted(range(len(clusters)), key=lambda i: min(clusters[i])):
        members = len(clusters[index])
        parents = sorted(split_parents.get(index, ()))
        here = continuing.get(index)
        if not here:
            subject = new_id()
            if subject in taken:
                raise ValueError(f"new_id() returned {subject!r}, which is already in use")
            taken.add(subject)
            subject_of_cluster[index] = subject
            events.append(LineageEvent("created", subject, tuple(parents), records_added=members))
            continue
        survivor, *absorbed = sorted(here, key=age) if len(here) > 1 else here
        subject_of_cluster[index] = survivor
        kept = holders[survivor][index]
        if members > kept:
            related = tuple(sorted([*absorbed, *parents]))
            events.append(LineageEvent("grew", survivor, related, records_added=members - kept))
        if size_before[survivor] > kept:  # only deletions: any other loss would be a split
            events.append(LineageEvent("shrank", survivor, records_removed=size_before[survivor] - kept))
        for subject in sorted(absorbed):
            events.append(LineageEvent("merged", subject, (survivor,), records_removed=size_before[subject]))
            retired[subject] = "merged"

    for subject in sorted(size_before):
        now_in = holders.get(subject)
        if now_in is None:
            events.append(LineageEvent("emptied", subject, records_removed=size_before[subject]))
            retired[subject] = "emptied"
        elif len(now_in) > 1:
            parts = tuple(sorted(subject_of_cluster[i] for i in now_in))
            events.append(LineageEvent("split", subject, parts, records_removed=size_before[subject]))
            retired[subject] = "split"
    return Assignment(subject_of_cluster, events, retired)
