"""Hash sets in and out: `read_hashset` picks the reader by name or content, `write_hashset` the writer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Literal

from caseweave.errors import Invalid
from caseweave.media.hashset_csv import read_csv, write_csv
from caseweave.media.hashset_vics import read_vics, write_vics
from caseweave.media.records import FileHashes, HashRecord, RecordError

HashSetFormat = Literal["vics", "csv"]


def sniff_format(head: bytes, name: str) -> HashSetFormat:
    """VICS for .json or content starting with "{", CSV otherwise."""
    if name.lower().endswith(".json"):
        return "vics"
    if name.lower().endswith(".csv"):
        return "csv"
    return "vics" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def read_hashset_stream(stream: IO[bytes], name: str) -> Iterator[HashRecord | RecordError]:
    """Read a VICS 2.0 JSON or CSV hash set from a seekable binary stream (e.g. an upload)."""
    head = stream.read(64)
    stream.seek(0)
    reader = read_vics if sniff_format(head, name) == "vics" else read_csv
    yield from reader(stream, name)


def read_hashset(path: str | Path) -> Iterator[HashRecord | RecordError]:
    """Every record of a hash-set file, each hash normalised; bad records come as RecordError with
    their line (CSV) or JSON path (VICS); a file that cannot be read at all raises FileRejected."""
    path = Path(path)
    try:
        stream = path.open("rb")
    except OSError as error:
        raise Invalid(f"cannot read {path}: {error.strerror}", field="path") from None
    with stream:
        yield from read_hashset_stream(stream, path.name)


def write_hashset(results: Iterable[FileHashes], out: IO[str], fmt: HashSetFormat) -> int:
    """Write results as a VICS 2.0 JSON hash set or CSV; returns the records written."""
    return write_vics(results, out) if fmt == "vics" else write_csv(results, out)
