"""What the probabilistic model compares: names, addresses, handles, IP-days, and the rows built
from SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import PersonRecord
from caseweave.linkage.addresses import Address, parse_address
from caseweave.linkage.features import (
    ADDRESS_PARTS,
    email_handle,
    handle_forms,
    ip_days,
    ip_weeks,
    load_features,
    name_key,
    split_name,
)
from caseweave.linkage.warninglists import build_matcher, ensure_bundled
from tests.linkage.helpers import Row, import_rows
from tests.support.world import build_world

AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
HALF_DAY = timedelta(hours=12)


def test_names_compare_without_accents_case_or_punctuation() -> None:
    assert name_key("  José ÁLVAREZ-Núñez, Jr. ") == "jose alvarez-nunez jr"
    assert name_key("Ørsted 2nd") == "ørsted nd"
    assert name_key("  ") is None and name_key(None) is None


def test_a_full_name_alone_is_split_and_stated_parts_win() -> None:
    assert split_name("Анна Мария Иванова", None, None) == ("анна", "мария иванова")
    assert split_name("Fendenric", None, None) == ("fendenric", None)
    assert split_name("ignored name", "Émile", None) == ("emile", None)
    assert split_name(None, None, None) == (None, None)


def test_an_address_is_read_into_street_premise_locality_and_postcode() -> None:
    assert parse_address("12 Main Street, Flat 3, Springfield IL 62704-1234") == Address(
        "12", "main street", "springfield il", "62704", "flat 3"
    )
    assert parse_address("Flat 3, 12 High St., London SW1A 1AA") == Address(
        "12", "high st", "london", "sw1a1aa", "flat 3"
    )
    assert parse_address("Hauptstraße 5, 10115 Berlin") == Address("5", "hauptstrasse", "berlin", "10115")
    # the street line is the one with a house number, wherever it stands
    assert parse_address("Rose Cottage, 7 Mill Lane, Ashford") == Address(
        "7", "mill lane", "ashford", None, "rose cottage"
    )
    # a three-digit number in a street is not a postcode; a single line keeps its street
    assert parse_address("905 Macquoid Place") == Address("905", "macquoid place")
    assert parse_address("16, Tunis, Bacchus Marsh NSW 6019") == Address(
        "16", None, "bacchus marsh nsw", "6019", "tunis"
    )
    assert parse_address("Toronto ON K1A 0B6").postcode == "k1a0b6"
    assert parse_address(None) == parse_address(" , ") == Address()


def test_handle_spellings_meet_in_their_key_and_core() -> None:
    assert handle_forms("DarkFox_88") == ("darkfox88", {"darkfox"})
    assert handle_forms("dark.fox88")[0] == "darkfox88"
    assert handle_forms("d4rkf0x") == ("d4rkf0x", {"darkfox"})
    assert "swifthare" in handle_forms("5w1fth4r3")[1]
    assert handle_forms("Wildfox|away") == ("wildfox", {"wildfox"})  # IRC away status
    assert handle_forms("__") == (None, set())
    assert handle_forms("x1")[1] == set()  # too short to say anything
    # a reused handle in an e-mail address meets the handle on a platform
    assert handle_forms(email_handle("g.reyviper86+x1@mail.example"))[0] == "greyviper86"


def test_ip_days_cover_the_widened_window_and_are_capped() -> None:
    # 10:00 ± 12 h reaches into the day before: a service logging local time as UTC still meets
    assert ip_days("81.2.69.1", AT, None, margin=HALF_DAY) == ["81.2.69.1|2025-02-28", "81.2.69.1|2025-03-01"]
    late = AT.replace(hour=20)
    assert ip_days("1.1.1.1", late, None, margin=HALF_DAY) == ["1.1.1.1|2025-03-01", "1.1.1.1|2025-03-02"]
    assert len(ip_days("1.1.1.1", AT, AT + timedelta(days=40), margin=HALF_DAY)) == 7
    assert ip_days("1.1.1.1", None, None, margin=HALF_DAY) == []


def test_ip_weeks_join_sightings_up_to_a_fortnight_apart() -> None:
    first = set(ip_weeks("1.1.1.1", AT, None))
    assert first & set(ip_weeks("1.1.1.1", AT + timedelta(days=10), None))
    assert not first & set(ip_weeks("1.1.1.1", AT + timedelta(days=30), None))
    assert not first & set(ip_weeks("2.2.2.2", AT, None))


def _features(db: Database, operation_id: int, max_records: int = 25) -> dict[int, dict[str, Any]]:
    con = duckdb.connect()
    with db.transaction() as session:
        ensure_bundled(session, Actor.cli())
        matcher = build_matcher(session)
        count = load_features(
            con,
            "records",
            session,
            operation_id,
            excluded=lambda kind, value: matcher.match(kind, value) is not None,
            max_records=max_records,
            margin=HALF_DAY,
            chunk=2,  # several pages even for a handful of records
        )
    cursor = con.execute("SELECT * FROM records ORDER BY unique_id")
    names = [column[0] for column in cursor.description]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    assert len(rows) == count
    return rows


def test_rows_hold_what_the_referrals_state_minus_what_never_identifies(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=())
    at = "2025-03-01T10:00:00Z"
    ids = import_rows(
        db,
        world.operation_id,
        "LEAD",
        "return.csv",
        [
            Row("1", username="DarkFox_88", email="dark.fox88+shop@example.org", ip="81.2.69.1", at=at),
            Row("2", username="d4rkf0x", ip="10.0.0.1", at=at),  # private range
            Row("3", username="lonewolf", ip="100.64.1.1", at=at),  # CGNAT
            Row("4", username="admin", ip="185.220.100.9", at=at),  # junk handle, Tor exit
        ],
    )
    with db.transaction() as session:
        template = session.get(PersonRecord, ids["1"])
        assert template is not None
        named = PersonRecord(
            operation_id=world.operation_id,
            owner_agency_id=template.owner_agency_id,
            referral_id=template.referral_id,
            tlp=template.tlp,
            ref="person:5",
            location="test",
            role="suspect",
            full_name="José Álvarez Núñez",
            date_of_birth=date(1990, 4, 7),
            address="Calle Mayor 5, 3º B, 28013 Madrid",
            country="es",
        )
        session.add(named)
        session.flush()
        named_id = named.id
    rows = _features(db, world.operation_id)
    first = rows[ids["1"]]
    assert first["usernames"] == ["chatapp:darkfox_88"]
    assert first["emails"] == ["dark.fox88+shop@example.org"]
    assert first["handles"] == ["darkfox88"]  # the e-mail's local part is the same handle
    assert first["handle_cores"] == ["darkfox"] and first["numbered_cores"] == ["darkfox"]
    assert first["ips"] == ["81.2.69.1"]
    assert first["ip_days"] == ["81.2.69.1|2025-02-28", "81.2.69.1|2025-03-01"]
    assert "i:81.2.69.1" in first["block_tokens"] and "h:darkfox88" in first["block_tokens"]
    assert first["given_name"] is None and first["dob"] is None
    # no address stated: every part null, so the address comparisons say nothing
    assert all(first[part] is None for part in ADDRESS_PARTS)
    assert rows[ids["2"]]["handle_cores"] == ["darkfox"] and rows[ids["2"]]["ips"] is None
    assert rows[ids["3"]]["ips"] is None and rows[ids["3"]]["ip_weeks"] is None
    assert rows[ids["4"]]["usernames"] is None and rows[ids["4"]]["ips"] is None
    person = rows[named_id]
    assert (person["name"], person["given_name"], person["family_name"]) == (
        "José Álvarez Núñez",
        "jose",
        "alvarez nunez",
    )
    assert (person["dob"], person["country"]) == ("1990-04-07", "ES")
    assert (person["street_number"], person["street"], person["premise"]) == ("5", "calle mayor", "3o b")
    assert (person["locality"], person["postcode"]) == ("madrid", "28013")
    assert person["block_tokens"] is None


def test_a_value_held_by_too_many_records_is_left_out(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=())
    at = "2025-03-01T10:00:00Z"
    rows = [Row(str(n), username=f"user{n}x", ip="81.2.69.7", at=at) for n in range(4)]
    ids = import_rows(db, world.operation_id, "LEAD", "crowd.csv", rows)
    with db.transaction() as session:
        stored = session.scalars(
            select(PersonRecord.id).where(PersonRecord.operation_id == world.operation_id)
        )
        assert set(stored) == set(ids.values())
    crowded = _features(db, world.operation_id, max_records=3)
    assert all(row["ips"] is None and row["ip_days"] is None for row in crowded.values())
    assert all("i:81.2.69.7" not in (row["block_tokens"] or []) for row in crowded.values())
    allowed = _features(db, world.operation_id, max_records=4)
    assert all(row["ips"] == ["81.2.69.7"] for row in allowed.values())
