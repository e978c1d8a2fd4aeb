"""Banks: VICS and CSV hash lists imported as agency-owned, labelled banks; bad records; export."""

from __future__ import annotations

import io
import json
import random

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Invalid
from caseweave.media import banks
from caseweave.media.hashset import read_hashset_stream
from caseweave.media.models import MediaBank, MediaBankEntry, MediaEntryHash, MediaHash
from caseweave.media.records import HashRecord
from tests.media.banks_support import csv_bank, item, vics
from tests.support.world import World, build_world


def _actor(db: Database, world: World, agency: str = "LEAD") -> Actor:
    with db.transaction() as session:
        user = session.merge(world.user(agency, "analyst"))
        return Actor.for_user(user)


def _count(db: Database, model: type) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_list_imported_twice_adds_nothing_and_shared_hashes_are_stored_once(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(1)
    shared = item(rng, series="Series A", category=1)
    first = [shared, item(rng, category=2, victim=True), item(rng, image=False)]
    second = [shared, item(rng, series="Series B")]
    with db.transaction() as session:
        actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        one = banks.import_bank(session, actor, world.operation_id, vics(first), "one.json", label="GREEN")
        two = banks.import_bank(session, actor, world.operation_id, csv_bank(second), "two.csv")
        again = banks.import_bank(session, actor, world.operation_id, vics(first), "renamed.json")
        assert one.created and two.created and not again.created
        assert again.bank.id == one.bank.id
        assert one.bank.counts == {"entries": 3, "hashes": 11, "quarantined": 0}
        assert (one.bank.owner_agency_id, one.bank.tlp, two.bank.format) == (
            world.agency_ids["LEAD"],
            "GREEN",
            "csv",
        )
    assert _count(db, MediaBankEntry) == 5
    # the CSV adds only its new record's MD5, SHA-1 and PDQ: the shared record's are stored once
    assert _count(db, MediaHash) == 11 + 3
    with db.transaction() as session:
        md5 = session.scalar(select(MediaHash.id).where(MediaHash.value == shared.md5))
        holders = session.scalars(select(MediaEntryHash.entry_id).where(MediaEntryHash.hash_id == md5)).all()
        assert len(holders) == 2


def test_bad_records_refuse_the_file_or_are_left_out_with_where_and_why(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(2)
    corrupt = item(rng)
    corrupt.pdq = corrupt.md5  # a 32-character "PDQ"
    data = vics([item(rng), corrupt, item(rng)])
    with db.transaction() as session:
        actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        with pytest.raises(banks.BankRejected) as refused:
            banks.import_bank(session, actor, world.operation_id, data, "bad.json")
    message = refused.value.message
    assert "bad.json" in message and "$.value[1].AlternativeHashes[1].HashValue" in message
    assert refused.value.field == "pdq" and "64 hex characters" in message
    assert _count(db, MediaBank) == 0 and _count(db, MediaHash) == 0
    with db.transaction() as session:
        actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        outcome = banks.import_bank(session, actor, world.operation_id, data, "bad.json", partial=True)
        assert outcome.bank.status == "partial"
        assert outcome.bank.counts["entries"] == 2
        [left_out] = outcome.bank.quarantined
        assert left_out["field"] == "pdq" and "$.value[1]" in left_out["ref"]
    bad_csv = b"md5,series\n" + b"x" * 31 + b",S\n"
    with db.transaction() as session, pytest.raises(banks.BankRejected) as refused_csv:
        actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        banks.import_bank(session, actor, world.operation_id, bad_csv, "bad.csv")
    assert "bad.csv:line 2" in refused_csv.value.message and refused_csv.value.field == "md5"


def test_disabled_entries_stay_out_of_the_vics_export(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(3)
    items = [
        item(rng, media_id=str(100 + i), category=i % 3, series=f"S{i}", victim=i % 2 == 0) for i in range(4)
    ]
    with db.transaction() as session:
        actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        bank = banks.import_bank(session, actor, world.operation_id, csv_bank(items), "list.csv").bank
        assert banks.set_disabled(session, actor, bank.id, True, ["101"]) == 1
        document = banks.export_bank(session, actor, bank.id)
    assert document["@odata.context"].endswith("$metadata#Media")
    assert [m["MediaID"] for m in document["value"]] == [100, 102, 103]
    read = [r for r in read_hashset_stream(io.BytesIO(json.dumps(document).encode()), "export.json")]
    assert all(isinstance(r, HashRecord) for r in read)
    back = {r.media_id: r for r in read if isinstance(r, HashRecord)}
    for it in (items[0], items[2], items[3]):
        assert it.media_id is not None
        record = back[it.media_id]
        assert dict(record.hashes) == {"md5": it.md5, "sha1": it.sha1, "pdq": it.pdq}
        assert (record.category, record.series, record.victim_identified, record.pdq_quality) == (
            it.category,
            it.series,
            it.victim,
            it.quality,
        )


def test_a_bank_is_case_data_under_the_access_policy(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst", "investigator"))
    rng = random.Random(4)
    with db.transaction() as session:
        partner = Actor.for_user(session.merge(world.user("PARTNER", "analyst")))
        strict = banks.import_bank(
            session, partner, world.operation_id, vics([item(rng)]), "strict.json", label="AMBER+STRICT"
        ).bank
        green = banks.import_bank(
            session, partner, world.operation_id, vics([item(rng)]), "g.json", label="GREEN"
        )
        lead = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        assert [b.id for b in banks.list_banks(session, lead, world.operation_id)] == [green.bank.id]
        with pytest.raises(Exception, match="not found"):
            banks.export_bank(session, lead, strict.id)
        with pytest.raises(Exception, match="only the owning agency"):
            banks.set_disabled(session, lead, green.bank.id, True)


def test_an_unreadable_list_is_refused_whole_with_its_name(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    whole = vics([item(random.Random(5))])
    for data, name, says in (
        (whole[: len(whole) // 2], "truncated.json", "not a VICS JSON file"),
        (b'{"value": 3}', "odd.json", 'no "value" list'),
        (b"\xff\xfe\x00garbage", "binary.csv", "binary.csv"),
    ):
        with db.transaction() as session, pytest.raises(Invalid) as refused:
            actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
            banks.import_bank(session, actor, world.operation_id, data, name)
        assert name in refused.value.message and says in refused.value.message
    assert _count(db, MediaBank) == 0
