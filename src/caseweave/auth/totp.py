"""The second factor: TOTP (RFC 6238) with pyotp — enrolment, codes accepted once, reset by an admin.

A new secret stays pending until a code from it is confirmed (or PENDING passes), so a mistyped or
unscanned secret never replaces a working one. A code is accepted within one 30 s step of clock
drift either way, and only once: its step must be later than the last one accepted (RFC 6238 §5.2),
checked by a conditional UPDATE so two requests racing with the same code cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import pyotp
from sqlalchemy import CursorResult, Update, or_, select, update
from sqlalchemy.orm import Session

from caseweave.access import admin
from caseweave.access.labels import SECOND_FACTOR_ROLES
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth.models import User
from caseweave.auth.service import revoke_all_tokens
from caseweave.errors import Forbidden

PENDING = timedelta(minutes=15)
CODE_PATTERN = r"^[0-9]{6}$"  # ASCII digits only: "³" or Arabic-Indic digits are no code
_REQUIRED = frozenset(role.value for role in SECOND_FACTOR_ROLES)


class SecondFactorRequired(Forbidden):
    """403 for the right password of a user whose roles need a second factor not yet enrolled. It
    tells no more than a successful login would: only the right password gets it."""

    code = "second_factor_required"

    def __init__(self) -> None:
        super().__init__(
            "your roles need a second factor before you can log in",
            hint="enrol one: POST /auth/totp/enrol, then POST /auth/totp/confirm with its first code",
        )


@dataclass(frozen=True)
class Enrolment:
    """Shown once: the secret for an authenticator app, as text and as an otpauth:// URI (QR code)."""

    secret: str
    otpauth_uri: str
    expires_at: datetime


def required_for(roles: Iterable[str]) -> bool:
    return not _REQUIRED.isdisjoint(roles)


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code `code` is, one step of drift allowed either way; None if none."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    matches = [step for step in (current - 1, current, current + 1) if _equal(totp.generate_otp(step), code)]
    return matches[-1] if matches else None


def _equal(expected: str, given: str) -> bool:
    return pyotp.utils.strings_equal(expected, given)


def begin_enrolment(session: Session, user_id: int, username: str, issuer: str, now: datetime) -> Enrolment:
    """A new pending secret (160 bits, as RFC 4226 recommends), replacing any earlier pending one."""
    secret = pyotp.random_base32()
    until = now + PENDING
    _execute(
        session,
        update(User).where(User.id == user_id).values(totp_pending_secret=secret, totp_pending_until=until),
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)
    return Enrolment(secret, uri, until)


def claim_step(session: Session, user_id: int, step: int) -> bool:
    """Mark the code of `step` used; False if it or a later one already was (a replay)."""
    return _execute(
        session,
        update(User)
        .where(User.id == user_id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step),
    )


def activate(session: Session, user_id: int, secret: str, step: int, now: datetime) -> bool:
    """Make the pending `secret` the user's factor; False if it is no longer pending or has expired."""
    return _execute(
        session,
        update(User)
        .where(User.id == user_id, User.totp_pending_secret == secret, User.totp_pending_until > now)
        .values(
            totp_secret=secret,
            totp_enrolled_at=now,
            totp_last_step=step,
            totp_pending_secret=None,
            totp_pending_until=None,
        ),
    )


def reset_second_factor(session: Session, actor: Actor, username: str) -> User:
    """Remove a user's second factor (a lost phone) so they enrol again; a user whose roles need one
    cannot log in until they have. Who may: access/admin.py."""
    user = session.scalar(select(User).where(User.username == username, admin.managed_users(actor)))
    if user is None:
        raise admin.user_not_found(username)
    admin.require_user_manager(session, actor, user)
    had_factor = user.totp_secret is not None
    user.totp_secret = user.totp_pending_secret = None
    user.totp_enrolled_at = user.totp_pending_until = None
    user.totp_last_step = None
    # A lost phone may be a stolen one: the sessions opened with it end too.
    revoked = revoke_all_tokens(session, user)
    audit.record(
        session,
        actor,
        "user.second_factor_reset",
        "user",
        [user.id],
        detail={"had_factor": had_factor, "revoked": revoked},
    )
    return user


def _execute(session: Session, statement: Update) -> bool:
    """Run a one-row UPDATE; True if it changed the row."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount == 1
