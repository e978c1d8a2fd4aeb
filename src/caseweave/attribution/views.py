"""A subject's attribution as one viewer may see it.

The rule (docs/attribution.md): the system computes each attribution over every record of the
subject; a viewer is shown
- the evidence from records they may see (access policy, in SQL, row by row), and the distribution,
  confidence and status scored from that evidence alone, with the same weights;
- the system's own decision — the full distribution, confidence and route — only if they are the
  lead agency's coordinator (who allocates) or a user of the agency the subject is routed to.
Anyone else who may see none of the subject's records is told it does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from caseweave.access.admin import is_coordinator
from caseweave.access.policy import visible
from caseweave.actor import Actor
from caseweave.attribution.checks import find_subject
from caseweave.attribution.models import Attribution, AttributionEvidence, SubjectRoute
from caseweave.attribution.queue import RouteEntry, route_entries
from caseweave.attribution.scoring import score
from caseweave.attribution.visible_evidence import visible_evidence
from caseweave.attribution.weights import Weights
from caseweave.audit import service as audit
from caseweave.errors import NotFound
from caseweave.intake.models import PersonRecord
from caseweave.linkage.models import Subject, SubjectEvent, SubjectMember
from caseweave.operations.models import Operation

HIDDEN_EVIDENCE = (
    "Further evidence for this subject is held in records you may not see; the figures above use "
    "only what you may see. Request it via the coordinator."
)


class NotAttributed(NotFound):
    """The subject exists for the viewer but has not been attributed yet."""


class Retired(NotFound):
    """The subject was split (or emptied): its records are attributed under the subjects now holding them."""


@dataclass(frozen=True)
class EvidenceView:
    kind: str
    value: str
    country: str | None
    weight: float
    base_weight: float
    note: str
    counted: bool  # False: weight 0, or the same fact counted through another record
    person_record_id: int
    sighting_id: int | None
    sightings: int
    observed_from: datetime | None
    observed_to: datetime | None


@dataclass(frozen=True)
class Decision:
    """The system's answer over all the evidence, and where the subject is routed."""

    status: str
    top_country: str | None
    confidence: float
    distribution: dict[str, float]
    route: RouteEntry | None


@dataclass
class AttributionView:
    subject: str
    asked_for: str
    operation_id: int
    status: str  # scored from the evidence shown
    top_country: str | None
    confidence: float
    distribution: dict[str, float]
    evidence: list[EvidenceView]
    complete: bool  # every piece of evidence is shown: the figures are the system's
    provider: str
    provider_source: str
    provider_data_date: date | None
    computed_at: datetime
    checked_at: datetime
    weights: Weights
    hidden_note: str | None = None
    decision: Decision | None = None
    history: int = 0  # earlier attributions of this subject (changes since the first)

    @property
    def provider_line(self) -> str:
        when = self.provider_data_date.isoformat() if self.provider_data_date else "an unknown date"
        return (
            f"IP geolocation by {self.provider}: {self.provider_source}, data of {when} "
            "(a location is a lead: blocks change hands)"
        )


def current_attribution(session: Session, actor: Actor, subject_id: str) -> AttributionView:
    subject = find_subject(session, actor, subject_id)
    operation = session.get_one(Operation, subject.operation_id)
    viewer = actor.viewer
    if subject.status != "active":
        _retired(session, actor, subject)
    members = select(SubjectMember.person_record_id).where(SubjectMember.subject_id == subject.id)
    seen = session.scalars(
        select(PersonRecord.id).where(PersonRecord.id.in_(members), visible(PersonRecord, viewer))
    ).all()
    route = session.scalar(select(SubjectRoute).where(SubjectRoute.subject_id == subject.id))
    own_agency = actor.user.agency_id if actor.user else None
    receives = (
        own_agency is not None
        and route is not None
        and route.status == "routed"
        and route.agency_id == own_agency
    )
    decides = is_coordinator(actor, operation) or receives
    if not seen and not decides:
        raise NotFound(f"subject {subject_id} not found", field="subject_id")
    attribution = session.scalar(
        select(Attribution).where(Attribution.subject_id == subject.id, Attribution.current.is_(True))
    )
    if attribution is None:
        raise NotAttributed(
            f"subject {subject.public_id} has no attribution yet",
            field="subject_id",
            hint=f"run `caseweave attribute --operation {operation.id}`",
        )
    weights = Weights.from_params(attribution.params)
    rows = visible_evidence(session, actor, [attribution.id]).get(attribution.id, [])
    outcome = score(rows, weights)
    total = session.scalar(
        select(func.count())
        .select_from(AttributionEvidence)
        .where(AttributionEvidence.attribution_id == attribution.id)
    )
    complete = total == len(rows)
    view = AttributionView(
        subject=subject.public_id,
        asked_for=subject_id,
        operation_id=operation.id,
        status=outcome.status,
        top_country=outcome.top_country,
        confidence=outcome.confidence,
        distribution=outcome.distribution,
        evidence=[
            EvidenceView(
                kind=row.kind,
                value=row.value,
                country=row.country,
                weight=row.weight,
                base_weight=row.base_weight,
                note=row.note,
                counted=index in outcome.counted,
                person_record_id=row.person_record_id,
                sighting_id=row.sighting_id,
                sightings=row.sightings,
                observed_from=row.observed_from,
                observed_to=row.observed_to,
            )
            for index, row in enumerate(rows)
        ],
        complete=complete,
        provider=attribution.provider,
        provider_source=attribution.provider_source,
        provider_data_date=attribution.provider_data_date,
        computed_at=attribution.computed_at,
        checked_at=attribution.checked_at,
        weights=weights,
        history=session.scalar(
            select(func.count())
            .select_from(Attribution)
            .where(Attribution.subject_id == subject.id, Attribution.current.is_(False))
        )
        or 0,
    )
    holds = session.scalar(
        select(exists().where(PersonRecord.id.in_(seen), PersonRecord.owner_agency_id == own_agency))
    )
    if not complete and holds:  # what an alert already tells a holding agency, and no more
        view.hidden_note = HIDDEN_EVIDENCE
    if decides:
        entry = (
            route_entries(session, actor, SubjectRoute.subject_id == subject.id, 1)
            if route is not None
            else []
        )
        # The system's own figures only where they rest on nothing hidden from this viewer.
        figures = attribution if complete else outcome
        view.decision = Decision(
            figures.status,
            figures.top_country,
            figures.confidence,
            dict(figures.distribution),
            entry[0] if entry else None,
        )
    audit.record(
        session,
        actor,
        "attribution.read",
        "attribution",
        [attribution.id],
        operation_id=operation.id,
        detail={"subject": subject.public_id, "records": sorted({e.person_record_id for e in view.evidence})},
    )
    return view


def _retired(session: Session, actor: Actor, subject: Subject) -> None:
    """Say which subjects hold a split subject's records now — to a viewer who may see one of them."""
    related = [
        public_id
        for event in session.scalars(select(SubjectEvent).where(SubjectEvent.subject_id == subject.id))
        for public_id in event.detail.get("related", [])
    ]
    holders = select(Subject.id).where(Subject.public_id.in_(related))
    members = select(SubjectMember.person_record_id).where(SubjectMember.subject_id.in_(holders))
    seen = session.scalar(
        select(exists().where(PersonRecord.id.in_(members), visible(PersonRecord, actor.viewer)))
    )
    if not seen:
        raise NotFound(f"subject {subject.public_id} not found", field="subject_id")
    raise Retired(
        f"subject {subject.public_id} was {subject.status}; its records are attributed under "
        f"{', '.join(sorted(related)) or 'no subject'}",
        field="subject_id",
    )
