"""Subjects as rows: one per referral record, named the way its file names it, for scoring."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from caseweave.access.policy import visible
from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import Forbidden
from caseweave.intake.models import PersonRecord, Referral
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


def predicted_subjects(session: Session, actor: Actor, operation_id: int) -> dict[RecordKey, str]:
    """Every record's subject, for scoring against ground truth: the CLI operator only, since it
    reads across need-to-know (only the figures leave the machine)."""
    if not actor.is_operator:
        raise Forbidden("scoring reads every record; it is run by the operator on the server")
    operation = visible_operation(session, actor, operation_id)
    predicted = {(row[1], row[2]): row[0] for row in session.execute(_rows_query(operation.id))}
    audit.record(session, actor, "linkage.evaluate", "operation", [operation.id], operation_id=operation.id)
    return predicted
