"""Importing a file: one transaction, nothing lost, nothing twice, bad records quarantined or refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import PersonRecord, QuarantinedRecord, RawChunk, Referral, Sighting
from caseweave.intake.service import ImportRejected, import_referral
from caseweave.intake.storage import read_raw
from tests.support.world import World, build_world

HEADER = (
    "platform,account_id,username,display_name,email,phone,registration_ip,registration_time,"
    "login_ip,login_port,login_time\n"
)
GOOD = [
    "chatapp,1001,DarkFox88,Ana Example,Ana.Example@Example.com,,203.0.113.7,2025-02-01T10:00:00Z,,,\n",
    "chatapp,1001,DarkFox88,Ana Example,Ana.Example@Example.com,,,,198.51.100.23,51234,"
    "2025-03-02T21:15:00Z\n",
    "chatapp,1002,quietowl,,owl@example.org,,,,198.51.100.24,443,2025-03-03T08:00:00Z\n",
]
BAD = "chatapp,1003,badtime,,x@example.org,,,,198.51.100.25,443,not-a-time\n"


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines))
    return path


def counts(db: Database) -> tuple[int, ...]:
    with db.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Referral, PersonRecord, Sighting, QuarantinedRecord, RawChunk)
        )


def do_import(db: Database, world: World, path: Path, **options: object) -> object:
    with db.transaction() as session, path.open("rb") as stream:
        actor = Actor.for_user(world.user("LEAD", "analyst"))
        return import_referral(session, actor, world.operation_id, stream, path.name, **options)  # type: ignore[arg-type]


def test_a_file_imports_once_and_keeps_its_bytes(db: Database, settings: Settings, tmp_path: Path) -> None:
    world = build_world(db, settings, roles=("analyst",))
    path = write(tmp_path, "return.csv", GOOD)
    do_import(db, world, path)
    after_first = counts(db)
    assert after_first[:4] == (1, 2, 7, 0)
    do_import(db, world, path)
    assert counts(db) == after_first, "the same file twice adds nothing"
    with db.transaction() as session:
        referral = session.scalars(select(Referral)).one()
        assert b"".join(read_raw(session, referral.sha256)) == path.read_bytes()
        emails = session.scalars(select(Sighting.value).where(Sighting.selector_type == "email")).all()
        linked = session.scalars(select(Sighting.person_record_id)).all()
    assert set(emails) == {"ana.example@example.com", "owl@example.org"}
    assert all(linked), "every sighting of a platform return belongs to its account"


def test_a_bad_record_refuses_the_file_and_stores_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    before = counts(db)
    with pytest.raises(ImportRejected) as rejected:
        do_import(db, world, write(tmp_path, "bad.csv", [*GOOD, BAD]))
    assert "bad.csv:line 5" in str(rejected.value.errors[0].location)
    assert counts(db) == before


def test_partial_import_quarantines_bad_records(db: Database, settings: Settings, tmp_path: Path) -> None:
    world = build_world(db, settings, roles=("analyst",))
    do_import(db, world, write(tmp_path, "bad.csv", [*GOOD, BAD]), partial=True)
    with db.transaction() as session:
        referral = session.scalars(select(Referral)).one()
        quarantined = session.scalars(select(QuarantinedRecord)).one()
    assert referral.status == "partial" and referral.counts["quarantined"] == 1
    assert "line 5" in quarantined.location and "not-a-time" in quarantined.reason


def test_upload_and_need_to_know(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    path = write(tmp_path, "return.csv", GOOD)
    response = client.post(
        f"/operations/{world.operation_id}/referrals",
        headers=world.headers("LEAD", "analyst"),
        files={"file": ("return.csv", path.read_bytes(), "text/csv")},
        data={"label": "AMBER", "released_to": ["PARTNER"]},
    )
    assert response.status_code == 201, response.text
    referral_id = response.json()["referral"]["id"]
    again = client.post(
        f"/operations/{world.operation_id}/referrals",
        headers=world.headers("LEAD", "analyst"),
        files={"file": ("copy.csv", path.read_bytes(), "text/csv")},
    )
    assert again.status_code == 200 and again.json()["created"] is False
    for agency, visible in (("LEAD", True), ("PARTNER", True), ("LATE", False), ("OBSERVER", False)):
        shown = client.get(f"/referrals/{referral_id}", headers=world.headers(agency, "analyst"))
        assert shown.status_code == (200 if visible else 404), agency
        if visible:
            assert len(shown.json()["sightings"]) == 7
        listed = client.get(
            f"/operations/{world.operation_id}/referrals", headers=world.headers(agency, "analyst")
        )
        assert [r["id"] for r in listed.json()] == ([referral_id] if visible else []), agency


def tip_with_phone(country: str, phone: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<report id="CT-REGION-{country}">
  <incidentSummary><incidentDateTime>2026-02-14T09:30:00Z</incidentDateTime></incidentSummary>
  <personOrUserReported>
    <personOrUserReportedPerson>
      <firstName>Jordan</firstName><lastName>Example</lastName>
      <phone>{phone}</phone>
      <address><country>{country}</country></address>
    </personOrUserReportedPerson>
  </personOrUserReported>
</report>
"""


@pytest.mark.parametrize(
    ("country", "phone", "expected"),
    [
        ("AU", "0412 345 678", "+61412345678"),  # national format: the person's country decides
        ("Australia", "+44 7400 123456", "+447400123456"),  # international format needs no region
        ("", "07400 123456", "+447400123456"),  # no stated country: the sending agency's (GB)
    ],
)
def test_a_national_phone_is_read_in_the_persons_stated_country(
    db: Database, settings: Settings, tmp_path: Path, country: str, phone: str, expected: str
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    path = tmp_path / "tip.xml"
    path.write_text(tip_with_phone(country, phone))
    do_import(db, world, path, fmt="cybertip")
    with db.transaction() as session:
        stored = session.scalars(select(Sighting.value).where(Sighting.selector_type == "phone")).all()
    assert stored == [expected]


def test_selectors_the_file_gives_to_nobody_are_counted_on_the_referral(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from caseweave.intake.formats.misp_examples import examples

    world = build_world(db, settings, roles=("analyst",))
    two_persons = next(example for example in examples() if example.persons == 2)  # a loose e-mail
    path = tmp_path / "event.json"
    path.write_bytes(two_persons.content)
    do_import(db, world, path)
    csv_return = write(tmp_path, "return.csv", GOOD)
    do_import(db, world, csv_return)
    with db.transaction() as session:
        counts = {r.file_name: r.counts["unassigned_sightings"] for r in session.scalars(select(Referral))}
    assert counts == {"event.json": 1, "return.csv": 0}
