"""`caseweave media bank …` and `caseweave media match` as an operator runs them, in a real process."""

from __future__ import annotations

import json
import random
from pathlib import Path

from caseweave.config import Settings
from caseweave.db.runtime import Database
from tests.media.banks_support import flip, item, vics
from tests.support.cli import fails, ok
from tests.support.world import build_world


def test_bank_import_match_disable_export_from_the_command_line(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    build_world(db, settings, roles=("analyst",))
    url = settings.database_url
    rng = random.Random(20)
    known = [item(rng, media_id="501", category=1, series="Series Q"), item(rng, media_id="502")]
    bank = tmp_path / "known.json"
    bank.write_bytes(vics(known))
    out = ok(
        url,
        "media",
        "bank",
        "import",
        str(bank),
        "--operation",
        "Op Test",
        "--agency",
        "LEAD",
        "--label",
        "GREEN",
    )
    assert "bank 1 (known.json, GREEN): 2 entries, 8 distinct hashes, 0 left out" in out
    again = ok(url, "media", "bank", "import", str(bank), "--operation", "Op Test", "--agency", "LEAD")
    assert "nothing added" in again

    corrupt = item(rng)
    corrupt.pdq = "abc"
    bad = tmp_path / "bad.json"
    bad.write_bytes(vics([item(rng), corrupt]))
    line = fails(url, "media", "bank", "import", str(bad), "--operation", "Op Test", "--agency", "LEAD")
    assert "bad.json:$.value[1].AlternativeHashes[1].HashValue [pdq]" in line and "nothing was stored" in line

    seized = tmp_path / "seized.json"
    seized.write_bytes(
        vics([item(rng, pdq=flip(known[0].pdq or "", 12, rng), path="a.jpg"), item(rng, path="b.jpg")])
    )
    matched = ok(url, "media", "match", str(seized), "--operation", "Op Test", "--agency", "PARTNER")
    assert "known material: 1" in matched and "new material — victim identification priority: 1" in matched
    assert (
        "a.jpg: known material — bank known.json entry 501 (pdq, distance 12, category 1, series Series Q)"
        in matched
    )

    ok(url, "media", "bank", "disable", "1", "--entry", "502", "--user", "analyst.lead")
    export = tmp_path / "export.json"
    ok(url, "media", "bank", "export", "1", "--out", str(export), "--user", "analyst.lead")
    assert [m["MediaID"] for m in json.loads(export.read_text())["value"]] == [501]
    listed = ok(url, "media", "bank", "list", "--operation", "Op Test", "--user", "analyst.partner")
    assert "known.json" in listed
