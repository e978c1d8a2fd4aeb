"""Opaque bearer tokens: shown once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "cw_"
_SHAPE = re.compile(r"^cw_[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def is_well_formed(token: str) -> bool:
    return bool(_SHAPE.match(token))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
