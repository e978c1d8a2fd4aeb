"""HTTP routes for operation figures: internal figures, a public release, release consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter

from caseweave.api.deps import ActorDep, SessionDep
from caseweave.api.params import DbId
from caseweave.stats import consent, release, service
from caseweave.stats.disclosure import as_dict
from caseweave.stats.schemas import ConsentIn, ConsentOut, FiguresOut, PublicIn

router = APIRouter(tags=["stats"])


@router.get("/operations/{operation_id}/stats", response_model=FiguresOut)
def figures(operation_id: DbId, session: SessionDep, actor: ActorDep, as_of: date | None = None) -> object:
    return FiguresOut.of(service.operation_figures(session, actor, operation_id, as_of))


@router.post("/operations/{operation_id}/stats/public")
def public_release(
    operation_id: DbId, body: PublicIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    rules = release.rules_of(body.threshold, body.base, body.wording)
    return as_dict(release.public_release(session, actor, operation_id, rules, body.as_of))


@router.get("/operations/{operation_id}/stats/consents", response_model=list[ConsentOut])
def list_consents(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    return [ConsentOut.of(view) for view in consent.list_consents(session, actor, operation_id)]


@router.post("/operations/{operation_id}/stats/consents", response_model=ConsentOut)
def set_consent(operation_id: DbId, body: ConsentIn, session: SessionDep, actor: ActorDep) -> object:
    return ConsentOut.of(consent.set_consent(session, actor, operation_id, body.country, agree=body.agree))
