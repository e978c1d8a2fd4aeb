"""`caseweave disseminate` and `caseweave package …` as an operator runs them: real processes."""

from __future__ import annotations

import json
from pathlib import Path

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.dissemination.scenario import build
from tests.support.cli import fails, ok

REF = "PKG-1-PARTNER-V1"


def test_disseminate_export_verify_and_answer(
    db: Database, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    scene = build(db, settings)
    refused = fails(database_url, "disseminate", "--operation", "Op Test", "--agency", "XX")
    assert refused.startswith("error: unknown country code 'XX' [agency]")

    sent = ok(database_url, "disseminate", "--operation", "Op Test")
    assert REF in sent and "3 package(s) sent, 0 unchanged" in sent

    pdf, copy = tmp_path / "p.pdf", tmp_path / "p.json"
    ok(
        database_url,
        "package",
        "export",
        REF,
        "--format",
        "pdf",
        "--out",
        str(pdf),
        "--user",
        "analyst.partner",
    )
    assert pdf.read_bytes().startswith(b"%PDF-")
    ok(database_url, "package", "export", REF, "--out", str(copy))
    assert f"{copy}: package {REF} (version 1 to PARTNER, now sent) as issued" in ok(
        database_url, "package", "verify", str(copy)
    )
    body = json.loads(copy.read_text())
    body["subjects"] = body["subjects"][1:]
    copy.write_text(json.dumps(body))
    assert "it was altered after it was sent" in fails(database_url, "package", "verify", str(copy))

    child = scene.subjects["child"]
    answered = ok(
        database_url, "package", "outcome", REF, child, "investigating", "--user", "analyst.partner"
    )
    assert f"{child}: investigation opened (reported by analyst.partner)" in answered
    hidden = fails(database_url, "package", "show", REF, "--user", "analyst.late")
    assert hidden == f"error: package {REF} not found [package] — list yours with `caseweave package list`"
