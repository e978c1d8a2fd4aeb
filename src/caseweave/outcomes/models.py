"""Outcome events: what became of a subject in one country, dated, one row per event."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseweave.access.records import CaseRecord
from caseweave.db.base import Base

KINDS = ("arrested", "charged", "plea", "convicted", "acquitted", "sentenced", "no_further_action")
PLEAS = ("guilty", "not_guilty")
SOURCES = ("api", "cli", "csv", "package")


class OutcomeEvent(CaseRecord, Base):
    """Owned by the reporting agency and labelled like all case data. `dedupe_key` (sha256 of the
    event's facts) makes the same event reported twice — a CSV imported again — one row, among the
    events the reporter may see: a hidden one (another agency's RED arrest) must not answer "already
    recorded", so the key is not unique."""

    __tablename__ = "outcome_events"
    __table_args__ = (Index("ix_outcome_events_dedupe", "operation_id", "dedupe_key"),)
    record_kind = "outcome"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    counts: Mapped[int | None] = mapped_column(Integer, nullable=True)  # charged: number of counts
    offence: Mapped[str | None] = mapped_column(Text, nullable=True)  # charged / convicted
    plea: Mapped[str | None] = mapped_column(String(12), nullable=True)
    sentence: Mapped[str | None] = mapped_column(Text, nullable=True)
    indeterminate: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10))
    source_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)  # package, "file.csv line 4"
    dedupe_key: Mapped[str] = mapped_column(String(64))
