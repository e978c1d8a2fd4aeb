"""`caseweave serve` and `caseweave demo`."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from caseweave.cli.common import console, table, unit_of_work
from caseweave.cli.dissemination import print_demo_packages
from caseweave.cli.linkage import print_summary
from caseweave.cli.media_banks import print_report
from caseweave.config import load_settings
from caseweave.demo.dissemination import finish_demo
from caseweave.demo.media import run_media_demo
from caseweave.demo.outcomes import record_demo_outcomes
from caseweave.demo.referrals import has_referrals, import_folder
from caseweave.demo.seed import seed_demo
from caseweave.demo.stats import describe, write_demo_stats
from caseweave.linkage.service import link_operation
from caseweave.operations.service import agency_by_code

if TYPE_CHECKING:
    from fastapi import FastAPI

HostOption = Annotated[str, typer.Option("--host", help="address to listen on")]
PortOption = Annotated[int, typer.Option("--port")]


WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, max=64, help="server processes (default: the http_workers setting)"),
]


def serve(host: HostOption = "127.0.0.1", port: PortOption = 8000, workers: WorkersOption = None) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn  # here, like the app: only `serve` needs them

    from caseweave.db.runtime import Database

    if workers is not None:
        # Read by every process's settings: the login throttle shares its limits among them.
        os.environ["CASEWEAVE_HTTP_WORKERS"] = str(workers)
    settings = load_settings()
    # Migrated once, here: processes starting together must not race to upgrade one database.
    Database.open(settings).close()
    console.print(
        f"serving caseweave on http://{host}:{port} (docs at /docs) with {settings.http_workers} "
        f"process(es); database {settings.database_url}"
    )
    uvicorn.run(
        f"{__name__}:{worker_app.__name__}",
        factory=True,
        workers=settings.http_workers,
        host=host,
        port=port,
        log_level="info",
        # After SIGTERM, requests still running this long are cancelled: a stuck one cannot keep the
        # server up (their threads end within db_lock_timeout_seconds, when any lock wait gives up).
        timeout_graceful_shutdown=settings.http_shutdown_timeout_seconds,
        # A last line behind the app's own limit (api/overload.py), which answers 503 with Retry-After
        # long before this: connections and requests beyond it get uvicorn's plain 503.
        limit_concurrency=max(
            256, 4 * (settings.http_max_concurrent_requests + settings.http_max_queued_requests)
        ),
    )


def worker_app() -> FastAPI:
    """The app of one server process, built from the environment's settings."""
    from caseweave.api.app import create_app

    app = create_app(load_settings())
    # The objects of start-up (modules, models, the app) live as long as the process: frozen out of
    # garbage collection, a full collection no longer walks them all. Unfrozen, one took about 100 ms
    # in the middle of a request, the requests' 99th percentile at 40 reads/s (docs/benchmarks.md).
    gc.collect()
    gc.freeze()
    return app


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="set up and print, then exit")] = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
) -> None:
    """Load the demo operation (or refresh its passwords), print the logins, then serve the API."""
    data = Path(".caseweave/demo-data")
    with unit_of_work() as (session, actor, db):
        result = seed_demo(session, actor, db.settings)
        if not has_referrals(session, result.operation):
            from caseweave.synth import write_operation

            summary = write_operation(data, subjects=700, countries=35, seed=1)
            console.print(f"synthetic operation: {summary.describe()}", highlight=False)
            with console.status("importing referrals") as status:
                imported = import_folder(
                    session, actor, result.operation, data, lambda name: status.update(f"importing {name}")
                )
            formats = ", ".join(f"{count} {name}" for name, count in sorted(imported.by_format.items()))
            console.print(
                f"imported {imported.referrals} referrals ({formats}): {imported.persons} named persons "
                f"and {imported.accounts} unnamed accounts as records, {imported.sightings} sightings, "
                f"{imported.quarantined} records quarantined with reasons",
                highlight=False,
            )
            with console.status("linking person records into subjects"):
                linked = link_operation(session, actor, db.settings, result.operation.id, full=True)
            print_summary(linked)
        with console.status("media triage: drawing benign images, hashing, matching against a bank"):
            media = run_media_demo(
                session, actor, db.settings, result.operation, agency_by_code(session, "CA-HOTLINE")
            )
        console.print(
            f"media triage: bank {media.bank_id} of {media.bank_entries} known images; a seized device of "
            f"{media.seized_files} generated images (deleted again, only hashes kept) matched:",
            highlight=False,
        )
        print_report(media.report, show=3)
        with console.status("attributing subjects and sending lead packages"):
            packages = finish_demo(
                session, actor, db.settings, result.operation, Path(".caseweave/demo-packages")
            )
        with console.status("receiving agencies acknowledge packages and report outcomes; victims"):
            outcomes = record_demo_outcomes(session, actor, db.settings, result.operation)
        with console.status("operation figures, a public release and their charts"):
            stats = write_demo_stats(session, result.operation, Path(".caseweave/demo-stats"))
    state = "created" if result.created else "already loaded; demo passwords were reset"
    name = f"[bold]{result.operation.name}[/bold] (id {result.operation.id})"
    console.print(f"{name} {state}; database {db.settings.database_url}")
    table(
        "demo logins (synthetic accounts; passwords change on every `make demo`)",
        ["username", "agency", "roles", "password"],
        result.logins,
    )
    console.print(
        f"log in:  curl -s -X POST http://{host}:{port}/auth/login -H 'content-type: application/json' "
        '-d \'{"username": "analyst.gb", "password": "…"}\'',
        highlight=False,
    )
    print_demo_packages(packages)
    console.print(outcomes.describe(), highlight=False)
    for line in describe(stats):
        console.print(line, highlight=False)
    if not no_serve:
        serve(host, port)
