"""`caseweave link`, `subject show|list|export`, `judge`, `alert list|ack|resolve`, `eval linkage`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.attribution.explain import explain_lines
from caseweave.cli.common import UserOption, console, table, unit_of_work
from caseweave.errors import Invalid
from caseweave.linkage import alert_workflow, export, judgements
from caseweave.linkage.evaluation import keyed_like, load_truth, score
from caseweave.linkage.explain import explain_link, subject_view
from caseweave.linkage.service import RunSummary, link_operation, run_linkage
from caseweave.operations.service import operation_by_ref

subject_app = typer.Typer(help="Subjects: one per real person, across agencies.", no_args_is_help=True)
alert_app = typer.Typer(help="Alerts: another agency holds the same subject.", no_args_is_help=True)
eval_app = typer.Typer(help="Score results against ground truth.", no_args_is_help=True)


def link(
    operation: Annotated[str, typer.Option("--operation", help="operation id or name")],
    full: Annotated[bool, typer.Option("--full", help="re-run everything and retrain the model")] = False,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark")] = "duckdb",
    no_model: Annotated[bool, typer.Option("--no-model", help="exact selector correlation only")] = False,
    user: UserOption = None,
) -> None:
    """Link new person records (or, with --full, all) into subjects; alert every holding agency."""
    if engine not in {"duckdb", "spark"}:
        raise Invalid(f"unknown engine {engine!r}", field="engine", hint="duckdb or spark")
    with unit_of_work(user) as (session, actor, db):
        op = operation_by_ref(session, actor, operation)
        summary = run_linkage(
            session, actor, db.settings, op.id, full=full, engine=engine, use_model=not no_model
        )
    print_summary(summary)


def print_summary(summary: RunSummary) -> None:
    events = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.events.items())) or "no change"
    subjects = "" if summary.subjects is None else f"{summary.subjects} active subjects; "
    console.print(
        f"linkage run {summary.run_id} ({summary.mode}): {summary.records} record(s) linked, "
        f"{summary.selector_links} selector link(s), {summary.probabilistic_links} probabilistic; "
        f"{summary.scope} re-clustered: {events}; {subjects}"
        f"alerts: {summary.alerts_new} new, {summary.alerts_updated} updated",
        highlight=False,
    )
    if summary.model_note:
        console.print(f"model: {summary.model_note}", highlight=False)
    if summary.uncorroborated:
        console.print(
            f"{summary.uncorroborated} pair(s) above the model's threshold not linked: they share only "
            "weak tokens (a handle's core, one name, a town)",
            highlight=False,
        )
    if summary.flagged:
        console.print(
            f"{summary.flagged} subject(s) flagged for review: their records state different dates of "
            "birth (`caseweave subject show` says which)",
            highlight=False,
        )
    if summary.seconds:
        parts = ", ".join(f"{part} {n:.1f} s" for part, n in summary.seconds.items() if part != "total")
        console.print(f"time: {summary.seconds['total']:.1f} s ({parts})", highlight=False)
    if summary.over_correlating:
        shown = summary.over_correlating[:20]
        console.print(f"{len(summary.over_correlating)} over-correlating value(s) did not link anyone:")
        for item in shown:
            console.print(f"  {item.selector_type} {escape(item.value)}: {item.persons} person records")
    for conflict in summary.conflicts:
        console.print(
            f"CONFLICT: judgements {', '.join(f'#{j}' for j in conflict.same_judgements)} say same but "
            f"{', '.join(f'#{j}' for j in conflict.not_same_judgements)} say not same "
            f"(records {', '.join(map(str, sorted(conflict.records)))}); the 'same' ones are held back "
            "until an analyst resolves it",
            highlight=False,
        )


@subject_app.command("show")
def subject_show(
    subject_id: Annotated[str, typer.Argument(help="e.g. SUB-000012")],
    explain: Annotated[
        bool, typer.Option("--explain", help="list the links and why each holds, and the attribution")
    ] = False,
    user: UserOption = None,
) -> None:
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        view = subject_view(session, actor, subject_id)
        subject = view.subject
        moved = f" (asked for {subject_id}: merged into it)" if view.merged_into else ""
        console.print(
            f"{subject.public_id}{moved}: {subject.status}, {len(view.records)} record(s) you may see, "
            f"held by {', '.join(view.agencies)}",
            highlight=False,
        )
        if view.hidden_note:
            console.print(view.hidden_note)
        for reason in view.review:
            console.print(f"REVIEW: {reason}", highlight=False)
        table(
            "records",
            ["record", "agency", "file", "ref", "name", "born", "country", "selectors"],
            [
                (
                    r.record.id,
                    r.agency,
                    r.file_name,
                    r.record.ref,
                    r.record.full_name or " ".join(filter(None, (r.record.given_name, r.record.family_name))),
                    r.record.date_of_birth,
                    r.record.country,
                    ", ".join(sorted({f"{s.selector_type}:{s.value}" for s in r.sightings})[:6]),
                )
                for r in view.records
            ],
        )
        if explain:
            table(
                "links",
                ["records", "why"],
                [(f"{link.a_id}–{link.b_id}", escape(explain_link(link))) for link in view.links],
            )
            table(
                "judgements",
                ["id", "records", "verdict", "reason"],
                [(j.id, f"{j.a_id}–{j.b_id}", j.verdict, j.reason) for j in view.judgements],
            )
            table(
                "history",
                ["when", "what", "related"],
                [
                    (e.at.isoformat(timespec="seconds"), e.kind, ", ".join(e.detail.get("related", [])))
                    for e in view.events
                ],
            )
            for line in explain_lines(session, actor, subject.public_id):  # where the subject likely is
                console.print(escape(line), highlight=False)


@subject_app.command("export")
def subjects_export(
    operation: Annotated[str, typer.Option("--operation")],
    out: Annotated[Path | None, typer.Option("--out", help="CSV file (default: standard output)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv")] = "csv",
    every_record: Annotated[
        bool,
        typer.Option(
            "--every-record",
            help="the operator only: every record of the operation, across need-to-know, for scoring "
            "against the truth the data came with; audited with --reason",
        ),
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="why every record is exported")] = "",
    user: UserOption = None,
) -> None:
    """One row per referral record the user may see, with its subject id and the record's own id in its
    file (a MISP object uuid, a STIX id, a line), for anyone to score."""
    if fmt != "csv":
        raise Invalid(f"unknown export format {fmt!r}", field="format", hint="csv")
    with unit_of_work(user, as_user=not every_record) as (session, actor, _db):
        operation_id = operation_by_ref(session, actor, operation).id
        if every_record:
            rows = export.every_subject_row(session, actor, operation_id, reason)
        else:
            rows = export.subject_rows(session, actor, operation_id)
    handle = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(export.COLUMNS)
        writer.writerows(rows)
    finally:
        if out:
            handle.close()
    if out:
        console.print(f"{len(rows)} record(s) written to {out}")


def judge(
    first: Annotated[int, typer.Argument(help="person record id")],
    second: Annotated[int, typer.Argument(help="person record id")],
    verdict: Annotated[str, typer.Argument(help="same or not_same")],
    reason: Annotated[str, typer.Option("--reason", help="what decides it")],
    user: UserOption = None,
) -> None:
    """Say two person records are (not) the same person; every later run respects it."""
    with unit_of_work(user, as_user=True) as (session, actor, db):
        judgement = judgements.judge(session, actor, first, second, verdict, reason)
        summary = link_operation(
            session, actor, db.settings, judgement.operation_id, seeds=[first, second], use_model=False
        )
    console.print(f"judgement {judgement.id}: records {judgement.a_id} and {judgement.b_id} {verdict}")
    print_summary(summary)


@alert_app.command("list")
def alert_list(
    operation: Annotated[str, typer.Option("--operation")],
    status: Annotated[str | None, typer.Option("--status", help="new, acknowledged or resolved")] = None,
    user: UserOption = None,
) -> None:
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        rows = [
            (a.id, s.public_id, a.status, ", ".join(a.evidence), a.message)
            for a, s in alert_workflow.list_alerts(
                session, actor, operation_by_ref(session, actor, operation).id, status
            )
        ]
    table("alerts", ["id", "subject", "status", "matched on", "message"], rows)


@alert_app.command("ack")
def alert_ack(alert_id: Annotated[int, typer.Argument()], user: UserOption = None) -> None:
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        alert = alert_workflow.acknowledge(session, actor, alert_id)
        console.print(f"alert {alert.id} acknowledged")


@alert_app.command("resolve")
def alert_resolve(
    alert_id: Annotated[int, typer.Argument()],
    lead: Annotated[str, typer.Option("--lead", help="agency code that leads on the subject")],
    note: Annotated[str, typer.Option("--note", help="how it was settled")],
    user: UserOption = None,
) -> None:
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        alert = alert_workflow.resolve(session, actor, alert_id, lead_agency=lead, note=note)
        console.print(f"alert {alert.id} resolved; {lead.upper()} leads")


@eval_app.command("linkage")
def eval_linkage(
    operation: Annotated[str, typer.Option("--operation")],
    truth: Annotated[
        Path,
        typer.Option(
            "--truth", help="truth.json of `caseweave synth operation`, or a CSV: record_ref,entity_id[,file]"
        ),
    ],
    baselines: Annotated[
        bool,
        typer.Option(
            "--baselines/--no-baselines",
            help="also score naive exact correlation on non-IP selectors and plain Splink on person fields",
        ),
    ] = True,
    user: UserOption = None,
) -> None:
    """Pairwise and cluster precision, recall and F1 of the operation's subjects against truth, beside
    two baselines on the same records."""
    expected = load_truth(truth)
    inputs = None
    with unit_of_work(user) as (session, actor, db):
        operation_id = operation_by_ref(session, actor, operation).id
        predicted = export.predicted_subjects(session, actor, operation_id)
        if baselines:
            inputs = export.baseline_inputs(session, actor, operation_id)
    predicted, ambiguous = keyed_like(expected, predicted)
    if ambiguous:
        console.print(f"{ambiguous} record ref(s) appear in several files: add a file column to score them")
    scores = score(predicted, expected)
    console.print(
        f"{scores.records} person records scored ({len(expected)} in truth, {len(predicted)} linked)"
    )
    rows = [("caseweave", scores)]
    if inputs is not None:
        # imported here: Splink and DuckDB cost ~200 ms at start-up, and only this needs them
        from caseweave.linkage.baselines import baseline_subjects

        for name, labels in baseline_subjects(inputs, threshold=db.settings.link_match_weight_threshold):
            if isinstance(labels, str):
                console.print(f"{name}: not run ({labels})", highlight=False)
                continue
            rows.append((name, score(keyed_like(expected, labels)[0], expected)))
        console.print(
            "naive exact: records sharing any non-IP selector value joined; plain Splink: Splink on "
            "names, date of birth and country alone",
            highlight=False,
        )
    table(
        "linkage against truth",
        ["configuration", "level", "precision", "recall", "F1"],
        [
            (name, level, f"{p:.4f}", f"{r:.4f}", f"{f:.4f}")
            for name, result in rows
            for level, p, r, f in result.table()
        ],
    )
