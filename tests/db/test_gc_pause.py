"""A large unit of work collects garbage less often, and leaves the process's settings as it found
them, also when it fails (a server runs many such units)."""

from __future__ import annotations

import gc

import pytest

from caseweave.db.gc_pause import THRESHOLDS, fewer_collections


def test_settings_hold_inside_and_are_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0  # what existed before is left alone
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_settings_are_restored_when_the_work_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the run failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_during_the_work_are_still_collected() -> None:
    with fewer_collections():
        for _ in range(THRESHOLDS[0] * 2):  # cycles enough to pass the first threshold twice
            cycle: list[object] = []
            cycle.append(cycle)
        del cycle
        assert gc.get_count()[0] < THRESHOLDS[0]  # a collection ran on the way


def test_nested_work_keeps_the_settings_until_the_outer_work_ends() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        with fewer_collections():  # an import that links its referral, say
            pass
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
