"""Person records into clusters: evidence links, with analysts' judgements as constraints.

Pure logic, no database: the caller passes record ids, evidence edges and active judgements.

1. "same" judgements are must-links and "not_same" ones cannot-links. A chain of "same"
   judgements joining two records judged "not_same" (A=B, B=C, A≠C) is a conflict: it is reported
   and none of that chain's "same" judgements is applied; the cannot-link, the cautious side,
   holds until an analyst resolves it.
2. The remaining must-links are applied, then evidence edges strongest first (selector before
   probabilistic at equal strength, then by record ids). An edge that would put two records judged
   "not_same" into one cluster is refused, and reported with the judgements that refused it.

Order only matters where a cannot-link pair would end up in one cluster if every edge were
applied; elsewhere the result is plain connected components. So every edge is first joined
without constraints (no sort), and only the contested components are re-run in order. Analysts
judge thousands of pairs, not millions, so the ordered part stays small even at national scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

EdgeKind = Literal["selector", "probabilistic"]
Verdict = Literal["same", "not_same"]

# Lower rank goes first at equal strength: an exact shared selector beats a model's guess.
_KIND_RANK: dict[str, int] = {"selector": 0, "probabilistic": 1}


@dataclass(frozen=True, slots=True)
class Edge:
    """Evidence that records a and b are one person. strength: the match weight for
    "probabilistic" edges (only those above the caller's threshold are passed)."""

    a: int
    b: int
    strength: float
    kind: EdgeKind


@dataclass(frozen=True, slots=True)
class JudgedPair:
    """An analyst's active judgement on two records."""

    a: int
    b: int
    verdict: Verdict
    judgement_id: int


@dataclass(frozen=True, slots=True)
class Refusal:
    """An edge that was not applied: its two sides hold records judged "not_same" by these
    judgements ("held apart by judgement #12")."""

    edge: Edge
    judgement_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """A chain of "same" judgements joining records judged "not_same". The "same" judgements are
    withheld (not applied) until an analyst resolves the conflict; the "not_same" ones still hold.
    records: every record the withheld "same" judgements name."""

    records: frozenset[int]
    same_judgements: tuple[int, ...]
    not_same_judgements: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Clustering:
    """clusters: every record exactly once (singletons included), ordered by smallest record."""

    clusters: list[frozenset[int]]
    refused: list[Refusal]
    conflicts: list[Conflict]


def _find(parent: dict[int, int], x: int) -> int:
    # Path halving: every other node on the way up points at its grandparent.
    while (p := parent[x]) != x:
        grand = parent[p]
        parent[x] = grand
        x = grand
    return x


def _check_judgements(judgements: Iterable[JudgedPair], known: set[int]) -> list[JudgedPair]:
    checked = list(judgements)
    for j in checked:
        if j.verdict not in ("same", "not_same"):
            raise ValueError(f"judgement #{j.judgement_id}: verdict {j.verdict!r} is not same/not_same")
        if j.a == j.b:
            raise ValueError(f"judgement #{j.judgement_id}: a record cannot be judged against itself")
        for record in (j.a, j.b):
            if record not in known:
                raise ValueError(f"judgement #{j.judgement_id}: record {record} is not among the records")
    return checked


def _split_conflicts(
    same: list[JudgedPair], not_same: list[JudgedPair]
) -> tuple[list[JudgedPair], list[Conflict]]:
    """The "same" judgements that may be applied, and the conflicts that withhold the others."""
    parent: dict[int, int] = {}
    for j in same:
        parent.setdefault(j.a, j.a)
        parent.setdefault(j.b, j.b)
        ra, rb = _find(parent, j.a), _find(parent, j.b)
        if ra != rb:
            parent[ra] = rb
    broken: dict[int, list[int]] = {}  # root of a conflicting chain -> its "not_same" judgements
    for j in not_same:
        if j.a in parent and j.b in parent and _find(parent, j.a) == _find(parent, j.b):
            broken.setdefault(_find(parent, j.a), []).append(j.judgement_id)
    if not broken:
        return same, []
    applied: list[JudgedPair] = []
    withheld: dict[int, tuple[set[int], list[int]]] = {root: (set(), []) for root in broken}
    for j in same:
        root = _find(parent, j.a)
        if root in withheld:
            withheld[root][0].update((j.a, j.b))
            withheld[root][1].append(j.judgement_id)
        else:
            applied.append(j)
    conflicts = [
        Conflict(frozenset(records), tuple(sorted(ids)), tuple(sorted(broken[root])))
        for root, (records, ids) in withheld.items()
    ]
    conflicts.sort(key=lambda c: min(c.records))
    return applied, conflicts


def _edge_order(edge: Edge) -> tuple[float, int, int, int, int]:
    lo, hi = (edge.a, edge.b) if edge.a <= edge.b else (edge.b, edge.a)
    return (-edge.strength, _KIND_RANK[edge.kind], lo, hi, edge.a)


def _constrained(
    records: list[int], must: list[JudgedPair], cannot: list[JudgedPair], edges: list[Edge]
) -> tuple[dict[int, list[int]], list[Refusal]]:
    """Ordered agglomeration of the contested components: root -> its records, and refusals."""
    parent = {r: r for r in records}
    for j in must:
        ra, rb = _find(parent, j.a), _find(parent, j.b)
        if ra != rb:
            parent[ra] = rb
    # root -> {root of a component it must stay apart from: the judgements that say so}
    apart: dict[int, dict[int, list[int]]] = {}
    for j in cannot:
        ra, rb = _find(parent, j.a), _find(parent, j.b)
        apart.setdefault(ra, {}).setdefault(rb, []).append(j.judgement_id)
        apart.setdefault(rb, {}).setdefault(ra, []).append(j.judgement_id)
    refused: list[Refusal] = []
    for edge in sorted(edges, key=_edge_order):
        ra, rb = _find(parent, edge.a), _find(parent, edge.b)
        if ra == rb:
            continue
        held = apart.get(ra)
        if held is not None and rb in held:
            refused.append(Refusal(edge, tuple(sorted(held[rb]))))
            continue
        # The side with fewer constraints is folded into the other (small into large).
        if len(apart.get(ra, ())) > len(apart.get(rb, ())):
            ra, rb = rb, ra
        parent[ra] = rb
        moved = apart.pop(ra, None)
        if moved:
            into = apart.setdefault(rb, {})
            for other, ids in moved.items():
                back = apart[other]
                del back[ra]
                back.setdefault(rb, []).extend(ids)
                into.setdefault(other, []).extend(ids)
    groups: dict[int, list[int]] = {}
    for r in parent:  # records came in ascending, so each group's first record is its smallest
        groups.setdefault(_find(parent, r), []).append(r)
    return groups, refused


def cluster(records: Iterable[int], edges: Iterable[Edge], judgements: Iterable[JudgedPair]) -> Clustering:
    """Cluster records by evidence edges under analysts' judgements (see the module's text).

    Deterministic: the same records, edges and judgements in any order give the same result.
    Raises ValueError for an edge or judgement naming an unknown record, an unknown edge kind or
    verdict, a NaN strength, or a record judged against itself.
    """
    ordered = sorted(set(records))
    parent = {r: r for r in ordered}
    judged = _check_judgements(judgements, set(parent))
    same = [j for j in judged if j.verdict == "same"]
    cannot = [j for j in judged if j.verdict == "not_same"]
    must, conflicts = _split_conflicts(same, cannot)

    # Pass 1: every must-link and edge, no constraints, no sort.
    for j in must:
        ra, rb = _find(parent, j.a), _find(parent, j.b)
        if ra != rb:
            parent[ra] = rb
    edge_list = list(edges)
    for edge in edge_list:
        if edge.kind not in _KIND_RANK or math.isnan(edge.strength):
            raise ValueError(f"edge {edge}: kind must be selector/probabilistic and strength a number")
        try:
            # Most records sit at most one step below their root: skip the call for them.
            ra, rb = parent[edge.a], parent[edge.b]
        except KeyError as missing:
            raise ValueError(f"edge {edge}: record {missing} is not among the records") from None
        if parent[ra] != ra:
            ra = _find(parent, ra)
        if parent[rb] != rb:
            rb = _find(parent, rb)
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for r in ordered:  # ascending: each group's first record is its smallest
        groups.setdefault(_find(parent, r), []).append(r)

    # Pass 2: re-run, in order and with cannot-links, the components holding a "not_same" pair.
    held = [j for j in cannot if _find(parent, j.a) == _find(parent, j.b)]
    refused: list[Refusal] = []
    if held:
        inside: set[int] = set()
        for root in {_find(parent, j.a) for j in held}:
            inside.update(groups.pop(root))
        sub_groups, refused = _constrained(
            sorted(inside),
            [j for j in must if j.a in inside],
            held,
            [e for e in edge_list if e.a in inside],
        )
        groups.update(sub_groups)  # their roots lie inside, so no clash with the other groups
        return Clustering(_frozen(sorted(groups.values(), key=itemgetter(0))), refused, conflicts)
    return Clustering(_frozen(groups.values()), refused, conflicts)


def _frozen(groups: Iterable[list[int]]) -> list[frozenset[int]]:
    return [frozenset(g) for g in groups]
