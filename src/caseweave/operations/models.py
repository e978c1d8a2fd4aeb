"""Operation, Agency, Membership."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseweave.db.base import Base, UTCDateTime, utcnow


class Agency(Base):
    """A police force, hotline or customs service."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    contact_point: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Operation(Base):
    """One joint investigation; all case data belongs to one."""

    __tablename__ = "operations"
    # Unique per lead agency: a global check would reveal names of operations the caller may not see.
    __table_args__ = (UniqueConstraint("lead_agency_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead_agency: Mapped[Agency] = relationship(lazy="joined")


MEMBERSHIP_INVITED, MEMBERSHIP_ACTIVE, MEMBERSHIP_DECLINED = "invited", "active", "declined"


class Membership(Base):
    """An agency's part in an operation, from the day it joined. Adding an agency is an invitation
    ('invited') that takes effect only when the invited agency accepts it ('active'); a declined or
    withdrawn one stays as history ('declined')."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("operation_id", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    joined_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    agency: Mapped[Agency] = relationship(lazy="joined")
    operation: Mapped[Operation] = relationship()
