"""Password hashing (argon2id) and generation."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from caseweave.errors import Invalid

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both failures take the same time. Made on
    first use: hashing is slow by design, and most commands never log anyone in."""
    return _hasher.hash(secrets.token_hex(16))


def hash_password(password: str, min_length: int) -> str:
    if len(password) < min_length:
        raise Invalid(
            f"password is shorter than {min_length} characters",
            field="password",
            hint="use a passphrase, or leave it out to have one generated",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(15)
