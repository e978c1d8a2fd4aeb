"""Banks of known material and what matching found: hashes only, never content.

A bank is one imported hash list (VICS 2.0 JSON or CSV), owned by an agency under a TLP label like
any case record; its entries copy the bank's operation, owner, author and label and share its
release rows, so the access policy filters them directly. A hash value is stored once
(`media_hashes`) and mapped to every entry that holds it (`media_entry_hashes`): the faiss index and
the exact lookups work on distinct values; which entries a viewer may see is decided in SQL after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from caseweave.access.records import CaseRecord
from caseweave.db.base import Base
from caseweave.intake.models import ReferralPart


class MediaBank(CaseRecord, Base):
    __tablename__ = "media_banks"
    __table_args__ = (UniqueConstraint("operation_id", "sha256"),)
    record_kind = "media_bank"

    name: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64))  # of the file: the same file twice adds nothing
    format: Mapped[str] = mapped_column(String(10))  # vics, csv
    status: Mapped[str] = mapped_column(String(20))  # imported, partial (bad records left out)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Records left out by a --partial import: [{ref, field, reason, raw}], shown with the bank.
    quarantined: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class BankPart(CaseRecord):
    """Mixin: a row of one bank, filtered by the bank's label and releases."""

    @declared_attr
    def bank_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("media_banks.id"), index=True)

    @classmethod
    def release_target(cls) -> tuple[str, Any]:
        return MediaBank.record_kind, cls.bank_id


class MediaBankEntry(BankPart, Base):
    """One known file of a bank: its hashes (through media_entry_hashes), category, series, victim."""

    __tablename__ = "media_bank_entries"
    record_kind = "media_bank_entry"

    ref: Mapped[str] = mapped_column(String(200))  # the file's MediaID, or the CSV line
    location: Mapped[str] = mapped_column(String(400))
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    series: Mapped[str | None] = mapped_column(String(200), nullable=True)
    victim_identified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON)  # other VICS fields, kept for export


class MediaHash(Base):
    """A distinct hash value (reference data: it says nothing until an entry maps to it)."""

    __tablename__ = "media_hashes"
    __table_args__ = (UniqueConstraint("algorithm", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(64))


class MediaEntryHash(Base):
    __tablename__ = "media_entry_hashes"
    __table_args__ = (Index("ix_media_entry_hashes_hash", "hash_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("media_bank_entries.id"), primary_key=True)
    hash_id: Mapped[int] = mapped_column(ForeignKey("media_hashes.id"), primary_key=True)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)  # PDQ quality, where stated


class MediaMatch(ReferralPart, Base):
    """A seized file (by its ref in the match referral) that matched a bank entry."""

    __tablename__ = "media_matches"
    record_kind = "media_match"

    file_name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("media_bank_entries.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    distance: Mapped[int] = mapped_column(Integer)  # 0 for exact hashes
