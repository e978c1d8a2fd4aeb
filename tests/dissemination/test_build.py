"""Packages are built per receiving agency from what it may see, ranked, labelled and dated."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.dissemination.document import content_sha256
from caseweave.dissemination.gather import MEDIA_MATCHING
from caseweave.dissemination.models import Package, PackageSubject
from caseweave.errors import Forbidden, Invalid, NotFound
from tests.dissemination.scenario import HIDDEN_AMBER, HIDDEN_RED, build, send_packages


def _body(db: Database, reference: str) -> dict[str, object]:
    with db.transaction() as session:
        package = session.scalar(select(Package).where(Package.reference == reference))
        assert package is not None
        assert hashlib.sha256(package.body.encode()).hexdigest() == package.sha256
        return dict(json.loads(package.body))


def test_each_agency_gets_the_subjects_routed_to_it_most_urgent_first(
    db: Database, settings: Settings
) -> None:
    scene = build(db, settings)
    run = send_packages(db, settings, scene.coordinator, scene.op)
    assert {(r.agency, r.outcome) for r in run.results} == {
        ("LATE", "new"),
        ("LEAD", "new"),
        ("PARTNER", "new"),
    }

    body = _body(db, "PKG-1-PARTNER-V1")
    subjects = body["subjects"]
    assert isinstance(subjects, list)
    assert [s["subject"] for s in subjects] == [scene.subjects[n] for n in ("child", "material", "suspect")]
    assert [s["urgency"] for s in subjects] == ["immediate", "high", "routine"]
    assert subjects[0]["urgency_reasons"][0].startswith("a child possibly at risk")
    assert subjects[1]["media"] == {
        "hashes_listed": 3,
        "matched_known_material": 0,  # no bank has been matched against yet
        "matching": MEDIA_MATCHING,
    }
    assert (body["urgency"], body["version"], body["previous"], body["changes"]) == (
        "immediate",
        1,
        None,
        None,
    )
    issued = datetime.fromisoformat(str(body["issued_at"]))
    assert datetime.fromisoformat(str(body["deadline"])) == issued + timedelta(hours=24)

    suspect = subjects[2]
    assert suspect["attribution"]["country"] == "CA" and suspect["attribution"]["status"] == "attributed"
    ip = next(s for s in suspect["selectors"] if s["type"] == "ip")
    assert ip["windows"] == [
        {
            "from": "2024-05-01T10:00:00+00:00",
            "to": "2024-05-01T10:00:00+00:00",
            "port": None,
            "context": "login",
            "platform": "PhotoShareExample",
        }
    ]
    with db.transaction() as session:
        rows = session.scalars(
            select(PackageSubject.public_id).join(Package).where(Package.reference == body["reference"])
        )
        assert sorted(rows) == sorted(s["subject"] for s in subjects)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "package.disseminate")
        ).all()
        assert actions == ["package.disseminate"]


def test_a_package_holds_only_what_the_receiving_agency_may_see(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    send_packages(db, settings, scene.coordinator, scene.op, "PARTNER")
    body = _body(db, "PKG-1-PARTNER-V1")
    text = json.dumps(body)
    assert HIDDEN_AMBER not in text and HIDDEN_RED not in text  # neither the AMBER nor the RED record
    suspect = next(s for s in body["subjects"] if s["subject"] == scene.subjects["suspect"])  # type: ignore[attr-defined]
    assert [p["tlp"] for p in suspect["persons"]] == ["GREEN"]
    # what PARTNER may not see is neither named, nor counted, nor weighed in the figures shown
    assert "further_material" not in body and "further_material" not in suspect
    assert "evidence_withheld" not in suspect["attribution"]
    assert {e["kind"] for e in suspect["attribution"]["evidence"]} >= {"phone", "ip"}
    assert "Other agencies may hold further material" in str(body["handling"])


def test_nothing_changed_means_no_new_version_and_agencies_are_named_by_code_or_country(
    db: Database, settings: Settings
) -> None:
    scene = build(db, settings)
    by_country = send_packages(db, settings, scene.coordinator, scene.op, "ca")
    assert [(r.agency, r.outcome) for r in by_country.results] == [("PARTNER", "new")]
    assert _body(db, "PKG-1-PARTNER-V1")["tlp"] == "AMBER"  # every part shown is GREEN; the floor is AMBER
    lower = settings.model_copy(update={"dissemination_tlp_floor": "CLEAR"})
    by_code = send_packages(db, lower, scene.coordinator, scene.op, "lead")
    assert [(r.agency, r.outcome) for r in by_code.results] == [("LEAD", "new")]
    assert _body(db, "PKG-1-LEAD-V1")["tlp"] == "GREEN"  # the strictest of its parts

    again = send_packages(db, settings, scene.coordinator, scene.op)
    assert [(r.agency, r.outcome) for r in again.results] == [
        ("LATE", "new"),
        ("LEAD", "updated"),
        ("PARTNER", "unchanged"),
    ]
    assert _body(db, "PKG-1-LEAD-V2")["changes"]["summary"] == "label TLP:GREEN → TLP:AMBER"  # type: ignore[index]
    last = send_packages(db, settings, scene.coordinator, scene.op)
    assert {r.outcome for r in last.results} == {"unchanged"}
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Package)) == 4
        package = session.scalar(select(Package).where(Package.reference == "PKG-1-PARTNER-V1"))
        assert package is not None and content_sha256(json.loads(package.body)) == package.content_sha256


BAD_AGENCIES: list[tuple[str, type[Exception], str]] = [
    ("XX", Invalid, "unknown country code 'XX'"),
    ("FR", Invalid, "has no lead or partner agency in FR"),
    ("OUTSIDER", Invalid, "OUTSIDER is not a member of operation"),
    ("OBSERVER", Invalid, "OBSERVER is an observer"),
    ("NO-SUCH-AGENCY", NotFound, "agency 'NO-SUCH-AGENCY' not found"),
]


def test_bad_agencies_and_other_senders_are_refused_and_nothing_is_sent(
    db: Database, settings: Settings
) -> None:
    scene = build(db, settings)
    with db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    for asked, error, words in BAD_AGENCIES:
        with pytest.raises(error, match=words):
            send_packages(db, settings, scene.coordinator, scene.op, asked)
    for actor in (scene.actor("LEAD", "analyst"), scene.actor("PARTNER", "coordinator")):
        with pytest.raises(Forbidden, match="only the lead agency's coordinators send lead packages"):
            send_packages(db, settings, actor, scene.op)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Package)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
