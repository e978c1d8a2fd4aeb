"""`caseweave login|logout|whoami`: who the other commands act as (cli/identity.py).

A login stores a session token (never printed) in the credentials file (cli/credentials.py); logout
revokes it in the database before forgetting it.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from caseweave.actor import Actor, new_request_id
from caseweave.auth import service as auth
from caseweave.cli import credentials
from caseweave.cli.common import UserOption, console, open_database
from caseweave.cli.identity import resolve
from caseweave.db.runtime import Database
from caseweave.errors import Forbidden, Invalid, Unauthenticated


def login(
    username: Annotated[str, typer.Argument(help="your username")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin (else asked, not echoed)")
    ] = False,
    otp: Annotated[
        str | None, typer.Option("--otp", help="the code of your authenticator app, if you have one")
    ] = None,
) -> None:
    """Log in: later commands act as USERNAME (the default login) until logout or the session ends."""
    stored = credentials.load()  # an unsafe file is refused before a password is typed
    password = read_password(password_stdin)
    with open_database() as db:
        logins = stored.logins(db.settings.database_url)
        issued = _start_session(db, username, password, otp)
        name = username
        earlier = logins.tokens.get(name)
        if earlier:  # one stored session per user: the one replaced ends now, not in hours
            with db.transaction() as session:
                _revoke(session, earlier)
    logins.tokens[name] = issued.secret
    logins.default = name
    credentials.save(stored)
    console.print(
        f"logged in as {name} until {issued.token.expires_at:%Y-%m-%d %H:%M} UTC; commands act as {name} "
        f"(login stored in {stored.path})",
        highlight=False,
        soft_wrap=True,
    )


def logout(
    username: Annotated[str | None, typer.Argument(help="which login (default: your default login)")] = None,
) -> None:
    """End a login: its session is revoked in the database and the stored token forgotten."""
    stored = credentials.load()
    with open_database() as db:
        logins = stored.logins(db.settings.database_url)
        name = username or logins.default
        if name is None or name not in logins.tokens:
            who = f"as {name}" if name else "to this database"
            raise Invalid(f"not logged in {who}", hint="`caseweave whoami` says who you are logged in as")
        with db.transaction() as session:
            revoked = _revoke(session, logins.tokens[name])
    logins.forget(name)
    credentials.save(stored)
    ended = "session revoked" if revoked else "its session had already ended"
    after = f"; commands now act as {logins.default}" if logins.default else ""
    console.print(f"logged out {name}: {ended}{after}", highlight=False)


def whoami(user: UserOption = None) -> None:
    """Who commands act as, and how that was established."""
    with open_database() as db, db.transaction() as session:
        identity = resolve(session, db.settings.database_url, user)
        person = identity.actor.user
        if person is None:
            said = f"{identity.actor.name}: the local operator"
        else:
            said = f"{person.username} of {person.agency.code} ({', '.join(person.roles)})"
    console.print(f"{said}, from {identity.source}", highlight=False, soft_wrap=True)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True)
    if not password:
        raise Invalid("no password given", field="password")
    return password


def _start_session(db: Database, username: str, password: str, otp: str | None) -> auth.IssuedToken:
    """The login the HTTP API runs (auth/login.py): the password is checked outside any transaction,
    the second factor too, and every failure is audited. The throttle lives in this one process: it
    counts nothing across commands, and whoever runs this holds the database URL anyway."""
    import anyio  # here: only `login` needs the login service and its event loop

    from caseweave.auth import login as login_service
    from caseweave.auth.throttle import LoginGuard
    from caseweave.auth.totp import SecondFactorRequired

    attempt = login_service.Attempt(
        username, password, otp, source=Actor.cli().name, request_id=new_request_id()
    )
    try:
        return anyio.run(login_service.login, db, LoginGuard.from_settings(db.settings), attempt)
    except SecondFactorRequired as error:  # its hint names the HTTP routes; say where --otp fits in
        raise Forbidden(
            error.message,
            hint=f"enrol one: `caseweave totp enrol {username}`, then `caseweave totp confirm {username}`",
        ) from None
    except Unauthenticated as error:
        raise Unauthenticated(error.message, hint="if you enrolled a second factor, add --otp CODE") from None


def _revoke(session: Session, token: str) -> bool:
    """Revoke a stored token as its own user (audited); False if it had already ended."""
    try:
        user, row = auth.authenticate(session, token)
    except Unauthenticated:
        return False
    auth.revoke_token(session, Actor.for_user(user), row.id)
    return True
