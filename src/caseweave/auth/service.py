"""Users, login with lockout, token checks, API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access import admin
from caseweave.access.labels import Role
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.auth.models import Token, User
from caseweave.auth.passwords import generate_password, hash_password
from caseweave.auth.tokens import is_well_formed, new_token, token_digest
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.errors import Conflict, Invalid, NotFound, Unauthenticated
from caseweave.operations.models import Agency
from caseweave.operations.service import agency_by_code


@dataclass(frozen=True)
class IssuedToken:
    """A token as issued: `secret` is shown once and never stored."""

    token: Token
    secret: str


@dataclass(frozen=True)
class NewPassword:
    """A new user's password, checked and hashed before any transaction (argon2 is slow by design);
    `generated` is shown once when none was given."""

    hash: str
    generated: str | None


def new_password(settings: Settings, password: str | None, *, context: Sequence[str] = ()) -> NewPassword:
    generated = None if password is not None else generate_password()
    chosen = password if password is not None else generated or ""
    return NewPassword(hash_password(chosen, settings.min_password_length, context=context), generated)


def check_new_user(
    session: Session, actor: Actor, *, username: str, agency: str, roles: Sequence[str]
) -> tuple[str, Agency, list[str]]:
    """May the actor add this user, and is the name free: (username, agency, roles) if so."""
    parsed = sorted({Role.parse(role).value for role in roles})
    if not parsed:
        raise Invalid("a user needs at least one role", field="roles")
    home = agency_by_code(session, agency)
    admin.require_grant(actor, home.id, parsed)
    name = username.strip()
    if not name or len(name) > 120 or any(ch.isspace() for ch in name):
        raise Invalid(
            f"username {username!r} is not valid", field="username", hint="1-120 characters, no spaces"
        )
    # Usernames are unique across the installation, because a login names no agency.
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"username {name!r} is taken", field="username", hint="choose another username")
    return name, home, parsed


def add_user(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    username: str,
    agency: str,
    roles: Sequence[str],
    password: str | None = None,
    full_name: str = "",
    prepared: NewPassword | None = None,
) -> tuple[User, str | None]:
    """Create a user. Returns the generated password when none was given (shown once). A caller that
    holds a write lock passes the password `prepared` (new_password) before taking it."""
    name, home, parsed = check_new_user(session, actor, username=username, agency=agency, roles=roles)
    secret = prepared or new_password(settings, password, context=(name, full_name))
    user = User(
        username=name, full_name=full_name, agency_id=home.id, roles=parsed, password_hash=secret.hash
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "user.create", "user", [user.id], detail={"agency": home.code, "roles": parsed}
    )
    return user, secret.generated


def user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise admin.user_not_found(username)
    return user


def managed_user(session: Session, actor: Actor, username: str) -> User:
    """A user the actor may manage; any other looks exactly like a missing one."""
    user = session.scalar(select(User).where(User.username == username, admin.managed_users(actor)))
    if user is None:
        raise admin.user_not_found(username)
    return user


def list_users(session: Session, actor: Actor) -> Sequence[User]:
    return session.scalars(select(User).where(admin.managed_users(actor)).order_by(User.username)).all()


def disable_user(session: Session, actor: Actor, username: str) -> User:
    user = managed_user(session, actor, username)
    admin.require_user_manager(session, actor, user)
    user.disabled = True
    revoke_all_tokens(session, user)
    audit.record(session, actor, "user.disable", "user", [user.id])
    return user


def revoke_sessions(session: Session, actor: Actor, username: str) -> int:
    """End every login session and API token of a user (an agency admin for their own agency)."""
    user = managed_user(session, actor, username)
    admin.require_user_manager(session, actor, user)
    revoked = revoke_all_tokens(session, user)
    audit.record(session, actor, "user.revoke_sessions", "user", [user.id], detail={"revoked": revoked})
    return revoked


def revoke_all_tokens(session: Session, user: User) -> int:
    """End every session and API token of `user`; how many were still valid."""
    now = utcnow()
    tokens = session.scalars(select(Token).where(Token.user_id == user.id, Token.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def _issue(session: Session, user: User, kind: str, name: str, expires_at: datetime) -> IssuedToken:
    secret = new_token()
    token = Token(
        user_id=user.id, kind=kind, name=name, token_hash=token_digest(secret), expires_at=expires_at
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def authenticate(session: Session, secret: str) -> tuple[User, Token]:
    """The user behind a bearer token, or Unauthenticated saying why."""
    if not is_well_formed(secret):
        raise Unauthenticated(
            "malformed token", hint="send 'Authorization: Bearer cw_…' from login or token create"
        )
    token = session.scalar(select(Token).where(Token.token_hash == token_digest(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("unknown or revoked token", hint="log in again")
    if token.expires_at <= now:
        raise Unauthenticated("token expired", hint="log in again, or create a new API token")
    if token.user.disabled:
        raise Unauthenticated("this account is disabled")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user, token


def create_api_token(
    session: Session, actor: Actor, settings: Settings, *, username: str | None, name: str, days: int | None
) -> IssuedToken:
    """A long-lived token for a machine client: users make their own, agency admins their agency's."""
    owner = managed_user(session, actor, username) if username else actor.user
    if owner is None:
        raise Invalid("name the user the token is for", field="username")
    if actor.user is None or owner.id != actor.user.id:
        admin.require_user_manager(session, actor, owner)
    if owner.disabled:
        raise Invalid(f"user {owner.username!r} is disabled", field="username")
    lifetime = days if days is not None else settings.api_token_days
    if not 1 <= lifetime <= 366:
        raise Invalid(f"token lifetime of {lifetime} days is out of range", field="days", hint="1 to 366")
    issued = _issue(session, owner, "api", name or "api", utcnow() + timedelta(days=lifetime))
    audit.record(session, actor, "token.create", "token", [issued.token.id], detail={"user": owner.username})
    return issued


def list_tokens(session: Session, actor: Actor) -> Sequence[Token]:
    query = select(Token).join(User, User.id == Token.user_id).where(Token.kind == "api")
    return session.scalars(query.where(admin.managed_users(actor)).order_by(Token.id)).all()


def revoke_token(session: Session, actor: Actor, token_id: int) -> Token:
    token = session.scalar(
        select(Token)
        .join(User, User.id == Token.user_id)
        .where(Token.id == token_id, admin.managed_users(actor))
    )
    if token is None:
        raise NotFound(f"token {token_id} not found", field="token_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor, "token.revoke", "token", [token.id])
    return token
