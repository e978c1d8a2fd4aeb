"""Fewer garbage collections during a large unit of work (a linkage run, an import).

Such work makes millions of short-lived objects (rows, tuples, dicts) while the heap holds many
long-lived ones (modules, Splink, SQLAlchemy's caches, the work's own results so far); CPython's
default thresholds collect every 700 allocations and keep walking the survivors. Freezing what
exists before the work and collecting every 100,000 allocations instead took a full linkage run of
a million records from 263 to 179 s, and 10,000 new records from 6.3 to 5.3 s
(bench/linkage_scale.py). Cycles are still collected, only less often.

The settings are the process's: units of work that overlap (nested, or on two threads of a server)
share them, and the last to finish restores what was there before the first began.

What is frozen comes back unfrozen into the oldest generation, where CPython does not count it
towards its next full collection: garbage frozen with it would wait for a full collection that
rarely comes (memory grew with every import of a long-running process). So the young generations
are collected before freezing, and a process that froze its start-up objects itself (`caseweave
serve`) is not frozen again: unfreezing would thaw its start-up objects too.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (100_000, 50, 100)
_lock = threading.Lock()
_active = 0
_before = gc.get_threshold()
_froze = False


@contextmanager
def fewer_collections() -> Iterator[None]:
    global _active, _before, _froze
    with _lock:
        if _active == 0:
            _before = gc.get_threshold()
            _froze = gc.get_freeze_count() == 0
            if _froze:
                gc.collect(1)  # young garbage is freed now, not frozen with what outlives the work
                gc.freeze()  # what exists now outlives the work: never walked during it
            gc.set_threshold(*THRESHOLDS)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_before)
                if _froze:
                    gc.unfreeze()
