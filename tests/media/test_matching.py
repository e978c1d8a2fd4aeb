"""Matching a seized hash set: exact hashes, PDQ within the distance, new material, need-to-know."""

from __future__ import annotations

import random

from fastapi.testclient import TestClient
from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.dissemination.urgency import Member, assess
from caseweave.intake.models import PersonRecord, Referral, ReferralMediaHash, Sighting
from caseweave.linkage.models import Link
from caseweave.media import banks
from caseweave.media.matching import HIDDEN, KNOWN, NEW_MATERIAL, NO_MATCH, MatchReport, match_hashset
from caseweave.media.models import MediaMatch
from tests.media.banks_support import Item, flip, item, vics
from tests.support.world import World, build_world


def _bank(db: Database, world: World, agency: str, items: list[Item], name: str, label: str = "GREEN") -> int:
    with db.transaction() as session:
        actor = Actor.for_user(session.merge(world.user(agency, "analyst")))
        return banks.import_bank(session, actor, world.operation_id, vics(items), name, label=label).bank.id


def _match(
    db: Database, settings: Settings, world: World, items: list[Item], name: str, agency: str = "LEAD"
) -> MatchReport:
    with db.transaction() as session:
        return match_hashset(
            session,
            Actor.cli(),
            settings,
            world.operation_id,
            vics(items),
            name,
            agency=agency,
            holder="holder",
        )


def test_known_and_new_material_per_seized_file(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(10)
    exact = item(rng, category=1, series="Series A", victim=False)
    near = item(rng, category=2, series="Series B", victim=True)
    _bank(db, world, "LEAD", [exact, near], "known.json")
    seized = [
        item(rng, md5=exact.md5, path="a.jpg"),  # the same file: MD5 equal, PDQ unrelated here
        item(rng, pdq=flip(near.pdq or "", 31, rng), path="b.jpg"),  # resized copy: 31 bits away
        item(rng, pdq=flip(near.pdq or "", 32, rng), path="c.jpg"),  # one bit too far
        item(rng, pdq=flip(near.pdq or "", 3, rng), quality=30, path="d.jpg"),  # too flat to trust
        item(rng, image=False, path="e.pdf"),
    ]
    report = _match(db, settings, world, seized, "seized.json")
    by_name = {f.file_name: f for f in report.files}
    a, b = by_name["a.jpg"], by_name["b.jpg"]
    assert a.status == KNOWN and [(m.algorithm, m.distance, m.series) for m in a.matches] == [
        ("md5", 0, "Series A")
    ]
    assert b.status == KNOWN and [
        (m.algorithm, m.distance, m.category, m.victim_identified) for m in b.matches
    ] == [("pdq", 31, "2", True)]
    assert by_name["c.jpg"].status == NEW_MATERIAL == "new material — victim identification priority"
    assert by_name["d.jpg"].status == NEW_MATERIAL and "quality 30" in (by_name["d.jpg"].note or "")
    assert by_name["e.pdf"].status == NO_MATCH
    assert report.counts[KNOWN] == 2 and report.counts[NEW_MATERIAL] == 2
    with db.transaction() as session:
        referral = session.get(Referral, report.referral_id)
        assert referral is not None and referral.format == "media-match"
        assert referral.owner_agency_id == world.agency_ids["LEAD"]
        assert (
            len(
                session.scalars(
                    select(ReferralMediaHash).where(ReferralMediaHash.referral_id == referral.id)
                ).all()
            )
            == 19
        )
        assert len(session.scalars(select(MediaMatch)).all()) == 2
    again = _match(db, settings, world, seized, "seized-again.json")
    assert not again.created and again.referral_id == report.referral_id


def test_a_match_the_agency_may_not_see_says_no_more_than_who_to_ask(
    db: Database, settings: Settings, client: TestClient
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(11)
    secret = item(rng, category=1, series="Secret Series")
    _bank(db, world, "PARTNER", [secret], "partner-only.json", label="AMBER+STRICT")
    seized = [item(rng, pdq=flip(secret.pdq or "", 5, rng), path="x.jpg")]
    response = client.post(
        "/media/match",
        headers=world.headers("LEAD", "analyst"),
        files={"file": ("seized.json", vics(seized), "application/json")},
        data={"operation_id": str(world.operation_id)},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    [result] = body["files"]
    assert result["status"] == HIDDEN == "matches material held by another agency — contact the coordinator"
    assert result["matches"] == [] and result["hidden"] == 1
    assert "Secret" not in response.text and "partner-only" not in response.text
    with db.transaction() as session:  # no series sighting discloses it either
        assert (
            session.scalars(select(Sighting.value).where(Sighting.selector_type == "media_series")).all()
            == []
        )
    # the owner's own run sees its entry
    mine = _match(db, settings, world, seized, "partner-seized.json", agency="PARTNER")
    assert mine.files[0].status == KNOWN and mine.files[0].matches[0].series == "Secret Series"


def test_disabled_entries_and_new_banks_are_seen_by_the_next_match(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(12)
    first = item(rng, media_id="7", series="S1")
    bank_id = _bank(db, world, "LEAD", [first], "first.json")
    seized = [item(rng, pdq=first.pdq, path="1.jpg"), item(rng, path="2.jpg")]
    assert [f.status for f in _match(db, settings, world, seized, "run1.json").files] == [KNOWN, NEW_MATERIAL]
    with db.transaction() as session:
        actor = Actor.for_user(session.merge(world.user("LEAD", "analyst")))
        banks.set_disabled(session, actor, bank_id, True, ["7"])
    later = item(rng, pdq=flip(seized[1].pdq or "", 4, rng), series="S2")
    _bank(db, world, "LEAD", [later], "second.json")  # the index grows past its watermark
    statuses = [f.status for f in _match(db, settings, world, seized, "run2.json").files]
    assert statuses == [NEW_MATERIAL, KNOWN]


def test_two_holders_of_the_same_series_are_linked_as_evidence(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(13)
    series = [item(rng, series="Rare Series", category=1) for _ in range(3)]
    _bank(db, world, "LEAD", series, "series.json")
    first = _match(db, settings, world, [item(rng, md5=series[0].md5)], "device-1.json")
    second = _match(db, settings, world, [item(rng, pdq=flip(series[1].pdq or "", 9, rng))], "device-2.json")
    assert first.files[0].status == second.files[0].status == KNOWN
    with db.transaction() as session:
        links = session.scalars(select(Link).where(Link.selector_type == "media_series")).all()
        assert [(link.kind, link.value) for link in links] == [("selector", "rare series")]


def test_only_files_no_bank_matched_make_a_subject_urgent_as_new_material(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    rng = random.Random(14)
    known = item(rng, series="Known Series", category=1)
    _bank(db, world, "LEAD", [known], "known.json")
    copy_of_known, unknown = item(rng, md5=known.md5, path="a.jpg"), item(rng, path="b.jpg")
    for seized, new_files, level in (([copy_of_known], 0, "routine"), ([copy_of_known, unknown], 1, "high")):
        report = _match(db, settings, world, seized, f"device-{len(seized)}.json")
        with db.transaction() as session:
            holder = session.scalars(
                select(PersonRecord).where(PersonRecord.referral_id == report.referral_id)
            ).one()
            member = Member(holder.id, holder.referral_id, holder.ref, holder.role)
            urgency = assess(session, {1: [member]}, {report.referral_id})[1]
        assert (urgency.new_media, urgency.level) == (new_files, level)
