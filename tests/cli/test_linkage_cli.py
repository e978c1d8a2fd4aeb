"""Deconfliction from the command line, as an analyst in each of two agencies runs it: import links at
once, each holder is alerted within need-to-know, the subject explains itself, judgements stick,
and anyone can score the subjects against a truth file."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import PersonRecord
from tests.linkage.helpers import HEADER, Row
from tests.support.cli import fails, ok
from tests.support.world import World, build_world

LEAD_ROWS = (
    Row("a1", username="darkfox", email="shared@example.org", ip="81.2.69.160", at="2026-03-01T10:00:00Z"),
    Row("a2", username="quietowl", email="other@example.org"),
)
PARTNER_ROWS = (Row("p1", username="fox_of_dark", email="Shared@Example.org"),)


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return build_world(db, settings, roles=("analyst", "coordinator"))


def _write(folder: Path, name: str, rows: tuple[Row, ...]) -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(row.line() for row in rows), encoding="utf-8")
    return path


def _import(database_url: str, path: Path, agency: str, *options: str) -> str:
    return ok(database_url, "import", str(path), "--operation", "1", "--agency", agency, *options)


def _subject_ids(text: str) -> list[str]:
    return sorted(set(re.findall(r"SUB-\d{6}", text)))


def _scores(printed: str, configuration: str = "caseweave") -> dict[str, tuple[float, float, float]]:
    """level → (precision, recall, F1) of one configuration from `caseweave eval linkage`'s table."""
    found = re.findall(rf"{configuration}\W+(pairwise|cluster)\W+([\d.]+)\W+([\d.]+)\W+([\d.]+)", printed)
    return {level: (float(p), float(r), float(f)) for level, p, r, f in found}


def _alert_ids(listing: str) -> list[str]:
    return re.findall(r"^\W*(\d+)\W+SUB-\d{6}", listing, flags=re.MULTILINE)


def test_import_alerts_each_holder_within_need_to_know_and_explains_the_subject(
    database_url: str, world: World, tmp_path: Path
) -> None:
    first = _import(database_url, _write(tmp_path, "lead.csv", LEAD_ROWS), "LEAD", "--label", "GREEN")
    assert "linkage run" in first and "alerts: 0 new" in first
    assert re.search(r"^time: [\d.]+ s \(correlation [\d.]+ s, model .*, alerts [\d.]+ s\)$", first, re.M), (
        first
    )
    second = _import(database_url, _write(tmp_path, "partner.csv", PARTNER_ROWS), "PARTNER")
    assert "alerts: 2 new" in second, second

    # PARTNER may see LEAD's GREEN records, so its alert names LEAD and what matched ...
    partner_alerts = ok(database_url, "alert", "list", "--operation", "1", "--user", "analyst.partner")
    assert "Lead Agency (LEAD)" in partner_alerts and "email" in partner_alerts
    # ... while LEAD may not see PARTNER's AMBER record: it learns only that someone holds one.
    lead_alerts = ok(database_url, "alert", "list", "--operation", "1", "--user", "analyst.lead")
    assert "contact the operation coordinator" in lead_alerts and "PARTNER" not in lead_alerts
    [subject] = _subject_ids(partner_alerts)
    assert _subject_ids(lead_alerts) == [subject]

    shown = ok(database_url, "subject", "show", subject, "--explain", "--user", "analyst.partner")
    assert "2 record(s) you may see" in shown and "LEAD, PARTNER" in shown
    assert "shared@example.org" in shown  # the link's reason names the shared e-mail
    assert "attribution: none yet" in shown  # no attribution run yet, and it says how to get one
    lead_view = ok(database_url, "subject", "show", subject, "--explain", "--user", "analyst.lead")
    assert "1 record(s) you may see" in lead_view and "Shared@Example.org" not in lead_view
    assert fails(database_url, "subject", "show", "SUB-999999", "--user", "analyst.lead").startswith(
        "error: subject SUB-999999 not found"
    )

    [alert] = _alert_ids(partner_alerts)
    assert (
        ok(database_url, "alert", "ack", alert, "--user", "analyst.partner")
        == f"alert {alert} acknowledged\n"
    )
    settled = ok(
        database_url,
        "alert",
        "resolve",
        alert,
        "--lead",
        "PARTNER",
        "--note",
        "we hold the warrant",
        "--user",
        "coordinator.partner",
    )
    assert "PARTNER leads" in settled
    resolved = ok(
        database_url, "alert", "list", "--operation", "1", "--status", "resolved", "--user", "analyst.partner"
    )
    assert _alert_ids(resolved) == [alert]
    # LEAD cannot act on PARTNER's alert: it does not exist for LEAD.
    assert "not found" in fails(database_url, "alert", "ack", alert, "--user", "analyst.lead")


def test_judgements_stick_and_the_export_scores_against_truth(
    database_url: str, world: World, db: Database, tmp_path: Path
) -> None:
    _import(database_url, _write(tmp_path, "lead.csv", LEAD_ROWS), "LEAD", "--label", "GREEN")
    _import(database_url, _write(tmp_path, "partner.csv", PARTNER_ROWS), "PARTNER", "--label", "GREEN")
    exported = ok(
        database_url, "subjects", "export", "--operation", "1", "--format", "csv", "--user", "analyst.lead"
    )
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 3
    by_ref = {row["record_id"]: row for row in rows}
    account = {ref.rpartition(":")[2]: ref for ref in by_ref}
    subject_of = {name: by_ref[ref]["subject_id"] for name, ref in account.items()}
    assert subject_of["a1"] == subject_of["p1"] != subject_of["a2"]

    # The operator's explicit, audited export of every record, across need-to-know, for evaluation
    every = ["subjects", "export", "--operation", "1", "--every-record"]
    assert "say why every record is exported" in fails(database_url, *every)
    assert "operator" in fails(database_url, *every, "--reason", "scoring", "--user", "analyst.lead")
    everything = list(csv.DictReader(io.StringIO(ok(database_url, *every, "--reason", "scoring"))))
    assert {row["record_id"]: row["subject_id"] for row in everything} == {
        ref: row["subject_id"] for ref, row in by_ref.items()
    }
    with db.transaction() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "subject.export_every_record")
        )
        assert entry.detail["reason"] == "scoring" and entry.detail["rows"] == 3

    truth = tmp_path / "truth.json"
    people = {"a1": "T1", "p1": "T1", "a2": "T2"}
    truth.write_text(
        json.dumps(
            {
                "records": [
                    {"file": by_ref[ref]["file"], "ref": ref, "kind": "account", "subject": people[name]}
                    for name, ref in account.items()
                ]
            }
        )
    )
    scored = ok(database_url, "eval", "linkage", "--operation", "1", "--truth", str(truth))
    assert _scores(scored) == {"pairwise": (1.0, 1.0, 1.0), "cluster": (1.0, 1.0, 1.0)}, scored
    # beside the baselines on the same records: a1 and p1 share an e-mail, so naive exact joins them too
    assert _scores(scored, "naive exact") == _scores(scored), scored
    assert _scores(scored, "plain Splink") or "plain Splink: not run (" in scored, scored
    # The same truth as a CSV, with the file column and without it (refs alone)
    for columns in (("file", "record_ref", "entity_id"), ("record_ref", "entity_id")):
        as_csv = tmp_path / f"truth-{len(columns)}.csv"
        with as_csv.open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(columns)
            for name, ref in account.items():
                cells = {"file": by_ref[ref]["file"], "record_ref": ref, "entity_id": people[name]}
                out.writerow([cells[column] for column in columns])
        from_csv = ok(database_url, "eval", "linkage", "--operation", "1", "--truth", str(as_csv))
        assert _scores(from_csv) == _scores(scored), from_csv

    with db.transaction() as session:
        ids = {
            ref.rpartition(":")[2]: str(id_)
            for ref, id_ in session.execute(select(PersonRecord.ref, PersonRecord.id))
        }
    judged = ok(
        database_url,
        "judge",
        ids["a1"],
        ids["p1"],
        "not_same",
        "--reason",
        "different ages on ID",
        "--user",
        "analyst.lead",
    )
    assert "not_same" in judged and "split" in judged
    # The full re-run respects the judgement: the two records stay apart.
    assert "active subjects" in ok(database_url, "link", "--operation", "1", "--full", "--no-model")
    rescored = ok(database_url, "eval", "linkage", "--operation", "1", "--truth", str(truth))
    pairwise_recall, cluster_recall = _scores(rescored)["pairwise"][1], _scores(rescored)["cluster"][1]
    assert (pairwise_recall, cluster_recall) == (0.0, 0.5), rescored  # T2 alone is still right
    assert "line 1: a truth CSV needs the columns record_ref and entity_id" in fails(
        database_url, "eval", "linkage", "--operation", "1", "--truth", str(tmp_path / "lead.csv")
    )
    assert "not a caseweave truth file" in fails(
        database_url, "eval", "linkage", "--operation", "1", "--truth", str(tmp_path / "lead.json")
    )
