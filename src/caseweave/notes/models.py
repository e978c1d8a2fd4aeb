"""Note: free text on an operation, owned and labelled like all case data."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caseweave.access.records import CaseRecord
from caseweave.db.base import Base


class Note(CaseRecord, Base):
    __tablename__ = "notes"
    record_kind = "note"

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
