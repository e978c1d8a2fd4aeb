"""The MISP importer: its contract, the referral it states (TLP, header), error paths, rejection."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import strategies as st

from caseweave.intake.base import FileRejected
from caseweave.intake.formats import misp_examples
from caseweave.intake.formats.misp import MispImporter
from caseweave.intake.records import MediaHash, PersonRecord, RecordError, ReferralHeader, Sighting
from tests.intake.misp_docs import IMPORTER, attr, event, obj, parse
from tests.support.importer_contract import ImporterContract, mutated_json, of


class TestContract(ImporterContract):
    importer = IMPORTER
    file = "referral.json"
    record_kinds = (PersonRecord, Sighting, MediaHash, RecordError)

    def mutated(self) -> st.SearchStrategy[tuple[bytes, str]]:
        return mutated_json(self.valid_files())


# -- the referral -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "tlp"),
    [
        (["tlp:amber+strict"], "tlp:amber+strict"),
        (["tlp:clear"], "tlp:clear"),
        (["TLP:GREEN", "tlp:red", "osint"], "tlp:red"),
        (["tlp:amber", "tlp:amber+strict"], "tlp:amber+strict"),
        ([], None),
    ],
)
def test_tlp_from_event_tags(tags: list[str], tlp: str | None) -> None:
    header = parse(event(Tag=[{"name": tag} for tag in tags]))[0]
    assert isinstance(header, ReferralHeader)
    assert header.tlp == tlp


def test_header_from_bare_event_and_timestamp() -> None:
    doc = event(attr("e", "email", "b@example.org"))["Event"]
    del doc["date"]
    doc["timestamp"] = "1767225600"
    header = parse(doc)[0]
    assert isinstance(header, ReferralHeader)
    assert header.external_id == "0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b"
    assert header.reported_at is not None and header.reported_at.year == 2026


def test_event_written_by_pymisp() -> None:
    from pymisp import MISPEvent, MISPObject

    misp_event = MISPEvent()
    misp_event.info = "Referral written by PyMISP"
    misp_event.add_tag("tlp:amber+strict")
    misp_event.add_attribute("email-src", "pat@example.org")
    misp_event.add_attribute("ip-src", "192.0.2.5", first_seen="2026-01-02T03:04:05Z")
    person = MISPObject("person")
    person.add_attribute("first-name", value="Pat")
    account = MISPObject("user-account")
    account.add_attribute("username", value="pat_s")
    misp_event.add_object(person)
    misp_event.add_object(account)
    content = misp_event.to_json(indent=1).encode()
    assert IMPORTER.sniff(content, "event.json")
    items = parse(content)
    header = items[0]
    assert isinstance(header, ReferralHeader) and header.tlp == "tlp:amber+strict"
    (only,) = of(items, PersonRecord)
    assert [(s.selector_type, s.person_ref) for s in of(items, Sighting)] == [
        ("email", only.ref),
        ("ip", only.ref),
        ("username", only.ref),
    ]
    assert not of(items, RecordError)


# -- errors and rejection ---------------------------------------------------------------------------


def test_error_locations_are_json_paths() -> None:
    errors = of(parse(misp_examples.bad_values_event()), RecordError)
    assert [e.location.path for e in errors] == [
        "$.Event.Attribute[1]",
        "$.Event.Attribute[2]",
        "$.Event.Attribute[3]",
    ]
    wrapped = {"response": [misp_examples.bad_values_event()]}
    assert of(parse(wrapped), RecordError)[0].location.path == "$.response[0].Event.Attribute[1]"
    bad_object = event(
        objects=[
            obj(
                "o",
                "ip-port",
                ("i", "ip", "ip-dst", "192.0.2.1"),
                ("f", "first-seen", "datetime", "1980-01-01"),
            )
        ]
    )
    (error,) = of(parse(bad_object), RecordError)
    assert (error.field, error.location.path) == ("first-seen", "$.Event.Object[0].Attribute[1]")


def test_malformed_parts_become_errors() -> None:
    doc = event(attr("p", "ip-src|port", "192.0.2.1|http"), "not an attribute", {"value": "no type"})
    doc["Event"]["Object"] = {"not": "a list"}
    errors = of(parse(doc), RecordError)
    assert [(e.field, e.location.path) for e in errors] == [
        ("Attribute", "$.Event.Attribute[1]"),
        ("type", "$.Event.Attribute[2]"),
        ("Object", "$.Event"),
        ("value", "$.Event.Attribute[0]"),
    ]


def test_missing_uuid_falls_back_to_the_file_hash_and_is_no_error() -> None:
    doc = event(attr("e", "email", "c@example.org"))
    del doc["Event"]["uuid"]
    items = parse(doc)
    assert isinstance(items[0], ReferralHeader) and len(items[0].external_id) == 64
    assert of(items, RecordError) == []


def test_truncated_file_is_rejected_with_a_line() -> None:
    content = json.dumps(misp_examples.one_person_event(), indent=1).encode()
    with pytest.raises(FileRejected) as caught:
        parse(content[: len(content) // 2])
    assert caught.value.location.line is not None and caught.value.location.line > 1
    assert "truncated" in caught.value.reason


@pytest.mark.parametrize(
    "content",
    [b"", b"[]", b'{"Event": []}', b'{"response": []}', b"\xff\xfe{", b'{"Event": NaN}', b"[" * 100_000],
)
def test_not_an_event_is_rejected(content: bytes) -> None:
    with pytest.raises(FileRejected):
        parse(content)


def test_several_events_are_rejected() -> None:
    one = misp_examples.one_person_event()
    with pytest.raises(FileRejected, match="2 events"):
        parse({"response": [one, one]})


class _CountingStream(io.BytesIO):
    def __init__(self, size: int) -> None:
        super().__init__(b" " * size)
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


def test_files_over_the_limit_are_refused_without_reading_them_whole() -> None:
    class Small(MispImporter):
        max_bytes = 10_000

    stream = _CountingStream(5_000_000)
    with pytest.raises(FileRejected, match="larger than"):
        list(Small().parse(stream, "huge.json"))
    assert stream.read_bytes <= Small.max_bytes + 1


@pytest.mark.parametrize("port", ["9" * 5000, "٤٤٣", "70000", "-1", "http"])
def test_an_ip_port_objects_port_that_is_no_port_leaves_the_ip_without_one(port: str) -> None:
    found = of(
        parse(
            event(
                objects=[
                    obj("o", "ip-port", ("i", "ip", "ip-dst", "192.0.2.1"), ("p", "dst-port", "port", port))
                ]
            )
        ),
        Sighting,
    )
    assert [(s.raw_value, s.port) for s in found] == [("192.0.2.1", None)]
