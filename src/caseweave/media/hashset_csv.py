"""CSV hash sets: one row per file (writer) or per bank entry (reader), with a header line.

Columns written: path, size, md5, sha1, sha256, pdq, pdq_quality, mime_type, problem. The reader
also takes bank columns (category, series, victim_identified, offender_identified, media_id, tags,
comments), header names in any case, and the VICS spellings (MD5, SHA1, MediaSize, …). An error's
location is the file's line number and the column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from caseweave.intake.base import FileRejected
from caseweave.media.hashset_fields import Cell, make_record
from caseweave.media.records import FileHashes, HashRecord, Location, RecordError

COLUMNS = ("path", "size", "md5", "sha1", "sha256", "pdq", "pdq_quality", "mime_type", "problem")
HASH_COLUMNS = ("md5", "sha1", "sha256", "pdq")
META_COLUMNS = (
    "size",
    "pdq_quality",
    "mime_type",
    "media_id",
    "category",
    "series",
    "victim_identified",
    "offender_identified",
    "tags",
    "comments",
)
ALIASES = {
    "sha-1": "sha1",
    "sha-256": "sha256",
    "pdq_hash": "pdq",
    "quality": "pdq_quality",
    "pdqquality": "pdq_quality",
    "mediasize": "size",
    "mimetype": "mime_type",
    "mediaid": "media_id",
    "victimidentified": "victim_identified",
    "offenderidentified": "offender_identified",
    "relativefilepath": "path",
    "filepath": "path",
    "filename": "path",
}


def write_csv(results: Iterable[FileHashes], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for r in results:
        quality = "" if r.pdq_quality is None else r.pdq_quality
        writer.writerow(
            [
                r.path,
                r.size,
                r.md5,
                r.sha1,
                r.sha256,
                r.pdq or "",
                quality,
                r.mime_type or "",
                r.problem or "",
            ]
        )
        count += 1
    return count


def _column(header: str) -> str:
    key = header.strip().lstrip("\ufeff").lower().replace(" ", "_")
    return ALIASES.get(key, ALIASES.get(key.replace("_", ""), key))


def read_csv(stream: IO[bytes], name: str) -> Iterator[HashRecord | RecordError]:
    """Every row as a HashRecord, or a RecordError at its line and column; FileRejected if unreadable."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = [_column(cell) for cell in next(reader, [])]
        if not set(header) & set(HASH_COLUMNS):
            raise FileRejected(
                Location(name, line=1), "no md5, sha1, sha256 or pdq column in the header", field="header"
            )
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(header):
                yield RecordError(
                    Location(name, line=line),
                    "row",
                    f"{len(row)} cells where the header has {len(header)}",
                    ",".join(row)[:200],
                )
                continue
            cells = dict(zip(header, row, strict=True))
            hashes: list[tuple[str, Cell]] = [(h, (cells[h], h)) for h in HASH_COLUMNS if h in cells]
            meta: dict[str, Cell] = {m: (cells[m], m) for m in META_COLUMNS if m in cells}
            paths = (cells["path"],) if cells.get("path") else ()
            yield make_record(Location(name, line=line), hashes, meta, paths)
    except (UnicodeDecodeError, csv.Error) as error:
        raise FileRejected(
            Location(name, line=reader.line_num), f"not a readable CSV file: {error}"
        ) from None
