"""HTTP routes for attribution and routing: runs, a subject's attribution, the queue, routes by hand."""

from __future__ import annotations

from fastapi import APIRouter, status

from caseweave.api.deps import ActorDep, SessionDep, SettingsDep
from caseweave.api.openapi import NAMED, errors
from caseweave.api.params import DbId
from caseweave.attribution import queue, service
from caseweave.attribution.explain import render
from caseweave.attribution.schemas import (
    AttributionOut,
    ClearRouteIn,
    DecisionOut,
    EvidenceOut,
    RouteIn,
    RouteOut,
    RunIn,
    RunOut,
)
from caseweave.attribution.views import current_attribution

router = APIRouter(tags=["attribution"], responses=errors(*NAMED))


@router.post(
    "/operations/{operation_id}/attribution/runs",
    response_model=RunOut,
    status_code=status.HTTP_201_CREATED,
    responses=errors(413),
)
def run(
    operation_id: DbId, body: RunIn, session: SessionDep, actor: ActorDep, settings: SettingsDep
) -> object:
    """Attribute subjects to countries and route them to agencies, for the whole operation or the subjects
    named (the lead agency's coordinators and analysts)."""
    summary = service.attribute_subjects(session, actor, settings, operation_id, body.subjects)
    result = {name: getattr(summary, name) for name in RunOut.model_fields}
    result["route_changes"] = [change.as_dict() for change in summary.route_changes]
    return result


@router.get("/subjects/{public_id}/attribution", response_model=AttributionOut)
def attribution(public_id: str, session: SessionDep, actor: ActorDep) -> object:
    """A subject's country attribution scored from the evidence you may see, with the system's decision and
    route for the lead's coordinators and the receiving agency."""
    view = current_attribution(session, actor, public_id)
    decision = view.decision
    return AttributionOut(
        subject=view.subject,
        asked_for=view.asked_for,
        status=view.status,
        top_country=view.top_country,
        confidence=view.confidence,
        distribution=view.distribution,
        complete=view.complete,
        evidence=[EvidenceOut.model_validate(item) for item in view.evidence],
        hidden_note=view.hidden_note,
        provider=view.provider,
        provider_source=view.provider_source,
        provider_data_date=view.provider_data_date,
        provider_line=view.provider_line,
        computed_at=view.computed_at,
        checked_at=view.checked_at,
        weights=view.weights.as_params(),
        decision=None
        if decision is None
        else DecisionOut(
            status=decision.status,
            top_country=decision.top_country,
            confidence=decision.confidence,
            distribution=decision.distribution,
            route=RouteOut.model_validate(decision.route) if decision.route else None,
        ),
        history=view.history,
        explanation=render(view),
    )


@router.get("/operations/{operation_id}/routes", response_model=list[RouteOut])
def routes(
    operation_id: DbId,
    session: SessionDep,
    actor: ActorDep,
    status: str | None = None,
    country: str | None = None,
    agency: str | None = None,
) -> object:
    """The operation's routes of subjects to agencies (the lead agency's coordinators), filtered by status,
    country or agency."""
    statuses = (status,) if status else None
    return queue.list_routes(session, actor, operation_id, statuses=statuses, country=country, agency=agency)


@router.get("/operations/{operation_id}/routes/unallocated", response_model=list[RouteOut])
def unallocated(
    operation_id: DbId, session: SessionDep, actor: ActorDep, reason: str | None = None
) -> object:
    """The coordinators' queue: subjects no agency was chosen for, with the reason (the lead agency's
    coordinators)."""
    return queue.unallocated(session, actor, operation_id, reason=reason)


@router.put("/subjects/{public_id}/route", response_model=RouteOut, responses=errors(409, 413))
def route_by_hand(public_id: str, body: RouteIn, session: SessionDep, actor: ActorDep) -> object:
    """Route a subject to an agency by hand; it wins over later runs until cleared (the lead agency's
    coordinators)."""
    return queue.route_by_hand(
        session, actor, public_id, agency=body.agency, country=body.country, reason=body.reason
    )


@router.post("/subjects/{public_id}/route/automatic", response_model=RouteOut, responses=errors(409, 413))
def clear_manual_route(public_id: str, body: ClearRouteIn, session: SessionDep, actor: ActorDep) -> object:
    """Give a subject routed by hand back to automatic routing (the lead agency's coordinators)."""
    return queue.clear_manual_route(session, actor, public_id, reason=body.reason)
