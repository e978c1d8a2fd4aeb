"""The canonical content of an entry and its hash: the one definition both writer and verifier use."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def canonical(fields: dict[str, Any]) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat(timespec="microseconds")
        return value

    return json.dumps(
        {key: encode(value) for key, value in fields.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode()).hexdigest()


HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_user_id",
    "actor_agency_id",
    "action",
    "object_type",
    "object_ids",
    "operation_id",
    "request_id",
    "detail",
    "prev_hash",
)
