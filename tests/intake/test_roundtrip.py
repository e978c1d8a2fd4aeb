"""Every format round-trips the synthetic operation: synth → files → import → the same persons and
sightings, checked against truth.json.

The files are imported the way the demo imports them (demo.referrals.import_folder: each file sent by
the agency its name gives, with --partial), one format at a time, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from caseweave.actor import Actor
from caseweave.db.runtime import Database
from caseweave.demo.referrals import import_folder
from caseweave.synth import write_operation
from tests.support.roundtrip import (
    FORMATS,
    Stored,
    Truth,
    demo_operation,
    exercised,
    format_of,
    stored_referrals,
)
from tests.support.roundtrip_checks import ASPECTS, check

# Small but complete: every format and record kind, and the paths in EXERCISED (this seed has them).
SUBJECTS, COUNTRIES, SEED = 48, 6, 10
FOREIGN_PHONE = "national phone of another country than the sender's"
UNNAMED = "sighting of nobody named in the file"
ACCOUNT = "sighting of an unnamed account"  # a record of its own, not a loose selector
EXERCISED = {
    "cybertip": {FOREIGN_PHONE, "victim's account", UNNAMED},
    "misp": {FOREIGN_PHONE, "ethereum wallet", ACCOUNT},
    "stix": {ACCOUNT},
}


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic operation, with each format's files also copied into a folder of their own."""
    out = tmp_path_factory.mktemp("roundtrip")
    summary = write_operation(out / "all", subjects=SUBJECTS, countries=COUNTRIES, seed=SEED)
    for name in summary.files:
        folder = out / format_of(name)
        folder.mkdir(exist_ok=True)
        shutil.copy(summary.out / name, folder / name)
    shutil.copy(summary.out / "truth.json", out / "truth.json")
    return out


def _import(db: Database, folder: Path) -> dict[str, Stored]:
    with db.transaction() as session:
        target = demo_operation(session)
        import_folder(session, Actor.cli(), target, folder, lambda name: None)
        return stored_referrals(session, target.id)


def test_the_operation_holds_every_format_and_record_kind(operation: Path) -> None:
    truth = Truth.load(operation)
    kinds = {(format_of(file), kind) for (file, _), kind in truth.kind.items()}
    assert kinds == {
        *(("chat", k) for k in ("account", "membership", "session")),
        *(("cybertip", k) for k in ("person", "upload", "victim")),
        *(("platform_csv", k) for k in ("account", "row")),
        *(("platform_jsonl", k) for k in ("account", "row")),
        *(("misp", k) for k in ("person", "account", "selector")),
        *(("stix", k) for k in ("person", "account", "selector", "observation")),
    }
    assert sum(truth.summary["formats"].values()) == len(truth.summary["files"])
    assert {format_of(name) for name in truth.summary["files"]} == set(FORMATS)
    # A victim without espService: its account is on the reporting ESP's service.
    victims = [
        v for name in truth.files("cybertip") for v in ET.parse(operation / "cybertip" / name).iter("victim")
    ]
    assert any(v.find("espService") is None for v in victims)


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_round_trips(db: Database, operation: Path, fmt: str) -> None:
    truth = Truth.load(operation)
    stored = _import(db, operation / fmt)
    assert sorted(stored) == truth.files(fmt)
    problems: dict[str, list[str]] = {aspect: [] for aspect in ASPECTS}
    paths: set[str] = set()
    for file, referral in stored.items():
        for aspect, found in check(file, referral, truth, operation / fmt).items():
            problems[aspect] += found
        paths |= exercised(file, referral)
    assert EXERCISED.get(fmt, set()) <= paths, "the operation no longer exercises these paths"
    # One assertion per aspect, so a failure names what went wrong first.
    assert problems["quarantined"] == [], "records quarantined"
    assert problems["lost"] == [], "truth records that arrived as no row"
    assert problems["stray"] == [], "rows that stand for no truth record"
    assert problems["counts"] == [], "counts that disagree with truth"
    assert problems["values"] == [], "selector values that are not the subject's"
    assert problems["windows"] == [], "home IPs seen outside the subject's lease"
    assert problems["persons"] == [], "person records that do not state their subject"
    assert problems["ties"] == [], "sightings tied to the wrong person record, or to none"
