"""Append to the audit chain inside the caller's transaction, and verify the chain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from caseweave.access import admin
from caseweave.access.policy import member_of_operation
from caseweave.actor import Actor
from caseweave.audit.chain import HASHED_FIELDS, entry_hash
from caseweave.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from caseweave.db.base import utcnow
from caseweave.db.engine import defer_write, is_read_only


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_ids: Iterable[Any] = (),
    *,
    operation_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction. In a read unit of work (which holds no write
    lock) the entry is appended right after it, before the answer leaves (db/runtime.py)."""
    user = actor.user
    entry = AuditEntry(
        actor=actor.name,
        actor_user_id=user.id if user else None,
        actor_agency_id=user.agency_id if user else None,
        action=action,
        object_type=object_type,
        object_ids=list(object_ids),
        operation_id=operation_id,
        request_id=actor.request_id,
        detail=dict(detail or {}),  # a deferred entry is hashed later: the caller's dict may change
    )
    if is_read_only(session):
        defer_write(session, partial(_append, entry=entry))
    else:
        _append(session, entry)
    return entry


def _append(session: Session, entry: AuditEntry) -> None:
    """Chain `entry` after the head. Bumping the head first takes the write lock (the row lock on
    PostgreSQL), so entries are strictly sequential; its time is taken under that lock too."""
    bumped = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_seq=AuditHead.last_seq + 1)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    ).one()
    entry.seq, entry.prev_hash, entry.at = bumped.last_seq, bumped.last_hash, utcnow()
    entry.entry_hash = entry_hash(entry.prev_hash, {name: getattr(entry, name) for name in HASHED_FIELDS})
    session.add(entry)
    session.flush()
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.entry_hash))


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    reason: str | None = None


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the chain in order; report the first entry that is missing, altered or out of place."""
    head = session.get(AuditHead, 1)
    if head is None:
        return Verification(False, 0, 0, "", 0, "audit head row is missing")

    def broken(seq: int, reason: str, count: int) -> Verification:
        return Verification(False, count, head.last_seq, head.last_hash, seq, reason)

    expected_seq, prev, count = 1, GENESIS_HASH, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch))
    for entry in rows.scalars():
        if entry.seq != expected_seq:
            return broken(expected_seq, f"entry {expected_seq} is missing (next entry is {entry.seq})", count)
        if entry.prev_hash != prev:
            return broken(entry.seq, "its link to the previous entry does not match", count)
        fields = {name: getattr(entry, name) for name in HASHED_FIELDS}
        if entry_hash(prev, fields) != entry.entry_hash:
            return broken(entry.seq, "its content was altered after it was written", count)
        prev, expected_seq, count = entry.entry_hash, expected_seq + 1, count + 1
    if count != head.last_seq or prev != head.last_hash:
        return broken(
            count + 1,
            f"the log ends at entry {count} but the head records entry {head.last_seq}: "
            "entries were removed from the end",
            count,
        )
    return Verification(True, count, head.last_seq, head.last_hash)


def list_entries(
    session: Session, actor: Actor, *, after_seq: int = 0, limit: int = 100
) -> Sequence[AuditEntry]:
    """Oversight reads every entry; an auditor reads what their own agency's users did, in operations
    their agency belongs to (never another agency's metadata). Reading is not logged again (it would
    never end)."""
    admin.require_audit_reader(actor)
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if not admin.reads_whole_audit_log(actor):
        assert actor.user is not None
        agency_id = actor.user.agency_id
        query = query.where(
            AuditEntry.actor_agency_id == agency_id,
            or_(AuditEntry.operation_id.is_(None), member_of_operation(agency_id, AuditEntry.operation_id)),
        )
    return session.scalars(query.order_by(AuditEntry.seq).limit(limit)).all()


def require_auditor(actor: Actor) -> None:
    admin.require_audit_reader(actor)
