"""Links that chain people together are split where their records state different dates of birth."""

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
from caseweave.linkage.hard_evidence import HARD_EVIDENCE, held_apart
from caseweave.linkage.models import Subject, SubjectMember
from caseweave.linkage.service import RunSummary, link_operation
from tests.intake.misp_docs import attr, event, obj
from tests.support.world import World, build_world


def test_records_with_conflicting_dates_are_held_apart_and_typos_are_not() -> None:
    born = {
        1: date(1980, 1, 1),
        2: date(1980, 1, 1),
        3: date(1995, 6, 15),
        4: date(1980, 1, 11),  # one character off record 1's: a typo
        5: date(1995, 3, 6),  # not a swap of 1995-06-15
    }
    pairs, split = held_apart([[1, 2, 3], [1, 4], [3, 5, 6]], born, {})
    assert split == 2
    assert {frozenset((p.a, p.b)) for p in pairs} == {frozenset(p) for p in ((1, 3), (2, 3), (3, 5))}
    assert {(p.verdict, p.judgement_id) for p in pairs} == {("not_same", HARD_EVIDENCE)}


def test_records_an_analyst_judged_the_same_are_never_held_apart() -> None:
    born = {1: date(1980, 1, 1), 2: date(1995, 6, 15)}
    assert held_apart([[1, 2]], born, {1: 9, 2: 9}) == ([], 0)


def test_a_swapped_day_and_month_is_one_person() -> None:
    assert held_apart([[1, 2]], {1: date(1990, 3, 4), 2: date(1990, 4, 3)}, {}) == ([], 0)


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return build_world(db, settings, roles=("analyst",))


def _send(
    db: Database, world: World, n: int, name: str, born: str | None, *selectors: tuple[str, str]
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
            Actor.for_user(world.user("LEAD", "analyst")),
            world.operation_id,
            io.BytesIO(json.dumps(document).encode()),
            f"event{n}.json",
        )
        return session.scalars(
            select(PersonRecord.id).where(PersonRecord.referral_id == outcome.referral.id)
        ).one()


def _link(db: Database, settings: Settings, world: World) -> RunSummary:
    with db.transaction() as session:
        return link_operation(session, Actor.cli(), settings, world.operation_id, use_model=False)


def _subject(db: Database, record: int) -> str:
    with db.transaction() as session:
        return session.scalars(
            select(Subject.public_id)
            .join(SubjectMember, SubjectMember.subject_id == Subject.id)
            .where(SubjectMember.person_record_id == record)
        ).one()


def test_a_chain_through_shared_selectors_is_split_between_two_dates_of_birth(
    db: Database, settings: Settings, world: World
) -> None:
    """A father and son share the family e-mail; the son's phone is also on a record without a date."""
    father = _send(db, world, 1, "Alex Sample", "1961-04-02", ("email-src", "family@example.org"))
    middle = _send(
        db,
        world,
        2,
        "A. Sample",
        None,
        ("email-src", "family@example.org"),
        ("phone-number", "+447400123456"),
    )
    son = _send(db, world, 3, "Alex Sample", "1994-08-30", ("phone-number", "+447400123456"))
    summary = _link(db, settings, world)
    assert summary.held_apart == 1
    assert _subject(db, father) != _subject(db, son)
    assert _subject(db, middle) in {_subject(db, father), _subject(db, son)}


def test_a_typo_in_a_date_of_birth_does_not_split(db: Database, settings: Settings, world: World) -> None:
    first = _send(db, world, 1, "Alex Sample", "1961-04-02", ("email-src", "alex@example.org"))
    second = _send(db, world, 2, "Alex Sample", "1961-04-03", ("email-src", "alex@example.org"))
    summary = _link(db, settings, world)
    assert summary.held_apart == 0
    assert _subject(db, first) == _subject(db, second)
