"""Who a command acts as: a logged-in user, or the local operator when asked for by name.

The root options (`caseweave --operator …`, `caseweave --user NAME …`) are chosen once per process by
cli/main.py; a command's own `--user NAME` selects which stored login to use. Naming a user never
makes anyone that user: a command acts as NAME only with a token the database issued to NAME.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.auth.models import User
from caseweave.auth.service import authenticate
from caseweave.cli import credentials
from caseweave.errors import Invalid, Unauthenticated

ENV_TOKEN = "CASEWEAVE_TOKEN"


@dataclass(frozen=True)
class Choice:
    """What the root options asked for. `implicit_operator`: a command that sets up an installation."""

    operator: bool = False
    user: str | None = None
    implicit_operator: bool = False


@dataclass(frozen=True)
class Identity:
    actor: Actor
    source: str  # how it was established, for `whoami`


_choice: ContextVar[Choice | None] = ContextVar("caseweave_cli_identity", default=None)


def choose(choice: Choice) -> None:
    if choice.operator and choice.user:
        raise _operator_with_user()
    _choice.set(choice)


def resolve(session: Session, database_url: str, user: str | None = None) -> Identity:
    """The actor of this command; `user` is the command's own --user. Refuses rather than guesses."""
    choice = _choice.get() or Choice()  # not chosen (a command called from Python): no operator
    name = _one_name(choice.user, user)
    if choice.operator or choice.implicit_operator:
        if name:
            raise _operator_with_user()
        return Identity(
            Actor.cli(), "--operator" if choice.operator else "a command that sets up an installation"
        )
    given = os.environ.get(ENV_TOKEN, "").strip()
    if given:
        found = _authenticate(session, given, f"the token in {ENV_TOKEN}", name or "NAME")
        if name and found.username != name:
            raise Unauthenticated(
                f"not logged in as {name} ({ENV_TOKEN} holds another user's token)",
                hint=f"unset {ENV_TOKEN} and run `caseweave login {name}`",
            )
        return Identity(Actor.for_user(found), f"the token in {ENV_TOKEN}")
    stored = credentials.load()
    logins = stored.logins(database_url)
    wanted = name or logins.default
    if wanted is None:
        raise Unauthenticated(
            "not logged in to this database",
            hint="run `caseweave login NAME`, or pass --operator to act as the local operator",
        )
    token = logins.tokens.get(wanted)
    if token is None:
        raise not_logged_in(wanted)
    found = _authenticate(session, token, f"the stored login of {wanted}", wanted)
    if found.username != wanted:  # the file was edited by hand: never act as someone not named
        raise not_logged_in(wanted)
    return Identity(Actor.for_user(found), f"the stored login in {stored.path}")


def not_logged_in(name: str) -> Unauthenticated:
    return Unauthenticated(f"not logged in as {name}", hint=f"run `caseweave login {name}`")


def _authenticate(session: Session, token: str, what: str, name: str) -> User:
    try:
        user, _ = authenticate(session, token)
    except Unauthenticated as error:
        raise Unauthenticated(
            f"{what} is no longer valid: {error.message}", hint=f"run `caseweave login {name}`"
        ) from None
    return user


def _one_name(root: str | None, command: str | None) -> str | None:
    if root and command and root != command:
        raise Invalid(f"--user {root} and --user {command} name two users", field="user", hint="name one")
    return (command or root or "").strip() or None


def _operator_with_user() -> Invalid:
    return Invalid(
        "--operator acts as the local operator and does not combine with --user",
        field="user",
        hint="leave out one of them",
    )
