"""What every case-data row carries: operation, owning agency, author, TLP label, releases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from caseweave.db.base import Base, UTCDateTime, utcnow


class CaseRecord:
    """Mixin for case-data tables. `record_kind` names the table in the releases table."""

    record_kind: str

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tlp: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def operation_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("operations.id"), index=True)

    @declared_attr
    def owner_agency_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("agencies.id"), index=True)

    @declared_attr
    def created_by_user_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id"), nullable=True)

    @classmethod
    def release_target(cls) -> tuple[str, Any]:
        """Which releases rows apply: parts of a referral share the referral's (one row, not millions)."""
        return cls.record_kind, cls.id


class Release(Base):
    """A case record released beyond its owner: to an agency (AMBER) or a named user (RED)."""

    __tablename__ = "releases"
    __table_args__ = (
        CheckConstraint("(agency_id IS NULL) <> (user_id IS NULL)", name="one_recipient"),
        Index("ix_releases_record", "record_kind", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The owner's grant to change a shared record (a victim's status): seeing is not writing.
    may_write: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
