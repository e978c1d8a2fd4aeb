"""Fixing quarantined records: export the bad lines, fix them, import with amends, records resolved."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Conflict, Forbidden, Invalid, NotFound
from caseweave.intake.models import QuarantinedRecord, Referral, Sighting
from caseweave.intake.quarantine import export_quarantined, list_quarantined
from caseweave.intake.service import ImportOutcome, import_referral
from tests.support.world import World, build_world

HEADER = "platform,account_id,username,login_ip,login_port,login_time\n"
LINES = [
    "chatapp,1001,darkfox,198.51.100.23,51234,2025-03-02T21:15:00Z\n",  # line 2
    "chatapp,1002,quietowl,198.51.100.24,443,last tuesday\n",  # line 3: bad time
    "chatapp,1003,lark,198.51.100.25,443,2025-03-03T08:00:00Z\n",  # line 4
    "chatapp,1004,kite,198.51.100.26,99999,2025-03-04T08:00:00Z\n",  # line 5: bad port
]
CHAT = [
    '{"type": "server", "name": "irc.example.net", "network": "ExampleNet"}\n',
    '{"type": "session", "nick": "zed", "account": "z", "ip": "192.0.2.1", "port": 70000}\n',
    '{"type": "session", "nick": "amy", "account": "a", "ip": "192.0.2.2"}\n',
]
TIP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<report id="CT-TEST-1">\n'
    "  <incidentSummary><incidentType>Child Pornography (possession, manufacture, and distribution)"
    "</incidentType><incidentDateTime>2026-02-14T09:30:00Z</incidentDateTime></incidentSummary>\n"
    "  <personOrUserReported>\n"
    "    <personOrUserReportedPerson><dateOfBirth>{dob}</dateOfBirth></personOrUserReportedPerson>\n"
    "    <espService>PhotoShareExample</espService><screenName>bad_example</screenName>\n"
    "  </personOrUserReported>\n</report>\n"
)


def analyst(world: World, agency: str = "LEAD") -> Actor:
    return Actor.for_user(world.user(agency, "analyst"))


def do_import(db: Database, actor: Actor, world: World, path: Path, **options: object) -> ImportOutcome:
    with db.transaction() as session, path.open("rb") as stream:
        return import_referral(session, actor, world.operation_id, stream, path.name, **options)  # type: ignore[arg-type]


def export(db: Database, actor: Actor, referral_id: int) -> bytes:
    out = BytesIO()
    with db.transaction() as session:
        export_quarantined(session, actor, referral_id, out)
    return out.getvalue()


def records(db: Database, referral_id: int) -> list[QuarantinedRecord]:
    with db.transaction() as session:
        query = select(QuarantinedRecord).where(QuarantinedRecord.referral_id == referral_id)
        return list(session.scalars(query.order_by(QuarantinedRecord.id)))


def referral(db: Database, referral_id: int) -> Referral:
    with db.transaction() as session:
        return session.get_one(Referral, referral_id)


def amend_actions(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).where(AuditEntry.action == "referral.amend")) or 0


def partial_csv(db: Database, world: World, tmp_path: Path) -> int:
    path = tmp_path / "return.csv"
    path.write_text(HEADER + "".join(LINES))
    outcome = do_import(db, analyst(world), world, path, partial=True, label="AMBER", released_to=["PARTNER"])
    return outcome.referral.id


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return build_world(db, settings, roles=("analyst",))


def test_quarantine_keeps_the_whole_bad_line(db: Database, world: World, tmp_path: Path) -> None:
    original = partial_csv(db, world, tmp_path)
    bad = records(db, original)
    assert [(r.line, r.ref, r.field) for r in bad] == [
        (3, "line 3", "login_time"),
        (5, "line 5", "login_port"),
    ]
    assert bad[0].raw == LINES[1].rstrip("\n") and bad[0].location == "return.csv:line 3"
    with db.transaction() as session:
        listed = list_quarantined(session, analyst(world), original)
    assert [(r.line, r.resolved) for r in listed] == [(3, False), (5, False)]


def test_export_fix_and_amend_resolves_the_records(db: Database, world: World, tmp_path: Path) -> None:
    original = partial_csv(db, world, tmp_path)
    exported = export(db, analyst(world), original).decode()
    assert exported.splitlines() == [
        "caseweave_source," + HEADER.rstrip("\n"),
        f"referral {original} line 3," + LINES[1].rstrip("\n"),
        f"referral {original} line 5," + LINES[3].rstrip("\n"),
    ]
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(exported.replace("last tuesday", "2025-03-05T10:00:00Z").replace("99999", "8080"))
    outcome = do_import(db, analyst(world), world, fixed, amends=original)

    assert outcome.amendment is not None and outcome.amendment.still_open == 0
    amendment = referral(db, outcome.referral.id)
    assert amendment.amends_referral_id == original and amendment.status == "imported"
    assert amendment.tlp == "AMBER", "an amendment keeps the label of the referral it fixes"
    assert all(
        r.resolved and r.resolved_by_referral_id == amendment.id and r.resolved_at
        for r in records(db, original)
    )
    assert referral(db, original).status == "amended"
    with db.transaction() as session:
        ports = session.scalars(select(Sighting.port).where(Sighting.referral_id == amendment.id)).all()
    assert sorted(p for p in ports if p) == [443, 8080], "the fixed lines are imported"
    # Released like the original: the partner that saw the bad records sees their fix.
    with db.transaction() as session:
        seen = list_quarantined(session, analyst(world, "PARTNER"), original)
    assert {r.resolved_by_referral_id for r in seen} == {amendment.id}
    assert amend_actions(db) == 1


def test_same_correction_twice_adds_nothing(db: Database, world: World, tmp_path: Path) -> None:
    original = partial_csv(db, world, tmp_path)
    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(export(db, analyst(world), original).replace(b"99999", b"8080"))
    first = do_import(db, analyst(world), world, fixed, amends=original, partial=True)
    before = (records(db, original), records(db, first.referral.id), amend_actions(db))
    again = do_import(db, analyst(world), world, fixed, amends=original, partial=True)
    assert not again.created and again.referral.id == first.referral.id
    after = (records(db, original), records(db, first.referral.id), amend_actions(db))
    assert [(r.id, r.resolved) for r in after[0]] == [(r.id, r.resolved) for r in before[0]]
    assert len(after[1]) == len(before[1]) == 1 and after[2] == before[2] == 1


def test_a_partly_fixed_amendment_is_fixed_in_turn(db: Database, world: World, tmp_path: Path) -> None:
    original = partial_csv(db, world, tmp_path)
    first_fix = tmp_path / "fix1.csv"
    first_fix.write_bytes(export(db, analyst(world), original).replace(b"99999", b"8080"))
    amendment = do_import(db, analyst(world), world, first_fix, amends=original, partial=True).referral.id
    assert [r.resolved for r in records(db, original)] == [False, True]
    assert referral(db, original).status == "partial" and referral(db, amendment).status == "partial"

    # The amendment's own export marks its lines; fixing them resolves both referrals.
    exported = export(db, analyst(world), amendment)
    assert (
        f"referral {amendment} line 2,".encode() in exported
        and b"referral " + str(original).encode() not in exported
    )
    second_fix = tmp_path / "fix2.csv"
    second_fix.write_bytes(exported.replace(b"last tuesday", b"2025-03-05T10:00:00Z"))
    outcome = do_import(db, analyst(world), world, second_fix, amends=amendment)
    assert outcome.amendment is not None and outcome.amendment.resolved == {amendment: 1, original: 1}
    assert referral(db, original).status == referral(db, amendment).status == "amended"
    assert records(db, original)[0].resolved_by_referral_id == outcome.referral.id


def test_a_corrected_whole_line_file_matches_by_line_number(
    db: Database, world: World, tmp_path: Path
) -> None:
    original = partial_csv(db, world, tmp_path)
    corrected = tmp_path / "return-corrected.csv"
    corrected.write_text(HEADER + "".join(LINES).replace("last tuesday", "2025-03-05T10:00:00Z"))
    outcome = do_import(db, analyst(world), world, corrected, amends=original, partial=True)
    assert [r.resolved for r in records(db, original)] == [True, False], "line 5 is still bad in the copy"
    assert outcome.amendment is not None and outcome.amendment.still_open == 1


def test_chat_export_keeps_the_server_line(db: Database, world: World, tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(CHAT))
    original = do_import(db, analyst(world), world, path, partial=True).referral.id
    lines = export(db, analyst(world), original).decode().splitlines()
    assert lines[0] == CHAT[0].rstrip("\n")
    assert json.loads(lines[1]) == {**json.loads(CHAT[1]), "caseweave_source": f"referral {original} line 2"}
    fixed = tmp_path / "chat-fixed.jsonl"
    fixed.write_text("\n".join(lines).replace("70000", "6697") + "\n")
    amendment = do_import(db, analyst(world), world, fixed, amends=original).referral.id
    assert referral(db, original).status == "amended"
    with db.transaction() as session:
        ports = session.execute(
            select(Sighting.port, Sighting.platform).where(Sighting.referral_id == amendment)
        )
        assert (6697, "ExampleNet") in {tuple(row) for row in ports}


def test_whole_document_formats_export_a_worklist(db: Database, world: World, tmp_path: Path) -> None:
    path = tmp_path / "tip.xml"
    path.write_text(TIP.replace("{dob}", "31/02/2001"))
    original = do_import(db, analyst(world), world, path, partial=True).referral.id
    worklist = [json.loads(line) for line in export(db, analyst(world), original).splitlines()]
    assert [(w["field"], w["raw"]) for w in worklist] == [("dateOfBirth", "31/02/2001")]
    assert worklist[0]["location"].startswith("tip.xml:/report/") and worklist[0]["reason"]

    other = tmp_path / "other.xml"
    other.write_text(TIP.replace("{dob}", "2001-02-28").replace("CT-TEST-1", "CT-TEST-2"))
    with pytest.raises(Invalid, match="CT-TEST-2"):
        do_import(db, analyst(world), world, other, amends=original)
    corrected = tmp_path / "tip-corrected.xml"
    corrected.write_text(TIP.replace("{dob}", "2001-02-28"))
    do_import(db, analyst(world), world, corrected, amends=original)
    assert referral(db, original).status == "amended"


def test_only_the_sending_agency_amends(db: Database, world: World, tmp_path: Path) -> None:
    original = partial_csv(db, world, tmp_path)  # released to PARTNER: it sees the referral
    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(export(db, analyst(world, "PARTNER"), original).replace(b"99999", b"8080"))
    with pytest.raises(Forbidden, match="another agency"):
        do_import(db, analyst(world, "PARTNER"), world, fixed, amends=original, partial=True)
    assert not any(r.resolved for r in records(db, original))


def test_a_referral_you_cannot_see_is_not_found(db: Database, world: World, tmp_path: Path) -> None:
    original = partial_csv(db, world, tmp_path)  # AMBER, not released to LATE
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(HEADER + LINES[0])
    for missing in (original, original + 99):
        with pytest.raises(NotFound, match=f"referral {missing} not found"):
            do_import(db, analyst(world, "LATE"), world, fixed, amends=missing)
        with db.transaction() as session, pytest.raises(NotFound):
            list_quarantined(session, analyst(world, "LATE"), missing)
        with pytest.raises(NotFound):
            export(db, analyst(world, "LATE"), missing)


def test_amending_needs_something_open_and_the_same_format(
    db: Database, world: World, tmp_path: Path
) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text(HEADER + LINES[0])
    clean_id = do_import(db, analyst(world), world, clean).referral.id
    other = tmp_path / "other.csv"
    other.write_text(HEADER + LINES[2])
    with pytest.raises(Conflict, match="no open quarantined records"):
        do_import(db, analyst(world), world, other, amends=clean_id)
    with pytest.raises(Conflict, match="no open quarantined records"):
        export(db, analyst(world), clean_id)
    original = partial_csv(db, world, tmp_path)
    chat = tmp_path / "chat.jsonl"
    chat.write_text(CHAT[0] + CHAT[2])
    with pytest.raises(Invalid, match="platform file"):
        do_import(db, analyst(world), world, chat, amends=original)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(f"caseweave_source,{HEADER}referral {original + 5} line 3,{LINES[0]}")
    with pytest.raises(Invalid, match=f"exported from referral {original + 5}"):
        do_import(db, analyst(world), world, wrong, amends=original)
