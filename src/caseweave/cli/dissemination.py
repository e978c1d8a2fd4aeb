"""`caseweave disseminate` and `package list|show|export|verify|receive|ack|outcome|overdue`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.cli.common import UserOption, console, table, unit_of_work
from caseweave.demo.dissemination import DemoPackages
from caseweave.dissemination import documents, service, workflow
from caseweave.dissemination.workflow import OUTCOMES, PackageInfo
from caseweave.errors import Invalid
from caseweave.operations.service import operation_by_ref

app = typer.Typer(
    help="Lead packages: what each agency is sent, and what it does with it.", no_args_is_help=True
)

OperationOption = Annotated[str, typer.Option("--operation", help="operation id or name")]
PackageArg = Annotated[str, typer.Argument(help="package id or reference, e.g. PKG-1-CA-OCPU-V2")]


def disseminate(
    operation: OperationOption,
    agency: Annotated[
        str | None, typer.Option("--agency", help="agency code or ISO country code; default every agency")
    ] = None,
    user: UserOption = None,
) -> None:
    """Build each receiving agency's next package version (none where nothing changed)."""
    with unit_of_work(user) as (session, actor, db):
        run = service.disseminate(
            session, actor, db.settings, operation_by_ref(session, actor, operation).id, agency
        )
        rows = [
            (
                r.agency,
                r.country,
                r.outcome,
                r.package.reference if r.package else None,
                r.package.subjects if r.package else None,
                r.package.urgency if r.package else None,
                f"{r.package.deadline:%Y-%m-%d %H:%M}" if r.package else None,
                r.changes,
            )
            for r in run.results
        ]
    table(
        "lead packages",
        ["agency", "country", "result", "package", "subjects", "urgency", "deadline", "changes"],
        rows,
    )
    new = sum(1 for r in run.results if r.outcome in ("new", "updated"))
    unchanged = sum(1 for r in run.results if r.outcome == "unchanged")
    console.print(f"{new} package(s) sent, {unchanged} unchanged (no new version)", highlight=False)


@app.command("list")
def list_packages(
    operation: OperationOption,
    user: UserOption = None,
    agency: Annotated[str | None, typer.Option("--agency", help="agency code (default: yours)")] = None,
    history: Annotated[bool, typer.Option("--history", help="include replaced versions")] = False,
) -> None:
    """Packages: coordinators see every agency's, others their own agency's; most urgent first."""
    with unit_of_work(user) as (session, actor, _db):
        infos = workflow.list_packages(
            session, actor, operation_by_ref(session, actor, operation).id, agency=agency, history=history
        )
    _packages_table("packages", infos)


@app.command("overdue")
def overdue(operation: OperationOption, user: UserOption = None) -> None:
    """The coordinator's list: packages past their deadline without acknowledgement."""
    with unit_of_work(user) as (session, actor, _db):
        infos = workflow.overdue(session, actor, operation_by_ref(session, actor, operation).id)
    _packages_table("overdue packages", infos)


@app.command("show")
def show(ref: PackageArg, user: UserOption = None) -> None:
    """A package's status and each subject's latest outcome."""
    with unit_of_work(user) as (session, actor, _db):
        found = workflow.package_status(session, actor, ref)
    info = found.info
    console.print(
        f"{info.reference} to {info.agency}: {info.status}, TLP:{info.tlp}, {info.urgency}, "
        f"acknowledge by {info.deadline:%Y-%m-%d %H:%M} UTC{' (OVERDUE)' if info.overdue else ''}; "
        f"sha256 {info.sha256}",
        highlight=False,
    )
    table(
        "subjects",
        ["subject", "urgency", "outcome", "note", "reported"],
        [
            (
                s.subject,
                s.urgency,
                s.outcome,
                escape(s.note or ""),
                f"{s.reported_by} {s.reported_at:%Y-%m-%d}" if s.reported_at else None,
            )
            for s in found.subjects
        ],
    )


@app.command("export")
def export(
    ref: PackageArg,
    fmt: Annotated[str, typer.Option("--format", help="json, html or pdf")] = "json",
    out: Annotated[
        Path | None, typer.Option("--out", help="file to write (default REFERENCE.FORMAT)")
    ] = None,
    user: UserOption = None,
) -> None:
    """Write a package as issued, as JSON (machine), HTML or PDF (to print)."""
    with unit_of_work(user) as (session, actor, _db):
        rendered = documents.read_document(session, actor, ref, fmt)
    path = out or Path(rendered.file_name)
    path.write_bytes(rendered.content)
    console.print(f"wrote {path} ({len(rendered.content)} bytes)", highlight=False)


@app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="a package's JSON export")], user: UserOption = None
) -> None:
    """Check a package file against what was issued: a changed file is refused."""
    if not file.is_file():
        raise Invalid(f"{file}: no such file", field="file")
    with unit_of_work(user) as (session, actor, _db):
        found = documents.verify_file(session, actor, file.read_bytes(), str(file))
    console.print(
        f"{file}: package {found.reference} (version {found.version} to {found.agency}, now {found.status}) "
        f"as issued; sha256 {found.sha256}",
        highlight=False,
    )


@app.command("receive")
def receive(ref: PackageArg, user: UserOption = None) -> None:
    """Mark a package received (a read receipt with the time and the user)."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        info = workflow.mark_received(session, actor, ref)
    console.print(f"{info.reference} received by {info.received_by} at {info.received_at:%Y-%m-%d %H:%M} UTC")


@app.command("ack")
def acknowledge(
    ref: PackageArg,
    note: Annotated[str, typer.Option("--note", help="e.g. who takes it on")] = "",
    user: UserOption = None,
) -> None:
    """Acknowledge a package: your agency takes it on; the deadline clock stops."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        info = workflow.acknowledge(session, actor, ref, note)
    late = " (after its deadline)" if info.acknowledged_at and info.acknowledged_at > info.deadline else ""
    console.print(f"{info.reference} acknowledged by {info.acknowledged_by}{late}", highlight=False)


@app.command("outcome")
def outcome(
    ref: PackageArg,
    subject: Annotated[str, typer.Argument(help="subject id as the package gives it")],
    result: Annotated[str, typer.Argument(help=" / ".join(OUTCOMES))],
    note: Annotated[str, typer.Option("--note")] = "",
    user: UserOption = None,
) -> None:
    """Report what became of one subject of a package."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        status = workflow.report_outcome(session, actor, ref, subject, result, note)
    console.print(f"{status.subject}: {OUTCOMES[status.outcome or '']} (reported by {status.reported_by})")


def _packages_table(title: str, infos: list[PackageInfo]) -> None:
    table(
        title,
        [
            "package",
            "agency",
            "status",
            "TLP",
            "urgency",
            "subjects",
            "urgent",
            "deadline",
            "received",
            "acknowledged",
        ],
        [
            (
                i.reference,
                i.agency,
                i.status + (" (OVERDUE)" if i.overdue else ""),
                i.tlp,
                i.urgency,
                i.subjects,
                i.urgent_subjects,
                f"{i.deadline:%Y-%m-%d %H:%M}",
                f"{i.received_by} {i.received_at:%Y-%m-%d %H:%M}" if i.received_at else None,
                f"{i.acknowledged_by} {i.acknowledged_at:%Y-%m-%d %H:%M}" if i.acknowledged_at else None,
            )
            for i in infos
        ],
    )


def print_demo_packages(result: DemoPackages) -> None:
    """The demo's last words: attribution, packages sent, the per-country table, where the files are."""
    run = result.attribution
    states = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in run.by_status.items()) or "none"
    console.print(run.provider, highlight=False)
    console.print(
        f"attribution: {run.subjects} subject(s), {run.changed} changed: {states}; "
        f"{sum(run.routed.values())} routed, {run.unallocated} unallocated, {run.review} for review",
        highlight=False,
    )
    sent = sum(1 for r in result.dissemination.results if r.outcome in ("new", "updated"))
    unchanged = sum(1 for r in result.dissemination.results if r.outcome == "unchanged")
    console.print(
        f"lead packages: {sent} sent now, {unchanged} unchanged since the last run", highlight=False
    )
    table(
        "per country: subjects routed and waiting, lead packages sent, urgent subjects "
        "(a child possibly at risk or new material)",
        ["country", "agency", "routed", "in queue", "packages sent", "urgent", "acknowledge by (UTC)"],
        [
            (r.country, r.agencies, r.routed, r.queued, r.packages_sent, r.urgent, r.deadline)
            for r in result.rows
        ],
    )
    queue = ", ".join(f"{n} {status}" for status, n in result.queue.items()) or "empty"
    console.print(f"coordinator's queue (not routed): {queue}", highlight=False)
    if result.folder is not None:
        names = ", ".join(path.name for path in result.files)
        console.print(
            f"one lead package ({result.sample}) as JSON, HTML and PDF: {result.folder}", highlight=False
        )
        console.print(f"  {names}", highlight=False)
