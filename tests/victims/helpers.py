"""A world with subjects, a live-streaming tip with unbanked material, and a bank holding a series."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.service import import_referral
from caseweave.linkage.models import Subject, SubjectMember
from caseweave.media.banks import import_bank
from tests.attribution.helpers import link
from tests.linkage.helpers import Row, import_rows
from tests.media.banks_support import csv_bank, item
from tests.support.world import World, build_world

SERIES = "BlueSeries"


def live_tip(report_id: str, email: str, *, days_ago: int = 1) -> bytes:
    """A CyberTip-style report whose incident type says the abuse is streamed live; two unbanked files."""
    when = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    hashes = "".join(
        f'<fileDetails><originalFileHash hashType="SHA256">{n:064x}</originalFileHash></fileDetails>'
        for n in (1, 2)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<report id="{report_id}"><incidentSummary>'
        "<incidentType>Online enticement: ongoing contact, live stream</incidentType>"
        f"<incidentDateTime>{when}</incidentDateTime></incidentSummary>"
        f"<personOrUserReported><personOrUserReportedPerson><email>{email}</email>"
        "</personOrUserReportedPerson><espService>PhotoShareExample</espService></personOrUserReported>"
        f"{hashes}</report>\n"
    ).encode()


@dataclass
class Scene:
    world: World
    subjects: dict[str, str]  # account → public id
    tip_id: int  # LEAD's live-streaming referral

    @property
    def op(self) -> int:
        return self.world.operation_id

    def actor(self, agency: str, role: str = "analyst") -> Actor:
        return Actor.for_user(self.world.user(agency, role))


def build(db: Database, settings: Settings) -> Scene:
    world = build_world(db, settings, roles=("analyst", "coordinator"))
    lead = import_rows(
        db, world.operation_id, "LEAD", "lead.csv", [Row("host", "host_gb"), Row("viewer", "v_gb")]
    )
    partner = import_rows(db, world.operation_id, "PARTNER", "partner.csv", [Row("ca1", "ca_user")])
    records = {**lead, **partner}
    link(db, settings, world.operation_id)
    with db.transaction() as session:
        found = dict(
            session.execute(
                select(SubjectMember.person_record_id, Subject.public_id).join(
                    Subject, Subject.id == SubjectMember.subject_id
                )
            ).all()
        )
        tip = import_referral(
            session,
            Actor.cli(),
            world.operation_id,
            io.BytesIO(live_tip("T1", "host@example.com")),
            "t1.xml",
            agency="LEAD",
        ).referral.id
        bank = csv_bank([item(random.Random(7), series=SERIES, victim=False)])
        import_bank(session, Actor.cli(), world.operation_id, bank, "bank.csv", agency="LEAD")
    return Scene(world, {account: found[rid] for account, rid in records.items()}, tip)
