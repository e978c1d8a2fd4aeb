"""Linkage: warning lists, links between person records, subjects with stable ids and lineage,
analyst judgements, trained models, runs and alerts.

The unit that is linked is the person record (intake.models.PersonRecord); its sightings travel
with it. A subject is a cluster of person records. Links, subjects and their events are derived
data: they are shown only through the records a viewer may see (linkage.visibility).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from caseweave.access.records import CaseRecord
from caseweave.db.base import Base, UTCDateTime, utcnow


class Warninglist(Base):
    """A list of values that must not link people (Tor exits, VPN ranges, junk values): reference
    data shared by every operation, bundled or loaded from MISP warninglist JSON files."""

    __tablename__ = "warninglists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    list_type: Mapped[str] = mapped_column(String(20))  # cidr, string, hostname, substring, regex
    category: Mapped[str] = mapped_column(String(40))  # tor, vpn, hosting, cgnat, junk, other
    selector_types: Mapped[list[str]] = mapped_column(JSON)  # which selector types it applies to
    version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(400))  # "bundled" or the file it was loaded from
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WarninglistEntry(Base):
    __tablename__ = "warninglist_entries"
    __table_args__ = (UniqueConstraint("warninglist_id", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warninglist_id: Mapped[int] = mapped_column(ForeignKey("warninglists.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(400))


class Link(Base):
    """Evidence that two person records are one person. a_id < b_id.

    kind "selector": both records hold a sighting of the same normalised selector (and, for IP
    addresses, their windows overlap within the tolerance; gap_seconds is the distance, 0 when they
    overlap). kind "probabilistic": the trained model's match weight, with each comparison's part.
    """

    __tablename__ = "links"
    __table_args__ = (
        CheckConstraint("a_id < b_id", name="ordered_pair"),
        Index("ix_links_pair", "a_id", "b_id"),
        Index("ix_links_b", "b_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"))
    b_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"))
    kind: Mapped[str] = mapped_column(String(20))  # selector, probabilistic
    selector_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    value: Mapped[str | None] = mapped_column(String(400), nullable=True)
    a_sighting_id: Mapped[int | None] = mapped_column(ForeignKey("sightings.id"), nullable=True)
    b_sighting_id: Mapped[int | None] = mapped_column(ForeignKey("sightings.id"), nullable=True)
    gap_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    match_weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    match_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    # {comparison name: {"level": label, "match_weight": float}}: why the model believes the pair
    contributions: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # what matched, in words (the selector type, or linkage.evidence.probable_match): alerts name
    # it without decoding the parts
    evidence: Mapped[str | None] = mapped_column(String(400), nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_runs.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subject(Base):
    """Our best belief of one real person. public_id never changes meaning: a merged subject points
    at the survivor (merged_into_id), a split one lists its parts in subject_events."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(10))  # active, merged, split
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubjectMember(Base):
    """Which subject a person record belongs to now (one row per record)."""

    __tablename__ = "subject_members"

    person_record_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)


class SubjectEvent(Base):
    """Lineage: created, grew, merged (into related), split (into related), shrank."""

    __tablename__ = "subject_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    related_subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_runs.id"), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Judgement(CaseRecord, Base):
    """An analyst's "same" / "not_same" on two person records; wins over the machine on every run.
    A newer judgement on the same pair replaces the older one (active=False keeps it for the record)."""

    __tablename__ = "judgements"
    __table_args__ = (
        CheckConstraint("a_id < b_id", name="ordered_pair"),
        Index("ix_judgements_pair", "a_id", "b_id"),
    )
    record_kind = "judgement"

    a_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"))
    b_id: Mapped[int] = mapped_column(ForeignKey("person_records.id"))
    verdict: Mapped[str] = mapped_column(String(10))  # same, not_same
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LinkageModel(Base):
    """A trained probabilistic model for one operation (Splink's JSON), checked by its sha256."""

    __tablename__ = "linkage_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    engine: Mapped[str] = mapped_column(String(20))  # duckdb, spark
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    records: Mapped[int] = mapped_column(Integer)
    model_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LinkageRun(Base):
    __tablename__ = "linkage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20))  # full, incremental
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class Alert(CaseRecord, Base):
    """ "Another agency holds this subject", for one receiving agency (the owner; AMBER+STRICT, so
    only it sees the alert). `disclosed` is False where the receiver may see none of the holder's
    records: the alert then names neither the holder nor the evidence."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("subject_id", "owner_agency_id", "holder_agency_id"),)
    record_kind = "alert"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    holder_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    disclosed: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[list[str]] = mapped_column(JSON)  # kinds that matched: "email", "ip", "name+dob" …
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # new, acknowledged, resolved
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lead_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
