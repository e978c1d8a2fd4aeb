"""Victim records: pseudonymous, AMBER+STRICT by default, linked to what concerns them, moving forward
through dated statuses; hidden ones are missing; bad changes change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseweave.access.labels import TLP
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Conflict, Invalid, NotFound
from caseweave.victims import service
from caseweave.victims.models import Victim, VictimEvent
from tests.victims.helpers import SERIES, build


def _count(db: Database, model: type) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_victim_moves_forward_with_dates_and_agency(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    lead = scene.actor("LEAD")
    with db.transaction() as session:
        victim = service.add_victim(session, lead, scene.op, pseudonym="Child B", description="girl, about 9")
        assert victim.public_id == f"VIC-{victim.id:06d}" and victim.tlp == TLP.AMBER_STRICT.value
        ref = victim.public_id
    identified_on = date.today() - timedelta(days=5)
    with db.transaction() as session:
        event = service.set_status(session, lead, ref, "identified", on=identified_on, agency="PARTNER")
        assert (event.country, event.occurred_on) == ("CA", identified_on)
        service.set_status(session, lead, ref, "safeguarded", note="placed with carers")
    with db.transaction() as session:
        view = service.show_victim(session, lead, ref)
        assert (view.victim.status, view.victim.identified_on, view.victim.safeguarded_on) == (
            "safeguarded",
            identified_on,
            date.today(),
        )
        assert [(e.status, e.country) for e in view.events] == [("identified", "CA"), ("safeguarded", "GB")]
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "victim")).all()
        assert {"victim.create", "victim.identified", "victim.safeguarded", "victim.read"} <= set(actions)


def test_safeguarding_an_unidentified_child_records_both(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    lead = scene.actor("LEAD")
    with db.transaction() as session:
        ref = service.add_victim(session, lead, scene.op, pseudonym="Child C").public_id or ""
        service.set_status(session, lead, ref, "safeguarded")
    with db.transaction() as session:
        assert [e.status for e in service.show_victim(session, lead, ref).events] == [
            "identified",
            "safeguarded",
        ]


def test_bad_status_changes_change_nothing(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    lead = scene.actor("LEAD")
    with db.transaction() as session:
        ref = service.add_victim(session, lead, scene.op, pseudonym="Child D").public_id or ""
        service.set_status(session, lead, ref, "identified", on=date.today() - timedelta(days=2))
        service.set_status(session, lead, ref, "safeguarded")
    events = _count(db, VictimEvent)
    cases: list[tuple[str, dict[str, object], type[Exception], str]] = [
        ("safeguarded", {}, Conflict, "already safeguarded"),
        ("identified", {}, Invalid, "only moves forward"),
        ("unknown", {}, Invalid, "unknown status"),
    ]
    for status, options, error, text in cases:
        with pytest.raises(error, match=text), db.transaction() as session:
            service.set_status(session, lead, ref, status, **options)  # type: ignore[arg-type]
    with db.transaction() as session:
        early = service.add_victim(session, lead, scene.op, pseudonym="Child E").public_id or ""
        service.set_status(session, lead, early, "identified", on=date.today() - timedelta(days=1))
    for when, text in (
        (date.today() + timedelta(days=1), "future"),
        (date.today() - timedelta(days=9), "before"),
    ):
        with pytest.raises(Invalid, match=text), db.transaction() as session:
            service.set_status(session, lead, early, "safeguarded", on=when)
    assert _count(db, VictimEvent) == events + 1  # only Child E's identification
    with pytest.raises(Invalid, match="pseudonym"), db.transaction() as session:
        service.add_victim(session, lead, scene.op, pseudonym="  ")


def test_hidden_victim_is_missing(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    with db.transaction() as session:
        ref = service.add_victim(session, scene.actor("LEAD"), scene.op, pseudonym="Child F").public_id or ""
        shared = service.add_victim(
            session,
            scene.actor("LEAD"),
            scene.op,
            pseudonym="Child G",
            tlp=TLP.AMBER,
            released_to=["PARTNER"],
        )
    partner = scene.actor("PARTNER")
    with db.transaction() as session:
        assert [v.pseudonym for v in service.list_victims(session, partner, scene.op)] == ["Child G"]
        assert service.show_victim(session, partner, shared.public_id or "").victim.id == shared.id
    for attempt in (
        lambda s: service.show_victim(s, partner, ref),
        lambda s: service.set_status(s, partner, ref, "identified"),
        lambda s: service.link_victim(s, partner, ref, "referral", str(scene.tip_id)),
        lambda s: service.show_victim(s, scene.actor("OUTSIDER", "analyst"), ref),
    ):
        with pytest.raises(NotFound, match=f"victim {ref} not found"), db.transaction() as session:
            attempt(session)
    with db.transaction() as session:
        assert session.get_one(Victim, shared.id - 1).status == "unidentified"


def test_links_to_series_subjects_and_referrals(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    lead = scene.actor("LEAD")
    with db.transaction() as session:
        ref = service.add_victim(session, lead, scene.op, pseudonym="Child H").public_id or ""
        service.link_victim(session, lead, ref, "series", SERIES)
        service.link_victim(session, lead, ref, "subject", scene.subjects["host"].lower())
        service.link_victim(session, lead, ref, "referral", str(scene.tip_id))
        service.link_victim(session, lead, ref, "referral", str(scene.tip_id))  # twice: one link
    with db.transaction() as session:
        view = service.show_victim(session, lead, ref)
        assert [(link.kind, link.series) for link in view.links] == [
            ("series", SERIES),
            ("subject", None),
            ("referral", None),
        ]
        assert list(view.subjects.values()) == [scene.subjects["host"]]
    bad = [
        ("subject", scene.subjects["ca1"], NotFound, "not found"),  # PARTNER's subject: hidden from LEAD
        ("series", "NoSuchSeries", NotFound, "not found"),
        ("referral", "99999", NotFound, "not found"),
        ("referral", "abc", Invalid, "not a number"),
        ("person", "1", Invalid, "unknown link kind"),
    ]
    for kind, target, error, text in bad:
        with pytest.raises(error, match=text), db.transaction() as session:
            service.link_victim(session, lead, ref, kind, target)
