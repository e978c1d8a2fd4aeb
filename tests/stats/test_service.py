"""Operation figures counted against a world whose truth is written down here, per viewer.

The world (tests/dissemination/scenario.py, then packages, outcomes and victims added here):

| what | truth |
|---|---|
| routes | child, material, suspect → PARTNER (CA); gb → LEAD (GB); ie → LATE (IE); routed today |
| packages | one version each to PARTNER, LEAD, LATE today; PARTNER acknowledges its own |
| LEAD outcomes (AMBER) | gb in GB: arrested D1, charged D2 (3 counts), D3 (no counts: 1), convicted D3 |
| LEAD outcome (AMBER+STRICT) | child arrested in CA on D3 |
| PARTNER outcomes (AMBER, released to LEAD) | suspect in CA: arrested D2 and again D3 (one arrest) |
| V1 LEAD AMBER+STRICT | identified D1, safeguarded D2, by LEAD (GB) |
| V2 LEAD AMBER+STRICT | safeguarded yesterday without being identified first (both events, GB) |
| V3 PARTNER AMBER+STRICT | identified D2 by PARTNER (CA) |
| V4 LEAD GREEN | identified D3 by PARTNER (CA) |
| V5 LEAD AMBER+STRICT | only a safeguarded event on D2 (GB): counts as identified then too |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseweave.access.labels import TLP
from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.auth.service import user_by_name
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.dissemination.workflow import acknowledge, list_packages
from caseweave.errors import Forbidden, Invalid, NotFound
from caseweave.linkage.models import Subject
from caseweave.outcomes.models import OutcomeEvent
from caseweave.outcomes.service import OutcomeIn, add_outcome
from caseweave.stats.figures import MEASURES, Figures
from caseweave.stats.service import operation_figures
from caseweave.victims.models import VictimEvent
from caseweave.victims.service import add_victim, set_status
from tests.dissemination.scenario import Scenario, build, send_packages
from tests.support.world import START

D1 = START + timedelta(days=5)
D2 = START + timedelta(days=40)
D3 = date.today() - timedelta(days=2)
YESTERDAY = date.today() - timedelta(days=1)
TODAY = date.today()
MEMBERS = ("CA", "GB", "IE", "NL")  # LEAD, PARTNER, LATE, OBSERVER; FUTURE (DE) has not joined yet


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Cell:
    measure: str
    country: str
    on: date
    number: int = 1


def expected(cells: Iterable[Cell]) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """(countries, months) as the figures must read them, zeros included."""
    countries = {cc: dict.fromkeys(MEASURES, 0) for cc in MEMBERS}
    months: dict[str, dict[str, int]] = {}
    day = START.replace(day=1)
    while day <= TODAY:
        months[month(day)] = dict.fromkeys(MEASURES, 0)
        day = (day + timedelta(days=32)).replace(day=1)
    for cell in cells:
        countries.setdefault(cell.country, dict.fromkeys(MEASURES, 0))[cell.measure] += cell.number
        months[month(cell.on)][cell.measure] += cell.number
    return countries, months


def assert_additive(figures: Figures) -> None:
    for measure in MEASURES:
        total = figures.totals[measure]
        assert total == sum(c[measure] for c in figures.countries.values()), measure
        assert total == sum(m[measure] for m in figures.months.values()), measure


def outcome(db: Database, actor: Actor, op: int, data: OutcomeIn) -> None:
    with db.transaction() as session:
        add_outcome(session, actor, op, data, source="cli")


def build_figures_world(db: Database, settings: Settings) -> Scenario:
    scene = build(db, settings)
    op, lead, partner = scene.op, scene.actor("LEAD"), scene.actor("PARTNER")
    send_packages(db, settings, scene.coordinator, op)
    with db.transaction() as session:
        mine = list_packages(session, partner, op)
        assert len(mine) == 1
        acknowledge(session, partner, mine[0].reference)
    gb, suspect, child = scene.subjects["gb"], scene.subjects["suspect"], scene.subjects["child"]
    outcome(db, lead, op, OutcomeIn(gb, "arrested", D1))
    outcome(db, lead, op, OutcomeIn(gb, "charged", D2, counts=3, offence="distributing images"))
    outcome(db, lead, op, OutcomeIn(gb, "convicted", D3))
    outcome(db, lead, op, OutcomeIn(child, "arrested", D3, country="CA", tlp=TLP.AMBER_STRICT))
    for day in (D2, D3):
        outcome(db, partner, op, OutcomeIn(suspect, "arrested", day, released_to=("LEAD",)))
    with db.transaction() as session:
        # a charge without its number of counts (an older return) counts once
        subject_id = session.scalar(select(Subject.id).where(Subject.public_id == gb))
        assert subject_id is not None
        session.add(
            OutcomeEvent(
                operation_id=op,
                owner_agency_id=scene.world.agency_ids["LEAD"],
                created_by_user_id=scene.world.user("LEAD", "analyst").id,
                tlp=TLP.AMBER.value,
                subject_id=subject_id,
                country="GB",
                kind="charged",
                occurred_on=D3,
                counts=None,
                source="csv",
                dedupe_key="legacy-charge",
            )
        )
        v1 = add_victim(session, lead, op, pseudonym="Child 1").public_id
        v2 = add_victim(session, lead, op, pseudonym="Child 2").public_id
        v3 = add_victim(session, partner, op, pseudonym="Child 3").public_id
        v4 = add_victim(session, lead, op, pseudonym="Child 4", tlp=TLP.GREEN).public_id
        v5 = add_victim(session, lead, op, pseudonym="Child 5")
        assert v1 and v2 and v3 and v4
        set_status(session, lead, v1, "identified", on=D1)
        set_status(session, lead, v1, "safeguarded", on=D2)
        set_status(session, lead, v2, "safeguarded", on=YESTERDAY)
        set_status(session, partner, v3, "identified", on=D2)
        set_status(session, lead, v4, "identified", on=D3, agency="PARTNER")
        session.add(
            VictimEvent(
                victim_id=v5.id,
                operation_id=op,
                status="safeguarded",
                occurred_on=D2,
                agency_id=scene.world.agency_ids["LEAD"],
                country="GB",
            )
        )
    return scene


def figures_of(db: Database, actor: Actor, op: int, as_of: date | None = None) -> Figures:
    with db.transaction() as session:
        return operation_figures(session, actor, op, as_of)


def test_counts_match_the_world_for_each_viewer(db: Database, settings: Settings) -> None:
    scene = build_figures_world(db, settings)
    op = scene.op

    coordinator = figures_of(db, scene.coordinator, op)
    countries, months = expected(
        [
            *(Cell("subjects_investigated", cc, TODAY, n) for cc, n in (("CA", 3), ("GB", 1), ("IE", 1))),
            *(Cell("packages_sent", cc, TODAY) for cc in ("CA", "GB", "IE")),
            Cell("packages_acknowledged", "CA", TODAY),
            Cell("arrests", "GB", D1),
            Cell("arrests", "CA", D2),  # the suspect's first arrest; the second is the same arrest count
            Cell("arrests", "CA", D3),  # the child's subject, LEAD's own AMBER+STRICT event
            Cell("charges", "GB", D2, 3),
            Cell("charges", "GB", D3, 1),
            Cell("prosecutions", "GB", D2),
            Cell("convictions", "GB", D3),
            Cell("children_identified", "GB", D1),
            Cell("children_identified", "GB", YESTERDAY),
            Cell("children_identified", "GB", D2),  # V5: safeguarded without an identified event
            Cell("children_identified", "CA", D3),  # V4, GREEN, identified by PARTNER
            Cell("children_safeguarded", "GB", D2),
            Cell("children_safeguarded", "GB", YESTERDAY),
            Cell("children_safeguarded", "GB", D2),
        ]
    )
    assert coordinator.countries == countries
    assert coordinator.months == months
    assert_additive(coordinator)
    assert coordinator.totals["children_identified"] == 4 and coordinator.totals["arrests"] == 3
    assert coordinator.viewer == "user:coordinator.lead (LEAD)"
    assert coordinator.started_on == START and coordinator.as_of == TODAY

    # a partner sees its own routes, packages and outcomes, and GREEN victims, never LEAD's AMBER+STRICT
    partner = figures_of(db, scene.actor("PARTNER"), op)
    countries, months = expected(
        [
            Cell("subjects_investigated", "CA", TODAY, 3),
            Cell("packages_sent", "CA", TODAY),
            Cell("packages_acknowledged", "CA", TODAY),
            Cell("arrests", "CA", D2),
            Cell("children_identified", "CA", D2),  # V3, its own
            Cell("children_identified", "CA", D3),  # V4, GREEN
        ]
    )
    assert partner.countries == countries
    assert partner.months == months
    assert_additive(partner)

    # a LEAD analyst is no coordinator: only the subjects and packages of its own agency
    analyst = figures_of(db, scene.actor("LEAD"), op)
    assert analyst.totals["subjects_investigated"] == 1 and analyst.countries["GB"]["packages_sent"] == 1
    assert analyst.totals["packages_sent"] == 1
    assert analyst.totals["children_identified"] == coordinator.totals["children_identified"]
    assert_additive(analyst)

    with db.transaction() as session:
        reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "stats.read")).all()
    assert [entry.actor for entry in reads] == [
        "user:coordinator.lead",
        "user:analyst.partner",
        "user:analyst.lead",
    ]
    assert reads[0].operation_id == op and reads[0].detail["totals"] == coordinator.totals


def test_as_of_cuts_the_months_and_what_came_later(db: Database, settings: Settings) -> None:
    scene = build_figures_world(db, settings)
    earlier = figures_of(db, scene.coordinator, scene.op, as_of=D2)
    keys = list(earlier.months)
    assert keys[0] == month(START) and keys[-1] == month(D2)
    assert earlier.totals["arrests"] == 2  # GB on D1, CA on D2; the child's on D3 comes later
    assert earlier.totals["charges"] == 3 and earlier.totals["convictions"] == 0
    assert earlier.totals["children_identified"] == 2  # V1 on D1, V5 on D2
    assert earlier.totals["subjects_investigated"] == 0 and earlier.totals["packages_sent"] == 0
    assert set(earlier.countries) == {"CA", "GB", "NL"}  # LATE (IE) joined on START + 60, after D2
    assert_additive(earlier)


def test_who_may_read_figures(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    op = scene.op

    def count() -> int:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry)) or 0

    before = count()
    with pytest.raises(NotFound) as missing, db.transaction() as session:
        operation_figures(session, scene.actor("OUTSIDER"), op)
    assert missing.value.field == "operation_id"
    with pytest.raises(NotFound), db.transaction() as session:
        operation_figures(session, scene.actor("FUTURE"), op)  # agreed to join, not in yet
    with pytest.raises(NotFound), db.transaction() as session:
        operation_figures(session, scene.coordinator, op + 100)
    with pytest.raises(Invalid) as operator, db.transaction() as session:
        operation_figures(session, Actor.cli(), op)
    assert operator.value.field == "user"
    with pytest.raises(Invalid) as future, db.transaction() as session:
        operation_figures(session, scene.coordinator, op, as_of=TODAY + timedelta(days=1))
    assert future.value.field == "as_of"
    with pytest.raises(Invalid), db.transaction() as session:
        operation_figures(session, scene.coordinator, op, as_of=START - timedelta(days=1))
    assert count() == before  # nothing written, not even a read

    # an observer's users read their own view: zeros here, every member country listed
    observer = figures_of(db, scene.actor("OBSERVER"), op)
    assert set(observer.countries) == set(MEMBERS) and not any(observer.totals.values())


def test_an_admin_outside_the_operation_is_refused(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    with db.transaction() as session:
        user = user_by_name(session, "analyst.outsider")
        user.roles = ["platform_admin"]
    with pytest.raises(Forbidden), db.transaction() as session:
        operation_figures(session, Actor.for_user(user_by_name(session, "analyst.outsider")), scene.op)
