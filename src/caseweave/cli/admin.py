"""`caseweave operation|agency|membership|user|token …`: set up who takes part."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from caseweave.auth import service as auth
from caseweave.cli.common import USER_HELP, console, table, unit_of_work
from caseweave.errors import Invalid
from caseweave.operations import service as ops

operation_app = typer.Typer(help="Joint operations.", no_args_is_help=True)
agency_app = typer.Typer(help="Agencies: police forces, hotlines, customs services.", no_args_is_help=True)
membership_app = typer.Typer(help="Which agencies take part in an operation.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Long-lived API tokens for machine clients.", no_args_is_help=True)


def parse_date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date", field=field, hint="use YYYY-MM-DD") from None


@operation_app.command("create")
def operation_create(
    name: Annotated[str, typer.Argument(help="operation name, unique")],
    lead: Annotated[str, typer.Option("--lead", help="code of the lead agency")],
    start: Annotated[str, typer.Option("--start", help="start date, YYYY-MM-DD")] = date.today().isoformat(),
) -> None:
    """Create an operation; its lead agency becomes its first member."""
    with unit_of_work() as (session, actor, _):
        operation = ops.create_operation(
            session, actor, name=name, lead_agency=lead, start_date=parse_date(start, "start")
        )
        console.print(
            f"operation {operation.id} {operation.name!r} created, led by {operation.lead_agency.code}"
        )


@operation_app.command("list")
def operation_list() -> None:
    with unit_of_work() as (session, actor, _):
        rows = [
            (
                o.id,
                o.name,
                o.lead_agency.code,
                o.start_date,
                o.status,
                len(ops.list_memberships(session, actor, o.id)),
            )
            for o in ops.list_operations(session, actor)
        ]
    table("operations", ["id", "name", "lead", "started", "status", "members"], rows)


@agency_app.command("add")
def agency_add(
    code: Annotated[str, typer.Argument(help="short unique code, e.g. GB-NCA")],
    name: Annotated[str, typer.Option("--name")],
    country: Annotated[str, typer.Option("--country", help="ISO 3166-1 alpha-2")],
    contact: Annotated[str, typer.Option("--contact", help="contact point, e.g. a duty desk address")],
    kind: Annotated[
        str, typer.Option("--kind", help="police, hotline, customs, prosecutor, other")
    ] = "police",
) -> None:
    with unit_of_work() as (session, actor, _):
        agency = ops.add_agency(
            session, actor, code=code, name=name, country=country, kind=kind, contact_point=contact
        )
        console.print(f"agency {agency.code} ({agency.name}, {agency.country}) added")


@agency_app.command("list")
def agency_list() -> None:
    with unit_of_work() as (session, _, _db):
        rows = [(a.code, a.name, a.country, a.kind, a.contact_point) for a in ops.list_agencies(session)]
    table("agencies", ["code", "name", "country", "kind", "contact point"], rows)


@membership_app.command("add")
def membership_add(
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    agency: Annotated[str, typer.Option("--agency", help="agency code")],
    role: Annotated[str, typer.Option("--role", help="partner or observer")] = "partner",
    joined: Annotated[str | None, typer.Option("--joined", help="YYYY-MM-DD, default today")] = None,
) -> None:
    """Invite an agency; it takes part once its admin or a coordinator accepts (the operator's at once)."""
    with unit_of_work() as (session, actor, _):
        op = ops.operation_by_ref(session, actor, operation)
        member = ops.invite(
            session,
            actor,
            op.id,
            agency=agency,
            role=role,
            joined_on=parse_date(joined, "joined") if joined else None,
        )
        if member.status == "active":
            console.print(f"{member.agency.code} joined {op.name!r} as {member.role} on {member.joined_on}")
        else:
            console.print(
                f"{member.agency.code} invited to {op.name!r} as {member.role} from {member.joined_on} "
                f"(invitation {member.id}; it takes part once it accepts)"
            )


@membership_app.command("list")
def membership_list(
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
) -> None:
    with unit_of_work() as (session, actor, _db):
        op = ops.operation_by_ref(session, actor, operation)
        rows = [
            (m.id, m.agency.code, m.agency.country, m.role, m.joined_on, m.status)
            for m in ops.list_memberships(session, actor, op.id)
        ]
    table(f"members of {op.name}", ["id", "agency", "country", "role", "joined", "status"], rows)


@membership_app.command("invitations")
def membership_invitations() -> None:
    """Open invitations to your agency."""
    with unit_of_work() as (session, actor, _db):
        rows = [
            (m.id, m.operation.name, m.operation.lead_agency.code, m.role, m.joined_on)
            for m in ops.list_invitations(session, actor)
        ]
    table("invitations", ["id", "operation", "lead", "role", "from"], rows)


@membership_app.command("accept")
def membership_accept(invitation: Annotated[int, typer.Argument(help="invitation id")]) -> None:
    """Accept an invitation: your agency takes part from the invitation's date."""
    with unit_of_work() as (session, actor, _db):
        member = ops.answer_invitation(session, actor, invitation, accept=True)
        console.print(f"{member.agency.code} takes part in {member.operation.name!r} as {member.role}")


@membership_app.command("decline")
def membership_decline(invitation: Annotated[int, typer.Argument(help="invitation id")]) -> None:
    with unit_of_work() as (session, actor, _db):
        ops.answer_invitation(session, actor, invitation, accept=False)
    console.print(f"invitation {invitation} declined")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument()],
    agency: Annotated[str, typer.Option("--agency", help="agency code")],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help="platform_admin, agency_admin, coordinator, analyst, investigator, auditor, oversight",
        ),
    ],
    full_name: Annotated[str, typer.Option("--full-name")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Add a user; without --password-stdin a password is generated and shown once."""
    password = typer.get_text_stream("stdin").readline().rstrip("\n") if password_stdin else None
    with unit_of_work() as (session, actor, db):
        user, generated = auth.add_user(
            session,
            actor,
            db.settings,
            username=username,
            agency=agency,
            roles=role,
            password=password,
            full_name=full_name,
        )
        console.print(f"user {user.username} ({user.agency.code}; {', '.join(user.roles)}) added")
    if generated:
        console.print(f"password (shown once): {generated}", highlight=False)


@user_app.command("list")
def user_list() -> None:
    with unit_of_work() as (session, actor, _):
        rows = [
            (u.username, u.agency.code, ", ".join(u.roles), "disabled" if u.disabled else "active")
            for u in auth.list_users(session, actor)
        ]
    table("users", ["username", "agency", "roles", "status"], rows)


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable a user and revoke all their tokens."""
    with unit_of_work() as (session, actor, _):
        auth.disable_user(session, actor, username)
    console.print(f"user {username} disabled; their tokens are revoked")


@user_app.command("revoke-sessions")
def user_revoke_sessions(username: Annotated[str, typer.Argument()]) -> None:
    """End every login session and API token of a user."""
    with unit_of_work() as (session, actor, _):
        revoked = auth.revoke_sessions(session, actor, username)
    console.print(f"{revoked} sessions and tokens of {username} revoked")


@user_app.command("reset-second-factor")
def user_reset_second_factor(username: Annotated[str, typer.Argument()]) -> None:
    """Remove a user's second factor (a lost phone): they enrol a new one at their next login."""
    from caseweave.auth.totp import reset_second_factor

    with unit_of_work() as (session, actor, _):
        reset_second_factor(session, actor, username)
    console.print(f"second factor of {username} removed; they enrol a new one (`caseweave totp enrol`)")


@token_app.command("create")
def token_create(
    owner: Annotated[
        str | None,
        typer.Option("--for", help="the user the token is for (default: you; others: their agency admin)"),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="what the token is for")] = "api",
    days: Annotated[int | None, typer.Option("--days", help="lifetime, 1-366; default from settings")] = None,
    user: Annotated[str | None, typer.Option("--user", help=USER_HELP)] = None,
) -> None:
    """Create a long-lived API token (for a machine client, or CASEWEAVE_TOKEN); shown once."""
    with unit_of_work(user) as (session, actor, db):
        issued = auth.create_api_token(session, actor, db.settings, username=owner, name=name, days=days)
        console.print(
            f"token {issued.token.id} for {issued.token.user.username}, "
            f"expires {issued.token.expires_at:%Y-%m-%d}"
        )
    console.print(f"token (shown once): {issued.secret}", highlight=False)


@token_app.command("list")
def token_list() -> None:
    with unit_of_work() as (session, actor, _):
        rows = [
            (
                t.id,
                t.user.username,
                t.name,
                f"{t.expires_at:%Y-%m-%d}",
                "revoked" if t.revoked_at else "active",
            )
            for t in auth.list_tokens(session, actor)
        ]
    table("API tokens", ["id", "user", "name", "expires", "status"], rows)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument()]) -> None:
    with unit_of_work() as (session, actor, _):
        auth.revoke_token(session, actor, token_id)
    console.print(f"token {token_id} revoked")
