"""The PDQ index: every distinct PDQ value of every bank in a faiss IndexBinaryFlat (exact Hamming
search), persisted to a file and refreshed from the database by a watermark.

The index knows hash ids only: which bank entries hold a value, whether they are enabled and whether
the asking agency may see them is decided in SQL after the search (media.matching), so disabling an
entry or changing a label never needs a rebuild. Hash values are never deleted, so a refresh adds
the rows past the watermark (the highest id indexed); if the stored rows up to the watermark are not
exactly those indexed (another database, a row committed late), it rebuilds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt
from sqlalchemy import func, make_url, select
from sqlalchemy.orm import Session

from caseweave.config import Settings
from caseweave.media.models import MediaHash

BITS = 256
CODE_BYTES = BITS // 8
_BATCH = 100_000  # rows read from the database per step on a refresh

Codes = npt.NDArray[np.uint8]
Ids = npt.NDArray[np.int64]


def codes_of(hexes: Sequence[str]) -> Codes:
    """Normalised 64-character PDQ hex strings as an (n, 32) uint8 array, in one conversion."""
    if not hexes:
        return np.empty((0, CODE_BYTES), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(len(hexes), CODE_BYTES)


@dataclass(frozen=True)
class Hits:
    """Parallel arrays, one element per (query, indexed value) pair within the distance."""

    query: Ids  # position of the query in the batch
    hash_id: Ids  # media_hashes.id of the indexed value
    distance: Ids


class PdqIndex:
    def __init__(self) -> None:
        self.index: faiss.IndexBinary = faiss.IndexBinaryFlat(BITS)
        self.ids: Ids = np.empty(0, dtype=np.int64)  # faiss position → media_hashes.id

    @property
    def watermark(self) -> int:
        return int(self.ids[-1]) if len(self.ids) else 0

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, hash_ids: Ids, codes: Codes) -> None:
        if len(hash_ids):
            self.index.add(np.ascontiguousarray(codes, dtype=np.uint8))
            self.ids = np.concatenate([self.ids, hash_ids.astype(np.int64)])

    def search(self, codes: Codes, max_distance: int) -> Hits:
        """Every indexed value within max_distance bits of each query (exact: range search)."""
        if len(codes) == 0 or len(self.ids) == 0:
            empty = np.empty(0, dtype=np.int64)
            return Hits(empty, empty, empty)
        # faiss returns distances strictly below the radius
        limits, distances, positions = self.index.range_search(np.ascontiguousarray(codes), max_distance + 1)
        query = np.repeat(np.arange(len(codes), dtype=np.int64), np.diff(limits).astype(np.int64))
        return Hits(query, self.ids[positions], distances.astype(np.int64))

    def save(self, path: Path) -> None:
        """Written to a temporary file and renamed, so a reader never sees half an index."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
        with temporary.open("wb") as out:
            np.savez(out, index=faiss.serialize_index_binary(self.index), ids=self.ids)
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> PdqIndex | None:
        """The saved index, or None where there is none or it cannot be read (it is rebuilt)."""
        try:
            with np.load(path) as saved:
                loaded = cls()
                loaded.index = faiss.deserialize_index_binary(saved["index"])
                loaded.ids = saved["ids"].astype(np.int64)
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
        return loaded if loaded.index.ntotal == len(loaded.ids) else None


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
            return index, added
        index.add(np.fromiter((r[0] for r in rows), dtype=np.int64), codes_of([r[1] for r in rows]))
        added += len(rows)


def index_path(settings: Settings) -> Path | None:
    """Where the index is kept: the setting, else beside a SQLite database file, else nowhere."""
    if settings.media_index_path:
        return Path(settings.media_index_path)
    url = make_url(settings.database_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in {"", ":memory:"} or database.startswith("file:"):
        return None
    path = Path(database)
    return path.parent / f"{path.name}.pdq-index.npz"


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
