"""Linking one referral's records against what is stored gives what a full run gives for them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import PersonRecord, Sighting
from caseweave.linkage.correlation import correlate
from caseweave.linkage.warninglist_match import WarninglistMatcher
from caseweave.linkage.warninglists import bundled_lists
from caseweave.selectors import normalise
from tests.linkage.helpers import Row, import_rows
from tests.support.world import build_world

START = datetime(2025, 3, 1, tzinfo=UTC)


def pools(round_: int) -> dict[str, list[str]]:
    """Values of one round, apart from every other round's."""
    return {
        "email": [f"p{i}.r{round_}@example.org" for i in range(6)],
        "username": [f"chatapp:handle{i}r{round_}" for i in range(6)],
        # public, public, public IPv6, private, Tor-listed: only the first three may ever link
        "ip": [f"81.2.{69 + round_}.1", f"81.2.{69 + round_}.2", f"2001:67c:2e8::{round_}:5", *NEVER[round_]],
    }


NEVER = [(f"10.0.{round_}.1", f"185.220.100.{9 + round_}") for round_ in range(3)]


def generate(db: Database, operation_id: int, referral_id: int, round_: int) -> list[int]:
    """24 person records of one referral with random selectors, windows, proxy marks and gaps."""
    with db.transaction() as session:
        template = session.scalars(
            select(PersonRecord).where(PersonRecord.referral_id == referral_id)
        ).first()
        assert template is not None
        common = {
            "operation_id": operation_id,
            "owner_agency_id": template.owner_agency_id,
            "referral_id": referral_id,
            "tlp": template.tlp,
        }
        persons = [
            PersonRecord(ref=f"gen:{round_}:{i}", location="generated", role="suspect", **common)
            for i in range(24)
        ]
        session.add_all(persons)
        session.flush()
        rng, values = random.Random(round_), pools(round_)
        for n, person in enumerate(persons):
            for k in range(rng.randint(1, 4)):
                selector_type = rng.choice(sorted(values))
                value = rng.choice(values[selector_type])
                start = START + timedelta(hours=rng.randrange(0, 240)) if rng.random() < 0.9 else None
                end = (
                    None
                    if start is None or rng.random() < 0.3
                    else start + timedelta(hours=rng.choice([0, 2, 9]))
                )
                flags = sorted(normalise("ip", value).flags) if selector_type == "ip" else []
                session.add(
                    Sighting(
                        ref=f"gen:{round_}:{n}:{k}",
                        location="generated",
                        person_record_id=person.id if rng.random() < 0.95 else None,
                        selector_type=selector_type,
                        value=value,
                        raw_value=value,
                        flags=flags,
                        observed_from=start,
                        observed_to=end,
                        possible_proxy=rng.random() < 0.1,
                        **common,
                    )
                )
        return [person.id for person in persons]


def test_incremental_equals_the_full_run_restricted(db: Database, settings: Settings) -> None:
    world = build_world(db, settings, roles=())
    seed_ids = import_rows(db, world.operation_id, "LEAD", "seed.csv", [Row("1", email="seed@example.org")])
    with db.transaction() as session:
        seed = session.get(PersonRecord, seed_ids["1"])
        assert seed is not None
        referral_id = seed.referral_id
    matcher = WarninglistMatcher(parsed.spec for parsed in bundled_lists())
    options = {"matcher": matcher, "tolerance": timedelta(hours=12), "max_persons": 5}
    seen_over, seen_gap = 0, 0
    for round_ in range(3):
        persons = generate(db, world.operation_id, referral_id, round_)
        rng = random.Random(100 + round_)
        with db.transaction() as session:
            full = correlate(session, world.operation_id, **options)  # type: ignore[arg-type]
            assert full.links, "the generated set is dense enough to link"
            for _ in range(4):
                subset = set(rng.sample(persons, rng.randint(1, 6)))
                incremental = correlate(session, world.operation_id, subset, **options)  # type: ignore[arg-type]
                expected = [link for link in full.links if link.a_id in subset or link.b_id in subset]
                assert incremental.links == expected
                held = set(
                    session.execute(
                        select(Sighting.selector_type, Sighting.value).where(
                            Sighting.person_record_id.in_(subset)
                        )
                    ).all()
                )
                assert incremental.over_correlating == [
                    o for o in full.over_correlating if (o.selector_type, o.value) in held
                ]
        assert not {link.value for link in full.links} & set(NEVER[round_])
        seen_over += len(full.over_correlating)
        seen_gap += sum(bool(link.gap_seconds) for link in full.links)
    assert seen_over and seen_gap, "the generated sets exercise over-correlation and IP gaps"
