"""`caseweave attribute`, `attribution show|queue|routes|route|unroute`, `subject attribution`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from caseweave.attribution import queue
from caseweave.attribution.explain import explain_lines, shares
from caseweave.attribution.queue import RouteEntry
from caseweave.attribution.service import AttributionRun, attribute_subjects
from caseweave.cli.common import UserOption, console, table, unit_of_work
from caseweave.operations.service import operation_by_ref

app = typer.Typer(help="Attribution: where each subject is, and which agency acts.", no_args_is_help=True)

OperationOption = Annotated[str, typer.Option("--operation", help="operation id or name")]
ReasonOption = Annotated[str, typer.Option("--reason", help="why: it is kept with the route and audited")]


def attribute(
    operation: OperationOption,
    subject: Annotated[
        list[str] | None, typer.Option("--subject", help="only this subject (repeatable); default all")
    ] = None,
    user: UserOption = None,
) -> None:
    """Attribute subjects to countries from their evidence and route them to agencies."""
    with unit_of_work(user) as (session, actor, db):
        op = operation_by_ref(session, actor, operation)
        run = attribute_subjects(session, actor, db.settings, op.id, subject or None)
    print_run(run)


def print_run(run: AttributionRun) -> None:
    console.print(run.provider, highlight=False)
    states = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in run.by_status.items()) or "none"
    console.print(
        f"{run.subjects} subject(s) attributed, {run.changed} changed: {states}; "
        f"{sum(run.routed.values())} routed, {run.unallocated} unallocated, {run.review} for review"
        + (f", {run.retired} retired" if run.retired else ""),
        highlight=False,
    )
    if run.routed:
        table("routed", ["agency", "subjects"], sorted(run.routed.items()))
    shown = run.route_changes[:50]
    if shown:
        table("route changes", ["subject", "before", "now"], [(c.subject, c.before, c.after) for c in shown])
        if len(run.route_changes) > len(shown):
            console.print(f"… and {len(run.route_changes) - len(shown)} more")


@app.command("show")
def show(
    subject_id: Annotated[str, typer.Argument(help="e.g. SUB-000012")],
    user: UserOption = None,
) -> None:
    """A subject's attribution as the user may see it: distribution, confidence, every weight and why."""
    with unit_of_work(user, as_user=True) as (session, actor, _db):
        lines = explain_lines(session, actor, subject_id)
    for line in lines:
        console.print(escape(line), highlight=False, soft_wrap=True)


@app.command("queue")
def queue_list(
    operation: OperationOption,
    user: UserOption = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="no_agency, no_evidence, contested, low_confidence …")
    ] = None,
) -> None:
    """The coordinator's queue: subjects no agency was chosen for, and why."""
    with unit_of_work(user) as (session, actor, _db):
        entries = queue.unallocated(
            session, actor, operation_by_ref(session, actor, operation).id, reason=reason
        )
    _routes_table("unallocated and for review", entries)


@app.command("routes")
def routes(
    operation: OperationOption,
    user: UserOption = None,
    agency: Annotated[str | None, typer.Option("--agency", help="agency code (default: yours)")] = None,
    country: Annotated[str | None, typer.Option("--country", help="ISO 3166 alpha-2")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="routed, unallocated, review or retired")
    ] = None,
) -> None:
    """Subjects and where they are routed: coordinators see all, others those routed to them."""
    with unit_of_work(user) as (session, actor, _db):
        entries = queue.list_routes(
            session,
            actor,
            operation_by_ref(session, actor, operation).id,
            statuses=(status,) if status else None,
            country=country,
            agency=agency,
        )
    _routes_table("routes", entries)


@app.command("route")
def route(
    subject_id: Annotated[str, typer.Argument(help="e.g. SUB-000012")],
    reason: ReasonOption,
    agency: Annotated[str | None, typer.Option("--agency", help="agency code")] = None,
    country: Annotated[str | None, typer.Option("--country", help="or the operation's agency there")] = None,
    user: UserOption = None,
) -> None:
    """Route a subject by hand (coordinators of the lead agency); later runs keep it."""
    with unit_of_work(user) as (session, actor, _db):
        entry = queue.route_by_hand(session, actor, subject_id, agency=agency, country=country, reason=reason)
    console.print(f"{entry.subject} routed by hand to {entry.agency} ({entry.country})", highlight=False)


@app.command("unroute")
def unroute(
    subject_id: Annotated[str, typer.Argument(help="e.g. SUB-000012")],
    reason: ReasonOption,
    user: UserOption = None,
) -> None:
    """Clear a route by hand: the subject follows its attribution again."""
    with unit_of_work(user) as (session, actor, _db):
        entry = queue.clear_manual_route(session, actor, subject_id, reason=reason)
    where = f"routed to {entry.agency}" if entry.status == "routed" else f"{entry.status} ({entry.reason})"
    console.print(f"{entry.subject} follows its attribution again: {where}", highlight=False)


def _routes_table(title: str, entries: list[RouteEntry]) -> None:
    table(
        title,
        ["subject", "status", "agency", "country", "confidence", "distribution", "why", "decided"],
        [
            (
                e.subject,
                e.status,
                e.agency,
                e.country,
                f"{e.confidence:.2f}" if e.confidence is not None else None,
                shares(e.distribution),
                escape(e.note or "") if e.method == "manual" else e.reason_text,
                f"{e.decided_by} {e.decided_at:%Y-%m-%d}",
            )
            for e in entries
        ],
    )


def evaluate(
    operation: OperationOption,
    truth: Annotated[
        Path,
        typer.Option(
            "--truth",
            help="truth.json of `caseweave synth operation`, or a CSV: record_ref,entity_id,country[,file]",
        ),
    ],
    user: UserOption = None,
) -> None:
    """How many subjects the last attribution run allocated a country, and how many rightly, beside
    the naive rule "phone country, else IP geolocation, else e-mail ccTLD" on the same subjects."""
    from caseweave.attribution import evaluation
    from caseweave.attribution.geo import open_provider
    from caseweave.linkage.evaluation import keyed_like, load_truth
    from caseweave.linkage.export import predicted_subjects

    countries, expected = evaluation.truth_countries(truth), load_truth(truth)
    with unit_of_work(user) as (session, actor, db):
        op = operation_by_ref(session, actor, operation)
        predicted, _ = keyed_like(expected, predicted_subjects(session, actor, op.id))
        true = evaluation.true_country_by_subject(predicted, expected, countries)
        geo = open_provider(db.settings)
        try:
            rows = [
                ("caseweave", evaluation.allocated(session, actor, op.id)),
                ("naive rule", evaluation.naive(session, actor, op.id, geo)),
            ]
        finally:
            geo.close()
    table(
        f"attribution against truth: {len(true)} subjects with a true country",
        ["configuration", "allocated", "coverage", "right", "accuracy"],
        [
            (name, str(s.allocated), f"{s.coverage:.1%}", str(s.right), f"{s.accuracy:.1%}")
            for name, s in ((name, evaluation.score(chosen, true)) for name, chosen in rows)
        ],
    )
    console.print(
        "naive rule: the commonest country of the subject's phones, else of its IP addresses' "
        "geolocation, else of its e-mail ccTLDs",
        highlight=False,
    )
