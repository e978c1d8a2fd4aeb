"""VICS 2.0 JSON hash sets (Project VIC data model, namespace CEModel): writer and reader.

Mapping, following ../shared/testdata/formats/ProjectVicDataModel.2.0.xml:
- one `Media` record per distinct MD5 (the model's key): MD5, SHA1, MediaID (1, 2, … in the file),
  MediaSize, RelativeFilePath (the first path it was found at), MimeType, IsPrecategorized=false;
- SHA-256 and PDQ have no property of their own: they go in `AlternativeHashes` as
  {HashName: "SHA256" | "PDQ", HashValue}, the model's place for other hashes;
- PDQ quality goes in `MediaMetadata` as {PropertyName: "PDQQuality", PropertyValue: "0".."100"};
- every path the content was found at is a `MediaFiles` entry (FileName, FilePath); a zip member
  has ParentFilePath = the archive and FilePath = the member's path inside it;
- a file whose image could not be hashed carries MediaMetadata "caseweave:problem" with the reason.

The reader takes both shapes the format has: a hash set (`value[*]` are Media records) and a case
(`value[*].Media[*]`), and the OData v4 `@odata.context` or VICS 1.x `odata.metadata` header.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import IO, Any

from caseweave.intake.base import FileRejected
from caseweave.media.hashset_fields import Cell, make_record
from caseweave.media.records import FileHashes, HashRecord, Location, RecordError

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/CUSTOM/$metadata#Media"
ALT_NAMES = {
    "sha256": "sha256",
    "sha-256": "sha256",
    "pdq": "pdq",
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
}
MEDIA_META = {
    "Category": "category",
    "Series": "series",
    "VictimIdentified": "victim_identified",
    "OffenderIdentified": "offender_identified",
    "MediaSize": "size",
    "MimeType": "mime_type",
    "MediaID": "media_id",
    "Tags": "tags",
    "Comments": "comments",
}
QUALITY_NAMES = {"pdqquality", "pdq quality", "pdq_quality"}
ARCHIVE_MARK = "!/"  # "evidence.zip!/dir/a.jpg": a member inside an archive


def media_record(media_id: int, files: list[FileHashes]) -> dict[str, Any]:
    """One VICS Media record for files of identical content (same MD5)."""
    first = files[0]
    alternative = [{"MD5": first.md5, "HashName": "SHA256", "HashValue": first.sha256}]
    metadata: list[dict[str, str]] = []
    with_pdq = next((f for f in files if f.pdq is not None), None)
    if with_pdq is not None and with_pdq.pdq is not None:
        alternative.append({"MD5": first.md5, "HashName": "PDQ", "HashValue": with_pdq.pdq})
        metadata.append(
            {"MD5": first.md5, "PropertyName": "PDQQuality", "PropertyValue": str(with_pdq.pdq_quality)}
        )
    problem = next((f.problem for f in files if f.problem), None)
    if problem and with_pdq is None:
        metadata.append({"MD5": first.md5, "PropertyName": "caseweave:problem", "PropertyValue": problem})
    for frame in first.vpdq:
        alternative.append({"MD5": first.md5, "HashName": "vPDQ", "HashValue": frame})
    record: dict[str, Any] = {
        "MediaID": media_id,
        "MD5": first.md5,
        "SHA1": first.sha1,
        "MediaSize": first.size,
        "RelativeFilePath": first.path,
        "MimeType": first.mime_type,
        "IsPrecategorized": False,
        "AlternativeHashes": alternative,
        "MediaMetadata": metadata,
        "MediaFiles": [_media_file(first.md5, index, f.path) for index, f in enumerate(files, 1)],
    }
    return record


def _media_file(md5: str, index: int, path: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"MD5": md5, "MediaFileID": index}
    if ARCHIVE_MARK in path:
        archive, member = path.split(ARCHIVE_MARK, 1)
        entry["ParentFileName"] = PurePosixPath(archive).name
        entry["ParentFilePath"] = archive
        path = member
    entry["FileName"] = PurePosixPath(path).name
    entry["FilePath"] = path
    return entry


def write_vics(results: Iterable[FileHashes], out: IO[str]) -> int:
    """Write a VICS 2.0 hash set; returns the number of Media records (distinct contents)."""
    by_md5: dict[str, list[FileHashes]] = {}
    for result in results:
        by_md5.setdefault(result.md5, []).append(result)
    out.write('{"@odata.context": ' + json.dumps(CONTEXT) + ', "value": [')
    for media_id, files in enumerate(by_md5.values(), 1):
        out.write("\n  " if media_id == 1 else ",\n  ")
        # one record per line keeps large sets diffable and lets a reader report near where it failed
        out.write(json.dumps(media_record(media_id, files), ensure_ascii=False))
    out.write("\n]}\n")
    return len(by_md5)


def read_vics(stream: IO[bytes], name: str) -> Iterator[HashRecord | RecordError]:
    """Every Media record as a HashRecord, or a RecordError at its JSON path; FileRejected if unreadable."""
    try:
        document = json.load(stream)
    except (ValueError, UnicodeDecodeError) as error:
        raise FileRejected(Location(name), f"not a VICS JSON file: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("value"), list):
        raise FileRejected(Location(name), 'not a VICS JSON file: no "value" list of Media records')
    for i, entry in enumerate(document["value"]):
        where = f"$.value[{i}]"
        if isinstance(entry, dict) and isinstance(entry.get("Media"), list):  # a case: value[*].Media[*]
            for j, media in enumerate(entry["Media"]):
                yield _read_media(name, f"{where}.Media[{j}]", media)
        else:
            yield _read_media(name, where, entry)


def _read_media(name: str, where: str, media: Any) -> HashRecord | RecordError:
    location = Location(name, path=where)
    if not isinstance(media, dict):
        return RecordError(location, "media", "a Media record must be a JSON object", str(media)[:200])
    hashes: list[tuple[str, Cell]] = [
        ("md5", (media.get("MD5"), f"{where}.MD5")),
        ("sha1", (media.get("SHA1"), f"{where}.SHA1")),
    ]
    meta: dict[str, Cell] = {
        ours: (media.get(theirs), f"{where}.{theirs}") for theirs, ours in MEDIA_META.items()
    }
    extra: dict[str, str] = {}
    alternative = media.get("AlternativeHashes") or []
    for k, alt in enumerate(alternative if isinstance(alternative, list) else []):
        if not isinstance(alt, dict) or not isinstance(alt.get("HashName"), str):
            continue
        ours = ALT_NAMES.get(alt["HashName"].strip().lower())
        if alt["HashName"].strip().lower() in QUALITY_NAMES:  # some lists put PDQ quality here
            meta["pdq_quality"] = (alt.get("HashValue"), f"{where}.AlternativeHashes[{k}].HashValue")
        elif ours is not None:
            hashes.append((ours, (alt.get("HashValue"), f"{where}.AlternativeHashes[{k}].HashValue")))
        elif isinstance(alt.get("HashValue"), str):
            extra.setdefault(f"hash:{alt['HashName']}", alt["HashValue"])
    metadata = media.get("MediaMetadata") or []
    for k, item in enumerate(metadata if isinstance(metadata, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("PropertyName"), str):
            continue
        value = item.get("PropertyValue")
        if item["PropertyName"] == "PDQQuality":
            meta["pdq_quality"] = (value, f"{where}.MediaMetadata[{k}].PropertyValue")
        elif isinstance(value, str):
            extra.setdefault(item["PropertyName"], value)
    return make_record(location, hashes, meta, _paths(media), extra)


def _paths(media: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    if isinstance(media.get("RelativeFilePath"), str):
        found.append(media["RelativeFilePath"])
    files = media.get("MediaFiles")
    for entry in files if isinstance(files, list) else []:
        if not isinstance(entry, dict):
            continue
        path = entry.get("FilePath") or entry.get("FileName")
        if not isinstance(path, str):
            continue
        parent = entry.get("ParentFilePath")
        full = f"{parent}{ARCHIVE_MARK}{path}" if isinstance(parent, str) and parent else path
        if full not in found:
            found.append(full)
    return tuple(found)
