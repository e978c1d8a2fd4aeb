"""Stable subject ids across runs: grow, shrink, merge (older survives), split (new ids with
lineage), and judgements that keep holding when new evidence arrives on a later run."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseweave.linkage.clustering import Edge, JudgedPair, Refusal, cluster
from caseweave.linkage.stable_ids import Assignment, LineageEvent, assign


def ids_from(*names: str) -> Callable[[], str]:
    return iter(names).__next__


def run(previous: dict[int, str], age: dict[str, int], clusters: Sequence[set[int]], *new: str) -> Assignment:
    return assign(previous, age, [frozenset(c) for c in clusters], ids_from(*new))


def members(assignment: Assignment, clusters: Sequence[frozenset[int]]) -> dict[int, str]:
    return {r: s for s, c in zip(assignment.subject_of_cluster, clusters, strict=True) for r in c}


def test_first_run_creates_ids_in_order_of_smallest_record() -> None:
    result = run({}, {}, [{7, 3}, {1}], "S1", "S2")
    assert result.subject_of_cluster == ["S2", "S1"]
    assert result.events == [
        LineageEvent("created", "S1", records_added=1),
        LineageEvent("created", "S2", records_added=2),
    ]
    assert result.retired == {}


def test_unchanged_run_keeps_every_id_and_reports_nothing() -> None:
    previous = {1: "A", 2: "A", 3: "B"}
    result = run(previous, {"A": 1, "B": 2}, [{3}, {1, 2}])
    assert result == Assignment(["B", "A"], [], {})


def test_growing_subject_keeps_its_id() -> None:
    result = run({1: "A", 2: "A"}, {"A": 1}, [{1, 2, 3}])
    assert result == Assignment(["A"], [LineageEvent("grew", "A", records_added=1)], {})


def test_merge_keeps_the_older_id_and_records_the_other_as_merged_into_it() -> None:
    previous = {1: "YOUNG", 2: "YOUNG", 3: "OLD"}
    result = run(previous, {"YOUNG": 9, "OLD": 2}, [{1, 2, 3}])
    assert result.subject_of_cluster == ["OLD"]
    assert result.events == [
        LineageEvent("grew", "OLD", ("YOUNG",), records_added=2),
        LineageEvent("merged", "YOUNG", ("OLD",), records_removed=2),
    ]
    assert result.retired == {"YOUNG": "merged"}


def test_split_retires_the_id_and_gives_every_part_a_new_one_with_lineage() -> None:
    result = run({1: "A", 2: "A", 3: "A"}, {"A": 1}, [{3}, {1, 2}], "N1", "N2")
    assert result.subject_of_cluster == ["N2", "N1"]
    assert result.events == [
        LineageEvent("created", "N1", ("A",), records_added=2),
        LineageEvent("created", "N2", ("A",), records_added=1),
        LineageEvent("split", "A", ("N1", "N2"), records_removed=3),
    ]
    assert result.retired == {"A": "split"}


def test_merge_and_split_in_one_run() -> None:
    # S splits: record 1 alone (new id), record 2 joins U; T merges into the older V.
    previous = {1: "S", 2: "S", 3: "T", 4: "T", 5: "U", 6: "V"}
    age = {"S": 1, "T": 4, "U": 3, "V": 2}
    result = run(previous, age, [{1}, {2, 5}, {3, 4, 6}], "X")
    assert result.subject_of_cluster == ["X", "U", "V"]
    assert result.events == [
        LineageEvent("created", "X", ("S",), records_added=1),
        LineageEvent("grew", "U", ("S",), records_added=1),
        LineageEvent("grew", "V", ("T",), records_added=2),
        LineageEvent("merged", "T", ("V",), records_removed=2),
        LineageEvent("split", "S", ("U", "X"), records_removed=2),
    ]
    assert result.retired == {"S": "split", "T": "merged"}


def test_deleted_records_shrink_their_subject_and_an_empty_one_retires() -> None:
    previous = {1: "A", 2: "A", 3: "A", 4: "B", 5: "C"}
    result = run(previous, {}, [{1, 2}, {5, 6}])
    assert result.subject_of_cluster == ["A", "C"]
    assert result.events == [
        LineageEvent("shrank", "A", records_removed=1),
        LineageEvent("grew", "C", records_added=1),
        LineageEvent("emptied", "B", records_removed=1),
    ]
    assert result.retired == {"B": "emptied"}


@pytest.mark.parametrize(
    ("clusters", "new", "message"),
    [
        ([{1}, {2}], ("A",), "already in use"),  # a new id must never repeat an existing one
        ([{1}, {2}, {4}], ("N", "N"), "already in use"),
        ([{1}, set()], (), "empty"),
        ([{1, 2}, {2}], (), "repeats"),
        ([{1, 3}], (), "no age"),
    ],
)
def test_bad_input_is_refused(clusters: list[set[int]], new: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run({1: "A", 3: "B"}, {"A": 1}, clusters, *new)


def test_judgements_hold_on_every_later_run() -> None:
    names = (f"S{n}" for n in itertools.count(1))
    judgements = [JudgedPair(1, 3, "not_same", 12)]

    first = cluster([1, 2, 3], [Edge(1, 2, 30.0, "probabilistic")], judgements)
    one = assign({}, {}, first.clusters, names.__next__)
    assert one.subject_of_cluster == ["S1", "S2"]

    # New, weaker evidence on a later run would join 2 and 3, so put 1 and 3 together: refused.
    edges = [
        Edge(1, 2, 30.0, "probabilistic"),
        Edge(2, 3, 10.0, "probabilistic"),
        Edge(3, 4, 12.0, "selector"),
    ]
    second = cluster([1, 2, 3, 4], edges, judgements)
    assert second.clusters == [frozenset({1, 2}), frozenset({3, 4})]
    assert second.refused == [Refusal(edges[1], (12,))]
    two = assign(members(one, first.clusters), {"S1": 1, "S2": 2}, second.clusters, names.__next__)
    assert two.subject_of_cluster == ["S1", "S2"]
    assert two.events == [LineageEvent("grew", "S2", records_added=1)]


def test_new_not_same_judgement_splits_a_subject_and_the_result_is_then_stable() -> None:
    names = (f"S{n}" for n in itertools.count(1))
    edges = [Edge(1, 2, 9.0, "probabilistic"), Edge(2, 3, 7.0, "probabilistic")]
    first = cluster([1, 2, 3], edges, [])
    one = assign({}, {}, first.clusters, names.__next__)
    assert one.subject_of_cluster == ["S1"]

    judged = [JudgedPair(1, 3, "not_same", 5)]
    second = cluster([1, 2, 3], edges, judged)
    two = assign(members(one, first.clusters), {"S1": 1}, second.clusters, names.__next__)
    assert two.subject_of_cluster == ["S2", "S3"]
    assert two.retired == {"S1": "split"}

    third = cluster([1, 2, 3], edges, judged)
    three = assign(members(two, second.clusters), {"S2": 2, "S3": 3}, third.clusters, names.__next__)
    assert three == Assignment(["S2", "S3"], [], {})


# --- properties -----------------------------------------------------------------------------------


@st.composite
def partitions(draw: st.DrawFn) -> list[frozenset[int]]:
    """A random partition of a random subset of records 0..11 (records come and go)."""
    records = draw(st.lists(st.integers(0, 11), min_size=1, max_size=12, unique=True))
    labels = draw(st.lists(st.integers(0, 4), min_size=len(records), max_size=len(records)))
    groups: dict[int, set[int]] = {}
    for record, label in zip(records, labels, strict=True):
        groups.setdefault(label, set()).add(record)
    return [frozenset(g) for g in groups.values()]


@settings(max_examples=200, deadline=None)
@given(partitions(), st.lists(st.integers(1, 50), min_size=5, max_size=5))
def test_same_clustering_again_is_the_identity(clusters: list[frozenset[int]], ages: list[int]) -> None:
    names = [f"S{i}" for i in range(len(clusters))]
    previous = {r: name for name, c in zip(names, clusters, strict=True) for r in c}
    age = dict(zip(names, ages, strict=False))
    assert assign(previous, age, clusters, ids_from()) == Assignment(names, [], {})


@settings(max_examples=300, deadline=None)
@given(st.lists(partitions(), min_size=2, max_size=5))
def test_ids_never_change_meaning_across_runs(generations: list[list[frozenset[int]]]) -> None:
    counter = itertools.count()
    age: dict[str, int] = {}

    def new_id() -> str:
        n = next(counter)
        age[f"S{n}"] = n
        return f"S{n}"

    previous: dict[int, str] = {}
    ever: set[str] = set()
    retired_before: set[str] = set()
    for clusters in generations:
        result = assign(previous, age, clusters, new_id)
        now = members(result, clusters)
        ids = result.subject_of_cluster
        before = set(previous.values())
        assert len(set(ids)) == len(ids)
        assert not set(ids) & retired_before  # retired ids never come back
        assert set(result.retired) == before - set(ids)  # every vanished id is accounted for
        for subject, c in zip(ids, clusters, strict=True):
            if subject in before:  # a continuing id keeps every surviving record it had
                assert {r for r, s in previous.items() if s == subject and r in now} <= c
            else:
                assert subject not in ever  # a new id is new for good
        for event in result.events:
            if event.kind == "merged":
                (survivor,) = event.related
                assert age[survivor] < age[event.subject]
            if event.kind == "split":
                parts = {now[r] for r, s in previous.items() if s == event.subject and r in now}
                assert set(event.related) == parts and len(parts) > 1
        ever |= set(ids)
        retired_before |= set(result.retired)
        previous = now
