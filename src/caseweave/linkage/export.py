"""Subjects as rows: one per referral record, named the way its file names it, for scoring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from caseweave.access.policy import visible
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import Forbidden, Invalid
from caseweave.intake.models import PersonRecord, Referral, Sighting
from caseweave.linkage.evaluation import RecordKey
from caseweave.linkage.models import Subject, SubjectMember
from caseweave.operations.models import Agency

COLUMNS = ("subject_id", "file", "record_id", "location", "referral_id", "format", "agency", "label")


def _rows_query(operation_id: int) -> Select[str, str, str, str, int, str, str, str]:
    return (
        select(
            Subject.public_id,
            Referral.file_name,
            PersonRecord.ref,
            PersonRecord.location,
            Referral.id,
            Referral.format,
            Agency.code,
            PersonRecord.tlp,
        )
        .join(SubjectMember, SubjectMember.person_record_id == PersonRecord.id)
        .join(Subject, Subject.id == SubjectMember.subject_id)
        .join(Referral, Referral.id == PersonRecord.referral_id)
        .join(Agency, Agency.id == PersonRecord.owner_agency_id)
        .where(PersonRecord.operation_id == operation_id)
        .order_by(Referral.id, PersonRecord.id)
    )


SCORING = "scoring reads every record; it is run by the operator on the server"


def operator_only(actor: Actor, why: str) -> None:
    if not actor.is_operator:
        raise Forbidden(why)


def subject_rows(session: Session, actor: Actor, operation_id: int) -> list[tuple[object, ...]]:
    """What the user may see: each visible person record with its subject (COLUMNS)."""
    operation = visible_operation(session, actor, operation_id)
    rows = [
        tuple(row)
        for row in session.execute(_rows_query(operation.id).where(visible(PersonRecord, actor.viewer)))
    ]
    audit.record(
        session,
        actor,
        "subject.export",
        "operation",
        [operation.id],
        operation_id=operation.id,
        detail={"rows": len(rows)},
    )
    return rows


def every_subject_row(
    session: Session, actor: Actor, operation_id: int, reason: str
) -> list[tuple[object, ...]]:
    """Every person record of the operation with its subject (COLUMNS), across need-to-know: for
    evaluating linkage against a truth the operation's data came with. The CLI operator only, with a
    stated reason, audited with it."""
    operator_only(actor, "exporting every record reads across need-to-know; it is run by the operator")
    if not reason.strip():
        raise Invalid("say why every record is exported (--reason)", field="reason")
    operation = visible_operation(session, actor, operation_id)
    rows = [tuple(row) for row in session.execute(_rows_query(operation.id))]
    audit.record(
        session,
        actor,
        "subject.export_every_record",
        "operation",
        [operation.id],
        operation_id=operation.id,
        detail={"rows": len(rows), "reason": reason.strip()[:500]},
    )
    return rows


@dataclass
class BaselineInputs:
    """What the baselines read of every record (operator only, like predicted_subjects)."""

    keys: dict[int, RecordKey]  # person record id -> (file, ref)
    sightings: list[tuple[int, str, str]]  # (person record id, selector type, value)
    people: list[dict[str, Any]]  # raw Splink's person fields, unique_id = person record id


def baseline_inputs(session: Session, actor: Actor, operation_id: int) -> BaselineInputs:
    # imported here: linkage.features loads pyarrow, which no other export needs at start-up
    from caseweave.linkage.features import split_name

    operator_only(actor, SCORING)
    operation = visible_operation(session, actor, operation_id)
    inputs = BaselineInputs({}, [], [])
    query = (
        select(
            PersonRecord.id,
            Referral.file_name,
            PersonRecord.ref,
            PersonRecord.full_name,
            PersonRecord.given_name,
            PersonRecord.family_name,
            PersonRecord.date_of_birth,
            PersonRecord.country,
        )
        .join(Referral, Referral.id == PersonRecord.referral_id)
        .where(PersonRecord.operation_id == operation.id)
    )
    for record, file_name, ref, full, given, family, born, country in session.execute(query):
        given_key, family_key = split_name(full, given, family)
        inputs.keys[record] = (file_name, ref)
        inputs.people.append(
            {
                "unique_id": record,
                "given_name": given_key,
                "family_name": family_key,
                "dob": born.isoformat() if born else None,
                "country": country,
            }
        )
    selectors = select(Sighting.person_record_id, Sighting.selector_type, Sighting.value).where(
        Sighting.operation_id == operation.id, Sighting.person_record_id.is_not(None)
    )
    inputs.sightings = [
        (int(r), kind, value) for r, kind, value in session.execute(selectors) if r is not None
    ]
    return inputs


def predicted_subjects(session: Session, actor: Actor, operation_id: int) -> dict[RecordKey, str]:
    """Every record's subject, for scoring against ground truth: the CLI operator only, since it
    reads across need-to-know (only the figures leave the machine)."""
    operator_only(actor, SCORING)
    operation = visible_operation(session, actor, operation_id)
    predicted = {(row[1], row[2]): row[0] for row in session.execute(_rows_query(operation.id))}
    audit.record(session, actor, "linkage.evaluate", "operation", [operation.id], operation_id=operation.id)
    return predicted
