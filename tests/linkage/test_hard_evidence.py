"""A subject whose records state dates of birth no clerk's slip explains is flagged for review."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.intake.models import PersonRecord
from caseweave.intake.service import import_referral
from caseweave.linkage.explain import subject_view
from caseweave.linkage.hard_evidence import conflicting, one_person
from caseweave.linkage.service import RunSummary, link_operation
from tests.intake.misp_docs import attr, event, obj
from tests.linkage.helpers import subject_of
from tests.support.world import World, build_world


def test_dates_a_clerk_could_have_slipped_on_are_one_person_and_others_conflict() -> None:
    stated = [date(1980, 1, 1), date(1980, 1, 11), date(1980, 1, 1), date(1995, 6, 15), date(1995, 3, 6)]
    assert conflicting(stated) == [
        (date(1980, 1, 1), date(1995, 3, 6)),
        (date(1980, 1, 1), date(1995, 6, 15)),
        (date(1980, 1, 11), date(1995, 3, 6)),
        (date(1980, 1, 11), date(1995, 6, 15)),
        (date(1995, 3, 6), date(1995, 6, 15)),
    ]
    assert one_person(date(1990, 3, 4), date(1990, 4, 3))  # day and month swapped
    assert not one_person(date(1990, 3, 4), date(1991, 4, 3))


PHONE = "+447400123456"


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return build_world(db, settings, roles=("analyst",))


def _send(
    db: Database,
    world: World,
    agency: str,
    n: int,
    name: str,
    born: str | None,
    *selectors: tuple[str, str],
) -> int:
    fields = [("p1n", "full-name", "full-name", name)]
    if born:
        fields.append(("p1d", "date-of-birth", "date-of-birth", born))
    document = event(
        *(attr(f"a{n}{i}", kind, value) for i, (kind, value) in enumerate(selectors)),
        objects=[obj(f"p{n}", "person", *fields)],
        uuid=f"00000000-0000-4000-8000-{n:012d}",
    )
    with db.transaction() as session:
        outcome = import_referral(
            session,
            Actor.for_user(world.user(agency, "analyst")),
            world.operation_id,
            io.BytesIO(json.dumps(document).encode()),
            f"event{n}.json",
            released_to=() if agency == "LEAD" else ("LEAD",),
        )
        return session.scalars(
            select(PersonRecord.id).where(PersonRecord.referral_id == outcome.referral.id)
        ).one()


def _link(db: Database, settings: Settings, world: World) -> RunSummary:
    with db.transaction() as session:
        return link_operation(session, Actor.cli(), settings, world.operation_id, use_model=False)


def test_a_subject_whose_records_state_two_dates_of_birth_is_flagged_to_those_who_see_both(
    db: Database, settings: Settings, world: World
) -> None:
    """A father and son share the family e-mail; the son's phone is also on a record without a date.
    PARTNER releases its records to LEAD; LEAD's stays its own."""
    father = _send(db, world, "LEAD", 1, "Alex Sample", "1961-04-02", ("email-src", "family@example.org"))
    _send(
        db,
        world,
        "PARTNER",
        2,
        "A. Sample",
        None,
        ("email-src", "family@example.org"),
        ("phone-number", PHONE),
    )
    _send(db, world, "PARTNER", 3, "Alex Sample", "1994-08-30", ("phone-number", PHONE))
    summary = _link(db, settings, world)
    assert summary.flagged == 1
    subject = subject_of(db, father)
    with db.transaction() as session:
        (reason,) = subject_view(session, Actor.for_user(world.user("LEAD", "analyst")), subject).review
        assert "1961-04-02 (LEAD record" in reason and "1994-08-30 (PARTNER record" in reason
        # PARTNER may not see LEAD's AMBER record: one date is all it sees, and nothing says more
        assert subject_view(session, Actor.for_user(world.user("PARTNER", "analyst")), subject).review == []


def test_a_typo_in_a_date_of_birth_is_not_flagged(db: Database, settings: Settings, world: World) -> None:
    first = _send(db, world, "LEAD", 1, "Alex Sample", "1961-04-02", ("email-src", "alex@example.org"))
    second = _send(db, world, "LEAD", 2, "Alex Sample", "1961-04-03", ("email-src", "alex@example.org"))
    summary = _link(db, settings, world)
    assert summary.flagged == 0
    assert subject_of(db, first) == subject_of(db, second)
    with db.transaction() as session:
        lead = Actor.for_user(world.user("LEAD", "analyst"))
        assert subject_view(session, lead, subject_of(db, first)).review == []
