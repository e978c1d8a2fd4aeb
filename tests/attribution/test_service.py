"""Attribution runs end to end on both engines: evidence, distribution, routes, history, merges."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.attribution.models import Attribution, AttributionEvidence, SubjectRoute
from caseweave.attribution.routing import current_attribution_of, routed_subjects
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Forbidden, Invalid, NotFound
from caseweave.linkage.models import Subject
from tests.attribution.helpers import IPS, Login, Person, link, misp_person, send, subject_of, tip
from tests.attribution.scenario import build, run
from tests.support.mmdb import country_test_database


def _attribution(db: Database, public_id: str) -> tuple[Attribution, list[AttributionEvidence]]:
    with db.transaction() as session:
        subject = session.scalar(select(Subject).where(Subject.public_id == public_id))
        assert subject is not None
        row = current_attribution_of(session, subject.id)
        assert row is not None
        evidence = session.scalars(
            select(AttributionEvidence)
            .where(AttributionEvidence.attribution_id == row.id)
            .order_by(AttributionEvidence.id)
        ).all()
        return row, list(evidence)


def test_a_run_attributes_every_subject_and_routes_it(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    result = run(db, settings, scene.actor("LEAD", "coordinator"), scene.world.operation_id)

    assert result.provider.startswith("IP geolocation by geoip2fast: GeoLite2-Country")
    assert result.subjects == 9 and result.changed == 9
    assert result.by_status == {"attributed": 6, "contested": 1, "low_confidence": 1, "no_evidence": 1}
    assert result.routed == {"LATE": 1, "LEAD": 2, "PARTNER": 1}
    assert (result.unallocated, result.review) == (3, 2)
    assert {change.after for change in result.route_changes} >= {"routed:LEAD", "unallocated:no_agency"}

    gb, evidence = _attribution(db, scene.subjects["gb"])
    assert (gb.status, gb.top_country, gb.confidence) == ("attributed", "GB", 0.8333)
    assert gb.distribution == {"GB": 1.0} and gb.total_weight == 5.0
    assert gb.provider == "geoip2fast" and gb.provider_data_date is not None
    assert sorted((e.kind, e.country, e.weight) for e in evidence) == [
        ("ip", "GB", 1.0),
        ("phone", "GB", 2.0),
        ("platform_country", "GB", 2.0),
    ]

    shared, evidence = _attribution(db, scene.subjects["shared"])
    assert (shared.status, shared.top_country) == ("attributed", "CA")
    assert shared.distribution == {"CA": 0.9524, "GB": 0.0476}
    by_value = {e.value: e for e in evidence}
    assert by_value["185.220.101.1"].weight == 0.0 and "tor-exits" in by_value["185.220.101.1"].note
    assert by_value[IPS["GB2"]].weight == 0.25 and "possible proxy" in by_value[IPS["GB2"]].note
    assert by_value["CA"].kind == "platform_country"

    with db.transaction() as session:
        routes = {
            route.subject_id: route
            for route in session.scalars(select(SubjectRoute).order_by(SubjectRoute.id))
        }
        by_public = {
            public: routes[session.scalar(select(Subject.id).where(Subject.public_id == public)) or 0]
            for public in scene.subjects.values()
        }
        partner_id = scene.world.agency_ids["PARTNER"]
        assert [s.public_id for s, _ in routed_subjects(session, scene.world.operation_id, partner_id)] == [
            scene.subjects["shared"]
        ]
    outcome = {name: (by_public[p].status, by_public[p].reason) for name, p in scene.subjects.items()}
    assert outcome == {
        "gb": ("routed", None),
        "shared": ("routed", None),
        "ie": ("routed", None),
        "fr": ("unallocated", "no_agency"),
        "nl": ("unallocated", "no_agency"),
        "contested": ("review", "contested"),
        "weak": ("review", "low_confidence"),
        "none": ("unallocated", "no_evidence"),
        "partner_gb": ("routed", None),
    }
    assert (
        by_public[scene.subjects["fr"]].country == "FR" and by_public[scene.subjects["fr"]].agency_id is None
    )


def test_a_rerun_keeps_what_did_not_change_and_records_what_did(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    op = scene.world.operation_id
    coordinator = scene.actor("LEAD", "coordinator")
    run(db, settings, coordinator, op)
    again = run(db, settings, coordinator, op)
    assert (again.changed, again.route_changes) == (0, [])
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Attribution)) == 9

    # IE's own platform report states Ireland for the contested subject: now clearly IE.
    late = scene.actor("LATE")
    send(db, op, late, tip("LATE-1", [Person(("contested@example.com",), country="IE")]), "late.xml")
    link(db, settings, op)
    changed = run(db, settings, coordinator, op)
    assert changed.changed == 1
    contested = scene.subjects["contested"]
    assert [(c.subject, c.before, c.after) for c in changed.route_changes] == [
        (contested, "review:contested", "routed:LATE")
    ]
    row, _ = _attribution(db, contested)
    assert (row.status, row.top_country, row.distribution) == (
        "attributed",
        "IE",
        {"IE": 0.6667, "GB": 0.3333},
    )
    with db.transaction() as session:
        history = session.scalars(
            select(Attribution.status)
            .where(Attribution.subject_id == row.subject_id)
            .order_by(Attribution.id)
        ).all()
        assert history == ["contested", "attributed"]
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "attribution.run").order_by(AuditEntry.seq.desc())
        ).first()
        assert entry is not None and entry.detail["route_changes_total"] == 1


def test_a_merged_subject_is_retired_and_its_survivor_attributed(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    op = scene.world.operation_id
    coordinator = scene.actor("LEAD", "coordinator")
    run(db, settings, coordinator, op)
    both = Person(("fr.person@example.com", "nobody@gmail.com"), country="FR")
    send(db, op, scene.actor("LEAD"), tip("LEAD-2", [both]), "lead2.xml")
    link(db, settings, op)
    result = run(db, settings, coordinator, op)
    assert result.retired == 1 and result.subjects == 8
    survivor = subject_of(db, "fr.person@example.com")
    retired = ({scene.subjects["fr"], scene.subjects["none"]} - {survivor}).pop()
    with db.transaction() as session:
        route = session.scalar(
            select(SubjectRoute)
            .join(Subject, Subject.id == SubjectRoute.subject_id)
            .where(Subject.public_id == retired)
        )
        assert route is not None and (route.status, route.reason) == ("retired", "subject_retired")
    row, _ = _attribution(db, survivor)
    assert row.top_country == "FR"


def test_an_agency_stated_country_outweighs_a_platform_one(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    op = scene.world.operation_id
    event = misp_person("5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5c", "partner.gb@example.net", "Canada")
    send(db, op, scene.actor("PARTNER"), event, "partner.json")
    link(db, settings, op)
    result = run(db, settings, scene.actor("LEAD", "coordinator"), op, [scene.subjects["partner_gb"]])
    assert result.subjects == 1
    row, evidence = _attribution(db, scene.subjects["partner_gb"])
    assert {(e.kind, e.country, e.weight) for e in evidence} == {
        ("platform_country", "GB", 2.0),
        ("stated_country", "CA", 3.0),
    }
    assert (row.status, row.top_country) == ("attributed", "CA")


def test_a_licensed_maxmind_file_is_used_and_stated(db: Database, settings: Settings, tmp_path: Path) -> None:
    scene = build(db, settings)
    mmdb = country_test_database(tmp_path / "GeoIP2-Country.mmdb")
    licensed = settings.model_copy(update={"attribution_geoip_mmdb": str(mmdb)})
    result = run(db, licensed, scene.actor("LEAD", "coordinator"), scene.world.operation_id)
    assert result.provider == (
        "IP geolocation by maxmind: GeoIP2-Country (GeoIP2-Country.mmdb), data of 2024-06-18"
    )
    row, evidence = _attribution(db, scene.subjects["gb"])
    assert row.provider == "maxmind" and row.provider_source == "GeoIP2-Country (GeoIP2-Country.mmdb)"
    assert [(e.country, e.weight) for e in evidence if e.kind == "ip"] == [("GB", 1.0)]
    _, shared = _attribution(db, scene.subjects["shared"])
    ca = next(e for e in shared if e.value == IPS["CA"])
    assert (ca.country, ca.note) == (None, "not located (not in the data)")


def test_stale_logins_count_half(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    op = scene.world.operation_id
    old = Person(("old.login@example.com",), logins=(Login(IPS["FR"], at="2026-02-01T00:00:00Z"),))
    send(db, op, scene.actor("LEAD"), tip("LEAD-3", [old]), "lead3.xml")
    link(db, settings, op)
    run(db, settings, scene.actor("LEAD", "coordinator"), op, [subject_of(db, "old.login@example.com")])
    _, (evidence,) = _attribution(db, subject_of(db, "old.login@example.com"))
    assert evidence.weight == 0.5 and "days from the data's date ×0.5" in evidence.note


def test_who_may_run_it_and_bad_subjects(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    op = scene.world.operation_id
    with pytest.raises(Forbidden, match="lead agency's coordinators and analysts"):
        run(db, settings, scene.actor("PARTNER", "coordinator"), op)
    with pytest.raises(NotFound):
        run(db, settings, scene.actor("OUTSIDER", "coordinator"), op)
    with pytest.raises(NotFound, match="subject SUB-999999 not found"):
        run(db, settings, scene.actor("LEAD", "analyst"), op, ["SUB-999999"])
    with pytest.raises(Invalid, match="name at least one subject"):
        run(db, settings, Actor.cli(), op, [])
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Attribution)) == 0
