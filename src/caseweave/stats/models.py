"""Release consent: which countries agreed that their operation figures may be published.

One row per agreement, kept when it is withdrawn (who withdrew and when are filled in), so the
history of consent stays readable. A country consents while it has a row without `withdrawn_at`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caseweave.db.base import Base, UTCDateTime, utcnow


class ReleaseConsent(Base):
    __tablename__ = "stats_release_consents"
    __table_args__ = (Index("ix_stats_release_consents_operation_country", "operation_id", "country"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"))
    country: Mapped[str] = mapped_column(String(2))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))  # the agreeing coordinator's agency
    agreed_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
