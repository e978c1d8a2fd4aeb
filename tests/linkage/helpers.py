"""Referrals for linkage tests, imported the way users get data in: small platform returns."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.db.runtime import Database
from caseweave.intake.models import PersonRecord
from caseweave.intake.service import import_referral
from caseweave.linkage.models import Subject, SubjectMember

HEADER = (
    "platform,account_id,username,display_name,email,phone,registration_ip,registration_time,"
    "login_ip,login_port,login_time\n"
)


@dataclass(frozen=True)
class Row:
    """One line of a platform return: an account, with an optional handle, address and login."""

    account: str
    username: str = ""
    email: str = ""
    ip: str = ""
    at: str = ""  # login time, ISO 8601
    platform: str = "chatapp"

    def line(self) -> str:
        return f"{self.platform},{self.account},{self.username},,{self.email},,,,{self.ip},,{self.at}\n"


def import_rows(
    db: Database, operation_id: int, agency: str, name: str, rows: Sequence[Row]
) -> dict[str, int]:
    """Import the rows as one referral from agency; the person record id of each account."""
    data = (HEADER + "".join(row.line() for row in rows)).encode()
    with db.transaction() as session:
        outcome = import_referral(session, Actor.cli(), operation_id, io.BytesIO(data), name, agency=agency)
        records = session.execute(
            select(PersonRecord.ref, PersonRecord.id).where(PersonRecord.referral_id == outcome.referral.id)
        )
        return {ref.partition(":")[2]: record_id for ref, record_id in records}


def subject_of(db: Database, record_id: int) -> str:
    with db.transaction() as session:
        return session.scalars(
            select(Subject.public_id)
            .join(SubjectMember, SubjectMember.subject_id == Subject.id)
            .where(SubjectMember.person_record_id == record_id)
        ).one()
