"""Record and list outcome events per subject and country.

Rules, checked against the events of the same subject and country the actor may see: nothing after
an arrest is dated before it; a charge states its counts and offence; a sentence needs a conviction
on or before its date and states the sentence (or is indeterminate). The same event twice (equal
facts, see `dedupe_key`) is refused from the API and CLI and skipped in bulk returns and feedback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.service import may_see, require_case_writer, set_releases, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import Conflict, Invalid
from caseweave.linkage.models import Subject
from caseweave.operations.countries import normalise_country
from caseweave.operations.models import Agency, Operation
from caseweave.outcomes.models import KINDS, PLEAS, OutcomeEvent
from caseweave.victims.lookups import find_subject

AFTER_ARREST = ("charged", "plea", "convicted", "acquitted", "sentenced", "no_further_action")


@dataclass
class OutcomeIn:
    subject: str
    kind: str
    occurred_on: date
    country: str | None = None  # default: the reporting agency's country
    counts: int | None = None
    offence: str | None = None
    plea: str | None = None
    sentence: str | None = None
    indeterminate: bool = False
    note: str = ""
    tlp: TLP = TLP.AMBER
    released_to: Sequence[str] = field(default_factory=tuple)


def kind_of(text: str) -> str:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in KINDS:
        raise Invalid(f"unknown outcome {text!r}", field="kind", hint=" / ".join(KINDS))
    return key


def add_outcome(
    session: Session,
    actor: Actor,
    operation_id: int,
    data: OutcomeIn,
    *,
    source: str = "api",
    source_ref: str | None = None,
    duplicate: str = "refuse",  # refuse (Conflict) or skip (return None)
    known: Subject | None = None,  # a subject the caller already found (a package names it)
) -> OutcomeEvent | None:
    operation = visible_operation(session, actor, operation_id)
    user = require_case_writer(session, actor, operation)
    subject = known or find_subject(session, actor, operation.id, data.subject)
    agency = session.get_one(Agency, user.agency_id)
    event = _build(session, actor, operation, subject, agency, data)
    held = session.scalar(
        select(OutcomeEvent.id).where(
            OutcomeEvent.operation_id == operation.id,
            OutcomeEvent.dedupe_key == event.dedupe_key,
            may_see(OutcomeEvent, actor),
        )
    )
    if held is not None:
        if duplicate == "skip":
            return None
        raise Conflict(
            f"this {event.kind} of {subject.public_id} on {event.occurred_on} is already recorded",
            field="kind",
        )
    event.created_by_user_id, event.source, event.source_ref = user.id, source, source_ref
    session.add(event)
    session.flush()
    set_releases(session, operation, OutcomeEvent.record_kind, event.id, data.tlp, data.released_to, ())
    audit.record(
        session,
        actor,
        f"outcome.{event.kind}",
        "outcome",
        [event.id],
        operation_id=operation.id,
        detail={
            "subject": subject.public_id,
            "country": event.country,
            "on": event.occurred_on.isoformat(),
            "source": source,
            "ref": source_ref,
        },
    )
    return event


def _build(
    session: Session, actor: Actor, operation: Operation, subject: Subject, agency: Agency, data: OutcomeIn
) -> OutcomeEvent:
    kind = kind_of(data.kind)
    country = normalise_country(data.country) if data.country else agency.country
    if data.occurred_on > date.today():
        raise Invalid(f"date {data.occurred_on} is in the future", field="date")
    offence = (data.offence or "").strip() or None
    sentence = (data.sentence or "").strip() or None
    plea = data.plea.strip().lower().replace(" ", "_").replace("-", "_") if data.plea else None
    if kind == "charged" and (not data.counts or data.counts < 1 or offence is None):
        raise Invalid(
            "a charge states its number of counts (1 or more) and the offence",
            field="counts" if not data.counts or data.counts < 1 else "offence",
            hint='e.g. counts 9, offence "possessing and distributing indecent images"',
        )
    if kind == "plea" and plea not in PLEAS:
        raise Invalid(f"unknown plea {data.plea!r}", field="plea", hint=" / ".join(PLEAS))
    if kind == "sentenced" and sentence is None and not data.indeterminate:
        raise Invalid("a sentence states its terms, or is indeterminate", field="sentence")
    prior = session.scalars(
        select(OutcomeEvent).where(
            OutcomeEvent.subject_id == subject.id,
            OutcomeEvent.country == country,
            may_see(OutcomeEvent, actor),
        )
    ).all()
    arrests = [e.occurred_on for e in prior if e.kind == "arrested"]
    if kind in AFTER_ARREST and arrests and data.occurred_on < min(arrests):
        raise Invalid(
            f"{kind} on {data.occurred_on} is before the arrest of {subject.public_id} on {min(arrests)}",
            field="date",
        )
    if kind == "sentenced" and not any(
        e.kind == "convicted" and e.occurred_on <= data.occurred_on for e in prior
    ):
        raise Invalid(
            f"a sentence without a conviction: {subject.public_id} has no conviction in {country} "
            f"on or before {data.occurred_on}",
            field="kind",
            hint="record the conviction first",
        )
    facts = [
        subject.id,
        country,
        kind,
        data.occurred_on.isoformat(),
        data.counts,
        offence,
        plea,
        sentence,
        data.indeterminate,
    ]
    return OutcomeEvent(
        operation_id=operation.id,
        owner_agency_id=agency.id,
        tlp=data.tlp.value,
        subject_id=subject.id,
        country=country,
        kind=kind,
        occurred_on=data.occurred_on,
        counts=data.counts if kind == "charged" else None,
        offence=offence,
        plea=plea if kind == "plea" else None,
        sentence=sentence if kind == "sentenced" else None,
        indeterminate=bool(data.indeterminate) and kind == "sentenced",
        note=data.note.strip(),
        dedupe_key=hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest(),
    )


def list_outcomes(
    session: Session,
    actor: Actor,
    operation_id: int,
    *,
    subject: str | None = None,
    country: str | None = None,
) -> list[tuple[OutcomeEvent, str]]:
    """Visible events with their subject's public id, oldest first."""
    operation = visible_operation(session, actor, operation_id)
    query = (
        select(OutcomeEvent, Subject.public_id)
        .join(Subject, Subject.id == OutcomeEvent.subject_id)
        .where(OutcomeEvent.operation_id == operation.id, may_see(OutcomeEvent, actor))
    )
    if subject is not None:
        query = query.where(OutcomeEvent.subject_id == find_subject(session, actor, operation.id, subject).id)
    if country is not None:
        query = query.where(OutcomeEvent.country == normalise_country(country))
    rows = [
        (event, public_id)
        for event, public_id in session.execute(
            query.order_by(OutcomeEvent.occurred_on, OutcomeEvent.id)
        ).all()
    ]
    audit.record(
        session, actor, "outcome.list", "outcome", [e.id for e, _ in rows], operation_id=operation.id
    )
    return rows


def arrest_from_feedback(
    session: Session, actor: Actor, subject_id: int, on: date, package: str, note: str
) -> OutcomeEvent | None:
    """A package's "arrested" feedback is an arrest outcome of the reporting agency (once per day).
    The package named the subject to the agency, so it need not see the subject's records."""
    subject = session.get_one(Subject, subject_id)
    data = OutcomeIn(subject=subject.public_id, kind="arrested", occurred_on=min(on, date.today()), note=note)
    return add_outcome(
        session,
        actor,
        subject.operation_id,
        data,
        source="package",
        source_ref=package,
        duplicate="skip",
        known=subject,
    )
