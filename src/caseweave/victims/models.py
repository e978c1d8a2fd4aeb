"""Victim records (pseudonymous: never a real name), what concerns them, and their dated status changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseweave.access.records import CaseRecord
from caseweave.db.base import Base, UTCDateTime, utcnow

STATUSES = ("unidentified", "identified", "safeguarded")  # only ever forward


class Victim(CaseRecord, Base):
    """A child in the material. public_id "VIC-000012" is given from the row id after insert."""

    __tablename__ = "victims"
    record_kind = "victim"

    public_id: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    pseudonym: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True, index=True)
    identified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    safeguarded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # the agency that identified / safeguards the child (the last status change names it)
    responsible_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)


class VictimLink(Base):
    """A media series, subject or referral that concerns a victim. `target` ("series:X", "subject:12",
    "referral:7") makes the same link twice one row."""

    __tablename__ = "victim_links"
    __table_args__ = (UniqueConstraint("victim_id", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    victim_id: Mapped[int] = mapped_column(ForeignKey("victims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # series, subject, referral
    target: Mapped[str] = mapped_column(String(240))
    series: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), nullable=True, index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), nullable=True, index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VictimEvent(Base):
    """One dated status change (identified, safeguarded) and the agency responsible: what figures count."""

    __tablename__ = "victim_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    victim_id: Mapped[int] = mapped_column(ForeignKey("victims.id"), index=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    occurred_on: Mapped[date] = mapped_column(Date)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))  # the responsible agency's country
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
