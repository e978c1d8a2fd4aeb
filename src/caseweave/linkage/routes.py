"""HTTP routes for linkage: runs, subjects (with why each link holds), judgements, alerts, export."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict

from fastapi import APIRouter, Response, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.openapi import NAMED, content, errors
from caseweave.api.params import DbId
from caseweave.linkage import alert_workflow, export, judgements, service
from caseweave.linkage.explain import explain_link, list_subjects, subject_view
from caseweave.linkage.models import Alert
from caseweave.linkage.schemas import (
    AlertOut,
    JudgementIn,
    JudgementOut,
    LinkOut,
    ResolveIn,
    RunIn,
    RunOut,
    SightingBrief,
    SubjectOut,
    SubjectRecordOut,
    SubjectSummaryOut,
)

router = APIRouter(tags=["linkage"], responses=errors(*NAMED))


@router.post(
    "/operations/{operation_id}/linkage/runs",
    response_model=RunOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 413),
)
def run(
    operation_id: DbId, body: RunIn, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> object:
    """Run linkage on demand: correlate selectors, score probable matches and re-cluster subjects (the lead
    agency's coordinators and analysts)."""
    summary = service.run_linkage(
        session, actor, settings, operation_id, full=body.full, engine=body.engine, use_model=body.use_model
    )
    result = asdict(summary)
    result["conflicts"] = [
        {
            "records": sorted(c.records),
            "same": list(c.same_judgements),
            "not_same": list(c.not_same_judgements),
        }
        for c in summary.conflicts
    ]
    return result


@router.get("/operations/{operation_id}/subjects", response_model=list[SubjectSummaryOut])
def subjects(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """The operation's subjects you may see through at least one of their records (members of the
    operation)."""
    return list_subjects(session, actor, operation_id)


@router.get("/subjects/{public_id}", response_model=SubjectOut)
def subject(public_id: str, session: SessionDep, actor: ActorDep) -> object:
    """One subject as you may see it: its records, sightings, links with why each holds, judgements and (if
    you see all its records) its history."""
    view = subject_view(session, actor, public_id)
    return SubjectOut(
        public_id=view.subject.public_id,
        asked_for=public_id,
        status=view.subject.status,
        agencies=view.agencies,
        hidden_note=view.hidden_note,
        review=view.review,
        records=[
            SubjectRecordOut(
                id=r.record.id,
                agency=r.agency,
                file_name=r.file_name,
                ref=r.record.ref,
                location=r.record.location,
                full_name=r.record.full_name,
                given_name=r.record.given_name,
                family_name=r.record.family_name,
                date_of_birth=r.record.date_of_birth,
                country=r.record.country,
                role=r.record.role,
                sightings=[SightingBrief.model_validate(s) for s in r.sightings],
            )
            for r in view.records
        ],
        links=[
            LinkOut(
                a_id=link.a_id,
                b_id=link.b_id,
                kind=link.kind,
                selector_type=link.selector_type,
                value=link.value,
                gap_seconds=link.gap_seconds,
                match_weight=link.match_weight,
                match_probability=link.match_probability,
                contributions=link.contributions,
                why=explain_link(link),
            )
            for link in view.links
        ],
        judgements=[JudgementOut.model_validate(j) for j in view.judgements],
        history=[{"kind": e.kind, "detail": e.detail, "at": e.at} for e in view.events],
    )


@router.get(
    "/operations/{operation_id}/subjects/export", response_class=Response, responses=content("text/csv")
)
def export_csv(operation_id: DbId, session: SessionDep, actor: ActorDep) -> Response:
    """The subjects as CSV, one row per person record you may see (members of the operation)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export.COLUMNS)
    writer.writerows(export.subject_rows(session, actor, operation_id))
    return Response(buffer.getvalue(), media_type="text/csv")


@router.post(
    "/judgements",
    response_model=JudgementOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(409, 413),
)
def judge(body: JudgementIn, session: SessionDep, actor: ActorDep, settings: SettingsDep) -> object:
    """Say whether two person records are the same person; the judgement wins over the machine and the
    records are re-linked (case writers of lead or partner agencies)."""
    judgement = judgements.judge(session, actor, body.first, body.second, body.verdict, body.reason)
    service.link_operation(
        session, actor, settings, judgement.operation_id, seeds=[body.first, body.second], use_model=False
    )
    return judgement


def _alert_out(alert: Alert, subject: str) -> AlertOut:
    return AlertOut(
        id=alert.id,
        subject=subject,
        status=alert.status,
        disclosed=alert.disclosed,
        evidence=alert.evidence,
        message=alert.message,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        resolution_note=alert.resolution_note,
    )


@router.get("/operations/{operation_id}/alerts", response_model=list[AlertOut])
def alerts(operation_id: DbId, session: SessionDep, actor: ActorDep, status: str | None = None) -> object:
    """Deconfliction alerts for your agency in the operation: another agency holds a subject you hold.
    Filter by `status`."""
    return [
        _alert_out(a, s.public_id)
        for a, s in alert_workflow.list_alerts(session, actor, operation_id, status)
    ]


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut, responses=errors(409))
def acknowledge(alert_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Acknowledge an alert addressed to your agency (case writers)."""
    alert = alert_workflow.acknowledge(session, actor, alert_id)
    return _alert_out(alert, alert_workflow.subject_id_of(session, alert))


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut, responses=errors(409, 413))
def resolve(alert_id: DbId, body: ResolveIn, session: SessionDep, actor: ActorDep) -> object:
    """Resolve an alert addressed to your agency, naming the agency that leads on the subject (case
    writers)."""
    alert = alert_workflow.resolve(session, actor, alert_id, lead_agency=body.lead_agency, note=body.note)
    return _alert_out(alert, alert_workflow.subject_id_of(session, alert))
