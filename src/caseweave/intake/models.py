"""Referral and what it states: person records, sightings of selectors, media hashes, quarantine.

Every row is case data. Parts of a referral copy its operation, owner, author and label, so the
access policy filters them directly, and share the referral's release rows (`release_target`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from caseweave.access.records import CaseRecord
from caseweave.db.base import Base, UTCDateTime


class RawFile(Base):
    """A received file, stored unchanged once per content (sha256), in chunks that stream."""

    __tablename__ = "raw_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    chunks: Mapped[int] = mapped_column(Integer)


class RawChunk(Base):
    __tablename__ = "raw_chunks"

    sha256: Mapped[str] = mapped_column(ForeignKey("raw_files.sha256"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Referral(CaseRecord, Base):
    __tablename__ = "referrals"
    # Not unique: another agency's copy of the same file is its own referral (a shared key would tell
    # each agency of the other's), and so is a copy a user may not see (another user's RED one).
    __table_args__ = (Index("ix_referrals_operation_sha256", "operation_id", "sha256"),)
    record_kind = "referral"

    format: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(ForeignKey("raw_files.sha256"))
    external_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(400))
    summary: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # imported, partial, amended (nothing left open)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # An amendment is the corrected file for a partial referral's quarantined records (intake.quarantine).
    amends_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), nullable=True)


class ReferralPart(CaseRecord):
    """Mixin: a row that one referral states, found again by the file's own `ref` and location."""

    ref: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(400))

    @declared_attr
    def referral_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("referrals.id"), index=True)

    @classmethod
    def release_target(cls) -> tuple[str, Any]:
        return Referral.record_kind, cls.referral_id


class PersonRecord(ReferralPart, Base):
    __tablename__ = "person_records"
    __table_args__ = (Index("ix_person_records_referral_ref", "referral_id", "ref"),)
    record_kind = "person_record"

    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    given_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12), default="person", server_default="person")


class Sighting(ReferralPart, Base):
    __tablename__ = "sightings"
    __table_args__ = (Index("ix_sightings_selector", "selector_type", "value"),)
    record_kind = "sighting"

    person_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    person_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("person_records.id"), nullable=True, index=True
    )
    selector_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(400))
    raw_value: Mapped[str] = mapped_column(String(400))
    flags: Mapped[list[str]] = mapped_column(JSON)
    platform: Mapped[str | None] = mapped_column(String(100), nullable=True)
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    observed_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    observed_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    context: Mapped[str | None] = mapped_column(String(60), nullable=True)
    possible_proxy: Mapped[bool] = mapped_column(Boolean, default=False)


class ReferralMediaHash(ReferralPart, Base):
    """A media hash listed in a referral; matched against banks by the media capability."""

    __tablename__ = "referral_media_hashes"
    __table_args__ = (Index("ix_referral_media_hashes_value", "algorithm", "value"),)
    record_kind = "referral_media_hash"

    person_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(400), nullable=True)


class QuarantinedRecord(ReferralPart, Base):
    """A record that could not be imported with --partial: where, which field, why, the raw text.

    `ref` is its place in the file without the file name ("line 5", or a JSON/XML path); `line` is set
    for line formats, whose `raw` is the whole line. An amending import resolves it (intake.quarantine).
    """

    __tablename__ = "quarantined_records"
    record_kind = "quarantined_record"

    field: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_by_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
