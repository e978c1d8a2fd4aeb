"""How urgent a subject is, and so by when its package must be acknowledged.

immediate  a child is possibly at risk: a record of the subject is a child (role victim), or a
           referral that names the subject also names a child;
high       new material: media files in referrals that name the subject that no known-material bank
           matched (caseweave media match; a file never matched counts as new until it is);
routine    everything else.

Urgency is the system's judgement over every record of the subject, like its attribution: a child at
risk must never wait because the record that shows it is labelled for another agency. Its reasons
say which part the receiving agency may not see, and name nothing of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import distinct, exists, func, select
from sqlalchemy.orm import Session

from caseweave.config import Settings
from caseweave.db.bulk import chunks
from caseweave.intake.models import PersonRecord, ReferralMediaHash
from caseweave.media.models import MediaMatch

LEVELS = ("immediate", "high", "routine")  # most urgent first
LABELS = {
    "immediate": "a child possibly at risk",
    "high": "new material",
    "routine": "routine",
}


def rank(level: str) -> int:
    return LEVELS.index(level)


def most_urgent(levels: Iterable[str]) -> str:
    return min(levels, key=rank, default="routine")


def deadline_hours(settings: Settings, level: str) -> float:
    return {
        "immediate": settings.dissemination_deadline_hours_immediate,
        "high": settings.dissemination_deadline_hours_high,
        "routine": settings.dissemination_deadline_hours_routine,
    }[level]


def deadline(settings: Settings, level: str, issued: datetime) -> datetime:
    return issued + timedelta(hours=deadline_hours(settings, level))


@dataclass(frozen=True)
class Member:
    """A person record of a subject, as the system sees it (every record, whoever may see it)."""

    record_id: int
    referral_id: int
    ref: str
    role: str


@dataclass
class Urgency:
    level: str = "routine"
    reasons: list[str] = field(default_factory=list)
    new_media: int = 0  # files no bank matched, in referrals naming the subject, visible or not (a count)


def assess(
    session: Session,
    members: Mapping[int, list[Member]],
    visible_referrals: set[int],
) -> dict[int, Urgency]:
    """Subject id → its urgency, from all its records; `visible_referrals` are the referral ids the
    receiving agency may see, so reasons can say where a clue lies in material it may not see."""
    referral_ids = sorted({m.referral_id for records in members.values() for m in records})
    with_child = _referrals_naming_a_child(session, referral_ids)
    hashes = _new_media(session, referral_ids)
    found: dict[int, Urgency] = {}
    for subject_id, records in members.items():
        urgency = Urgency()
        child_in = {m.referral_id for m in records if m.role == "victim"} | (
            {m.referral_id for m in records} & with_child
        )
        if child_in:
            urgency.level = "immediate"
            own = any(m.role == "victim" for m in records)
            what = (
                "the subject's records include a child"
                if own
                else "a referral naming the subject names a child"
            )
            urgency.reasons.append(f"a child possibly at risk: {what}{_where(child_in, visible_referrals)}")
        counted = [
            (m.referral_id, count)
            for m in records
            for person_ref, count in hashes.get(m.referral_id, {}).items()
            # a hash tied to this record, or to no one in a referral that reports this person
            if person_ref == m.ref or (person_ref is None and m.role == "suspect")
        ]
        urgency.new_media = sum(count for _, count in counted)
        if urgency.new_media:
            if urgency.level == "routine":
                urgency.level = "high"
            where = _where({referral for referral, _ in counted}, visible_referrals)
            urgency.reasons.append(
                f"new material: {urgency.new_media} media file(s) no known-material bank matched{where}"
            )
        found[subject_id] = urgency
    return found


def _where(referrals: set[int], visible: set[int]) -> str:
    if referrals & visible:
        return ""
    return " (in material you may not see: request it via the coordinator)"


def _referrals_naming_a_child(session: Session, referral_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for batch in chunks(referral_ids, 500):
        found.update(
            session.scalars(
                select(PersonRecord.referral_id)
                .where(PersonRecord.referral_id.in_(batch), PersonRecord.role == "victim")
                .distinct()
            )
        )
    return found


def _new_media(session: Session, referral_ids: list[int]) -> dict[int, dict[str | None, int]]:
    """Referral id → person ref (None: the file names no one) → media files no bank matched."""
    found: dict[int, dict[str | None, int]] = defaultdict(dict)
    matched = exists().where(
        MediaMatch.referral_id == ReferralMediaHash.referral_id, MediaMatch.ref == ReferralMediaHash.ref
    )
    for batch in chunks(referral_ids, 500):
        rows = session.execute(
            select(
                ReferralMediaHash.referral_id,
                ReferralMediaHash.person_ref,
                func.count(distinct(ReferralMediaHash.ref)),
            )
            .where(ReferralMediaHash.referral_id.in_(batch), ~matched)
            .group_by(ReferralMediaHash.referral_id, ReferralMediaHash.person_ref)
        ).all()
        for referral_id, person_ref, count in rows:
            found[referral_id][person_ref] = int(count)
    return found
