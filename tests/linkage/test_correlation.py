"""Exact correlation as an analyst relies on it: shared selectors link records, noise never does."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import Sighting
from caseweave.linkage.correlation import (
    SPECIAL_RANGE,
    CorrelationResult,
    OverCorrelating,
    correlate,
    store_links,
)
from caseweave.linkage.models import Link
from caseweave.linkage.warninglist_match import WarninglistMatcher
from caseweave.linkage.warninglists import bundled_lists
from caseweave.operations import service as ops
from tests.linkage.helpers import Row, import_rows
from tests.support.world import START, World, build_world

BUNDLED = WarninglistMatcher(parsed.spec for parsed in bundled_lists())
NOON = "2025-03-02T12:00:00Z"


def setup(
    db: Database, settings: Settings, lead: list[Row], partner: list[Row]
) -> tuple[World, dict[str, int]]:
    """Two referrals from two agencies; account ids must differ across them."""
    world = build_world(db, settings, roles=())
    ids = import_rows(db, world.operation_id, "LEAD", "lead.csv", lead)
    ids.update(import_rows(db, world.operation_id, "PARTNER", "partner.csv", partner))
    return world, ids


def run(db: Database, world: World, ids: list[int] | None = None, **options: object) -> CorrelationResult:
    with db.transaction() as session:
        return correlate(session, world.operation_id, ids, matcher=BUNDLED, **options)  # type: ignore[arg-type]


def pairs(result: CorrelationResult) -> set[tuple[int, int, str, str]]:
    return {(link.a_id, link.b_id, link.selector_type, link.value) for link in result.links}


def test_a_shared_email_or_handle_links_records_whenever_seen(db: Database, settings: Settings) -> None:
    world, ids = setup(
        db,
        settings,
        [Row("1", username="DarkFox88", email="Fox.Example@example.org", ip="81.2.69.10", at=NOON)],
        [
            Row(
                "2",
                username="darkfox88",
                email="fox.example@EXAMPLE.org",
                ip="81.2.69.10",
                at="2025-01-01T00:00:00Z",
            )
        ],
    )
    result = run(db, world)
    a, b = sorted((ids["1"], ids["2"]))
    assert pairs(result) == {
        (a, b, "email", "fox.example@example.org"),
        (a, b, "username", "chatapp:darkfox88"),
    }, "the IP was used two months apart: no link; e-mail and handle link regardless of time"
    assert all(link.gap_seconds is None for link in result.links)
    assert not result.over_correlating


def test_an_ip_links_only_within_the_tolerance(db: Database, settings: Settings) -> None:
    world, ids = setup(
        db,
        settings,
        [
            Row("1", ip="81.2.69.11", at=NOON),
            Row("2", ip="81.2.69.12", at=NOON),
            Row("3", ip="81.2.69.13", at=NOON),
        ],
        [
            Row("4", ip="81.2.69.11", at=NOON),  # same instant: overlap
            Row("5", ip="81.2.69.12", at="2025-03-02T15:30:00Z"),  # 3.5 hours later
            Row("6", ip="81.2.69.13", at="2025-03-05T12:00:00Z"),  # three days later: reassigned
        ],
    )
    links = {link.value: link for link in run(db, world).links}
    assert set(links) == {"81.2.69.11", "81.2.69.12"}
    assert links["81.2.69.11"].gap_seconds == 0
    assert links["81.2.69.12"].gap_seconds == 3 * 3600 + 1800
    assert {links["81.2.69.12"].a_id, links["81.2.69.12"].b_id} == {ids["2"], ids["5"]}
    narrow = {link.value for link in run(db, world, tolerance=timedelta(hours=1)).links}
    assert narrow == {"81.2.69.11"}
    wide = {link.value for link in run(db, world, tolerance=timedelta(days=4)).links}
    assert wide == {"81.2.69.11", "81.2.69.12", "81.2.69.13"}


def test_the_smallest_gap_and_its_sightings_are_kept(db: Database, settings: Settings) -> None:
    world, ids = setup(
        db,
        settings,
        [Row("1", ip="81.2.69.20", at="2025-03-01T12:00:00Z"), Row("1", ip="81.2.69.20", at=NOON)],
        [
            Row("2", ip="81.2.69.20", at="2025-03-02T13:00:00Z"),
            Row("2", ip="81.2.69.20", at="2025-03-09T13:00:00Z"),
        ],
    )
    (link,) = run(db, world).links
    assert link.gap_seconds == 3600
    with db.transaction() as session:
        shown = {
            s.id: (s.person_record_id, s.observed_from)
            for s in session.scalars(
                select(Sighting).where(Sighting.id.in_([link.a_sighting_id, link.b_sighting_id]))
            )
        }
    a_record, a_at = shown[link.a_sighting_id]
    b_record, b_at = shown[link.b_sighting_id]
    assert (a_record, b_record) == tuple(sorted((ids["1"], ids["2"])))
    assert a_at is not None and b_at is not None
    assert abs((b_at - a_at).total_seconds()) == 3600, "the nearest pair of logins gave the link"


def test_special_ranges_and_listed_values_never_link(db: Database, settings: Settings) -> None:
    shared = [
        ("10.1.2.3", ""),  # private
        ("100.70.1.2", ""),  # carrier-grade NAT
        ("185.220.101.7", ""),  # bundled Tor exit snapshot
        ("104.28.40.9", ""),  # bundled VPN egress
    ]
    lead = [Row(str(i), ip=ip, at=NOON) for i, (ip, _) in enumerate(shared)]
    partner = [Row(str(100 + i), ip=ip, at=NOON) for i, (ip, _) in enumerate(shared)]
    lead += [Row("50", username="admin", email="test@test.com"), Row("51", email="noreply@example.net")]
    partner += [Row("150", username="Admin", email="Test@Test.com"), Row("151", email="noreply@example.net")]
    world, _ = setup(db, settings, lead, partner)
    result = run(db, world)
    assert result.links == []
    assert result.excluded == {
        SPECIAL_RANGE: 2,
        "tor-exits": 1,
        "vpn-egress": 1,
        "junk-usernames": 1,
        "junk-emails": 1,
        "junk-email-senders": 1,
    }
    with db.transaction() as session:
        nothing_listed = correlate(session, world.operation_id, matcher=WarninglistMatcher(()))
    assert {link.value for link in nothing_listed.links} == {
        "185.220.101.7",
        "104.28.40.9",
        "chatapp:admin",
        "test@test.com",
        "noreply@example.net",
    }, "without warning lists only the special ranges stay out"


def test_a_value_held_by_too_many_records_is_reported_not_linked(db: Database, settings: Settings) -> None:
    crowd = [Row(str(i), email="shared@example.org", username=f"user{i}x") for i in range(4)]
    pair = [Row("90", username="pairhandle"), Row("91", username="pairhandle")]
    world, ids = setup(db, settings, crowd[:2] + pair[:1], crowd[2:] + pair[1:])
    too_many = run(db, world, max_persons=3)
    assert too_many.over_correlating == [OverCorrelating("email", "shared@example.org", 4)]
    a, b = sorted((ids["90"], ids["91"]))
    assert pairs(too_many) == {(a, b, "username", "chatapp:pairhandle")}
    enough = run(db, world, max_persons=4)
    assert not enough.over_correlating
    assert sum(link.value == "shared@example.org" for link in enough.links) == 6  # every pair of the four


def test_store_links_replaces_only_the_given_records_links(db: Database, settings: Settings) -> None:
    world, ids = setup(
        db,
        settings,
        [Row("1", email="one@example.org"), Row("2", email="two@example.org")],
        [Row("3", email="one@example.org"), Row("4", email="two@example.org")],
    )
    with db.transaction() as session:
        store_links(session, None, correlate(session, world.operation_id, matcher=BUNDLED))
    extra = import_rows(db, world.operation_id, "LEAD", "more.csv", [Row("5", email="one@example.org")])
    with db.transaction() as session:
        result = correlate(session, world.operation_id, [extra["5"]], matcher=BUNDLED)
        assert store_links(session, None, result) == 2
        stored = session.execute(select(Link.a_id, Link.b_id, Link.value, Link.kind)).all()
    one = sorted((ids["1"], ids["3"], extra["5"]))
    assert sorted(stored) == sorted(
        [
            (one[0], one[1], "one@example.org", "selector"),
            (one[0], one[2], "one@example.org", "selector"),
            (one[1], one[2], "one@example.org", "selector"),
            (min(ids["2"], ids["4"]), max(ids["2"], ids["4"]), "two@example.org", "selector"),
        ]
    )


def test_records_of_another_operation_never_link(db: Database, settings: Settings) -> None:
    world, ids = setup(
        db, settings, [Row("1", email="same@example.org")], [Row("2", email="same@example.org")]
    )
    with db.transaction() as session:
        other = ops.create_operation(
            session, Actor.cli(), name="Op Other", lead_agency="LEAD", start_date=START
        )
    elsewhere = import_rows(db, other.id, "LEAD", "other.csv", [Row("3", email="same@example.org")])
    links = run(db, world).links
    assert [(link.a_id, link.b_id) for link in links] == [tuple(sorted((ids["1"], ids["2"])))]
    with db.transaction() as session:
        assert correlate(session, world.operation_id, [elsewhere["3"]], matcher=BUNDLED).links == []
