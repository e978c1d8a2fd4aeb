"""The safeguarding queue: open victims (not yet safeguarded) ordered by urgency, each explaining its score.

A victim's referrals are those linked to it directly, those holding a record of a linked subject,
and media-match referrals whose matches hit a linked series — only those the actor may see, so a
score never rests on hidden material. Parts (weights in `Settings.safeguarding_*`):

- live: a referral's title or summary, or a sighting's context, holds "live", "stream…" or "ongoing"
  (CyberTip incidentType lands in the title, platform and chat contexts in sightings);
- new material: a referral lists a media hash that no bank holds and that no match in it covers;
- recency: the newest referral (reported, else received), weight × (1 − age / window), never below 0;
- unidentified: the victim is not yet identified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from caseweave.access.service import may_see, visible_operation
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.intake.models import PersonRecord, Referral, ReferralMediaHash, Sighting
from caseweave.linkage.models import SubjectMember
from caseweave.media.models import MediaBankEntry, MediaHash, MediaMatch
from caseweave.victims.models import Victim, VictimLink

INDICATOR = re.compile(r"\b(live\w*|stream\w*|ongoing)\b", re.IGNORECASE)


@dataclass
class Part:
    factor: str  # live, new_material, recency, unidentified
    points: float
    why: str


@dataclass
class QueueItem:
    rank: int
    victim: str
    pseudonym: str
    status: str
    score: float
    parts: list[Part] = field(default_factory=list)
    referrals: list[int] = field(default_factory=list)


def safeguarding_queue(
    session: Session, actor: Actor, settings: Settings, operation_id: int, now: datetime | None = None
) -> list[QueueItem]:
    operation = visible_operation(session, actor, operation_id)
    victims = session.scalars(
        select(Victim).where(
            Victim.operation_id == operation.id, Victim.status != "safeguarded", may_see(Victim, actor)
        )
    ).all()
    moment = now or utcnow()
    items = [_score(session, actor, settings, v, moment) for v in victims]
    items.sort(key=lambda i: (-i.score, i.victim))
    for place, item in enumerate(items, 1):
        item.rank = place
    audit.record(
        session, actor, "safeguarding.queue", "victim", [v.id for v in victims], operation_id=operation.id
    )
    return items


def referrals_of(session: Session, actor: Actor, victim: Victim) -> list[Referral]:
    links = session.scalars(select(VictimLink).where(VictimLink.victim_id == victim.id)).all()
    direct = {link.referral_id for link in links if link.referral_id is not None}
    subjects = {link.subject_id for link in links if link.subject_id is not None}
    series = {link.series for link in links if link.series is not None}
    ids = set(direct)
    if subjects:
        ids |= set(
            session.scalars(
                select(PersonRecord.referral_id)
                .join(SubjectMember, SubjectMember.person_record_id == PersonRecord.id)
                .where(SubjectMember.subject_id.in_(subjects))
            )
        )
    if series:
        ids |= set(
            session.scalars(
                select(MediaMatch.referral_id)
                .join(MediaBankEntry, MediaBankEntry.id == MediaMatch.entry_id)
                .where(MediaBankEntry.series.in_(series), MediaMatch.operation_id == victim.operation_id)
            )
        )
    if not ids:
        return []
    return list(
        session.scalars(
            select(Referral).where(Referral.id.in_(ids), may_see(Referral, actor)).order_by(Referral.id)
        )
    )


def _score(session: Session, actor: Actor, settings: Settings, victim: Victim, now: datetime) -> QueueItem:
    referrals = referrals_of(session, actor, victim)
    ids = [r.id for r in referrals]
    parts: list[Part] = []
    live = _indicators(session, referrals)
    if live:
        parts.append(Part("live", settings.safeguarding_weight_live, "; ".join(live[:3])))
    new = _new_material(session, ids)
    if new:
        parts.append(
            Part(
                "new_material",
                settings.safeguarding_weight_new_material,
                f"{new} media hash(es) matched to no bank",
            )
        )
    newest = max((r.reported_at or r.received_at for r in referrals), default=None)
    if newest is not None:
        newest = newest if newest.tzinfo else newest.replace(tzinfo=UTC)
        age = max((now - newest).total_seconds() / 86400, 0.0)
        share = max(0.0, 1 - age / settings.safeguarding_recency_days)
        if share > 0:
            points = round(settings.safeguarding_weight_recency * share, 2)
            parts.append(Part("recency", points, f"newest material {age:.0f} day(s) old"))
    if victim.status == "unidentified":
        parts.append(
            Part("unidentified", settings.safeguarding_weight_unidentified, "victim not yet identified")
        )
    parts = [p for p in parts if p.points > 0]  # a weight set to 0 switches its part off
    score = round(sum(p.points for p in parts), 2)
    return QueueItem(0, victim.public_id or "", victim.pseudonym, victim.status, score, parts, ids)


def _indicators(session: Session, referrals: list[Referral]) -> list[str]:
    found: list[str] = []
    for referral in referrals:
        for name, text in (("title", referral.title), ("summary", referral.summary)):
            hit = INDICATOR.search(text or "")
            if hit:
                found.append(f"referral {referral.id} {name}: {hit.group(0)!r}")
    if referrals:
        contexts = session.execute(
            select(Sighting.referral_id, Sighting.context)
            .where(Sighting.referral_id.in_([r.id for r in referrals]), Sighting.context.is_not(None))
            .distinct()
        ).all()
        for referral_id, context in sorted(contexts, key=lambda row: (row[0], row[1])):
            hit = INDICATOR.search(context or "")
            if hit:
                found.append(f"referral {referral_id} sighting context: {hit.group(0)!r}")
    return found


def _new_material(session: Session, referral_ids: list[int]) -> int:
    if not referral_ids:
        return 0
    in_bank = exists(
        select(MediaHash.id).where(
            MediaHash.algorithm == ReferralMediaHash.algorithm, MediaHash.value == ReferralMediaHash.value
        )
    )
    matched = exists(  # a PDQ near match is stored per file, not per value
        select(MediaMatch.id).where(
            and_(
                MediaMatch.referral_id == ReferralMediaHash.referral_id,
                MediaMatch.file_name == ReferralMediaHash.file_name,
            )
        )
    )
    query = select(func.count()).where(ReferralMediaHash.referral_id.in_(referral_ids), ~in_bank, ~matched)
    return int(session.scalar(query) or 0)
