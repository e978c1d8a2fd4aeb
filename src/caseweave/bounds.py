"""Bounded integers for request bodies: a value no engine can store is refused (422), never a 500."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from caseweave.db.base import MAX_ID

RecordId = Annotated[int, Field(ge=1, le=MAX_ID, description="a positive id")]
# Counts people type (offence counts, thresholds): far above any real one, far below any overflow.
Count = Annotated[int, Field(ge=0, le=1_000_000)]


def ascii_int(text: str, maximum: int = MAX_ID) -> int | None:
    """`text` as a whole number if it is only ASCII digits (str.isdigit also takes '³' and '٣', which
    int() refuses or reads) and at most `maximum`; otherwise None."""
    text = text.strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None
