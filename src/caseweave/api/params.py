"""Bounded parameter types: an id or a count no engine can store is refused as 422, never a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from caseweave.db.base import MAX_ID

DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive id")]
AfterSeq = Annotated[int, Query(ge=0, le=MAX_ID, description="only entries after this sequence number")]
BeforeId = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="only items older than this id (the last id of the page before)"),
]
PageSize = Annotated[int, Query(ge=1, le=1000, description="at most this many items")]
