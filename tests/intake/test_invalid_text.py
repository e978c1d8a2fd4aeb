"""Text that no UTF-8 can hold (a lone surrogate, which JSON may spell `"\\ud800"`, or a file name's
bytes that are not UTF-8) is the project's own error naming the field, never a crash: a record
holding one is quarantined (with --partial) or refuses the file, and nothing else is lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import CaseweaveError
from caseweave.intake.formats.misp_examples import examples as misp_examples
from caseweave.intake.models import PersonRecord, QuarantinedRecord, Referral
from caseweave.intake.registry import IMPORTERS
from caseweave.intake.service import ImportRejected, import_referral
from tests.intake.test_import_service import GOOD, counts, do_import, write
from tests.support.world import build_world

LONE = "\\ud800"  # as JSON spells it
# The formats whose files are JSON, where a lone surrogate can be spelt (CSV and XML carry bytes,
# and bytes that are not UTF-8 are refused as such when the line is read).
JSON_FORMATS = sorted(
    name
    for name, importer in IMPORTERS.items()
    if any(example.content.lstrip()[:1] in (b"{", b"[") for example in importer.examples())
)
_STRING_VALUE = re.compile(rb'": "(?=[^"\\]{2,}")')


def with_lone_surrogates(content: bytes, most: int = 6) -> list[bytes]:
    """Copies of a JSON document, each with a lone surrogate at the start of one string value."""
    places = [match.end() for match in _STRING_VALUE.finditer(content)]
    step = max(1, len(places) // most)
    return [content[:at] + LONE.encode() + content[at:] for at in places[::step][:most]]


def test_a_record_with_a_lone_surrogate_is_quarantined_naming_its_field(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    two_persons = next(example for example in misp_examples() if example.persons == 2)
    path = tmp_path / "event.json"
    path.write_bytes(two_persons.content.replace(b'"Robin Placeholder"', b'"' + LONE.encode() + b'Robin"'))

    with pytest.raises(ImportRejected) as refused:
        do_import(db, world, path)
    assert "full_name is not valid Unicode" in str(refused.value)
    assert counts(db)[:4] == (0, 0, 0, 0), "nothing stored"

    do_import(db, world, path, partial=True)
    with db.transaction() as session:
        quarantined = session.scalars(select(QuarantinedRecord)).one()
        kept = session.scalars(select(PersonRecord.full_name)).all()
    assert (quarantined.field, kept) == ("full_name", ["Sam Fictional"])
    assert "\\ud800Robin" in quarantined.raw, "what was wrong stays readable"


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_no_lone_surrogate_anywhere_in_a_shipped_example_crashes_an_import(
    fmt: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    readable = [example for example in IMPORTERS[fmt].examples() if not example.rejected]
    mutated = [copy for example in readable for copy in with_lone_surrogates(example.content)]
    assert mutated
    for n, content in enumerate(mutated):
        path = tmp_path / f"mutated-{n}.{fmt}"
        path.write_bytes(content)
        try:
            do_import(db, world, path, fmt=fmt, partial=True)
        except CaseweaveError as refused:  # the project's own refusal, with a reason; anything else fails
            assert str(refused)
    with db.transaction() as session:
        for quarantined in session.scalars(select(QuarantinedRecord)):
            assert quarantined.field and quarantined.reason


def test_a_file_name_that_is_not_utf8_is_kept_readable(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    path = write(tmp_path, "return.csv", GOOD)
    with db.transaction() as session, path.open("rb") as stream:
        actor = Actor.for_user(world.user("LEAD", "analyst"))
        import_referral(
            session, actor, world.operation_id, stream, "return-\udcff.csv"
        )  # as os.listdir gives it
    with db.transaction() as session:
        assert session.scalars(select(Referral.file_name)).one() == "return-\\udcff.csv"


def test_an_error_named_after_a_key_with_a_lone_surrogate_is_stored_readable(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    world = build_world(db, settings, roles=("analyst",))
    path = tmp_path / "bundle.json"  # stix2 names the bad property, and its name is the key
    path.write_text(
        '{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": ['
        '{"type": "email-addr", "spec_version": "2.1",'
        ' "id": "email-addr--00000000-0000-4000-8000-000000000002",'
        ' "value": "b@example.org", "' + LONE + 'bad": 1}]}'
    )
    do_import(db, world, path, partial=True)
    with db.transaction() as session:
        quarantined = session.scalars(select(QuarantinedRecord)).one()
    assert quarantined.field == "\\ud800bad"
