"""Fewer garbage collections during a large unit of work (a linkage run, an import).

Such work makes millions of short-lived objects (rows, tuples, dicts) while thousands of long-lived
ones (modules, Splink, SQLAlchemy's caches) sit in the heap; CPython's default thresholds collect
every 700 allocations and keep walking those survivors. Freezing what exists before the work and
collecting every 100,000 allocations instead saved 0.8 s of 6.3 for 10,000 new records into a
million (bench/linkage_scale.py); cycles are still collected, only less often. The settings are
the process's: where two runs overlap in one process, the first to finish restores them, which
costs the other only its saving.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (100_000, 50, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.freeze()  # what exists now outlives the work: never walked during it
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
