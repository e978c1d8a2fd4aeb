"""HTTP routes for operation figures: internal figures, a public release, release consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter

from caseweave.api.deps import ActorDep, SessionDep
from caseweave.api.openapi import NAMED, errors
from caseweave.api.params import DbId
from caseweave.stats import consent, release, service
from caseweave.stats.disclosure import as_dict
from caseweave.stats.schemas import ConsentIn, ConsentOut, FiguresOut, PublicIn

router = APIRouter(tags=["stats"], responses=errors(*NAMED))


@router.get("/operations/{operation_id}/stats", response_model=FiguresOut)
def figures(operation_id: DbId, session: SessionDep, actor: ActorDep, as_of: date | None = None) -> object:
    """The operation's figures per country and month, counted from what you may see (members; the lead's
    coordinators see the whole operation)."""
    return FiguresOut.of(service.operation_figures(session, actor, operation_id, as_of))


@router.post("/operations/{operation_id}/stats/public", responses=errors(413))
def public_release(
    operation_id: DbId, body: PublicIn, session: SessionDep, actor: ActorDep
) -> dict[str, Any]:
    """Release the figures for publication under disclosure control, suppressing small and non-consenting
    cells (the lead agency's coordinators). Audited."""
    rules = release.rules_of(body.threshold, body.base, body.wording)
    return as_dict(release.public_release(session, actor, operation_id, rules, body.as_of))


@router.get("/operations/{operation_id}/stats/consents", response_model=list[ConsentOut])
def list_consents(operation_id: DbId, session: SessionDep, actor: ActorDep) -> object:
    """Every country's agreement to release figures of the operation, current or withdrawn (members of the
    operation)."""
    return [ConsentOut.of(view) for view in consent.list_consents(session, actor, operation_id)]


@router.post(
    "/operations/{operation_id}/stats/consents", response_model=ConsentOut, responses=errors(409, 413)
)
def set_consent(operation_id: DbId, body: ConsentIn, session: SessionDep, actor: ActorDep) -> object:
    """Agree to, or withdraw, the release of your country's figures (coordinators of an agency of that
    country)."""
    return ConsentOut.of(consent.set_consent(session, actor, operation_id, body.country, agree=body.agree))
