"""`caseweave totp enrol|confirm`: a second factor from the command line, as the API offers it.

Admins and coordinators cannot log in without one (auth/totp.py). Enrolment checks the password as a
login does; the secret is shown once, to put in an authenticator app; confirming it with the app's
first code activates it and logs in (the session is stored as `caseweave login` stores one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from caseweave.actor import Actor, new_request_id
from caseweave.cli import credentials
from caseweave.cli.common import console, open_database
from caseweave.cli.login import read_password

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="Your second factor (TOTP): enrol, then confirm with its first code.", no_args_is_help=True
)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from stdin (else asked, not echoed)")
]


@app.command("enrol")
def enrol(
    username: Annotated[str, typer.Argument(help="your username")],
    password_stdin: PasswordStdin = False,
    otp: Annotated[
        str | None, typer.Option("--otp", help="your current code, when replacing a factor you have")
    ] = None,
) -> None:
    """Start enrolling: prints the secret and its otpauth:// URI once; confirm within 15 minutes."""
    import anyio

    from caseweave.auth import login as login_service
    from caseweave.auth.throttle import LoginGuard

    password = read_password(password_stdin)
    with open_database() as db:
        attempt = login_service.Attempt(
            username, password, otp, source=Actor.cli().name, request_id=new_request_id()
        )
        enrolment = anyio.run(login_service.enrol_totp, db, LoginGuard.from_settings(db.settings), attempt)
    console.print(f"secret (shown once): {enrolment.secret}", highlight=False)
    console.print(f"otpauth URI: {enrolment.otpauth_uri}", highlight=False, soft_wrap=True)
    console.print(
        f"add it to your authenticator app, then run `caseweave totp confirm {username} --code CODE` "
        f"before {enrolment.expires_at:%H:%M} UTC",
        highlight=False,
    )


@app.command("confirm")
def confirm(
    username: Annotated[str, typer.Argument(help="your username")],
    code: Annotated[str, typer.Option("--code", help="the first code your app shows for the new secret")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Activate the enrolled secret with its first code; you are then logged in."""
    import anyio

    from caseweave.auth import login as login_service
    from caseweave.auth.throttle import LoginGuard

    stored = credentials.load()
    password = read_password(password_stdin)
    with open_database() as db:
        attempt = login_service.Attempt(
            username, password, code, source=Actor.cli().name, request_id=new_request_id()
        )
        issued = anyio.run(login_service.confirm_totp, db, LoginGuard.from_settings(db.settings), attempt)
        logins = stored.logins(db.settings.database_url)
    logins.tokens[username] = issued.secret
    logins.default = username
    credentials.save(stored)
    console.print(
        f"second factor active; logged in as {username} (login stored in {stored.path})", highlight=False
    )
