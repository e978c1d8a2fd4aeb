"""What one receiving agency may be told about the subjects routed to it.

Every query that returns case data ANDs the one access policy, asked for the receiving agency as a
whole (linkage.alerts.agency_viewer), into its WHERE clause: a package holds the records, sightings,
referrals, attribution evidence and media counts that agency may see, and nothing else. RED records
are released to named users only, so no agency as a whole sees them. What it may not see appears
nowhere: not as a holder, a count or a figure derived from it (the attribution shown is scored from
the evidence the agency may see). Every package says further material may be requested via the
coordinator, whether or not there is any.

The system's own parts (the attribution decision, the route, urgency) are shown because the subject
is routed to this agency: attribution.views gives the routed agency the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import Session

from caseweave.access.policy import Viewer, visible
from caseweave.attribution.models import Attribution, AttributionEvidence, SubjectRoute
from caseweave.attribution.scoring import score
from caseweave.attribution.weights import Weights
from caseweave.db.bulk import chunks
from caseweave.dissemination.selectors import selector_entries
from caseweave.dissemination.urgency import Member, Urgency, assess, rank
from caseweave.intake.models import PersonRecord, Referral, ReferralMediaHash, Sighting
from caseweave.linkage import evidence
from caseweave.linkage.alerts import agency_viewer
from caseweave.linkage.models import Link, Subject, SubjectMember
from caseweave.media.models import MediaMatch
from caseweave.operations.models import Agency, Operation

BATCH = 500
MEDIA_MATCHING = (
    "files of these referrals that matched a known-material bank you may see (caseweave media match)"
)


@dataclass
class Gathered:
    subjects: list[dict[str, Any]] = field(default_factory=list)  # most urgent first
    labels: set[str] = field(default_factory=set)  # TLP labels of every part shown


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def gather(
    session: Session, operation: Operation, agency: Agency, routed: Sequence[tuple[Subject, SubjectRoute]]
) -> Gathered:
    viewer = agency_viewer(agency.id)
    result = Gathered()
    for part in chunks(list(routed), BATCH):
        entries = _Batch(session, viewer, [subject.id for subject, _ in part]).entries(part)
        result.subjects.extend(entries)
    result.labels = {p["tlp"] for s in result.subjects for p in s["persons"]} | {
        r["tlp"] for s in result.subjects for r in s["referrals"]
    }
    result.subjects.sort(key=lambda s: (rank(s["urgency"]), s["subject"]))
    return result


class _Batch:
    """The queries for one batch of subjects: a handful per batch, never one per subject."""

    def __init__(self, session: Session, viewer: Viewer, subject_ids: list[int]) -> None:
        self.session, self.viewer = session, viewer
        rows = session.execute(
            select(
                SubjectMember.subject_id,
                PersonRecord.id,
                PersonRecord.referral_id,
                PersonRecord.ref,
                PersonRecord.role,
                PersonRecord.owner_agency_id,
                PersonRecord.tlp,
            )
            .join(PersonRecord, PersonRecord.id == SubjectMember.person_record_id)
            .where(SubjectMember.subject_id.in_(subject_ids))
        ).all()
        self.members: dict[int, list[Member]] = {subject_id: [] for subject_id in subject_ids}
        self.holders: dict[int, tuple[int, str]] = {}  # record id → owner agency, label
        for subject_id, record_id, referral_id, ref, role, owner, tlp in rows:
            self.members[subject_id].append(Member(record_id, referral_id, ref, role))
            self.holders[record_id] = (owner, tlp)
        self.records: dict[int, list[PersonRecord]] = defaultdict(list)
        for subject_id, record in session.execute(
            select(SubjectMember.subject_id, PersonRecord)
            .join(PersonRecord, PersonRecord.id == SubjectMember.person_record_id)
            .where(SubjectMember.subject_id.in_(subject_ids), visible(PersonRecord, viewer))
            .order_by(PersonRecord.id)
        ).all():
            self.records[subject_id].append(record)
        self.seen = {r.id for records in self.records.values() for r in records}
        referral_ids = sorted({r.referral_id for records in self.records.values() for r in records})
        self.referrals = {
            r.id: r
            for r in session.scalars(
                select(Referral).where(Referral.id.in_(referral_ids), visible(Referral, viewer))
            )
        }
        self.sightings: dict[int, list[Sighting]] = defaultdict(list)
        for sighting in session.scalars(
            select(Sighting)
            .where(Sighting.person_record_id.in_(sorted(self.seen)), visible(Sighting, viewer))
            .order_by(Sighting.id)
        ):
            assert sighting.person_record_id is not None
            self.sightings[sighting.person_record_id].append(sighting)
        self.links = list(
            session.scalars(
                select(Link).where(Link.a_id.in_(sorted(self.seen)), Link.b_id.in_(sorted(self.seen)))
            )
        )
        self.attributions = {
            a.subject_id: a
            for a in session.scalars(
                select(Attribution).where(
                    Attribution.subject_id.in_(subject_ids), Attribution.current.is_(True)
                )
            )
        }
        self.evidence = self._evidence([a.id for a in self.attributions.values()])
        self.media = self._media(list(self.referrals))
        self.matched = self._matched(list(self.referrals))
        self.urgency = assess(session, self.members, set(self.referrals))
        owners = {owner for owner, _ in self.holders.values()} | {
            r.owner_agency_id for r in self.referrals.values()
        }
        self.agencies = {
            a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(sorted(owners))))
        }

    def _evidence(self, attribution_ids: list[int]) -> dict[int, list[AttributionEvidence]]:
        """Evidence rows whose person record (and sighting) the agency may see."""
        found: dict[int, list[AttributionEvidence]] = defaultdict(list)
        if not attribution_ids:
            return found
        rows = self.session.scalars(
            select(AttributionEvidence)
            .join(PersonRecord, PersonRecord.id == AttributionEvidence.person_record_id)
            .outerjoin(Sighting, Sighting.id == AttributionEvidence.sighting_id)
            .where(
                AttributionEvidence.attribution_id.in_(attribution_ids),
                visible(PersonRecord, self.viewer),
                or_(AttributionEvidence.sighting_id.is_(None), visible(Sighting, self.viewer)),
            )
            .order_by(AttributionEvidence.weight.desc(), AttributionEvidence.kind, AttributionEvidence.id)
        )
        for row in rows:
            found[row.attribution_id].append(row)
        return found

    def _media(self, referral_ids: list[int]) -> dict[int, dict[str | None, int]]:
        """Visible media hashes per referral and person ref: counted, never shown."""
        found: dict[int, dict[str | None, int]] = defaultdict(dict)
        rows = self.session.execute(
            select(ReferralMediaHash.referral_id, ReferralMediaHash.person_ref, func.count())
            .where(ReferralMediaHash.referral_id.in_(referral_ids), visible(ReferralMediaHash, self.viewer))
            .group_by(ReferralMediaHash.referral_id, ReferralMediaHash.person_ref)
        ).all()
        for referral_id, person_ref, count in rows:
            found[referral_id][person_ref] = int(count)
        return found

    def _matched(self, referral_ids: list[int]) -> dict[int, int]:
        """Visible referral id → its files that matched a bank entry (counted, never shown)."""
        rows = self.session.execute(
            select(MediaMatch.referral_id, func.count(distinct(MediaMatch.ref)))
            .where(MediaMatch.referral_id.in_(referral_ids), visible(MediaMatch, self.viewer))
            .group_by(MediaMatch.referral_id)
        )
        return {referral_id: int(count) for referral_id, count in rows}

    def code(self, agency_id: int) -> str:
        agency = self.agencies.get(agency_id)
        return agency.code if agency else str(agency_id)

    def entries(self, routed: Sequence[tuple[Subject, SubjectRoute]]) -> list[dict[str, Any]]:
        return [self._entry(subject, route) for subject, route in routed]

    def _entry(self, subject: Subject, route: SubjectRoute) -> dict[str, Any]:
        records = self.records.get(subject.id, [])
        urgency = self.urgency.get(subject.id, Urgency())
        own_referrals = sorted({r.referral_id for r in records if r.referral_id in self.referrals})
        ids = {r.id for r in records}
        return {
            "subject": subject.public_id,
            "urgency": urgency.level,
            "urgency_reasons": urgency.reasons,
            "roles": sorted({r.role for r in records}),
            "route": {
                "country": route.country,
                "method": route.method,
                "decided_by": route.decided_by,
                "decided_at": iso(route.decided_at),
                "note": route.note,
            },
            "attribution": self._attribution(subject.id),
            "persons": [self._person(r) for r in records],
            "referrals": [self._referral(self.referrals[i]) for i in own_referrals],
            "selectors": selector_entries(s for r in records for s in self.sightings.get(r.id, [])),
            "linked_on": evidence.kinds(
                link.evidence for link in self.links if link.a_id in ids and link.b_id in ids
            ),
            "media": {
                "hashes_listed": sum(
                    count
                    for r in records
                    for person_ref, count in self.media.get(r.referral_id, {}).items()
                    if person_ref == r.ref or (person_ref is None and r.role == "suspect")
                ),
                "matched_known_material": sum(
                    self.matched.get(i, 0) for i in {r.referral_id for r in records}
                ),
                "matching": MEDIA_MATCHING,
            },
        }

    def _attribution(self, subject_id: int) -> dict[str, Any] | None:
        """Scored from the evidence this agency may see, with the run's weights: the system's own
        figures also count clues in records it may not see, and would tell of them."""
        attribution = self.attributions.get(subject_id)
        if attribution is None:
            return None
        shown = self.evidence.get(attribution.id, [])
        outcome = score(shown, Weights.from_params(attribution.params))
        return {
            "status": outcome.status,
            "country": outcome.top_country,
            "confidence": round(outcome.confidence, 3),
            "distribution": {cc: round(share, 3) for cc, share in outcome.distribution.items()},
            "provider": f"{attribution.provider}: {attribution.provider_source}",
            "provider_data_date": attribution.provider_data_date.isoformat()
            if attribution.provider_data_date
            else None,
            "computed_at": iso(attribution.computed_at),
            "evidence": [
                {
                    "kind": e.kind,
                    "value": e.value,
                    "country": e.country,
                    "weight": round(e.weight, 3),
                    "note": e.note,
                    "observed_from": iso(e.observed_from),
                    "observed_to": iso(e.observed_to),
                }
                for e in shown
            ],
        }

    def _person(self, record: PersonRecord) -> dict[str, Any]:
        name = record.full_name or " ".join(p for p in (record.given_name, record.family_name) if p) or None
        return {
            "record": record.id,
            "held_by": self.code(record.owner_agency_id),
            "referral": record.referral_id,
            "role": record.role,
            "name": name,
            "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else None,
            "address": record.address,
            "country": record.country,
            "tlp": record.tlp,
        }

    def _referral(self, referral: Referral) -> dict[str, Any]:
        return {
            "id": referral.id,
            "held_by": self.code(referral.owner_agency_id),
            "format": referral.format,
            "external_id": referral.external_id,
            "title": referral.title,
            "platform": referral.platform,
            "reported_at": iso(referral.reported_at),
            "received_at": iso(referral.received_at),
            "tlp": referral.tlp,
        }
