"""Bulk returns: one CSV, one transaction; errors name line, field and reason; twice adds nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Invalid
from caseweave.outcomes.bulk import import_csv
from caseweave.outcomes.models import OutcomeEvent
from tests.victims.helpers import build

D = [(date.today() - timedelta(days=50 - n)).isoformat() for n in range(5)]


def _count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(OutcomeEvent)) or 0


def test_same_return_twice_adds_nothing(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    host, viewer = scene.subjects["host"], scene.subjects["viewer"]
    text = (
        "Subject,Kind,Date,Country,Counts,Offence,Plea,Sentence,Indeterminate,Note\n"
        f"{host},arrested,{D[0]},GB,,,,,,dawn raid\n"
        f'{host},charged,{D[1]},GB,9,"possessing and distributing indecent images",,,,\n'
        f"{host},convicted,{D[2]},GB,,,,,,\n"
        f"{host},sentenced,{D[3]},GB,,,,,yes,\n"
        f"{viewer},arrested,{D[0]},,,,,,,\n"
    )
    with db.transaction() as session:
        first = import_csv(session, scene.actor("LEAD"), scene.op, text, "return.csv")
    assert (len(first.added), first.skipped) == (5, [])
    with db.transaction() as session:
        again = import_csv(session, scene.actor("LEAD"), scene.op, text, "return.csv")
    assert (again.added, again.skipped) == ([], [2, 3, 4, 5, 6])
    assert _count(db) == 5
    with db.transaction() as session:
        charge = session.scalar(select(OutcomeEvent).where(OutcomeEvent.kind == "charged"))
        assert charge is not None and (charge.counts, charge.source, charge.source_ref) == (
            9, "csv", "return.csv line 3",
        )  # fmt: skip


def test_bad_lines_are_named_and_nothing_is_stored(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    host, hidden = scene.subjects["host"], scene.subjects["ca1"]
    text = (
        "subject,kind,date,counts,offence\n"
        f"{host},arrested,{D[1]},,\n"
        f"{host},charged,{D[0]},2,images\n"  # before the arrest
        f"{host},sentenced,{D[2]},,\n"  # no conviction, no sentence
        f"{host},charged,yesterday,2,images\n"
        f"{host},charged,{D[2]},two,images\n"
        f"{hidden},arrested,{D[2]},,\n"  # a subject LEAD may not see
        f",arrested,{D[2]},,\n"
    )
    with pytest.raises(Invalid) as raised, db.transaction() as session:
        import_csv(session, scene.actor("LEAD"), scene.op, text, "bad.csv")
    message = raised.value.message
    assert message.startswith("bad.csv: 6 bad line(s), nothing imported")
    for part in (
        "line 3, date: charged on",
        "before the arrest",
        "line 4, sentence: a sentence states its terms",
        "line 5, date: 'yesterday' is not a date",
        "line 6, counts: 'two' is not a whole number",
        f"line 7, subject: subject {hidden} not found",
        "line 8, subject: missing",
    ):
        assert part in message
    assert raised.value.field == "line 3"
    with pytest.raises(Invalid, match="line 1: missing column"), db.transaction() as session:
        import_csv(session, scene.actor("LEAD"), scene.op, "who,what\nx,y\n", "odd.csv")
    assert _count(db) == 0
