"""Outcomes per subject and country: the chain from arrest to sentence, and bad input that changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Conflict, Invalid, NotFound
from caseweave.outcomes.models import OutcomeEvent
from caseweave.outcomes.service import OutcomeIn, add_outcome, list_outcomes
from tests.victims.helpers import Scene, build

DAY = date.today() - timedelta(days=60)
OFFENCE = "possessing and distributing indecent images"


def _count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(OutcomeEvent)) or 0


def _add(db: Database, scene: Scene, subject: str, kind: str, days: int, **facts: object) -> None:
    agency = str(facts.pop("agency", "LEAD"))
    with db.transaction() as session:
        data = OutcomeIn(subject=subject, kind=kind, occurred_on=DAY + timedelta(days=days), **facts)  # type: ignore[arg-type]
        add_outcome(session, scene.actor(agency), scene.op, data)


def test_from_arrest_to_indeterminate_sentence(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    host = scene.subjects["host"]
    _add(db, scene, host, "arrested", 0)
    _add(db, scene, host, "charged", 2, counts=9, offence=OFFENCE)
    _add(db, scene, host, "plea", 20, plea="Guilty")
    _add(db, scene, host, "convicted", 20, offence=OFFENCE)
    _add(db, scene, host, "sentenced", 40, sentence="imprisonment for public protection", indeterminate=True)
    _add(db, scene, scene.subjects["viewer"], "no further action", 5, country="ie")
    with db.transaction() as session:
        rows = list_outcomes(session, scene.actor("LEAD"), scene.op, subject=host)
        assert [(e.kind, e.country, (e.occurred_on - DAY).days) for e, _ in rows] == [
            ("arrested", "GB", 0),
            ("charged", "GB", 2),
            ("plea", "GB", 20),
            ("convicted", "GB", 20),
            ("sentenced", "GB", 40),
        ]
        assert (rows[1][0].counts, rows[1][0].offence, rows[2][0].plea) == (9, OFFENCE, "guilty")
        assert rows[4][0].indeterminate and rows[4][0].source == "api"
        irish = list_outcomes(session, scene.actor("LEAD"), scene.op, country="IE")
        assert [(e.kind, public_id) for e, public_id in irish] == [
            ("no_further_action", scene.subjects["viewer"])
        ]
        # AMBER, owned by LEAD, released to nobody: PARTNER sees none of it
        assert list_outcomes(session, scene.actor("PARTNER"), scene.op) == []


def test_bad_outcomes_change_nothing(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    host = scene.subjects["host"]
    _add(db, scene, host, "arrested", 10)
    before = _count(db)
    bad: list[tuple[str, int, dict[str, object], type[Exception], str]] = [
        ("charged", 5, {"counts": 2, "offence": OFFENCE}, Invalid, "before the arrest"),
        ("convicted", 9, {}, Invalid, "before the arrest"),
        ("sentenced", 30, {"sentence": "3 years"}, Invalid, "sentence without a conviction"),
        ("charged", 12, {"offence": OFFENCE}, Invalid, "counts"),
        ("charged", 12, {"counts": 3}, Invalid, "offence"),
        ("plea", 12, {"plea": "maybe"}, Invalid, "unknown plea"),
        ("released", 12, {}, Invalid, "unknown outcome"),
        ("arrested", 10, {}, Conflict, "already recorded"),
        ("arrested", 100, {}, Invalid, "future"),
        ("arrested", 12, {"country": "XX"}, Invalid, "country"),
    ]
    for kind, days, facts, error, text in bad:
        with pytest.raises(error, match=text):
            _add(db, scene, host, kind, days, **facts)
    _add(db, scene, host, "convicted", 30)
    with pytest.raises(Invalid, match="sentence states its terms"):
        _add(db, scene, host, "sentenced", 31)
    with pytest.raises(Invalid, match="without a conviction"):  # a conviction in GB is not one in IE
        _add(db, scene, host, "sentenced", 31, country="IE", sentence="2 years")
    assert _count(db) == before + 1


def test_subject_the_user_may_not_see_is_missing(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    for agency, subject in (
        ("LEAD", scene.subjects["ca1"]),
        ("PARTNER", scene.subjects["host"]),
        ("LEAD", "SUB-999999"),
    ):
        with pytest.raises(NotFound, match=f"subject {subject} not found"):
            _add(db, scene, subject, "arrested", 0, agency=agency)
    with pytest.raises(NotFound), db.transaction() as session:
        list_outcomes(session, scene.actor("PARTNER"), scene.op, subject=scene.subjects["host"])
    assert _count(db) == 0
