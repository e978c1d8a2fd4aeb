"""Import one file as one referral, in one transaction: all of it, or (with partial) all but the
records quarantined with their reasons. The same file twice adds nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP, WRITING_MEMBERS
from caseweave.access.policy import visible
from caseweave.access.service import (
    may_see,
    membership_of,
    require_case_writer,
    set_releases,
    visible_operation,
)
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.db.base import utcnow
from caseweave.db.gc_pause import fewer_collections
from caseweave.errors import Forbidden, Invalid, NotFound
from caseweave.intake import quarantine, text_check
from caseweave.intake.base import FileRejected
from caseweave.intake.batch import ItemStore
from caseweave.intake.models import (
    PersonRecord,
    QuarantinedRecord,
    Referral,
    ReferralMediaHash,
    Sighting,
)
from caseweave.intake.records import Location, RecordError, ReferralHeader
from caseweave.intake.registry import SNIFF_BYTES, check_format, choose_importer
from caseweave.intake.storage import sha256_of, store_raw
from caseweave.operations.models import Agency
from caseweave.operations.service import agency_by_code

SHOWN_ERRORS = 50


class ImportRejected(Invalid):
    """Some records are bad and --partial was not given: nothing was stored."""

    def __init__(self, file_name: str, errors: Sequence[RecordError]) -> None:
        first = errors[0]
        super().__init__(
            f"{file_name}: {len(errors)} record(s) could not be imported, nothing was stored; "
            f"first: {first.location}: {first.reason}",
            field=first.field,
            hint="fix the file, or import with --partial to quarantine the bad records",
        )
        self.errors = list(errors)


@dataclass
class ImportOutcome:
    referral: Referral
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RecordError] = field(default_factory=list)
    amendment: quarantine.Amendment | None = None  # with --amends: what it resolved


class _Counting:
    """Wraps the stream to report bytes read, for a progress bar."""

    def __init__(self, stream: BinaryIO, progress: Callable[[int], None] | None) -> None:
        self._stream, self._progress = stream, progress

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if self._progress and data:
            self._progress(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        if self._progress and data:
            self._progress(len(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _label(flag: str | None, stated: str | None) -> TLP:
    """The stricter of the label asked for and the label the file states; AMBER if neither."""
    labels = [TLP.parse(text) for text in (flag, stated) if text]
    return max(labels, key=lambda label: label.strictness) if labels else TLP.AMBER


def _sender(session: Session, actor: Actor, agency: str | None) -> Agency:
    if actor.user is not None:
        own = actor.user.agency
        if agency and agency.strip().upper() != own.code:
            raise Forbidden(f"you send referrals for {own.code}, not {agency}", field="agency")
        return own
    if not agency:
        raise Invalid("name the sending agency", field="agency", hint="--agency CODE")
    return agency_by_code(session, agency)


def import_referral(
    session: Session,
    actor: Actor,
    operation_id: int,
    stream: BinaryIO,
    file_name: str,
    *,
    agency: str | None = None,
    fmt: str = "auto",
    label: str | None = None,
    partial: bool = False,
    released_to: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
    amends: int | None = None,
) -> ImportOutcome:
    with fewer_collections():  # a million-line file makes millions of short-lived rows
        return _import(
            session, actor, operation_id, stream, text_check.readable(file_name), agency, fmt, label,
            partial, released_to, progress, amends,
        )  # fmt: skip


def _import(
    session: Session,
    actor: Actor,
    operation_id: int,
    stream: BinaryIO,
    file_name: str,
    agency: str | None,
    fmt: str,
    label: str | None,
    partial: bool,
    released_to: Sequence[str],
    progress: Callable[[int], None] | None,
    amends: int | None,
) -> ImportOutcome:
    operation = visible_operation(session, actor, operation_id)
    sender = _sender(session, actor, agency)
    if actor.user is not None:
        require_case_writer(session, actor, operation)
    elif not _writing_member(session, operation.id, sender.id):
        raise Forbidden(f"{sender.code} is not a lead or partner in {operation.name!r}", field="agency")
    original = None
    if amends is not None:  # a correction of quarantined records: see intake/quarantine.py
        original = quarantine.amendment_target(session, actor, amends, operation.id, sender.id)
    check_format(fmt, file_name)
    sha256, size = sha256_of(stream)
    existing = session.scalar(
        select(Referral)
        .where(
            Referral.operation_id == operation.id,
            Referral.sha256 == sha256,
            Referral.owner_agency_id == sender.id,
            may_see(Referral, actor),
        )
        .order_by(Referral.id)
        .limit(1)
    )
    if existing is not None:
        audit.record(
            session,
            actor,
            "referral.duplicate",
            "referral",
            [existing.id],
            operation_id=operation.id,
            detail={"sha256": sha256, "file_name": file_name[:400]},
        )
        outcome = ImportOutcome(existing, False, dict(existing.counts))
        if original is not None:  # links a file imported before; the same correction twice adds nothing
            outcome.amendment = quarantine.amend(session, actor, original, existing, stream)
        return outcome
    importer = choose_importer(fmt, stream.read(SNIFF_BYTES), file_name)
    store_raw(session, stream, sha256, size)  # before parsing: both read the stream from its start
    items = text_check.checked(importer.parse(_Counting(stream, progress), file_name), file_name)  # type: ignore[arg-type]
    header = next(items, None)
    if not isinstance(header, ReferralHeader):
        raise FileRejected(Location(file_name), "the file holds no referral")
    tlp = _label(label or (original.tlp if original else None), header.tlp)
    if tlp is TLP.RED and actor.user is None:
        raise Invalid(
            "a RED referral needs a named author", field="label", hint="import it as a user (--user)"
        )
    referral = Referral(
        operation_id=operation.id,
        owner_agency_id=sender.id,
        created_by_user_id=actor.user.id if actor.user else None,
        tlp=tlp.value,
        format=importer.name,
        file_name=file_name[:400],
        sha256=sha256,
        external_id=(header.external_id or sha256)[:200],
        title=(header.title or file_name)[:400],
        summary=header.summary,
        platform=header.platform,
        reported_at=header.reported_at,
        received_at=utcnow(),
        status="imported",
        counts={},
    )
    session.add(referral)
    session.flush()
    released = released_to or quarantine.inherited_releases(session, original, tlp)
    set_releases(session, operation, Referral.record_kind, referral.id, tlp, released, ())
    common = {
        "operation_id": operation.id,
        "owner_agency_id": sender.id,
        "tlp": tlp.value,
        "created_by_user_id": referral.created_by_user_id,
        "referral_id": referral.id,
        "created_at": utcnow(),
    }
    outcome = ImportOutcome(referral, True)
    outcome.counts, outcome.errors = _store_items(session, items, common, sender.country)
    if outcome.errors and not partial:
        raise ImportRejected(file_name, outcome.errors)
    _link_persons(session, referral.id)
    # Selectors the file ties to no party are kept, and counted where the importer and the referral
    # show them: nothing is left out without a word.
    outcome.counts["unassigned_sightings"] = _unassigned(session, referral.id)
    if outcome.errors:
        referral.status = "partial"
        quarantine.store(session, outcome.errors, common, stream, importer.name)
    outcome.counts["quarantined"] = len(outcome.errors)
    referral.counts = outcome.counts
    audit.record(
        session,
        actor,
        "referral.import",
        "referral",
        [referral.id],
        operation_id=operation.id,
        detail={"sha256": sha256, "format": importer.name, "tlp": tlp.value, **outcome.counts},
    )
    if original is not None:
        outcome.amendment = quarantine.amend(session, actor, original, referral, stream)
    return outcome


def _writing_member(session: Session, operation_id: int, agency_id: int) -> bool:
    member = membership_of(session, operation_id, agency_id)
    return member is not None and member.role in {role.value for role in WRITING_MEMBERS}


def _store_items(
    session: Session, items: Any, common: dict[str, Any], sender_country: str
) -> tuple[dict[str, int], list[RecordError]]:
    store = ItemStore(session, common, sender_country)
    store.store(items)
    return store.counts, store.errors


def _unassigned(session: Session, referral_id: int) -> int:
    held_by_nobody = select(func.count()).where(
        Sighting.referral_id == referral_id, Sighting.person_record_id.is_(None)
    )
    return session.scalar(held_by_nobody) or 0


def _link_persons(session: Session, referral_id: int) -> None:
    """Point sightings at the person records the file tied them to, in one statement."""
    person = (
        select(PersonRecord.id)
        .where(PersonRecord.referral_id == Sighting.referral_id, PersonRecord.ref == Sighting.person_ref)
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        update(Sighting)
        .where(Sighting.referral_id == referral_id, Sighting.person_ref.is_not(None))
        .values(person_record_id=person)
        .execution_options(synchronize_session=False)
    )


def list_referrals(session: Session, actor: Actor, operation_id: int) -> Sequence[Referral]:
    operation = visible_operation(session, actor, operation_id)
    referrals = session.scalars(
        select(Referral)
        .where(Referral.operation_id == operation.id, visible(Referral, actor.viewer))
        .order_by(Referral.id)
    ).all()
    audit.record(
        session, actor, "referral.list", "referral", [r.id for r in referrals], operation_id=operation.id
    )
    return referrals


@dataclass
class ReferralDetail:
    referral: Referral
    persons: Sequence[PersonRecord]
    sightings: Sequence[Sighting]
    media_hashes: Sequence[ReferralMediaHash]
    quarantined: Sequence[QuarantinedRecord]


def get_referral(session: Session, actor: Actor, referral_id: int, limit: int = 1000) -> ReferralDetail:
    """A referral and what it states; each part goes through the policy like the referral itself."""
    referral = session.scalar(
        select(Referral).where(Referral.id == referral_id, visible(Referral, actor.viewer))
    )
    if referral is None:
        raise NotFound(f"referral {referral_id} not found", field="referral_id")

    def parts(model: Any) -> Sequence[Any]:
        query = select(model).where(model.referral_id == referral.id, visible(model, actor.viewer))
        return session.scalars(query.order_by(model.id).limit(limit)).all()

    detail = ReferralDetail(
        referral, parts(PersonRecord), parts(Sighting), parts(ReferralMediaHash), parts(QuarantinedRecord)
    )
    audit.record(
        session, actor, "referral.read", "referral", [referral.id], operation_id=referral.operation_id
    )
    return detail
