"""What a receiving agency does with its alerts: list, acknowledge, resolve (who leads, a note).

Every step goes through the access policy (an alert is its receiver's, AMBER+STRICT) and is audited.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.policy import visible
from caseweave.access.service import require_case_writer, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.db.base import utcnow
from caseweave.errors import Conflict, Invalid, NotFound
from caseweave.linkage.models import Alert, Subject
from caseweave.operations.service import agency_by_code

STATUSES = ("new", "acknowledged", "resolved")


def list_alerts(
    session: Session, actor: Actor, operation_id: int, status: str | None = None
) -> Sequence[tuple[Alert, Subject]]:
    operation = visible_operation(session, actor, operation_id)
    if status is not None and status not in STATUSES:
        raise Invalid(f"unknown alert status {status!r}", field="status", hint=" / ".join(STATUSES))
    query = (
        select(Alert, Subject)
        .join(Subject, Subject.id == Alert.subject_id)
        .where(Alert.operation_id == operation.id, visible(Alert, actor.viewer))
        .order_by(Alert.id)
    )
    if status is not None:
        query = query.where(Alert.status == status)
    rows = [(alert, subject) for alert, subject in session.execute(query).all()]
    audit.record(
        session, actor, "alert.list", "alert", [alert.id for alert, _ in rows], operation_id=operation.id
    )
    return rows


def get_alert(session: Session, actor: Actor, alert_id: int) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, visible(Alert, actor.viewer)))
    if alert is None:
        raise NotFound(f"alert {alert_id} not found", field="alert_id")
    return alert


def acknowledge(session: Session, actor: Actor, alert_id: int) -> Alert:
    alert = _writable(session, actor, alert_id)
    if alert.status != "new":
        raise Conflict(f"alert {alert_id} is already {alert.status}", field="status")
    assert actor.user is not None
    alert.status, alert.acknowledged_by_user_id = "acknowledged", actor.user.id
    alert.acknowledged_at = alert.updated_at = utcnow()
    audit.record(session, actor, "alert.acknowledge", "alert", [alert.id], operation_id=alert.operation_id)
    return alert


def resolve(session: Session, actor: Actor, alert_id: int, *, lead_agency: str, note: str) -> Alert:
    """Close the alert, saying which agency leads on the subject from now on."""
    alert = _writable(session, actor, alert_id)
    if alert.status == "resolved":
        raise Conflict(f"alert {alert_id} is already resolved", field="status")
    if not note.strip():
        raise Invalid("say how it was settled", field="note", hint="e.g. who spoke to whom, what was agreed")
    lead = agency_by_code(session, lead_agency)
    if lead.id not in {alert.owner_agency_id, alert.holder_agency_id} or (
        lead.id == alert.holder_agency_id and not alert.disclosed
    ):
        raise Invalid(
            f"{lead.code} is not one of the agencies this alert is about",
            field="lead_agency",
            hint="the lead is your own agency or the agency the alert names",
        )
    assert actor.user is not None
    alert.status, alert.lead_agency_id, alert.resolution_note = "resolved", lead.id, note.strip()
    alert.resolved_by_user_id = actor.user.id
    alert.resolved_at = alert.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "alert.resolve",
        "alert",
        [alert.id],
        operation_id=alert.operation_id,
        detail={"lead_agency": lead.code},
    )
    return alert


def _writable(session: Session, actor: Actor, alert_id: int) -> Alert:
    alert = get_alert(session, actor, alert_id)
    require_case_writer(session, actor, visible_operation(session, actor, alert.operation_id))
    return alert


def subject_id_of(session: Session, alert: Alert) -> str:
    return session.get_one(Subject, alert.subject_id).public_id
