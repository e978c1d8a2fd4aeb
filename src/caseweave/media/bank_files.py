"""Bank files: hash lists are read by the hash-set readers (media.hashset: VICS 2.0 JSON, CSV);
here each record becomes a bank entry's fields, and a bank is written back as a VICS 2.0 hash set
in the same mapping the hash-set writer uses (SHA-256 and PDQ in AlternativeHashes, PDQ quality in
MediaMetadata "PDQQuality")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseweave.bounds import ascii_int
from caseweave.media.hashset_vics import CONTEXT
from caseweave.media.records import HashRecord

ALTERNATIVE = {"sha256": "SHA256", "pdq": "PDQ"}


@dataclass(frozen=True)
class EntryData:
    """What a bank keeps of one record: its hashes and what the list says about the file."""

    ref: str
    location: str
    hashes: dict[str, str]
    quality: int | None
    category: str | None
    series: str | None
    victim_identified: bool | None
    extra: dict[str, Any]


def entry_data(record: HashRecord) -> EntryData:
    extra: dict[str, Any] = dict(record.extra)
    for name, value in (
        ("OffenderIdentified", record.offender_identified),
        ("Tags", record.tags),
        ("Comments", record.comments),
    ):
        if value is not None:
            extra[name] = value
    return EntryData(
        ref=(record.media_id or str(record.location.path or record.location.line or ""))[:200],
        location=str(record.location)[:400],
        hashes=dict(record.hashes),
        quality=record.pdq_quality,
        category=None if record.category is None else str(record.category),
        series=record.series[:200] if record.series else None,
        victim_identified=record.victim_identified,
        extra=extra,
    )


def vics_media(entry: EntryData, media_id: int) -> dict[str, Any]:
    """One VICS 2.0 Media record for an entry: hashes and labels only, as every export."""
    md5 = entry.hashes.get("md5")
    record: dict[str, Any] = {"MD5": md5} if md5 else {}
    given = ascii_int(entry.ref)
    record["MediaID"] = media_id if given is None else given
    if entry.category is not None:
        category = ascii_int(entry.category)
        record["Category"] = entry.category if category is None else category
    if "sha1" in entry.hashes:
        record["SHA1"] = entry.hashes["sha1"]
    if entry.series is not None:
        record["Series"] = entry.series
    if entry.victim_identified is not None:
        record["VictimIdentified"] = entry.victim_identified
    for name in ("OffenderIdentified", "Tags", "Comments"):
        if name in entry.extra:
            record[name] = entry.extra[name]
    record["IsPrecategorized"] = entry.category is not None
    alternatives = [
        {"MD5": md5, "HashName": label, "HashValue": entry.hashes[name]}
        for name, label in ALTERNATIVE.items()
        if name in entry.hashes
    ]
    if alternatives:
        record["AlternativeHashes"] = alternatives
    metadata = [
        {"MD5": md5, "PropertyName": name, "PropertyValue": str(value)}
        for name, value in entry.extra.items()
        if name not in ("OffenderIdentified", "Tags", "Comments") and not name.startswith("hash:")
    ]
    if entry.quality is not None:
        metadata.append({"MD5": md5, "PropertyName": "PDQQuality", "PropertyValue": str(entry.quality)})
    if metadata:
        record["MediaMetadata"] = metadata
    return record


def vics_document(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@odata.context": CONTEXT, "value": records}
