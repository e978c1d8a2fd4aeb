"""The PDQ index: exact range search, ids kept, persisted and reloaded; a damaged file is rebuilt."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from caseweave.media.index import PdqIndex, codes_of
from caseweave.media.signals import hamming
from tests.media.banks_support import flip, random_hex


def test_search_finds_exactly_the_hashes_within_the_distance(tmp_path: Path) -> None:
    rng = random.Random(30)
    bank = [random_hex(rng, 256) for _ in range(500)]
    queries = [flip(bank[i], d, rng) for i, d in zip(range(0, 400, 10), range(0, 40), strict=True)]
    queries += [random_hex(rng, 256) for _ in range(10)]
    index = PdqIndex()
    index.add(np.arange(100, 600, dtype=np.int64), codes_of(bank))
    path = tmp_path / "x.pdq-index.npz"
    index.save(path)
    loaded = PdqIndex.load(path)
    assert loaded is not None and len(loaded) == 500 and loaded.watermark == 599
    hits = loaded.search(codes_of(queries), 31)
    found = set(zip(hits.query.tolist(), (hits.hash_id - 100).tolist(), hits.distance.tolist(), strict=True))
    expected = {
        (q, b, hamming(query, value))
        for q, query in enumerate(queries)
        for b, value in enumerate(bank)
        if hamming(query, value) <= 31
    }
    assert found == expected and len(expected) >= 32


def test_a_damaged_index_file_is_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "x.pdq-index.npz"
    path.write_bytes(b"not an index")
    assert PdqIndex.load(path) is None
    assert len(PdqIndex().search(codes_of([]), 31).query) == 0
