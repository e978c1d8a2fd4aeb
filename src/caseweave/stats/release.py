"""A public release of an operation's figures: disclosure control over a coordinator's internal
figures, countries without a current agreement shown as not disclosed, and one audit entry holding
the rules, the consenting countries and the published table itself with its sha256."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from caseweave.access.labels import Role
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.errors import Forbidden, Invalid
from caseweave.stats.consent import consenting_countries
from caseweave.stats.disclosure import as_dict, protect
from caseweave.stats.figures import DisclosureRules, PublicFigures
from caseweave.stats.service import check_as_of, count_figures, figures_reader

WORDINGS = ("rounded", "about")


def rules_of(threshold: int = 10, base: int = 5, wording: str = "rounded") -> DisclosureRules:
    """The rules a release asks for, checked: threshold and base 1 or more, wording rounded or about."""
    if threshold < 1:
        raise Invalid(
            f"threshold {threshold} is below 1",
            field="threshold",
            hint="counts below it are suppressed; e.g. 10",
        )
    if base < 1:
        raise Invalid(f"rounding base {base} is below 1", field="base", hint="e.g. 5 (1: no rounding)")
    key = wording.strip().lower()
    if key not in WORDINGS:
        raise Invalid(f"unknown wording {wording!r}", field="wording", hint=" / ".join(WORDINGS))
    return DisclosureRules(threshold=threshold, base=base, wording="about" if key == "about" else "rounded")


def canonical_json(published: dict[str, Any]) -> str:
    return json.dumps(published, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def public_release(
    session: Session,
    actor: Actor,
    operation_id: int,
    rules: DisclosureRules,
    as_of: date | None = None,
) -> PublicFigures:
    """Protect the coordinator's own internal figures and record the release (who, when, what)."""
    operation, user = figures_reader(session, actor, operation_id)
    if not user.has_role(Role.COORDINATOR.value):
        raise Forbidden(
            "figures are released to the public by coordinators",
            hint=f"ask a coordinator of operation {operation.name!r}",
        )
    figures = count_figures(session, actor, operation, user, check_as_of(operation, as_of))
    consenting = consenting_countries(session, operation.id)
    public = protect(figures, rules, consenting)
    text = canonical_json(as_dict(public))
    audit.record(
        session,
        actor,
        "stats.public_release",
        "operation",
        [operation.id],
        operation_id=operation.id,
        detail={
            "rules": asdict(rules),
            "consenting": list(consenting),
            "as_of": figures.as_of.isoformat(),
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "published": text,
        },
    )
    return public
