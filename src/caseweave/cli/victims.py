"""`caseweave victim add|list|show|status|link` and `caseweave safeguarding queue`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.access.labels import TLP
from caseweave.cli.common import UserOption, console, table, unit_of_work
from caseweave.operations.service import operation_by_ref
from caseweave.victims import queue, service

victim_app = typer.Typer(
    help="Victims: pseudonymous records of children in the material.", no_args_is_help=True
)
safeguarding_app = typer.Typer(
    help="Safeguarding: open work on victims, most urgent first.", no_args_is_help=True
)

OperationOption = Annotated[str, typer.Option("--operation", help="operation id or name")]
VictimArg = Annotated[str, typer.Argument(help="victim id, e.g. VIC-000012")]


@victim_app.command("add")
def add(
    operation: OperationOption,
    pseudonym: Annotated[
        str, typer.Option("--pseudonym", help="a pseudonym or description, never a real name")
    ],
    description: Annotated[str, typer.Option("--description")] = "",
    country: Annotated[str | None, typer.Option("--country", help="ISO 3166 alpha-2, where known")] = None,
    tlp: Annotated[TLP, typer.Option("--tlp")] = TLP.AMBER_STRICT,
    release: Annotated[list[str] | None, typer.Option("--release", help="agency code (AMBER only)")] = None,
    user: UserOption = None,
) -> None:
    """Add a victim record (unidentified), owned by your agency, AMBER+STRICT unless said."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        victim = service.add_victim(
            session,
            actor,
            operation_by_ref(session, actor, operation).id,
            pseudonym=pseudonym,
            description=description,
            country=country,
            tlp=tlp,
            released_to=release or [],
        )
        console.print(f"{victim.public_id} added (unidentified, TLP:{victim.tlp})", highlight=False)


@victim_app.command("list")
def list_victims(
    operation: OperationOption,
    user: UserOption = None,
    status: Annotated[
        str | None, typer.Option("--status", help="unidentified, identified, safeguarded")
    ] = None,
) -> None:
    """Victims you may see."""
    with unit_of_work(user) as (session, actor, _db):
        victims = service.list_victims(session, actor, operation_by_ref(session, actor, operation).id, status)
        rows = [
            (v.public_id, escape(v.pseudonym), v.status, v.identified_on, v.safeguarded_on, v.country, v.tlp)
            for v in victims
        ]
    table("victims", ["victim", "pseudonym", "status", "identified", "safeguarded", "country", "TLP"], rows)


@victim_app.command("show")
def show(ref: VictimArg, user: UserOption = None) -> None:
    """A victim, what concerns it and its status history."""
    with unit_of_work(user) as (session, actor, _db):
        view = service.show_victim(session, actor, ref)
        v = view.victim
        console.print(
            f"{v.public_id} {escape(v.pseudonym)}: {v.status}, TLP:{v.tlp}"
            f"{' — ' + escape(v.description) if v.description else ''}",
            highlight=False,
        )
        table(
            "concerns",
            ["kind", "what"],
            [
                (
                    link.kind,
                    link.series
                    or (view.subjects.get(link.subject_id or 0))
                    or f"referral {link.referral_id}",
                )
                for link in view.links
            ],
        )
        table(
            "status",
            ["status", "on", "country", "note"],
            [(e.status, e.occurred_on, e.country, escape(e.note)) for e in view.events],
        )


@victim_app.command("status")
def status(
    ref: VictimArg,
    new_status: Annotated[str, typer.Argument(help="identified or safeguarded")],
    on: Annotated[str | None, typer.Option("--on", help="date, YYYY-MM-DD (default today)")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="agency responsible (default yours)")] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    user: UserOption = None,
) -> None:
    """Move a victim forward: unidentified → identified → safeguarded."""
    when = _date(on)
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        event = service.set_status(session, actor, ref, new_status, on=when, agency=agency, note=note)
        console.print(
            f"{ref.upper()} {event.status} on {event.occurred_on} ({event.country})", highlight=False
        )


@victim_app.command("link")
def link(
    ref: VictimArg,
    kind: Annotated[str, typer.Argument(help="series, subject or referral")],
    target: Annotated[str, typer.Argument(help="series name, subject id (SUB-…) or referral id")],
    user: UserOption = None,
) -> None:
    """Record that a media series, subject or referral concerns the victim."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        found = service.link_victim(session, actor, ref, kind, target)
        console.print(f"{ref.upper()} linked to {found.target}", highlight=False)


@safeguarding_app.command("queue")
def safeguarding_queue(operation: OperationOption, user: UserOption = None) -> None:
    """Open victims, most urgent first, each with the parts of its score."""
    with unit_of_work(user) as (session, actor, db):
        items = queue.safeguarding_queue(
            session, actor, db.settings, operation_by_ref(session, actor, operation).id
        )
    rows = [
        (
            i.rank,
            i.victim,
            escape(i.pseudonym),
            i.status,
            f"{i.score:g}",
            escape("; ".join(f"{p.factor} +{p.points:g}: {p.why}" for p in i.parts)),
        )
        for i in items
    ]
    table("safeguarding queue", ["#", "victim", "pseudonym", "status", "score", "why"], rows)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint="--on") from None
