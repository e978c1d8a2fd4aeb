"""The multi-index hash search returns exactly what brute force does (faiss IndexBinaryFlat): the same
ids, distances and order, at every distance, for planted near-duplicates and unrelated hashes, after
rows are added, from an old-format file, and on the database's own values."""

from __future__ import annotations

import random
from pathlib import Path

import faiss
import numpy as np
import pytest
from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.media import banks
from caseweave.media.index import (
    MAX_MULTIHASH_DISTANCE,
    NHASH,
    Codes,
    Hits,
    PdqIndex,
    codes_of,
    current_index,
    nflip_for,
)
from caseweave.media.matching import match_hashset
from caseweave.media.models import MediaHash
from tests.media.banks_support import flip, item, random_hex, vics
from tests.support.world import build_world

PLANTED = (0, 1, 15, 16, 30, 31, 32, 33)


def brute_force(bank: Codes, ids: np.ndarray, queries: Codes, max_distance: int) -> Hits:
    flat = faiss.IndexBinaryFlat(256)
    flat.add(bank)
    limits, distances, positions = flat.range_search(queries, max_distance + 1)
    query = np.repeat(np.arange(len(queries), dtype=np.int64), np.diff(limits).astype(np.int64))
    return Hits(query, ids[positions], distances.astype(np.int64))


def assert_same(ours: Hits, truth: Hits) -> None:
    assert ours.query.tolist() == truth.query.tolist()
    assert ours.hash_id.tolist() == truth.hash_id.tolist()
    assert ours.distance.tolist() == truth.distance.tolist()


def spread(pdq: str, distance: int) -> str:
    """`distance` bits flipped as evenly as possible over the 16 substrings of 16 bits: the hardest
    case for the pigeonhole argument (at 31 bits, 15 substrings differ by 2 and one by 1)."""
    value = int(pdq, 16)
    for k in range(distance):
        substring, bit = k % NHASH, k // NHASH
        value ^= 1 << (substring * 16 + bit)
    return f"{value:064x}"


def planted_bank(seed: int, size: int = 3000) -> tuple[list[str], list[str], list[tuple[int, int, int]]]:
    """(bank, queries, (query, bank row, distance) of each planted copy): copies at each distance
    of PLANTED with random bits flipped, the same spread over all substrings, unrelated hashes."""
    rng = random.Random(seed)
    bank = [random_hex(rng, 256) for _ in range(size)]
    planted = [(q, q * 7, d) for q, d in enumerate(PLANTED * 5)]
    queries = [flip(bank[row], d, rng) for _, row, d in planted]
    spread_rows = [(len(queries) + i, size // 2 + i, d) for i, d in enumerate(PLANTED)]
    queries += [spread(bank[row], d) for _, row, d in spread_rows]
    queries += [random_hex(rng, 256) for _ in range(60)]
    bank += [flip(bank[5], 2, rng), flip(bank[5], 20, rng)]  # near-duplicates inside the bank too
    return bank, queries, planted + spread_rows


def test_the_exactness_condition_holds_for_every_distance_searched_by_multi_hash() -> None:
    for distance in range(MAX_MULTIHASH_DISTANCE + 1):
        nflip = nflip_for(distance)
        assert nflip is not None and (nflip + 1) * NHASH > distance
    assert nflip_for(31) == 1 and nflip_for(15) == 0 and nflip_for(16) == 1
    assert nflip_for(32) is None and nflip_for(64) is None and nflip_for(-1) is None


@pytest.mark.parametrize("max_distance", [0, 1, 15, 16, 31, 32, 40])
def test_same_hits_as_brute_force(max_distance: int) -> None:
    bank, queries, _ = planted_bank(61)
    ids = np.arange(10, 10 + len(bank), dtype=np.int64) * 3  # ascending, not positions
    index = PdqIndex()
    index.add(ids, codes_of(bank))
    truth = brute_force(codes_of(bank), ids, codes_of(queries), max_distance)
    ours = index.search(codes_of(queries), max_distance)
    assert_same(ours, truth)
    assert len(truth.query) >= 5 * sum(1 for d in PLANTED if d <= max_distance)


def test_every_planted_copy_within_31_bits_is_found_even_spread_over_all_substrings() -> None:
    bank, queries, planted = planted_bank(62)
    index = PdqIndex()
    index.add(np.arange(1, len(bank) + 1, dtype=np.int64), codes_of(bank))
    hits = index.search(codes_of(queries), 31)
    found = set(zip(hits.query.tolist(), (hits.hash_id - 1).tolist(), hits.distance.tolist(), strict=True))
    for query, row, distance in planted:
        assert ((query, row, distance) in found) == (distance <= 31)


def test_rows_added_after_a_build_are_found_and_the_tables_rebuilt_when_the_tail_grows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("caseweave.media.index.TAIL_LIMIT", 500)
    bank, queries, _ = planted_bank(63, size=2000)
    ids = np.arange(1, len(bank) + 1, dtype=np.int64)
    codes = codes_of(bank)
    index = PdqIndex()
    index.add(ids[:1500], codes[:1500])
    index.prepare()
    index.add(ids[1500:1600], codes[1500:1600])  # a short tail: scanned
    assert_same(
        index.search(codes_of(queries), 31), brute_force(codes[:1600], ids[:1600], codes_of(queries), 31)
    )
    index.add(ids[1600:], codes[1600:])  # past the limit: rebuilt
    assert_same(index.search(codes_of(queries), 31), brute_force(codes, ids, codes_of(queries), 31))
    assert index.watermark == len(bank) and len(index) == len(bank)


def test_saved_reloaded_and_an_old_format_file_still_loads(tmp_path: Path) -> None:
    bank, queries, _ = planted_bank(64, size=1000)
    ids = np.arange(5, 5 + len(bank), dtype=np.int64)
    truth = brute_force(codes_of(bank), ids, codes_of(queries), 31)
    index = PdqIndex()
    index.add(ids, codes_of(bank))
    path = tmp_path / "new.pdq-index.npz"
    index.save(path)
    loaded = PdqIndex.load(path)
    assert loaded is not None and loaded.watermark == ids[-1]
    assert_same(loaded.search(codes_of(queries), 31), truth)

    old = faiss.IndexBinaryFlat(256)  # what earlier versions wrote
    old.add(codes_of(bank))
    old_path = tmp_path / "old.pdq-index.npz"
    with old_path.open("wb") as out:
        np.savez(out, index=faiss.serialize_index_binary(old), ids=ids)
    from_old = PdqIndex.load(old_path)
    assert from_old is not None and len(from_old) == len(bank)
    assert_same(from_old.search(codes_of(queries), 31), truth)

    with old_path.open("wb") as out:  # ids and codes that disagree: not loaded (rebuilt)
        np.savez(out, codes=codes_of(bank), ids=ids[:-1])
    assert PdqIndex.load(old_path) is None


def test_on_the_database_the_index_and_matching_agree_with_brute_force(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(65)
    held = [item(rng, series=f"S{i}") for i in range(300)]
    with db.transaction() as session:
        actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        banks.import_bank(session, actor, world.operation_id, vics(held), "known.json", label="GREEN")
    distances = [0, 1, 15, 31, 32]
    seized = [
        item(rng, pdq=flip(held[i].pdq or "", d, rng), path=f"{i}.jpg") for i, d in enumerate(distances)
    ]
    seized += [
        item(rng, pdq=spread(held[10 + i].pdq or "", d), path=f"s{i}.jpg") for i, d in enumerate(distances)
    ]
    seized += [item(rng, path=f"r{i}.jpg") for i in range(20)]
    pdqs = [s.pdq or "" for s in seized]
    with db.transaction() as session:
        values = session.execute(
            select(MediaHash.id, MediaHash.value).where(MediaHash.algorithm == "pdq")
        ).all()
        ids = np.array([v[0] for v in values], dtype=np.int64)
        order = np.argsort(ids)
        bank = codes_of([values[i][1] for i in order])
        truth = brute_force(bank, ids[order], codes_of(pdqs), 31)
        assert_same(current_index(settings, session).search(codes_of(pdqs), 31), truth)
        report = match_hashset(
            session, Actor.cli(), settings, world.operation_id, vics(seized), "seized.json", agency="LEAD"
        )
    by_path = {f.file_name: f for f in report.files}
    for prefix, source in (("", 0), ("s", 10)):
        for i, d in enumerate(distances):
            matches = by_path[f"{prefix}{i}.jpg"].matches
            pdq = [m for m in matches if m.algorithm == "pdq" and m.series == f"S{source + i}"]
            assert [m.distance for m in pdq] == ([d] if d <= 31 else [])
