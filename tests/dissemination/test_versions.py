"""New referrals after a package was sent: the next `disseminate` sends a new version that says what
changed since the last one; the old version is kept, replaced, and can no longer be acknowledged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from caseweave.attribution.queue import route_by_hand
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.dissemination import workflow
from caseweave.dissemination.changes import diff
from caseweave.dissemination.models import Package
from caseweave.errors import Conflict
from tests.attribution.helpers import IPS, Login, Person, link, send, subject_of, tip
from tests.dissemination.scenario import EMAILS, attribute, build, send_packages


def _package(db: Database, reference: str) -> tuple[Package, dict[str, Any]]:
    with db.transaction() as session:
        package = session.scalar(select(Package).where(Package.reference == reference))
        assert package is not None
        return package, json.loads(package.body)


def test_a_changed_subject_gets_a_new_version_saying_what_changed(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    send_packages(db, settings, scene.coordinator, scene.op)
    partner = scene.actor("PARTNER")
    more = (
        Person(
            (EMAILS["suspect"], "ca.alt@example.com"), logins=(Login(IPS["CA"], at="2024-05-03T08:00:00Z"),)
        ),
        Person(("ca.new@example.com",), country="CA"),
    )
    send(db, scene.op, partner, tip("PARTNER-2", more), "partner-2.xml")
    link(db, settings, scene.op)
    attribute(db, settings, scene.op)
    with db.transaction() as session:
        route_by_hand(
            session, scene.coordinator, scene.subjects["material"], agency="LATE", reason="seen in IE"
        )
    run = send_packages(db, settings, scene.coordinator, scene.op)
    assert {(r.agency, r.outcome) for r in run.results} == {
        ("LATE", "updated"),
        ("LEAD", "unchanged"),
        ("PARTNER", "updated"),
    }

    old, _ = _package(db, "PKG-1-PARTNER-V1")
    new, body = _package(db, "PKG-1-PARTNER-V2")
    assert old.status == "superseded" and new.previous_id == old.id
    assert body["previous"] == {"reference": old.reference, "sha256": old.sha256}
    assert new.deadline == old.deadline  # v1 was never acknowledged: v2 buys no time
    changes = body["changes"]
    added = subject_of(db, "ca.new@example.com")
    assert changes["since"] == "PKG-1-PARTNER-V1"
    assert changes["subjects_added"] == [added]
    assert changes["subjects_removed"] == [
        {"subject": scene.subjects["material"], "why": "no longer routed to your agency"}
    ]
    [changed] = changes["subjects_changed"]
    assert changed["subject"] == scene.subjects["suspect"]
    assert changed["new_selectors"] == ["email:ca.alt@example.com"]
    assert changed["new_sightings_of"] == ["email:ca.suspect@example.com", "ip:24.48.0.1"]
    assert (changed["new_records"], changed["new_referrals"]) == (1, ["PARTNER-2"])
    assert changes["summary"] == "1 subject(s) added, 1 removed, 1 changed"
    _, late = _package(db, "PKG-1-LATE-V2")
    assert late["changes"]["subjects_added"] == [scene.subjects["material"]]

    with db.transaction() as session, pytest.raises(Conflict, match="was replaced by PKG-1-PARTNER-V2"):
        workflow.acknowledge(session, partner, "PKG-1-PARTNER-V1")
    with db.transaction() as session:
        history = workflow.list_packages(session, partner, scene.op, history=True)
        assert [(i.reference, i.status) for i in history] == [
            ("PKG-1-PARTNER-V2", "sent"),
            ("PKG-1-PARTNER-V1", "superseded"),
        ]
    again = send_packages(db, settings, scene.coordinator, scene.op)
    assert {r.outcome for r in again.results} == {"unchanged"}


def _subject(
    public_id: str, *, country: str = "CA", confidence: float = 0.8, urgency: str = "routine"
) -> dict[str, Any]:
    return {
        "subject": public_id,
        "urgency": urgency,
        "attribution": {"status": "attributed", "country": country, "confidence": confidence},
        "selectors": [{"type": "email", "value": f"{public_id.lower()}@example.com", "sightings": 1}],
        "persons": [{"record": 1}],
        "referrals": [{"id": 1, "external_id": "R-1"}],
        "further_material": [],
        "media": {"hashes_listed": 0},
    }


def test_attribution_urgency_and_merges_are_described() -> None:
    previous = {
        "reference": "PKG-1-CA-V1",
        "version": 1,
        "tlp": "AMBER",
        "subjects": [_subject("SUB-1"), _subject("SUB-2"), _subject("SUB-3")],
    }
    now = [_subject("SUB-1", country="US", confidence=0.5, urgency="immediate"), _subject("SUB-3")]
    changes = diff(
        previous, {"tlp": "AMBER", "subjects": now}, {"SUB-2": "merged into SUB-3 (in this package)"}
    )
    assert changes["subjects_removed"] == [{"subject": "SUB-2", "why": "merged into SUB-3 (in this package)"}]
    assert changes["subjects_changed"] == [
        {
            "subject": "SUB-1",
            "attribution": "attributed CA 0.80 → attributed US 0.50",
            "urgency": "routine → immediate",
        }
    ]
