"""Attributions (where a subject most likely is, with the evidence) and routes (which agency acts).

Both are derived data, like subjects: computed by the system over every record of a subject, and
shown only through the access policy (attribution.views). Each evidence row names the person record
(and sighting) it comes from, so the policy filters evidence in SQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseweave.db.base import Base, UTCDateTime, utcnow


class Attribution(Base):
    """One computation for one subject. A recompute that changes nothing keeps the row (checked_at
    moves); one that changes something adds a row and clears `current` on the old one (history)."""

    __tablename__ = "attributions"
    __table_args__ = (Index("ix_attributions_subject_current", "subject_id", "current"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20))  # attributed, contested, low_confidence, no_evidence
    top_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    confidence: Mapped[float] = mapped_column(Float)
    # {country: share of the counted weight}, largest first; and the counted weight in all
    distribution: Mapped[dict[str, float]] = mapped_column(JSON)
    total_weight: Mapped[float] = mapped_column(Float)
    # the IP geolocation used: provider name, its data source and the data's date
    provider: Mapped[str] = mapped_column(String(40))
    provider_source: Mapped[str] = mapped_column(String(400))
    provider_data_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # the weights and thresholds in force, so a stored answer explains itself after settings change
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttributionEvidence(Base):
    """One clue from one person record: an IP address, a phone, an e-mail domain, a stated country.

    `source_key` says which clues are the same fact (the same /24 block, the same number, the same
    referral's statement): scoring counts each key once, at its highest weight. A clue that counts for
    nothing (warning-listed, special range, unknown to the provider) is kept with weight 0 and says why.
    """

    __tablename__ = "attribution_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attribution_id: Mapped[int] = mapped_column(ForeignKey("attributions.id", ondelete="CASCADE"), index=True)
    person_record_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"), index=True)
    sighting_id: Mapped[int | None] = mapped_column(ForeignKey("sightings.id"), nullable=True)
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # ip, phone, email, stated_country, platform_country, address
    value: Mapped[str] = mapped_column(String(400))
    source_key: Mapped[str] = mapped_column(String(400))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    base_weight: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    sightings: Mapped[int] = mapped_column(Integer, default=1)
    observed_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    observed_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SubjectRoute(Base):
    """Where a subject goes now: one row per subject, kept up to date by every attribution run.

    status routed (agency_id set), unallocated (no acting agency for the country, or no evidence),
    review (contested, low confidence, several agencies), retired (the subject merged or split).
    A coordinator's route by hand (method "manual") wins over later runs until it is cleared.
    """

    __tablename__ = "subject_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), unique=True)
    attribution_id: Mapped[int | None] = mapped_column(ForeignKey("attributions.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True, index=True)
    method: Mapped[str] = mapped_column(String(10))  # auto, manual
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(200))  # actor name: "system", "user:…", "cli:…"
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
