"""Public releases and release consent: who may, what is published, what the audit log keeps.

The world: 12 children identified by LEAD (GB) and 15 by PARTNER (CA), all recorded by LEAD's
analyst today (AMBER+STRICT, so LEAD's users count them all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Conflict, Forbidden, Invalid, NotFound
from caseweave.stats.consent import consenting_countries, list_consents, set_consent
from caseweave.stats.disclosure import as_dict
from caseweave.stats.figures import MEASURES, DisclosureRules, PublicFigures
from caseweave.stats.release import canonical_json, public_release, rules_of
from caseweave.victims.service import add_victim, set_status
from tests.support.world import World, build_world

IDENTIFIED = {"LEAD": 12, "PARTNER": 15}


def release_world(db: Database, settings: Settings) -> World:
    world = build_world(db, settings, roles=("analyst", "coordinator"))
    analyst = Actor.for_user(world.user("LEAD", "analyst"))
    with db.transaction() as session:
        for agency, number in IDENTIFIED.items():
            for n in range(number):
                victim = add_victim(session, analyst, world.operation_id, pseudonym=f"{agency} child {n}")
                assert victim.public_id is not None
                set_status(session, analyst, victim.public_id, "identified", agency=agency)
    return world


def as_user(world: World, agency: str, role: str = "coordinator") -> Actor:
    return Actor.for_user(world.user(agency, role))


def audit_count(db: Database, action: str | None = None) -> int:
    with db.transaction() as session:
        query = select(func.count()).select_from(AuditEntry)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return session.scalar(query) or 0


def consent(db: Database, world: World, agency: str, country: str, agree: bool = True) -> None:
    with db.transaction() as session:
        set_consent(session, as_user(world, agency), world.operation_id, country, agree=agree)


def release(db: Database, world: World, actor: Actor, rules: DisclosureRules | None = None) -> PublicFigures:
    with db.transaction() as session:
        return public_release(session, actor, world.operation_id, rules or DisclosureRules())


def test_a_release_is_protected_and_recorded_once(db: Database, settings: Settings) -> None:
    world = release_world(db, settings)
    consent(db, world, "LEAD", "GB")
    consent(db, world, "PARTNER", "CA")
    before = audit_count(db)
    public = release(db, world, as_user(world, "LEAD"))
    assert audit_count(db) == before + 1
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.action == "stats.public_release"
    assert entry.actor == "user:coordinator.lead" and entry.operation_id == world.operation_id
    text = canonical_json(as_dict(public))
    assert entry.detail["published"] == text
    assert entry.detail["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert entry.detail["rules"] == {"threshold": 10, "base": 5, "wording": "rounded"}
    assert entry.detail["consenting"] == ["CA", "GB"] == list(public.consenting)

    # IE and NL have not agreed: not disclosed in every measure; CA's 15 is shown, rounded to base 5
    for country in ("IE", "NL"):
        assert {public.countries[country][m].status for m in MEASURES} == {"not_disclosed"}
        assert public.countries[country]["children_identified"].text == "not disclosed"
    shown = public.countries["CA"]["children_identified"]
    assert (shown.status, shown.value, shown.text) == ("shown", 15, "15")
    assert public.countries["GB"]["children_identified"].status != "not_disclosed"
    assert public.rules == DisclosureRules()

    about = release(db, world, as_user(world, "LEAD"), rules_of(10, 10, "about"))
    assert about.countries["CA"]["children_identified"].text == "about 20"
    assert audit_count(db, "stats.public_release") == 2
    assert audit_count(db, "stats.read") == 0  # a release reads the figures inside its own entry


def test_withdrawn_consent_turns_a_country_back_to_not_disclosed(db: Database, settings: Settings) -> None:
    world = release_world(db, settings)
    consent(db, world, "LEAD", "GB")
    consent(db, world, "PARTNER", "CA")
    assert release(db, world, as_user(world, "LEAD")).countries["CA"]["children_identified"].status == "shown"
    consent(db, world, "PARTNER", "CA", agree=False)
    with db.transaction() as session:
        assert consenting_countries(session, world.operation_id) == ("GB",)
    after = release(db, world, as_user(world, "LEAD"))
    assert {after.countries["CA"][m].status for m in MEASURES} == {"not_disclosed"}
    assert after.consenting == ("GB",)
    consent(db, world, "PARTNER", "CA")  # agreeing again is a new row; the history stays
    with db.transaction() as session:
        views = list_consents(session, as_user(world, "LATE", "analyst"), world.operation_id)
    assert [(v.country, v.current, v.agreed_by, v.withdrawn_by) for v in views] == [
        ("CA", False, "coordinator.partner", "coordinator.partner"),
        ("CA", True, "coordinator.partner", None),
        ("GB", True, "coordinator.lead", None),
    ]
    assert audit_count(db, "stats.consent") == 3 and audit_count(db, "stats.consent_withdraw") == 1


def test_who_may_release_and_consent(db: Database, settings: Settings) -> None:
    world = release_world(db, settings)
    op = world.operation_id
    before = audit_count(db)

    def refused(error: type[Exception], call: Callable[[], object]) -> str:
        with pytest.raises(error) as raised:
            call()
        return str(raised.value)

    assert "coordinators" in refused(Forbidden, lambda: release(db, world, as_user(world, "LEAD", "analyst")))
    assert "not found" in refused(NotFound, lambda: release(db, world, as_user(world, "OUTSIDER")))
    assert "not found" in refused(NotFound, lambda: release(db, world, as_user(world, "FUTURE")))
    # only a coordinator of a member agency of that country speaks for it
    assert "CA" in refused(Forbidden, lambda: consent(db, world, "LEAD", "CA"))
    with pytest.raises(Forbidden), db.transaction() as session:
        set_consent(session, as_user(world, "PARTNER", "analyst"), op, "CA", agree=True)
    assert "not found" in refused(NotFound, lambda: consent(db, world, "OUTSIDER", "FR"))
    assert "not found" in refused(NotFound, lambda: consent(db, world, "FUTURE", "DE"))
    assert "unknown country" in refused(Invalid, lambda: consent(db, world, "LEAD", "XX"))
    assert "has not agreed" in refused(Conflict, lambda: consent(db, world, "LEAD", "GB", agree=False))
    with pytest.raises(NotFound), db.transaction() as session:
        list_consents(session, as_user(world, "OUTSIDER", "analyst"), op)
    assert audit_count(db) == before  # nothing written by any refusal

    consent(db, world, "OBSERVER", "NL")  # an observer's coordinator speaks for its own country
    assert "already agreed" in refused(Conflict, lambda: consent(db, world, "OBSERVER", "NL"))
    with db.transaction() as session:
        assert consenting_countries(session, op) == ("NL",)


@pytest.mark.parametrize(
    ("threshold", "base", "wording", "field"),
    [(0, 5, "rounded", "threshold"), (10, 0, "rounded", "base"), (10, 5, "exact", "wording")],
)
def test_bad_rules_are_named(threshold: int, base: int, wording: str, field: str) -> None:
    with pytest.raises(Invalid) as raised:
        rules_of(threshold, base, wording)
    assert raised.value.field == field


def test_rules_read_as_given() -> None:
    assert rules_of(5, 1, " About ") == DisclosureRules(threshold=5, base=1, wording="about")
    assert rules_of() == DisclosureRules()
