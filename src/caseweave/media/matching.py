"""Match a seized device's hash set against the operation's banks, and keep the result as a referral.

Exact hashes (MD5, SHA-1, SHA-256) are looked up through the (algorithm, value) index; PDQ hashes of
quality >= `media_pdq_min_quality` through the PDQ index (media.index: multi-index hashing, exact) within
`media_pdq_max_distance` bits. Which enabled entries of the operation hold the values found is one
query; which of those the agency may see is a second one with the access policy in its WHERE clause.
An entry it may not see is never described: the file is reported as matching material held by
another agency. An image that matches nothing is new material, a victim identification priority.

The run is stored as a referral of format "media-match" owned by the agency (the same hash set twice
stores nothing new): the seized hashes, the matches, a person record for the holder of the device,
and a "media_series" sighting per series it holds, which the linkage correlates like any selector.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.policy import visible
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.bulk import chunks
from caseweave.intake.records import RecordError
from caseweave.linkage.alerts import agency_viewer
from caseweave.media.banks import acting_agency
from caseweave.media.hashset import read_hashset_stream
from caseweave.media.match_store import store_run
from caseweave.media.models import MediaBank, MediaBankEntry, MediaEntryHash, MediaHash
from caseweave.media.records import HashRecord

KNOWN = "known material"
HIDDEN = "matches material held by another agency — contact the coordinator"
NEW_MATERIAL = "new material — victim identification priority"
NO_MATCH = "no match"
EXACT = ("md5", "sha1", "sha256")
_CHUNK = 500


@dataclass(frozen=True)
class EntryMatch:
    entry_id: int
    bank_id: int
    bank: str
    ref: str
    algorithm: str
    distance: int
    category: str | None
    series: str | None
    victim_identified: bool | None


@dataclass
class FileResult:
    ref: str
    file_name: str | None
    hashes: dict[str, str]
    image: bool
    status: str = NO_MATCH
    matches: list[EntryMatch] = field(default_factory=list)
    hidden: int = 0  # entries the agency may not see: counted, never described
    note: str | None = None
    # (entry id, algorithm, distance) of those: stored on the referral, shown only through the policy
    hidden_matches: list[tuple[int, str, int]] = field(default_factory=list)


@dataclass
class MatchReport:
    referral_id: int
    created: bool
    files: list[FileResult]
    errors: list[RecordError]
    linkage: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = {"files": len(self.files), "errors": len(self.errors)}
        for status in (KNOWN, HIDDEN, NEW_MATERIAL, NO_MATCH):
            counts[status] = sum(1 for f in self.files if f.status == status)
        return counts


def seized_file(record: HashRecord) -> FileResult:
    image = "pdq" in record.hashes or (record.mime_type or "").startswith("image/")
    ref = record.media_id or str(record.location.path or f"line {record.location.line}")
    return FileResult(ref[:200], record.paths[0] if record.paths else None, dict(record.hashes), image)


def match_hashset(
    session: Session,
    actor: Actor,
    settings: Settings,
    operation_id: int,
    data: bytes,
    file_name: str,
    *,
    agency: str | None = None,
    holder: str | None = None,
    label: str = "AMBER",
) -> MatchReport:
    operation = visible_operation(session, actor, operation_id)
    owner = acting_agency(session, actor, operation, agency)
    tlp = TLP.parse(label)
    files: list[FileResult] = []
    qualities: list[int | None] = []
    errors: list[RecordError] = []
    for item in read_hashset_stream(io.BytesIO(data), file_name):
        if isinstance(item, RecordError):
            errors.append(item)  # reported with its place; the rest of the set is matched
        else:
            files.append(seized_file(item))
            qualities.append(item.pdq_quality)
    find_matches(session, settings, operation.id, owner.id, files, qualities)
    sha256 = hashlib.sha256(data).hexdigest()
    referral_id, created, linkage = store_run(
        session, actor, settings, operation, owner, tlp, file_name, data, sha256, holder, files
    )
    return MatchReport(referral_id, created, files, errors, linkage)


def find_matches(
    session: Session,
    settings: Settings,
    operation_id: int,
    agency_id: int,
    files: Sequence[FileResult],
    qualities: Sequence[int | None],
) -> None:
    """Fill in each file's matches and status, as the agency (as a whole) may see them."""
    found: dict[int, dict[int, tuple[str, int]]] = defaultdict(dict)  # file → hash id → (alg, distance)
    for algorithm in EXACT:
        by_value = defaultdict(list)
        for i, f in enumerate(files):
            if algorithm in f.hashes:
                by_value[f.hashes[algorithm]].append(i)
        for part in chunks(sorted(by_value), _CHUNK):
            rows = session.execute(
                select(MediaHash.id, MediaHash.value).where(
                    MediaHash.algorithm == algorithm, MediaHash.value.in_(part)
                )
            )
            for hash_id, value in rows:
                for i in by_value[value]:
                    found[i][hash_id] = (algorithm, 0)
    minimum = settings.media_pdq_min_quality
    searched: list[int] = []
    for i, f in enumerate(files):
        quality = qualities[i]
        if "pdq" not in f.hashes:
            continue
        if quality is None or quality >= minimum:
            searched.append(i)
        else:
            f.note = f"PDQ quality {quality} below {minimum}: matched by exact hashes only"
    if searched:
        # imported here: most commands never search PDQ values, and faiss and numpy cost ~100 ms
        # at start-up
        from caseweave.media.index import codes_of, current_index

        index = current_index(settings, session)
        hits = index.search(
            codes_of([files[i].hashes["pdq"] for i in searched]), settings.media_pdq_max_distance
        )
        for q, hash_id, distance in zip(
            hits.query.tolist(), hits.hash_id.tolist(), hits.distance.tolist(), strict=True
        ):
            found[searched[q]].setdefault(hash_id, ("pdq", distance))
    _resolve(session, settings, operation_id, agency_id, files, found)


def _resolve(
    session: Session,
    settings: Settings,
    operation_id: int,
    agency_id: int,
    files: Sequence[FileResult],
    found: dict[int, dict[int, tuple[str, int]]],
) -> None:
    hash_ids = sorted({h for per_file in found.values() for h in per_file})
    holders: dict[int, list[int]] = defaultdict(list)  # hash id → enabled entries of the operation
    quality_ok = or_(
        MediaHash.algorithm != "pdq",
        MediaEntryHash.quality.is_(None),
        MediaEntryHash.quality >= settings.media_pdq_min_quality,
    )
    for part in chunks(hash_ids, _CHUNK):
        rows = session.execute(
            select(MediaEntryHash.hash_id, MediaEntryHash.entry_id)
            .join(MediaHash, MediaHash.id == MediaEntryHash.hash_id)
            .join(MediaBankEntry, MediaBankEntry.id == MediaEntryHash.entry_id)
            .join(MediaBank, MediaBank.id == MediaBankEntry.bank_id)
            .where(
                MediaEntryHash.hash_id.in_(part),
                MediaBankEntry.operation_id == operation_id,
                MediaBankEntry.disabled.is_(False),
                MediaBank.disabled.is_(False),
                quality_ok,
            )
        )
        for hash_id, entry_id in rows:
            holders[hash_id].append(entry_id)
    entry_ids = sorted({e for entries in holders.values() for e in entries})
    shown: dict[int, tuple[MediaBankEntry, str]] = {}
    viewer = agency_viewer(agency_id)  # the agency as a whole, as alerts ask: RED never discloses
    for part in chunks(entry_ids, _CHUNK):
        visible_rows = session.execute(
            select(MediaBankEntry, MediaBank.name)
            .join(MediaBank, MediaBank.id == MediaBankEntry.bank_id)
            .where(and_(MediaBankEntry.id.in_(part), visible(MediaBankEntry, viewer)))
        )
        shown.update({entry.id: (entry, bank) for entry, bank in visible_rows})
    for i, f in enumerate(files):
        best: dict[int, tuple[int, str]] = {}  # entry → (distance, algorithm), nearest kept
        for hash_id, (algorithm, distance) in found.get(i, {}).items():
            for entry_id in holders.get(hash_id, ()):
                if entry_id not in best or (distance, algorithm) < best[entry_id]:
                    best[entry_id] = (distance, algorithm)
        for entry_id, (distance, algorithm) in sorted(best.items(), key=lambda kv: (kv[1][0], kv[0])):
            if entry_id in shown:
                entry, bank = shown[entry_id]
                f.matches.append(
                    EntryMatch(
                        entry.id,
                        entry.bank_id,
                        bank,
                        entry.ref,
                        algorithm,
                        distance,
                        entry.category,
                        entry.series,
                        entry.victim_identified,
                    )
                )
            else:
                f.hidden += 1
                f.hidden_matches.append((entry_id, algorithm, distance))
        if f.matches:
            f.status = KNOWN
        elif f.hidden:
            f.status = HIDDEN
        elif f.image:
            f.status = NEW_MATERIAL
