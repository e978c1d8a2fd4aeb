"""The attribution evidence a viewer may see, and the figures scored from it alone.

The system attributes over every record; anything shown to a person (a subject's attribution, the
routing queue, a lead package) is scored from the evidence in records and sightings that person may
see, with the run's weights, so no share, country or confidence tells of evidence they may not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from caseweave.access.service import may_see
from caseweave.actor import Actor
from caseweave.attribution.models import Attribution, AttributionEvidence
from caseweave.attribution.scoring import Score, score
from caseweave.attribution.weights import Weights
from caseweave.db.bulk import chunks
from caseweave.intake.models import PersonRecord, Sighting
from caseweave.linkage.visibility import hidden_records


def _shown(actor: Actor) -> ColumnElement[bool]:
    """An evidence row is shown where the actor may see its person record and (if any) its sighting."""
    return and_(
        may_see(PersonRecord, actor),
        or_(
            AttributionEvidence.sighting_id.is_(None),
            exists(
                select(Sighting.id).where(
                    Sighting.id == AttributionEvidence.sighting_id, may_see(Sighting, actor)
                )
            ),
        ),
    )


def visible_evidence(
    session: Session, actor: Actor, attribution_ids: Sequence[int]
) -> dict[int, list[AttributionEvidence]]:
    """Evidence rows per attribution that the actor may see: the policy in SQL."""
    found: dict[int, list[AttributionEvidence]] = defaultdict(list)
    for part in chunks(list(attribution_ids), 2000):
        query = (
            select(AttributionEvidence)
            .join(PersonRecord, PersonRecord.id == AttributionEvidence.person_record_id)
            .where(AttributionEvidence.attribution_id.in_(part), _shown(actor))
            .order_by(AttributionEvidence.weight.desc(), AttributionEvidence.kind, AttributionEvidence.id)
        )
        for row in session.scalars(query):
            found[row.attribution_id].append(row)
    return found


def incomplete(session: Session, hidden: Sequence[int], attribution_ids: Sequence[int]) -> set[int]:
    """The attributions with evidence in the `hidden` person records. A record's sightings share its
    referral's label and releases, so its evidence is hidden exactly where the record is."""
    wanted = set(attribution_ids)
    found: set[int] = set()
    for part in chunks(list(hidden), 2000):
        found.update(
            attribution_id
            for attribution_id in session.scalars(
                select(AttributionEvidence.attribution_id)
                .where(AttributionEvidence.person_record_id.in_(part))
                .distinct()
            )
            if attribution_id in wanted
        )
    return found


def rescored(session: Session, actor: Actor, attributions: Sequence[Attribution]) -> dict[int, Score]:
    """The figures scored from what the actor may see, for the attributions with evidence they may not
    see; for the others (commonly all) the stored figures are already theirs, and none is returned."""
    partial: set[int] = set()
    for operation_id in {a.operation_id for a in attributions}:
        ids = [a.id for a in attributions if a.operation_id == operation_id]
        partial |= incomplete(session, hidden_records(session, actor, operation_id), ids)
    evidence = visible_evidence(session, actor, sorted(partial))
    return {
        a.id: score(evidence.get(a.id, []), Weights.from_params(a.params))
        for a in attributions
        if a.id in partial
    }
