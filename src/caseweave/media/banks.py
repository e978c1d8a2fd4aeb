"""Banks of known material: import a hash list as a bank, list, disable/enable, export to VICS.

Import is one transaction, like a referral's: the same file twice in an operation adds nothing; a
bad record refuses the whole file unless `partial`, which leaves it out and keeps it, with where and
why, on the bank (`quarantined`). Hash values are stored once and mapped to every entry holding them.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP, WRITING_MEMBERS
from caseweave.access.policy import visible
from caseweave.access.service import membership_of, require_case_writer, set_releases, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.db.base import utcnow
from caseweave.db.bulk import bulk_insert, chunks
from caseweave.errors import Forbidden, Invalid, NotFound
from caseweave.intake.records import RecordError
from caseweave.media.bank_files import EntryData, entry_data, vics_document, vics_media
from caseweave.media.hashset import read_hashset_stream, sniff_format
from caseweave.media.models import MediaBank, MediaBankEntry, MediaEntryHash, MediaHash
from caseweave.operations.models import Agency, Operation
from caseweave.operations.service import agency_by_code

SHOWN_ERRORS = 50
_CHUNK = 500


class BankRejected(Invalid):
    """Some records are bad and `partial` was not given: nothing was stored."""

    def __init__(self, file_name: str, errors: Sequence[RecordError]) -> None:
        first = errors[0]
        super().__init__(
            f"{file_name}: {len(errors)} record(s) could not be imported, nothing was stored; "
            f"first: {first.location} [{first.field}]: {first.reason}",
            field=first.field,
            hint="fix the file, or import with --partial to leave the bad records out",
        )
        self.errors = list(errors)


@dataclass
class BankOutcome:
    bank: MediaBank
    created: bool
    errors: list[RecordError] = field(default_factory=list)


def acting_agency(session: Session, actor: Actor, operation: Operation, agency: str | None) -> Agency:
    """The agency a user belongs to, or the one the CLI operator names; it must write in the operation."""
    if actor.user is not None:
        own = actor.user.agency
        if agency and agency.strip().upper() != own.code:
            raise Forbidden(f"you act for {own.code}, not {agency}", field="agency")
        require_case_writer(session, actor, operation)
        return own
    if not agency:
        raise Invalid("name the agency", field="agency", hint="--agency CODE")
    found = agency_by_code(session, agency)
    member = membership_of(session, operation.id, found.id)
    if member is None or member.role not in {role.value for role in WRITING_MEMBERS}:
        raise Forbidden(f"{found.code} is not a lead or partner in {operation.name!r}", field="agency")
    return found


def import_bank(
    session: Session,
    actor: Actor,
    operation_id: int,
    data: bytes,
    file_name: str,
    *,
    agency: str | None = None,
    name: str | None = None,
    label: str = "AMBER",
    partial: bool = False,
    released_to: Sequence[str] = (),
) -> BankOutcome:
    operation = visible_operation(session, actor, operation_id)
    owner = acting_agency(session, actor, operation, agency)
    tlp = TLP.parse(label)
    if tlp is TLP.RED and actor.user is None:
        raise Invalid("a RED bank needs a named author", field="label", hint="import it as a user (--user)")
    sha256 = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(MediaBank).where(MediaBank.operation_id == operation.id, MediaBank.sha256 == sha256)
    )
    if existing is not None:
        return BankOutcome(existing, False)
    fmt = sniff_format(data[:64], file_name)
    records: list[EntryData] = []
    errors: list[RecordError] = []
    for item in read_hashset_stream(io.BytesIO(data), file_name):
        if isinstance(item, RecordError):
            errors.append(item)
        else:
            records.append(entry_data(item))
    if errors and not partial:
        raise BankRejected(file_name, errors)
    bank = MediaBank(
        operation_id=operation.id,
        owner_agency_id=owner.id,
        created_by_user_id=actor.user.id if actor.user else None,
        tlp=tlp.value,
        name=(name or file_name)[:200],
        file_name=file_name[:400],
        sha256=sha256,
        format=fmt,
        status="partial" if errors else "imported",
        disabled=False,
        counts={},
        quarantined=[
            {"ref": str(e.location), "field": e.field, "reason": e.reason, "raw": e.raw[:400]} for e in errors
        ],
    )
    session.add(bank)
    session.flush()
    set_releases(session, operation, MediaBank.record_kind, bank.id, tlp, released_to, ())
    hashes = _store_entries(session, bank, records)
    bank.counts = {"entries": len(records), "hashes": hashes, "quarantined": len(errors)}
    audit.record(
        session,
        actor,
        "media_bank.import",
        "media_bank",
        [bank.id],
        operation_id=operation.id,
        detail={"sha256": sha256, "format": fmt, "tlp": tlp.value, **bank.counts},
    )
    return BankOutcome(bank, True, errors)


def _store_entries(session: Session, bank: MediaBank, records: list[EntryData]) -> int:
    """Entries in bulk, then each distinct hash value once, then the entry → hash map."""
    common = {
        "operation_id": bank.operation_id,
        "owner_agency_id": bank.owner_agency_id,
        "created_by_user_id": bank.created_by_user_id,
        "tlp": bank.tlp,
        "bank_id": bank.id,
        "created_at": utcnow(),
        "disabled": False,
    }
    rows = [
        {
            **common,
            "ref": r.ref,
            "location": r.location,
            "category": r.category,
            "series": r.series,
            "victim_identified": r.victim_identified,
            "extra": r.extra,
        }
        for r in records
    ]
    bulk_insert(session, MediaBankEntry.__table__, rows)  # type: ignore[arg-type]
    entry_ids = session.scalars(
        select(MediaBankEntry.id).where(MediaBankEntry.bank_id == bank.id).order_by(MediaBankEntry.id)
    ).all()  # inserted in record order, so ids follow it
    wanted = {(alg, value) for r in records for alg, value in r.hashes.items()}
    hash_ids = ensure_hashes(session, wanted)
    links = {
        (entry_id, hash_ids[(alg, value)]): r.quality if alg == "pdq" else None
        for entry_id, r in zip(entry_ids, records, strict=True)
        for alg, value in r.hashes.items()
    }
    bulk_insert(
        session,
        MediaEntryHash.__table__,  # type: ignore[arg-type]
        [{"entry_id": e, "hash_id": h, "quality": q} for (e, h), q in links.items()],
    )
    return len(wanted)


def ensure_hashes(session: Session, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of the given (algorithm, value) pairs, inserting those not stored yet."""
    found = _hash_ids(session, wanted)
    missing = [{"algorithm": a, "value": v} for a, v in sorted(wanted - found.keys())]
    if missing:
        bulk_insert(session, MediaHash.__table__, missing)  # type: ignore[arg-type]
        found.update(_hash_ids(session, wanted - found.keys()))
    return found


def _hash_ids(session: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for part in chunks(sorted(pairs), _CHUNK):
        query = select(MediaHash.algorithm, MediaHash.value, MediaHash.id).where(
            tuple_(MediaHash.algorithm, MediaHash.value).in_(part)
        )
        found.update({(a, v): i for a, v, i in session.execute(query)})
    return found


def list_banks(session: Session, actor: Actor, operation_id: int) -> Sequence[MediaBank]:
    operation = visible_operation(session, actor, operation_id)
    banks = session.scalars(
        select(MediaBank)
        .where(MediaBank.operation_id == operation.id, visible(MediaBank, actor.viewer))
        .order_by(MediaBank.id)
    ).all()
    audit.record(
        session, actor, "media_bank.list", "media_bank", [b.id for b in banks], operation_id=operation.id
    )
    return banks


def visible_bank(session: Session, actor: Actor, bank_id: int) -> MediaBank:
    bank = session.scalar(select(MediaBank).where(MediaBank.id == bank_id, visible(MediaBank, actor.viewer)))
    if bank is None:
        raise NotFound(f"bank {bank_id} not found", field="bank_id")
    return bank


def set_disabled(
    session: Session, actor: Actor, bank_id: int, disabled: bool, entry_refs: Sequence[str] = ()
) -> int:
    """Disable (or enable) a whole bank, or the entries with the given refs; the owner's writers only."""
    bank = visible_bank(session, actor, bank_id)
    if actor.user is not None:
        operation = visible_operation(session, actor, bank.operation_id)
        require_case_writer(session, actor, operation)
        if actor.user.agency_id != bank.owner_agency_id:
            raise Forbidden("only the owning agency changes a bank", field="bank_id")
    if entry_refs:
        result = session.execute(
            update(MediaBankEntry)
            .where(MediaBankEntry.bank_id == bank.id, MediaBankEntry.ref.in_(list(entry_refs)))
            .values(disabled=disabled)
        )
        changed = int(result.rowcount)  # type: ignore[attr-defined]
        if changed == 0:
            raise NotFound(f"no entry {', '.join(entry_refs)} in bank {bank.id}", field="entry")
    else:
        bank.disabled, changed = disabled, 1
    audit.record(
        session,
        actor,
        "media_bank.disable" if disabled else "media_bank.enable",
        "media_bank",
        [bank.id],
        operation_id=bank.operation_id,
        detail={"entries": list(entry_refs)},
    )
    return changed


def export_bank(session: Session, actor: Actor, bank_id: int) -> dict[str, Any]:
    """The bank's enabled entries as a VICS 2.0 hash set (hashes and labels only)."""
    bank = visible_bank(session, actor, bank_id)
    entries = session.scalars(
        select(MediaBankEntry)
        .where(
            MediaBankEntry.bank_id == bank.id,
            MediaBankEntry.disabled.is_(False),
            visible(MediaBankEntry, actor.viewer),
        )
        .order_by(MediaBankEntry.id)
    ).all()
    hashes: dict[int, dict[str, str]] = {e.id: {} for e in entries}
    quality: dict[int, int] = {}
    for part in chunks(list(hashes), _CHUNK):
        query = (
            select(MediaEntryHash.entry_id, MediaHash.algorithm, MediaHash.value, MediaEntryHash.quality)
            .join(MediaHash, MediaHash.id == MediaEntryHash.hash_id)
            .where(MediaEntryHash.entry_id.in_(part))
        )
        for entry_id, algorithm, value, q in session.execute(query):
            hashes[entry_id][algorithm] = value
            if q is not None:
                quality[entry_id] = q
    records = [
        vics_media(
            EntryData(
                ref=e.ref,
                location=e.location,
                hashes=hashes[e.id],
                quality=quality.get(e.id),
                category=e.category,
                series=e.series,
                victim_identified=e.victim_identified,
                extra=dict(e.extra or {}),
            ),
            number,
        )
        for number, e in enumerate(entries, start=1)
    ]
    audit.record(
        session,
        actor,
        "media_bank.export",
        "media_bank",
        [bank.id],
        operation_id=bank.operation_id,
        detail={"entries": len(records)},
    )
    return vics_document(records)
