"""Victim records: add, list, show, move status forward, link to series, subjects and referrals.

Victim data defaults to AMBER+STRICT (the owning agency only). Every read and change is audited in
its transaction; a victim the actor may not see is reported exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.service import (
    may_see,
    membership_of,
    require_case_writer,
    require_record_writer,
    set_releases,
    visible_operation,
)
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth.models import User
from caseweave.bounds import ascii_int
from caseweave.errors import Conflict, Forbidden, Invalid, NotFound
from caseweave.intake.models import Referral
from caseweave.linkage.models import Subject
from caseweave.linkage.visibility import subject_visible
from caseweave.media.models import MediaBankEntry
from caseweave.operations.countries import normalise_country
from caseweave.operations.models import Agency, Operation
from caseweave.operations.service import agency_by_code
from caseweave.victims.lookups import find_subject
from caseweave.victims.models import STATUSES, Victim, VictimEvent, VictimLink

LINK_KINDS = ("series", "subject", "referral")


@dataclass
class VictimView:
    victim: Victim
    links: list[VictimLink]
    events: list[VictimEvent]
    subjects: dict[int, str]  # subject id -> public id, for the links shown


def add_victim(
    session: Session,
    actor: Actor,
    operation_id: int,
    *,
    pseudonym: str,
    description: str = "",
    country: str | None = None,
    tlp: TLP = TLP.AMBER_STRICT,
    released_to: Sequence[str] = (),
    writers: Sequence[str] = (),
) -> Victim:
    operation = visible_operation(session, actor, operation_id)
    user = require_case_writer(session, actor, operation)
    if not pseudonym.strip():
        raise Invalid("a victim needs a pseudonym", field="pseudonym", hint='e.g. "Child B, series Blue"')
    victim = Victim(
        operation_id=operation.id,
        owner_agency_id=user.agency_id,
        created_by_user_id=user.id,
        tlp=tlp.value,
        pseudonym=pseudonym.strip(),
        description=description.strip(),
        status="unidentified",
        country=normalise_country(country) if country else None,
    )
    session.add(victim)
    session.flush()
    victim.public_id = f"VIC-{victim.id:06d}"
    set_releases(session, operation, Victim.record_kind, victim.id, tlp, released_to, (), writers)
    audit.record(
        session,
        actor,
        "victim.create",
        "victim",
        [victim.id],
        operation_id=operation.id,
        detail={"victim": victim.public_id, "tlp": tlp.value},
    )
    return victim


def find_victim(session: Session, actor: Actor, ref: str) -> Victim:
    text = ref.strip().upper()
    number = ascii_int(text)
    key = Victim.id == number if number is not None else Victim.public_id == text
    victim = session.scalar(select(Victim).where(key, may_see(Victim, actor)))
    if victim is None:
        raise NotFound(f"victim {ref} not found", field="victim")
    visible_operation(session, actor, victim.operation_id)
    return victim


def list_victims(
    session: Session, actor: Actor, operation_id: int, status: str | None = None
) -> Sequence[Victim]:
    operation = visible_operation(session, actor, operation_id)
    query = select(Victim).where(Victim.operation_id == operation.id, may_see(Victim, actor))
    if status is not None:
        query = query.where(Victim.status == _status(status))
    victims = session.scalars(query.order_by(Victim.id)).all()
    audit.record(session, actor, "victim.list", "victim", [v.id for v in victims], operation_id=operation.id)
    return victims


def show_victim(session: Session, actor: Actor, ref: str) -> VictimView:
    victim = find_victim(session, actor, ref)
    links = [link for link in _links(session, victim) if _may_see_target(session, actor, victim, link)]
    events = list(
        session.scalars(
            select(VictimEvent).where(VictimEvent.victim_id == victim.id).order_by(VictimEvent.id)
        )
    )
    ids = {link.subject_id for link in links if link.subject_id is not None}
    subjects = dict(session.execute(select(Subject.id, Subject.public_id).where(Subject.id.in_(ids))).all())
    audit.record(session, actor, "victim.read", "victim", [victim.id], operation_id=victim.operation_id)
    return VictimView(victim, links, events, subjects)


def _links(session: Session, victim: Victim) -> list[VictimLink]:
    return list(
        session.scalars(select(VictimLink).where(VictimLink.victim_id == victim.id).order_by(VictimLink.id))
    )


def _may_see_target(session: Session, actor: Actor, victim: Victim, link: VictimLink) -> bool:
    """A link shows only what its reader may see: a referral, a subject (through a record), or a series
    in a bank entry; another agency's RED referral is not even an id to them."""
    if link.referral_id is not None:
        query = select(Referral.id).where(Referral.id == link.referral_id, may_see(Referral, actor))
    elif link.subject_id is not None:
        query = select(Subject.id).where(Subject.id == link.subject_id, subject_visible(actor))
    else:
        query = select(MediaBankEntry.id).where(
            MediaBankEntry.operation_id == victim.operation_id,
            MediaBankEntry.series == link.series,
            may_see(MediaBankEntry, actor),
        )
    return session.scalar(query.limit(1)) is not None


def set_status(
    session: Session,
    actor: Actor,
    ref: str,
    status: str,
    *,
    on: date | None = None,
    agency: str | None = None,
    note: str = "",
    correction: bool = False,
) -> VictimEvent:
    """Move forward (unidentified → identified → safeguarded), dated, naming the agency responsible
    (default the actor's). Safeguarding an unidentified child records its identification the same day.
    Only the owning agency, or one it granted changes to, records a status; only the owning agency
    corrects one back (`correction`, with a note saying why): every event stays in the history."""
    victim = find_victim(session, actor, ref)
    operation = visible_operation(session, actor, victim.operation_id)
    user = require_record_writer(session, actor, operation, victim)
    wanted = _status(status)
    when = on or date.today()
    if wanted == victim.status:
        raise Conflict(f"victim {victim.public_id} is already {wanted}", field="status")
    backwards = STATUSES.index(wanted) < STATUSES.index(victim.status)
    if backwards and not correction:
        raise Invalid(
            f"victim {victim.public_id} is {victim.status}; status only moves forward",
            field="status",
            hint=" → ".join(STATUSES) + "; the owning agency corrects a mistake with a correction and a note",
        )
    if correction:
        return _correct(session, actor, operation, user, victim, wanted, when, note)
    if when > date.today():
        raise Invalid(f"date {when} is in the future", field="on")
    if victim.identified_on is not None and when < victim.identified_on:
        raise Invalid(f"date {when} is before the identification on {victim.identified_on}", field="on")
    responsible = agency_by_code(session, agency) if agency else session.get_one(Agency, user.agency_id)
    if membership_of(session, operation.id, responsible.id) is None:
        raise Invalid(f"agency {responsible.code} is not in this operation", field="agency")
    event = VictimEvent(
        victim_id=victim.id,
        operation_id=operation.id,
        status=wanted,
        occurred_on=when,
        agency_id=responsible.id,
        country=responsible.country,
        note=note.strip(),
        created_by_user_id=user.id,
    )
    if victim.identified_on is None:
        victim.identified_on = when  # safeguarding implies identification
        if wanted == "safeguarded":
            session.add(
                VictimEvent(
                    victim_id=victim.id,
                    operation_id=operation.id,
                    status="identified",
                    occurred_on=when,
                    agency_id=responsible.id,
                    country=responsible.country,
                    created_by_user_id=user.id,
                )
            )
    if wanted == "safeguarded":
        victim.safeguarded_on = when
    victim.status, victim.responsible_agency_id = wanted, responsible.id
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor,
        f"victim.{wanted}",
        "victim",
        [victim.id],
        operation_id=operation.id,
        detail={"victim": victim.public_id, "on": when.isoformat(), "agency": responsible.code},
    )
    return event


def _correct(
    session: Session,
    actor: Actor,
    operation: Operation,
    user: User,
    victim: Victim,
    wanted: str,
    when: date,
    note: str,
) -> VictimEvent:
    """The owner sets the status back (or forward) to correct a mistake; the wrong event stays."""
    if user.agency_id != victim.owner_agency_id:
        raise Forbidden("only the owning agency corrects a victim's status", field="correction")
    if not note.strip():
        raise Invalid("say what was wrong", field="note", hint="a correction is kept with its reason")
    event = VictimEvent(
        victim_id=victim.id,
        operation_id=operation.id,
        status=wanted,
        occurred_on=when,
        agency_id=user.agency_id,
        country=session.get_one(Agency, user.agency_id).country,
        note=f"correction: {note.strip()}",
        created_by_user_id=user.id,
    )
    victim.status = wanted
    if wanted == "unidentified":
        victim.identified_on = None
    if wanted != "safeguarded":
        victim.safeguarded_on = None
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor,
        "victim.correct",
        "victim",
        [victim.id],
        operation_id=operation.id,
        detail={"victim": victim.public_id, "to": wanted, "on": when.isoformat()},
    )
    return event


def link_victim(session: Session, actor: Actor, ref: str, kind: str, target: str) -> VictimLink:
    """Link a series (held in a bank entry the actor may see), a subject or a referral the actor may see."""
    victim = find_victim(session, actor, ref)
    operation = visible_operation(session, actor, victim.operation_id)
    user = require_record_writer(session, actor, operation, victim)
    link = VictimLink(victim_id=victim.id, kind=kind, created_by_user_id=user.id)
    if kind == "series":
        series = session.scalar(
            select(MediaBankEntry.series)
            .where(
                MediaBankEntry.operation_id == operation.id,
                MediaBankEntry.series == target.strip(),
                may_see(MediaBankEntry, actor),
            )
            .limit(1)
        )
        if series is None:
            raise NotFound(f"series {target!r} not found in a bank you may see", field="series")
        link.series, link.target = series, f"series:{series}"
    elif kind == "subject":
        subject = find_subject(session, actor, operation.id, target)
        link.subject_id, link.target = subject.id, f"subject:{subject.id}"
    elif kind == "referral":
        referral = session.scalar(
            select(Referral).where(
                Referral.id == _int(target, "referral"),
                Referral.operation_id == operation.id,
                may_see(Referral, actor),
            )
        )
        if referral is None:
            raise NotFound(f"referral {target} not found", field="referral")
        link.referral_id, link.target = referral.id, f"referral:{referral.id}"
    else:
        raise Invalid(f"unknown link kind {kind!r}", field="kind", hint=" / ".join(LINK_KINDS))
    held = session.scalar(
        select(VictimLink).where(VictimLink.victim_id == victim.id, VictimLink.target == link.target)
    )
    if held is not None:
        return held  # the same link twice adds nothing
    session.add(link)
    session.flush()
    audit.record(
        session,
        actor,
        "victim.link",
        "victim",
        [victim.id],
        operation_id=operation.id,
        detail={"victim": victim.public_id, "kind": kind, "target": link.target},
    )
    return link


def _status(text: str) -> str:
    key = text.strip().lower()
    if key not in STATUSES:
        raise Invalid(f"unknown status {text!r}", field="status", hint=" / ".join(STATUSES))
    return key


def _int(text: str, field: str) -> int:
    number = ascii_int(text)
    if number is None:
        raise Invalid(f"{field} id {text!r} is not a number", field=field)
    return number
