"""The attribution evidence a viewer may see, and the figures scored from it alone.

The system attributes over every record; anything shown to a person (a subject's attribution, the
routing queue, a lead package) is scored from the evidence in records and sightings that person may
see, with the run's weights, so no share, country or confidence tells of evidence they may not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from caseweave.access.service import may_see
from caseweave.actor import Actor
from caseweave.attribution.models import Attribution, AttributionEvidence
from caseweave.attribution.scoring import Score, score
from caseweave.attribution.weights import Weights
from caseweave.db.bulk import chunks
from caseweave.intake.models import PersonRecord, Sighting


def visible_evidence(
    session: Session, actor: Actor, attribution_ids: Sequence[int]
) -> dict[int, list[AttributionEvidence]]:
    """Evidence rows per attribution whose person record (and sighting) the actor may see: in SQL."""
    found: dict[int, list[AttributionEvidence]] = defaultdict(list)
    for part in chunks(list(attribution_ids), 2000):
        query = (
            select(AttributionEvidence)
            .join(PersonRecord, PersonRecord.id == AttributionEvidence.person_record_id)
            .where(
                AttributionEvidence.attribution_id.in_(part),
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
            .order_by(AttributionEvidence.weight.desc(), AttributionEvidence.kind, AttributionEvidence.id)
        )
        for row in session.scalars(query):
            found[row.attribution_id].append(row)
    return found


def visible_scores(session: Session, actor: Actor, attributions: Sequence[Attribution]) -> dict[int, Score]:
    """Per attribution id: the figures scored from what the actor may see."""
    evidence = visible_evidence(session, actor, [a.id for a in attributions])
    return {a.id: score(evidence.get(a.id, []), Weights.from_params(a.params)) for a in attributions}
