"""The PDQ index: every distinct PDQ value of every bank, searched exactly within a Hamming distance,
persisted to a file and refreshed from the database by a watermark.

Search is a multi-index hash (Norouzi, Punjani & Fleet, "Fast exact search in Hamming space with
multi-index hashing"; the layout of faiss `IndexBinaryMultiHash(256, 16, 16)`, which Meta's
python-threatexchange uses for PDQ): the 256 bits are cut into NHASH = 16 substrings of 16 bits, and
each substring has a table (bank rows sorted by that substring, with the start of each of the 65,536
buckets). A query probes, in every table, the buckets within `nflip` bits of its own substring, and
the rows found are checked against the full 256 bits, so only rows within the distance are returned.

**Exact** (the same rows and distances as brute force) whenever `(nflip + 1) * NHASH > max_distance`:
a row whose 16 substrings each differ from the query's in more than `nflip` bits differs in at least
`(nflip + 1) * 16` bits in all (pigeonhole), so every row within the distance lies in a probed
bucket. `nflip = max_distance // 16` always meets that; PDQ's 31 bits gives nflip 1, 16 × 17 = 272
buckets per query, about 0.4 % of the bank checked instead of all of it. From 32 bits on (nflip 2,
16 × 137 buckets, 3.3 % of the bank read in random order) a scan is as fast (1M values, 40 bits:
2,290 lookups/s either way, against 8,980 by multi-hash at 31), so distances over
MAX_MULTIHASH_DISTANCE are searched by brute force (faiss `IndexBinaryFlat.range_search`), still exact.

The tables are rebuilt (a stable sort per substring) when the rows added since the last build pass
TAIL_LIMIT or outnumber the rows built; rows added since are scanned by brute force meanwhile. The
file holds the codes and ids only (`codes`, `ids`); the tables are rebuilt on load. A file of the
older format (a serialised faiss IndexBinaryFlat as `index`) still loads.

The index knows hash ids only: which bank entries hold a value, whether they are enabled and whether
the asking agency may see them is decided in SQL after the search (media.matching), so disabling an
entry or changing a label never needs a rebuild. Hash values are never deleted, so a refresh adds
the rows past the watermark (the highest id indexed); if the stored rows up to the watermark are not
exactly those indexed (another database, a row committed late), it rebuilds.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseweave.config import Settings
from caseweave.db.engine import beside_sqlite_file
from caseweave.media.models import MediaHash

BITS = 256
CODE_BYTES = BITS // 8
WORDS = BITS // 64
NHASH = 16  # substrings
SUB_BITS = BITS // NHASH  # 16 bits each: 65,536 buckets per table
MAX_MULTIHASH_DISTANCE = 31  # nflip 1; beyond it a scan is as fast (see the module's docstring)
TAIL_LIMIT = 16_384  # rows added after a build that are scanned before the tables are rebuilt
_CANDIDATES_PER_STEP = 1_000_000  # rows checked per step of a batch: bounds the memory of a search
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_THREADS = max(1, min(4, _CORES))  # threads over the steps of one batch
_BATCH = 100_000  # rows read from the database per step on a refresh
FILE_VERSION = 2

Codes = npt.NDArray[np.uint8]
Ids = npt.NDArray[np.int64]
_I64 = npt.NDArray[np.int64]


def codes_of(hexes: Sequence[str]) -> Codes:
    """Normalised 64-character PDQ hex strings as an (n, 32) uint8 array, in one conversion."""
    if not hexes:
        return np.empty((0, CODE_BYTES), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(len(hexes), CODE_BYTES)


def nflip_for(max_distance: int) -> int | None:
    """Bits flipped per substring for an exact multi-index search, or None where a scan is used."""
    if max_distance < 0 or max_distance > MAX_MULTIHASH_DISTANCE:
        return None
    nflip = max_distance // NHASH
    assert (nflip + 1) * NHASH > max_distance  # the pigeonhole condition: exact
    return nflip


def _flip_masks(nflip: int) -> _I64:
    """Every SUB_BITS-bit mask with at most nflip bits set: the buckets probed around a substring."""
    masks = [0]
    for count in range(1, nflip + 1):
        masks += [sum(1 << bit for bit in bits) for bits in itertools.combinations(range(SUB_BITS), count)]
    return np.array(masks, dtype=np.int64)


@dataclass(frozen=True)
class Hits:
    """Parallel arrays, one element per (query, indexed value) pair within the distance, ordered by
    query, then by position in the index (= by hash id)."""

    query: Ids  # position of the query in the batch
    hash_id: Ids  # media_hashes.id of the indexed value
    distance: Ids


Words = npt.NDArray[np.uint64]  # codes word-major: (WORDS, n), word w = bytes 8w..8w+7 of each code


def _words_of(codes: Codes) -> Words:
    return np.ascontiguousarray(codes.view(np.uint64).T)


def _substring(words: Words, h: int) -> npt.NDArray[np.uint16]:
    """Substring h of every code: bits 16h..16h+15 (on a little-endian machine bytes 2h, 2h+1, as
    faiss reads it)."""
    shift = np.uint64(SUB_BITS * (h % (64 // SUB_BITS)))
    column: npt.NDArray[np.uint16] = ((words[h * SUB_BITS // 64] >> shift) & np.uint64(0xFFFF)).astype(
        np.uint16
    )
    return column


class _Tables:
    """The multi-index tables over the first `size` rows: per substring, the rows sorted by it and
    the start of each bucket."""

    def __init__(self, words: Words) -> None:
        self.size = words.shape[1]
        self.rows: list[npt.NDArray[np.int32]] = []
        self.starts: list[_I64] = []
        for h in range(NHASH):
            column = _substring(words, h)
            self.rows.append(np.argsort(column, kind="stable").astype(np.int32))
            counts = np.bincount(column, minlength=1 << SUB_BITS)
            self.starts.append(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))


@dataclass(frozen=True)
class _State:
    """What one search reads: replaced whole when rows are joined, never changed in place."""

    ids: Ids  # row → media_hashes.id, ascending
    words: Words
    tables: _Tables | None  # over the first tables.size rows


class PdqIndex:
    def __init__(self) -> None:
        self._state = _State(np.empty(0, dtype=np.int64), np.empty((WORDS, 0), dtype=np.uint64), None)
        self._pending: list[tuple[Ids, Codes]] = []  # added, not yet joined to the arrays
        self._flat: tuple[int, int, faiss.IndexBinaryFlat] | None = None  # (first, end row, index)
        self._lock = threading.Lock()

    @property
    def ids(self) -> Ids:
        return self.prepare().ids

    @property
    def codes(self) -> Codes:
        return np.ascontiguousarray(self.prepare().words.T).view(np.uint8)

    @property
    def watermark(self) -> int:
        with self._lock:
            if self._pending:
                return int(self._pending[-1][0][-1])
            ids = self._state.ids
            return int(ids[-1]) if len(ids) else 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._state.ids) + sum(len(ids) for ids, _ in self._pending)

    def add(self, hash_ids: Ids, codes: Codes) -> None:
        """Rows with ids above the watermark; joined to the arrays on the next prepare or search."""
        if len(hash_ids):
            with self._lock:
                self._pending.append((hash_ids.astype(np.int64), np.ascontiguousarray(codes, dtype=np.uint8)))

    def prepare(self) -> _State:
        """Join what was added to the arrays, and rebuild the tables if the unbuilt tail is long."""
        with self._lock:
            state = self._state
            if self._pending:
                ids = np.concatenate([state.ids, *(ids for ids, _ in self._pending)])
                words = np.concatenate(
                    [state.words, *(_words_of(codes) for _, codes in self._pending)], axis=1
                )
                state = _State(ids, words, state.tables)
                self._pending = []
            built = state.tables.size if state.tables else 0
            tail = len(state.ids) - built
            if tail > TAIL_LIMIT or tail > built:
                state = _State(state.ids, state.words, _Tables(state.words))
            self._state = state
            return state

    def search(self, codes: Codes, max_distance: int) -> Hits:
        """Every indexed value within max_distance bits of each query: exact, whichever way. Ordered
        by query, then by id, as brute force returns them."""
        state = self.prepare()
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, CODE_BYTES)
        nflip = nflip_for(max_distance)
        if len(codes) == 0 or len(state.ids) == 0:
            rows = query = distance = np.empty(0, dtype=np.int64)
        elif nflip is None or state.tables is None:
            query, rows, distance = self._scan(state, codes, max_distance, 0)
        else:
            query, rows, distance = self._multihash(state, state.tables, codes, max_distance, nflip)
        return Hits(query, state.ids[rows], distance)

    def _scan(self, state: _State, codes: Codes, max_distance: int, first: int) -> tuple[_I64, _I64, _I64]:
        """Brute force over rows first..: faiss IndexBinaryFlat range search."""
        end = len(state.ids)
        with self._lock:
            if self._flat is None or self._flat[:2] != (first, end):
                flat = faiss.IndexBinaryFlat(BITS)
                flat.add(np.ascontiguousarray(state.words[:, first:end].T).view(np.uint8))
                self._flat = (first, end, flat)
            flat = self._flat[2]
        # faiss returns distances strictly below the radius
        limits, distances, positions = flat.range_search(codes, max_distance + 1)
        query = np.repeat(np.arange(len(codes), dtype=np.int64), np.diff(limits).astype(np.int64))
        return query, positions.astype(np.int64) + first, distances.astype(np.int64)

    def _multihash(
        self, state: _State, tables: _Tables, codes: Codes, max_distance: int, nflip: int
    ) -> tuple[_I64, _I64, _I64]:
        masks = _flip_masks(nflip)
        expected = NHASH * len(masks) * tables.size / (1 << SUB_BITS) + 1  # rows checked per query
        step = int(min(1024, max(8, _CANDIDATES_PER_STEP // expected)))
        starts = range(0, len(codes), step)

        def probe(first: int) -> tuple[_I64, _I64, _I64]:
            return _probe(state.words, tables, codes[first : first + step], first, masks, max_distance)

        workers = min(len(starts), _THREADS)
        if workers > 1:  # numpy lets go of the GIL in the work of a step: steps run side by side
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(probe, starts))
        else:
            parts = [probe(first) for first in starts]
        if tables.size < len(state.ids):  # rows added since the build
            parts.append(self._scan(state, codes, max_distance, tables.size))
        query = np.concatenate([p[0] for p in parts])
        rows = np.concatenate([p[1] for p in parts])
        distance = np.concatenate([p[2] for p in parts])
        order = np.lexsort((rows, query))
        return query[order], rows[order], distance[order]

    def save(self, path: Path) -> None:
        """Written to a temporary file and renamed, so a reader never sees half an index."""
        state = self.prepare()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
        with temporary.open("wb") as out:
            codes = np.ascontiguousarray(state.words.T).view(np.uint8)
            np.savez(out, version=FILE_VERSION, codes=codes, ids=state.ids)
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> PdqIndex | None:
        """The saved index, or None where there is none or it cannot be read (it is rebuilt).
        Reads the older format too: a serialised faiss IndexBinaryFlat under `index`."""
        try:
            with np.load(path) as saved:
                ids = saved["ids"].astype(np.int64)
                if "codes" in saved:
                    codes = np.ascontiguousarray(saved["codes"], dtype=np.uint8)
                else:
                    old = faiss.deserialize_index_binary(saved["index"])
                    codes = (
                        old.reconstruct_n(0, old.ntotal)
                        if old.ntotal
                        else np.empty((0, CODE_BYTES), np.uint8)
                    )
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        if codes.ndim != 2 or codes.shape[1] != CODE_BYTES or len(codes) != len(ids):
            return None
        loaded = cls()
        loaded.add(ids, codes)
        loaded.prepare()
        return loaded


def _probe(
    index_words: Words, tables: _Tables, codes: Codes, first: int, masks: _I64, max_distance: int
) -> tuple[_I64, _I64, _I64]:
    """One step of a batch: candidates from every table, checked word by word, deduplicated."""
    words = _words_of(codes)  # word-major, as the index's
    per_probe = np.repeat(np.arange(len(codes), dtype=np.int32), len(masks))
    found_query: list[npt.NDArray[np.int32]] = []
    found_rows: list[npt.NDArray[np.int32]] = []
    for h in range(NHASH):
        keys = (_substring(words, h).astype(np.int64)[:, None] ^ masks[None, :]).ravel()
        begin = tables.starts[h][keys]
        length = tables.starts[h][keys + 1] - begin
        total = int(length.sum())
        if total == 0:
            continue
        offset = np.repeat(begin - (np.cumsum(length) - length), length)
        found_rows.append(tables.rows[h][offset + np.arange(total)])
        found_query.append(np.repeat(per_probe, length))
    if not found_rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    query = np.concatenate(found_query)
    rows = np.concatenate(found_rows)
    # the distance word by word, keeping the rows still within it: most go at the first word
    distance = np.zeros(len(rows), dtype=np.int32)
    for w in range(WORDS):
        distance += np.bitwise_count(np.take(index_words[w], rows) ^ np.take(words[w], query))
        keep = distance <= max_distance
        query, rows, distance = query[keep], rows[keep], distance[keep]
    # a row close in several substrings is found in several tables: once each
    key = query.astype(np.int64) * tables.size + rows
    _, unique = np.unique(key, return_index=True)
    return (
        query[unique].astype(np.int64) + first,
        rows[unique].astype(np.int64),
        distance[unique].astype(np.int64),
    )


def refresh(index: PdqIndex, session: Session) -> tuple[PdqIndex, int]:
    """Bring the index up to the database: (the index, values added). Rebuilds if it drifted."""
    pdq = MediaHash.algorithm == "pdq"
    stored = session.scalar(select(func.count()).where(pdq, MediaHash.id <= index.watermark))
    if stored != len(index):
        index = PdqIndex()
    added = 0
    while True:
        rows = session.execute(
            select(MediaHash.id, MediaHash.value)
            .where(pdq, MediaHash.id > index.watermark)
            .order_by(MediaHash.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            index.prepare()
            return index, added
        index.add(np.fromiter((r[0] for r in rows), dtype=np.int64), codes_of([r[1] for r in rows]))
        added += len(rows)


def index_path(settings: Settings) -> Path | None:
    """Where the index is kept: the setting, else beside a SQLite database file, else nowhere."""
    if settings.media_index_path:
        return Path(settings.media_index_path)
    return beside_sqlite_file(settings.database_url, ".pdq-index.npz")


_lock = threading.Lock()
_cache: dict[str, PdqIndex] = {}  # one index per database, kept between requests


def current_index(settings: Settings, session: Session) -> PdqIndex:
    """The refreshed index for this database: from memory, else the file, else built; saved if it grew."""
    path = index_path(settings)
    key = str(path) if path else settings.database_url
    with _lock:
        index = _cache.get(key)
        if index is None:
            index = (PdqIndex.load(path) if path and path.exists() else None) or PdqIndex()
        before = len(index)
        index, added = refresh(index, session)
        if path is not None and (added or len(index) != before):
            index.save(path)
        _cache[key] = index
        return index
