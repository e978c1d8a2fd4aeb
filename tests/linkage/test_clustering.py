"""Clustering person records: evidence edges, must-links, cannot-links, conflicts; and property
tests against a slow, obviously-correct reference."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseweave.linkage.clustering import Clustering, Conflict, Edge, JudgedPair, Refusal, cluster

INF = math.inf


def sel(a: int, b: int, strength: float = INF) -> Edge:
    return Edge(a, b, strength, "selector")


def prob(a: int, b: int, weight: float) -> Edge:
    return Edge(a, b, weight, "probabilistic")


def same(a: int, b: int, jid: int) -> JudgedPair:
    return JudgedPair(a, b, "same", jid)


def apart(a: int, b: int, jid: int) -> JudgedPair:
    return JudgedPair(a, b, "not_same", jid)


# --- hand examples -------------------------------------------------------------------------------


def test_edges_join_records_and_every_record_appears_once() -> None:
    result = cluster([5, 1, 2, 3, 4], [sel(1, 2), prob(4, 3, 12.5)], [])
    assert result == Clustering([frozenset({1, 2}), frozenset({3, 4}), frozenset({5})], [], [])


def test_same_judgement_joins_records_without_evidence() -> None:
    result = cluster([1, 2, 3], [], [same(1, 3, 7)])
    assert result.clusters == [frozenset({1, 3}), frozenset({2})]


def test_not_same_holds_against_strong_selector_edges_and_says_which_judgement() -> None:
    result = cluster([1, 2, 3], [sel(2, 3), sel(1, 2)], [apart(1, 3, 12)])
    # (1,2) goes first on the id tie-break; (2,3) would then put 1 and 3 together.
    assert result.clusters == [frozenset({1, 2}), frozenset({3})]
    assert result.refused == [Refusal(sel(2, 3), (12,))]


def test_stronger_evidence_wins_the_contested_record() -> None:
    result = cluster([1, 2, 3], [prob(1, 2, 5.0), prob(2, 3, 9.0)], [apart(1, 3, 4)])
    assert result.clusters == [frozenset({1}), frozenset({2, 3})]
    assert result.refused == [Refusal(prob(1, 2, 5.0), (4,))]


def test_selector_goes_before_probabilistic_at_equal_strength() -> None:
    result = cluster([1, 2, 3], [prob(1, 2, 8.0), sel(2, 3, 8.0)], [apart(1, 3, 4)])
    assert result.clusters == [frozenset({1}), frozenset({2, 3})]


def test_refusal_names_every_judgement_between_the_two_sides() -> None:
    judgements = [same(1, 2, 1), same(3, 4, 2), apart(1, 3, 30), apart(2, 4, 31)]
    result = cluster([1, 2, 3, 4], [sel(2, 3)], judgements)
    assert result.clusters == [frozenset({1, 2}), frozenset({3, 4})]
    assert result.refused == [Refusal(sel(2, 3), (30, 31))]


def test_conflicting_judgements_are_reported_and_their_same_chain_withheld() -> None:
    a, b, c, d, e = 1, 2, 3, 4, 5
    judgements = [same(a, b, 10), same(b, c, 11), apart(a, c, 12), same(d, e, 13)]
    result = cluster([a, b, c, d, e], [], judgements)
    assert result.conflicts == [Conflict(frozenset({a, b, c}), (10, 11), (12,))]
    # Nothing of the conflicting chain is applied; the unrelated judgement still is.
    assert result.clusters == [frozenset({a}), frozenset({b}), frozenset({c}), frozenset({d, e})]


def test_in_a_conflict_evidence_still_clusters_but_never_across_the_cannot_link() -> None:
    judgements = [same(1, 2, 10), same(2, 3, 11), apart(1, 3, 12)]
    result = cluster([1, 2, 3], [sel(1, 2), sel(2, 3)], judgements)
    assert len(result.conflicts) == 1
    assert result.clusters == [frozenset({1, 2}), frozenset({3})]
    assert result.refused == [Refusal(sel(2, 3), (12,))]


def test_same_and_not_same_on_one_pair_is_a_conflict() -> None:
    result = cluster([1, 2], [prob(1, 2, 20.0)], [same(1, 2, 1), apart(1, 2, 2)])
    assert result.conflicts == [Conflict(frozenset({1, 2}), (1,), (2,))]
    assert result.clusters == [frozenset({1}), frozenset({2})]


@pytest.mark.parametrize(
    ("edges", "judgements", "message"),
    [
        ([sel(1, 9)], [], "record 9"),
        ([Edge(1, 2, INF, "guess")], [], "kind"),  # type: ignore[arg-type]
        ([prob(1, 2, math.nan)], [], "strength"),
        ([], [apart(1, 1, 3)], "itself"),
        ([], [same(1, 9, 3)], "record 9"),
        ([], [JudgedPair(1, 2, "maybe", 3)], "verdict"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_refused_with_a_reason(
    edges: list[Edge], judgements: list[JudgedPair], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cluster([1, 2], edges, judgements)


# --- properties, against a slow reference ---------------------------------------------------------


def reference(
    records: list[int], edges: list[Edge], judgements: list[JudgedPair]
) -> tuple[set[frozenset[int]], list[Refusal], set[int]]:
    """The rules read literally: sets merged one by one, every cannot-link checked every time."""
    musts = [j for j in judgements if j.verdict == "same"]
    cannots = [j for j in judgements if j.verdict == "not_same"]
    group: dict[int, frozenset[int]] = {r: frozenset({r}) for r in records}

    def join(a: int, b: int) -> None:
        merged = group[a] | group[b]
        for r in merged:
            group[r] = merged

    for j in musts:
        join(j.a, j.b)
    withheld = {j.judgement_id for j in musts if any({n.a, n.b} <= group[j.a] for n in cannots)}
    group = {r: frozenset({r}) for r in records}
    for j in musts:
        if j.judgement_id not in withheld:
            join(j.a, j.b)
    refused: list[Refusal] = []
    rank = {"selector": 0, "probabilistic": 1}
    for e in sorted(edges, key=lambda e: (-e.strength, rank[e.kind], min(e.a, e.b), max(e.a, e.b), e.a)):
        left, right = group[e.a], group[e.b]
        if left == right:
            continue
        blockers = [n.judgement_id for n in cannots if {n.a, n.b} & left and {n.a, n.b} & right]
        if blockers:
            refused.append(Refusal(e, tuple(sorted(blockers))))
        else:
            join(e.a, e.b)
    return set(group.values()), refused, withheld


@st.composite
def problems(draw: st.DrawFn) -> tuple[list[int], list[Edge], list[JudgedPair]]:
    records = draw(st.lists(st.integers(0, 40), min_size=1, max_size=14, unique=True))
    pick = st.sampled_from(records)
    # Few distinct strengths, so ties and the tie-break rules are exercised often.
    edge = st.builds(
        Edge, pick, pick, st.sampled_from([1.0, 2.5, INF]), st.sampled_from(["selector", "probabilistic"])
    )
    edges = draw(st.lists(edge, max_size=25))
    pairs = draw(
        st.lists(st.tuples(pick, pick, st.sampled_from(["same", "not_same"])), max_size=8).map(
            lambda found: [(a, b, v) for a, b, v in found if a != b]
        )
    )
    judgements = [JudgedPair(a, b, v, 100 + i) for i, (a, b, v) in enumerate(pairs)]  # type: ignore[arg-type]
    return records, edges, judgements


@settings(max_examples=400, deadline=None)
@given(problems())
def test_matches_the_reference_and_keeps_the_invariants(
    problem: tuple[list[int], list[Edge], list[JudgedPair]],
) -> None:
    records, edges, judgements = problem
    result = cluster(records, edges, judgements)
    where = {r: c for c in result.clusters for r in c}

    assert sorted(r for c in result.clusters for r in c) == sorted(records)  # each exactly once
    for j in judgements:
        if j.verdict == "not_same":
            assert where[j.a] != where[j.b]
    withheld = {jid for conflict in result.conflicts for jid in conflict.same_judgements}
    for j in judgements:
        if j.verdict == "same" and j.judgement_id not in withheld:
            assert where[j.a] == where[j.b]
    refused = [r.edge for r in result.refused]
    for e in edges:  # every edge is either applied or reported
        assert (where[e.a] == where[e.b]) != (e in refused)

    clusters, expected_refused, expected_withheld = reference(records, edges, judgements)
    assert set(result.clusters) == clusters
    assert result.refused == expected_refused
    assert withheld == expected_withheld


@settings(max_examples=200, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(
    problem: tuple[list[int], list[Edge], list[JudgedPair]], rnd: random.Random
) -> None:
    records, edges, judgements = problem
    first = cluster(records, edges, judgements)
    for items in (records, edges, judgements):
        rnd.shuffle(items)
    assert cluster(records, edges, judgements) == first
