"""Files written by MISP's and OASIS's own projects (../shared/testdata/foreign, see its README):
each imports, with what it states stored, or is refused with a reason a MISP or STIX user would
accept. Twice imported, each adds nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import CaseweaveError
from caseweave.intake.models import Referral
from caseweave.intake.service import import_referral
from tests.support.world import build_world

FOREIGN = Path(
    os.environ.get(
        "CASEWEAVE_FOREIGN_TESTDATA", Path(__file__).resolve().parents[3] / "shared/testdata/foreign"
    )
)
# file: (persons, sightings, media hashes) stored, or the reason it is refused. Threat-intelligence
# events name malware and infrastructure, rarely a party: most state no person.
EXPECTED: dict[str, tuple[int, int, int] | str] = {
    "misp/misp_event.json": (0, 1, 0),
    "misp/mispevent_testfiles__attribute.json": (0, 0, 0),
    "misp/mispevent_testfiles__attribute_del.json": (0, 0, 0),
    "misp/mispevent_testfiles__def_param.json": (0, 3, 0),
    "misp/mispevent_testfiles__event.json": (0, 0, 0),
    "misp/mispevent_testfiles__event_obj_attr_tag.json": (0, 1, 0),
    "misp/mispevent_testfiles__event_obj_def_param.json": (0, 0, 0),
    "misp/mispevent_testfiles__event_obj_tag.json": (0, 0, 0),
    "misp/mispevent_testfiles__event_tags.json": (0, 0, 0),
    "misp/mispevent_testfiles__existing_event.json": (0, 32, 37),
    "misp/mispevent_testfiles__existing_event_edited.json": (0, 32, 37),
    "misp/mispevent_testfiles__galaxy.json": "a MISP galaxy (a vocabulary of clusters), not an event",
    "misp/mispevent_testfiles__malware.json": (0, 0, 0),
    "misp/mispevent_testfiles__malware_exist.json": (0, 0, 3),
    "misp/mispevent_testfiles__misp_custom_obj.json": (0, 0, 0),
    "misp/mispevent_testfiles__proposals.json": (0, 0, 0),
    "misp/mispevent_testfiles__shadow.json": (0, 0, 0),
    "misp/mispevent_testfiles__sighting.json": "neither a MISP event nor a STIX 2.1 bundle or object "
    "(keys: timestamp, type, value)",
    "misp/mispevent_testfiles__simple.json": "an empty JSON object, no MISP event and no STIX bundle",
    "misp/new_misp_event.json": (0, 0, 0),
    "misp/reportlab_testfiles__galaxy_1.json": (0, 2, 4),
    "misp/reportlab_testfiles__image_event.json": (0, 12, 40),
    "misp/reportlab_testfiles__japanese_test.json": (0, 0, 0),
    "misp/reportlab_testfiles__mainly_objects_1.json": (0, 0, 26),
    "misp/reportlab_testfiles__mainly_objects_2.json": (0, 0, 20),
    "misp/reportlab_testfiles__sighting_1.json": (0, 5, 0),
    "misp/reportlab_testfiles__very_long_event.json": (0, 13, 32),
    "stix/indicator-for-c2-ip-address.json": (0, 0, 0),
    "stix/indicator-to-campaign-relationship.json": (0, 0, 0),
    "stix/indicators-for-C2-with-COA.json": (0, 0, 0),
    "stix/infrastructure.json": (0, 2, 0),
    "stix/interop-objectmarking-test.json": (0, 0, 0),
    "stix/malicious-email-indicator-with-attachment.json": (0, 0, 0),
    "stix/threat-reports__apt1.json": (4, 4, 0),  # each individual's e-mail in its contact_information
    "stix/threat-reports__poisonivy.json": (0, 0, 0),
}


def foreign() -> Path:
    if not FOREIGN.is_dir():
        pytest.skip(f"files written by others not found at {FOREIGN} (set CASEWEAVE_FOREIGN_TESTDATA)")
    return FOREIGN


def test_every_foreign_file_is_in_the_table() -> None:
    assert sorted(str(path.relative_to(foreign())) for path in foreign().glob("*/*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_foreign_file_imports_what_it_states_or_is_refused_saying_why(
    name: str, db: Database, settings: Settings
) -> None:
    path = foreign() / name
    world = build_world(db, settings, roles=("analyst",))
    actor = Actor.for_user(world.user("LEAD", "analyst"))
    expected = EXPECTED[name]
    for _ in range(2):
        try:
            with db.transaction() as session, path.open("rb") as stream:
                outcome = import_referral(session, actor, world.operation_id, stream, path.name)
        except CaseweaveError as refused:
            assert isinstance(expected, str) and expected in str(refused), str(refused)
            continue
        assert not isinstance(expected, str), f"imported, but should be refused: {expected}"
        counts = outcome.counts
        assert (counts["persons"], counts["sightings"], counts["media_hashes"]) == expected
    with db.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(Referral))
    assert stored == (0 if isinstance(expected, str) else 1), "the second import adds nothing"
