"""`caseweave import` and `caseweave referral list|show` (and `referral quarantine`, in quarantine.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from caseweave.cli.common import UserOption, console, err_console, table, unit_of_work
from caseweave.cli.import_many import ImportOptions, counts_text, files_to_import, import_many
from caseweave.cli.linkage import print_summary
from caseweave.cli.quarantine import quarantine_app
from caseweave.errors import Invalid
from caseweave.intake import service
from caseweave.intake.quarantine import Amendment
from caseweave.intake.records import RecordError
from caseweave.linkage.on_import import link_after_import
from caseweave.operations.service import operation_by_ref

referral_app = typer.Typer(help="Referrals: what agencies sent in.", no_args_is_help=True)
referral_app.add_typer(quarantine_app, name="quarantine")


def import_file(
    paths: Annotated[
        list[Path], typer.Argument(help="the files an agency sent, or folders of them (read recursively)")
    ],
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    agency: Annotated[
        str | None, typer.Option("--agency", help="sending agency code (a user sends for their own)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto, misp, stix, cybertip, platform, chat")] = "auto",
    label: Annotated[
        str | None, typer.Option("--label", help="TLP label; the file's own is kept if stricter")
    ] = None,
    partial: Annotated[
        bool, typer.Option("--partial", help="quarantine bad records, import the rest")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="import as this logged-in user, the referral's author (default: your login)"
        ),
    ] = None,
    release: Annotated[
        list[str] | None, typer.Option("--release", help="agency code an AMBER referral is released to")
    ] = None,
    amends: Annotated[
        int | None, typer.Option("--amends", help="referral whose quarantined records this file fixes")
    ] = None,
) -> None:
    """Import each file as one referral. The same file twice adds nothing.

    Many files and folders go in one run: each file in its own transaction, a refused file does not
    stop the rest, and every file's outcome is listed at the end (exit 1 if any was refused). A user
    sends for their own agency; the local operator (--operator) names it with --agency."""
    files = files_to_import(paths)
    if len(paths) > 1 or paths[0].is_dir():
        if amends is not None:
            raise Invalid("--amends names the one file that fixes a referral", field="amends")
        options = ImportOptions(agency, fmt, label, partial, release or ())
        import_many(files, operation, user, options)
        return
    path = files[0]
    with unit_of_work(user) as (session, actor, db), path.open("rb") as stream:
        op = operation_by_ref(session, actor, operation)
        columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("import", total=path.stat().st_size)
            try:
                outcome = service.import_referral(
                    session,
                    actor,
                    op.id,
                    stream,
                    path.name,
                    agency=agency,
                    fmt=fmt,
                    label=label,
                    partial=partial,
                    released_to=release or (),
                    progress=lambda n: bar.advance(task, n),
                    amends=amends,
                )
            except service.ImportRejected as rejected:
                if len(rejected.errors) > 1:  # the error line itself names the first
                    for error in rejected.errors[: service.SHOWN_ERRORS]:
                        err_console.print(f"  {_record(error)}", highlight=False, soft_wrap=True)
                raise
        referral = outcome.referral
        linked = link_after_import(session, actor, db.settings, referral) if outcome.created else None
    if not outcome.created:
        console.print(f"{escape(path.name)} was already imported as referral {referral.id}; nothing added")
        _print_amendment(outcome.amendment, referral.id)
        return
    counts = counts_text(outcome.counts)
    console.print(
        f"referral {referral.id} ({referral.format}, {referral.tlp}) from {escape(path.name)}: {counts}"
    )
    for error in outcome.errors[: service.SHOWN_ERRORS]:
        console.print(f"  quarantined: {_record(error)}", highlight=False, soft_wrap=True)
    _print_amendment(outcome.amendment, referral.id)
    if isinstance(linked, str):
        err_console.print(f"warning: {escape(linked)}", highlight=False, soft_wrap=True)
    elif linked is not None:
        print_summary(linked)


def _print_amendment(amendment: Amendment | None, referral_id: int) -> None:
    if amendment is None:
        return
    resolved = sum(amendment.resolved.values())
    state = "amended" if amendment.still_open == 0 else f"{amendment.still_open} still open"
    console.print(
        f"referral {referral_id} amends referral {amendment.original_id}: resolved {resolved} quarantined "
        f"record(s); {state}"
    )


def _record(error: RecordError) -> str:
    """One bad record as a line; escaped so "[field]" is not taken for Rich markup."""
    return escape(f"{error.location} [{error.field}] {error.reason}")


@referral_app.command("list")
def referral_list(
    operation: Annotated[str, typer.Option("--operation")],
    user: UserOption = None,
) -> None:
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        rows = [
            (r.id, r.format, r.tlp, r.owner_agency_id, r.file_name, r.status, r.counts.get("sightings", 0))
            for r in service.list_referrals(session, actor, operation_by_ref(session, actor, operation).id)
        ]
    table("referrals", ["id", "format", "label", "agency", "file", "status", "sightings"], rows)


@referral_app.command("show")
def referral_show(
    referral_id: Annotated[int, typer.Argument()],
    user: UserOption = None,
) -> None:
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        detail = service.get_referral(session, actor, referral_id)
        r = detail.referral
        console.print(f"referral {r.id}: {r.title} ({r.format}, {r.tlp}, sha256 {r.sha256})", highlight=False)
        amends = f", amends referral {r.amends_referral_id}" if r.amends_referral_id else ""
        console.print(f"status {r.status}{amends}")
        table(
            "person records",
            ["ref", "kind", "name", "born", "country", "role"],
            [
                (
                    p.ref,
                    p.kind,
                    p.full_name or " ".join(filter(None, (p.given_name, p.family_name))),
                    p.date_of_birth,
                    p.country,
                    p.role,
                )
                for p in detail.persons
            ],
        )
        table(
            "sightings",
            ["type", "value", "raw", "from", "to", "context", "person"],
            [
                (
                    s.selector_type,
                    s.value,
                    s.raw_value,
                    s.observed_from,
                    s.observed_to,
                    s.context,
                    s.person_ref,
                )
                for s in detail.sightings
            ],
        )
        if detail.quarantined:
            table(
                "quarantined",
                ["where", "field", "reason"],
                [(q.location, q.field, q.reason) for q in detail.quarantined],
            )
