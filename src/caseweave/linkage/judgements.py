"""Analysts' judgements: "same" or "not same" on two person records, with a reason.

A judgement is case data (owned by the judge's agency, labelled as strictly as the stricter of the
two records) and is audited. It is only accepted on records the analyst may see: a record they may
not see is answered exactly like a missing one. Every later clustering respects it; a newer
judgement on the same pair replaces the older ones its author may see, which stay on record.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.policy import visible
from caseweave.access.service import require_case_writer, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import Invalid, NotFound
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Judgement

VERDICTS = ("same", "not_same")


def visible_records(session: Session, actor: Actor, record_ids: Sequence[int]) -> dict[int, PersonRecord]:
    """The records the actor may see, by id; a missing one raises NotFound naming it."""
    found = {
        record.id: record
        for record in session.scalars(
            select(PersonRecord).where(PersonRecord.id.in_(record_ids), visible(PersonRecord, actor.viewer))
        )
    }
    for record_id in record_ids:
        if record_id not in found:
            raise NotFound(f"person record {record_id} not found", field="record_id")
    return found


def judge(session: Session, actor: Actor, first: int, second: int, verdict: str, reason: str) -> Judgement:
    if verdict not in VERDICTS:
        raise Invalid(f"unknown verdict {verdict!r}", field="verdict", hint="same or not_same")
    if first == second:
        raise Invalid("a record is always the same as itself", field="record_id")
    if not reason.strip():
        raise Invalid("give the reason for the judgement", field="reason", hint="what decides it")
    records = visible_records(session, actor, [first, second])
    a, b = sorted((first, second))
    operation_id = records[a].operation_id
    if records[b].operation_id != operation_id:
        raise Invalid("the two records belong to different operations", field="record_id")
    user = require_case_writer(session, actor, visible_operation(session, actor, operation_id))
    label = max((TLP(records[a].tlp), TLP(records[b].tlp)), key=lambda tlp: tlp.strictness)
    # A newer judgement replaces only the ones its author may see: another agency's judgement on the
    # same pair is theirs to withdraw (clustering reports the two as conflicting until then).
    replaced = (
        select(Judgement.id)
        .where(
            Judgement.a_id == a,
            Judgement.b_id == b,
            Judgement.active.is_(True),
            visible(Judgement, actor.viewer),
        )
        .correlate(None)  # its own FROM, not the UPDATE's table
    )
    session.execute(
        update(Judgement)
        .where(Judgement.id.in_(replaced))
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    judgement = Judgement(
        operation_id=operation_id,
        owner_agency_id=user.agency_id,
        created_by_user_id=user.id,
        tlp=label.value,
        a_id=a,
        b_id=b,
        verdict=verdict,
        reason=reason.strip(),
        active=True,
    )
    session.add(judgement)
    session.flush()
    audit.record(
        session,
        actor,
        "judgement.create",
        "judgement",
        [judgement.id],
        operation_id=operation_id,
        detail={"records": [a, b], "verdict": verdict},
    )
    return judgement
