"""Passwords: what a new one must be, hashing (argon2id), checking, and generation."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from caseweave.errors import Invalid

# ASVS V2.1.2 allows at least 64 characters; more than this is no longer a password but a way to make
# the server hash megabytes.
MAX_PASSWORD_LENGTH = 256
# zxcvbn score a new password needs: 3 means at least 10^8 guesses. zxcvbn ships its own offline lists
# (30,000 passwords most common in breaches, English words, names) and finds them padded with digits,
# repeated, in l33t or beside keyboard walks; an exact lookup in its list would match only 229
# entries of 12 or more characters.
MIN_SCORE = 3
# zxcvbn's cost grows with the square of the length and holds the GIL (0.3 s at 256 characters, 18 ms
# at 72): it judges the first 72, its own bound. A long password with a weak start is refused.
_JUDGED_LENGTH = 72

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both failures take the same time. Made on
    first use: hashing is slow by design, and most commands never log anyone in."""
    return _hasher.hash(secrets.token_hex(16))


def check_new_password(
    password: str, min_length: int, *, context: Sequence[str] = (), field: str = "password"
) -> None:
    """Invalid unless `password` may be set; `context` (username, name) counts as easy to guess."""
    if len(password) < min_length:
        raise Invalid(
            f"password is shorter than {min_length} characters",
            field=field,
            hint="use a passphrase, or leave it out to have one generated",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"password is longer than {MAX_PASSWORD_LENGTH} characters", field=field)
    verdict: dict[str, Any] = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=[*context, "caseweave"])
    if verdict["score"] < MIN_SCORE:
        feedback = verdict["feedback"]
        advice = [feedback["warning"], *feedback["suggestions"]]
        raise Invalid(
            "password is too common or too easy to guess",
            field=field,
            hint=" ".join(part for part in advice if part) or "use four or more unrelated words",
        )


def hash_password(password: str, min_length: int, *, context: Sequence[str] = ()) -> str:
    """Check a new password (check_new_password) and hash it: slow by design, so never call this
    inside a transaction that holds the SQLite write lock."""
    check_new_password(password, min_length, context=context)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(15)
