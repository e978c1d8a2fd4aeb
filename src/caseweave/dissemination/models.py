"""Lead packages (immutable, versioned, one per receiving agency and version), their subjects, and the
outcomes the receiving agency reports back.

A package's `body` is the canonical JSON document exactly as issued and `sha256` its hash; the
database refuses any change to them or to the package's identity (triggers in migration 0006), so
what an agency received can always be shown again and checked. Receipt, acknowledgement and
supersession are the only columns that change after issue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caseweave.db.base import Base, UTCDateTime, utcnow


class Package(Base):
    __tablename__ = "packages"
    __table_args__ = (
        UniqueConstraint("operation_id", "agency_id", "version"),
        # the coordinator's overdue list: open packages of an operation by deadline
        Index("ix_packages_open", "operation_id", "superseded_at", "acknowledged_at", "deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)  # the receiving agency
    version: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(80), unique=True)  # "PKG-1-CA-OCPU-V2"
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON, as issued
    sha256: Mapped[str] = mapped_column(String(64))  # of body
    # of the part that says what the agency is told (not when, nor which version): equal → unchanged
    content_sha256: Mapped[str] = mapped_column(String(64))
    tlp: Mapped[str] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(10))  # immediate, high, routine
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)  # acknowledge by
    subjects: Mapped[int] = mapped_column(Integer)
    urgent_subjects: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))  # actor name
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    acknowledgement_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def status(self) -> str:
        if self.superseded_at is not None:
            return "superseded"
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "received" if self.received_at is not None else "sent"


class PackageSubject(Base):
    """Which subjects a package holds, so outcomes and listings need not parse the body."""

    __tablename__ = "package_subjects"
    __table_args__ = (UniqueConstraint("package_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))


class PackageOutcome(Base):
    """What the receiving agency did with one subject; a later report adds a row (the history stays)."""

    __tablename__ = "package_outcomes"
    __table_args__ = (Index("ix_package_outcomes_agency_subject", "agency_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # no_action, investigating, arrested, no_trace
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
