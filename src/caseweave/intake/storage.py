"""Raw files stored unchanged, once per sha256, in chunks that stream in and out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from caseweave.intake.models import RawChunk, RawFile

CHUNK = 1 << 20


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """Hash a seekable stream from its start and rewind it."""
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    while block := stream.read(CHUNK):
        digest.update(block)
        size += len(block)
    stream.seek(0)
    return digest.hexdigest(), size


def store_raw(session: Session, stream: BinaryIO, sha256: str, size: int) -> None:
    """Keep the file's bytes unless the same content is already stored; either way the stream is left
    at its start for the parser (another operation or agency may have sent the same file)."""
    stream.seek(0)
    if session.get(RawFile, sha256) is not None:
        return
    seq = 0
    session.add(RawFile(sha256=sha256, size_bytes=size, chunks=0))
    session.flush()
    while block := stream.read(CHUNK):
        # Core insert: the ORM would keep every chunk in the session's memory.
        session.execute(insert(RawChunk), [{"sha256": sha256, "seq": seq, "data": block}])
        seq += 1
    session.get_one(RawFile, sha256).chunks = seq
    stream.seek(0)


def read_raw(session: Session, sha256: str) -> Iterator[bytes]:
    for chunk in session.scalars(select(RawChunk).where(RawChunk.sha256 == sha256).order_by(RawChunk.seq)):
        yield chunk.data
