"""`caseweave media bank import|list|disable|enable|export` and `caseweave media match`.

Registered onto the `media` app of cli/media.py by cli/main.py, as `media bank` and `media match`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.cli.common import UserOption, console, err_console, table, unit_of_work
from caseweave.errors import Invalid
from caseweave.intake.records import RecordError
from caseweave.media import banks
from caseweave.media.matching import KNOWN, MatchReport, match_hashset
from caseweave.operations.service import operation_by_ref

bank_app = typer.Typer(help="Banks of known material: hash lists owned by an agency.", no_args_is_help=True)
SHOWN = 50


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise Invalid(f"{path}: no such file", field="path")
    return path.read_bytes()


def _problem(error: RecordError) -> str:
    return escape(f"{error.location} [{error.field}]: {error.reason}")


@bank_app.command("import")
def bank_import(
    path: Annotated[Path, typer.Argument(help="VICS 2.0 JSON or CSV hash list")],
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    agency: Annotated[str | None, typer.Option("--agency", help="owning agency code")] = None,
    name: Annotated[str | None, typer.Option("--name", help="the bank's name (default: file name)")] = None,
    label: Annotated[str, typer.Option("--label", help="TLP label")] = "AMBER",
    partial: Annotated[
        bool, typer.Option("--partial", help="leave bad records out, import the rest")
    ] = False,
    release: Annotated[
        list[str] | None, typer.Option("--release", help="agency code an AMBER bank is released to")
    ] = None,
    user: UserOption = None,
) -> None:
    """Import a hash list as a bank. The same file twice adds nothing."""
    data = _read(path)
    with unit_of_work(user) as (session, actor, _):
        op = operation_by_ref(session, actor, operation)
        try:
            outcome = banks.import_bank(
                session,
                actor,
                op.id,
                data,
                path.name,
                agency=agency,
                name=name,
                label=label,
                partial=partial,
                released_to=release or (),
            )
        except banks.BankRejected as rejected:
            for error in rejected.errors[1:SHOWN]:  # the error line names the first
                err_console.print(f"  {_problem(error)}", highlight=False, soft_wrap=True)
            raise
        bank = outcome.bank
        if not outcome.created:
            console.print(f"bank {bank.id} ({escape(bank.name)}) already holds this file: nothing added")
            return
        console.print(
            f"bank {bank.id} ({escape(bank.name)}, {bank.tlp}): {bank.counts['entries']} entries, "
            f"{bank.counts['hashes']} distinct hashes, {bank.counts['quarantined']} left out",
            highlight=False,
        )
        for error in outcome.errors[:SHOWN]:
            err_console.print(f"  left out: {_problem(error)}", highlight=False, soft_wrap=True)


@bank_app.command("list")
def bank_list(
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    user: UserOption = None,
) -> None:
    """The operation's banks this user may see."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        rows = banks.list_banks(session, actor, operation_by_ref(session, actor, operation).id)
        table(
            "banks",
            ("id", "name", "tlp", "entries", "left out", "status"),
            [
                (
                    b.id,
                    b.name,
                    b.tlp,
                    b.counts.get("entries"),
                    b.counts.get("quarantined"),
                    _state(b.disabled),
                )
                for b in rows
            ],
        )


def _state(disabled: bool) -> str:
    return "disabled" if disabled else "enabled"


def _toggle(bank_id: int, entries: list[str] | None, user: str | None, disabled: bool) -> None:
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        changed = banks.set_disabled(session, actor, bank_id, disabled, entries or ())
        what = f"{changed} entr{'y' if changed == 1 else 'ies'}" if entries else f"bank {bank_id}"
        console.print(f"{what} {_state(disabled)}")


@bank_app.command("disable")
def bank_disable(
    bank_id: Annotated[int, typer.Argument(help="bank id")],
    entry: Annotated[
        list[str] | None, typer.Option("--entry", help="entry ref (MediaID); default: all")
    ] = None,
    user: UserOption = None,
) -> None:
    """Stop matching against a bank, or some of its entries."""
    _toggle(bank_id, entry, user, True)


@bank_app.command("enable")
def bank_enable(
    bank_id: Annotated[int, typer.Argument(help="bank id")],
    entry: Annotated[
        list[str] | None, typer.Option("--entry", help="entry ref (MediaID); default: all")
    ] = None,
    user: UserOption = None,
) -> None:
    """Match against a bank, or some of its entries, again."""
    _toggle(bank_id, entry, user, False)


@bank_app.command("export")
def bank_export(
    bank_id: Annotated[int, typer.Argument(help="bank id")],
    out: Annotated[Path, typer.Option("--out", help="the VICS 2.0 JSON file to write")],
    user: UserOption = None,
) -> None:
    """Write a bank's enabled entries as a VICS 2.0 hash set."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        document = banks.export_bank(session, actor, bank_id)
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"{len(document['value'])} entries written to {escape(str(out))}", highlight=False)


def match(
    hashset: Annotated[Path, typer.Argument(help="hash set of seized media (from `media hash`)")],
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    agency: Annotated[str | None, typer.Option("--agency", help="the agency that seized it")] = None,
    holder: Annotated[str | None, typer.Option("--holder", help="name of the device's holder")] = None,
    label: Annotated[str, typer.Option("--label", help="TLP label of the stored result")] = "AMBER",
    user: UserOption = None,
    show: Annotated[int, typer.Option("--show", help="files listed per status")] = 20,
) -> None:
    """Known material (bank, distance, category, series) and new material, per seized file."""
    data = _read(hashset)
    with unit_of_work(user) as (session, actor, db):
        op = operation_by_ref(session, actor, operation)
        report = match_hashset(
            session,
            actor,
            db.settings,
            op.id,
            data,
            hashset.name,
            agency=agency,
            holder=holder,
            label=label,
        )
        print_report(report, show)


def print_report(report: MatchReport, show: int = 20) -> None:
    """The triage summary: counts per status, then the files, known material with its entries."""
    stored = "stored as" if report.created else "already stored as"
    console.print(f"media match {stored} referral {report.referral_id}", highlight=False)
    for status, count in report.counts.items():
        console.print(f"  {status}: {count}", highlight=False)
    shown: dict[str, int] = {}
    for f in report.files:
        if shown.get(f.status, 0) >= show or f.status == "no match":
            continue
        shown[f.status] = shown.get(f.status, 0) + 1
        name = escape(f.file_name or f.ref)
        if f.status == KNOWN:
            best = f.matches[0]
            console.print(
                f"  {name}: {KNOWN} — bank {escape(best.bank)} entry {escape(best.ref)} "
                f"({best.algorithm}, distance {best.distance}, category {best.category}, "
                f"series {escape(best.series or '-')}){_more(len(f.matches) - 1 + f.hidden)}",
                highlight=False,
                soft_wrap=True,
            )
        else:
            console.print(f"  {name}: {f.status}", highlight=False, soft_wrap=True)
    for error in report.errors[:SHOWN]:
        err_console.print(f"  not matched: {_problem(error)}", highlight=False, soft_wrap=True)
    if report.linkage:
        console.print(report.linkage, highlight=False)


def _more(n: int) -> str:
    return f" and {n} more" if n > 0 else ""
