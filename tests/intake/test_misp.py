"""The MISP importer: its examples, grouping, windows, TLP, error paths, and a fuzz test."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseweave.intake.base import Example, FileRejected
from caseweave.intake.formats import misp_examples
from caseweave.intake.formats.misp import MispImporter
from caseweave.intake.formats.stix import StixImporter
from caseweave.intake.records import (
    MediaHash,
    ParsedItem,
    PersonRecord,
    RecordError,
    ReferralHeader,
    Sighting,
)

IMPORTER = MispImporter()
RECORD_TYPES = (ReferralHeader, PersonRecord, Sighting, MediaHash, RecordError)


def parse(content: bytes | dict[str, Any], importer: MispImporter = IMPORTER) -> list[ParsedItem]:
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    return list(importer.parse(io.BytesIO(content), "referral.json"))


def of(items: list[ParsedItem], kind: type[Any]) -> list[Any]:
    return [item for item in items if isinstance(item, kind)]


def event(*attributes: Any, objects: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": "0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b",
        "info": "test",
        "date": "2026-01-05",
    }
    body.update(fields)
    body["Attribute"] = list(attributes)
    if objects is not None:
        body["Object"] = objects
    return {"Event": body}


def attr(uuid: str, kind: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"uuid": uuid, "type": kind, "value": value, **extra}


def obj(uuid: str, name: str, *rels: tuple[str, str, str, str], refs: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "Attribute": [{"uuid": u, "object_relation": r, "type": t, "value": v} for u, r, t, v in rels],
        "ObjectReference": [{"referenced_uuid": ref, "relationship_type": "uses"} for ref in refs],
    }


def by_ref(items: list[ParsedItem]) -> dict[str, Sighting | MediaHash]:
    return {item.ref: item for item in items if isinstance(item, (Sighting, MediaHash))}


# -- examples ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", MispImporter.examples(), ids=lambda e: e.name)
def test_example(example: Example) -> None:
    if example.rejected:
        with pytest.raises(FileRejected):
            parse(example.content)
        return
    items = parse(example.content)
    assert isinstance(items[0], ReferralHeader)
    assert len(of(items, ReferralHeader)) == 1
    assert len(of(items, PersonRecord)) == example.persons
    assert len(of(items, Sighting)) == example.sightings
    assert len(of(items, MediaHash)) == example.media_hashes
    assert tuple(e.field for e in of(items, RecordError)) == example.error_fields
    if example.selector_types:
        assert tuple(sorted({s.selector_type for s in of(items, Sighting)})) == example.selector_types
    assert IMPORTER.sniff(example.content[: 64 * 1024], "referral.json")
    assert not StixImporter().sniff(example.content[: 64 * 1024], "referral.json")


def test_examples_cover_the_contract() -> None:
    examples = MispImporter.examples()
    assert sum(not e.rejected for e in examples) >= 3
    assert sum(e.rejected or bool(e.error_fields) for e in examples) >= 3


# -- grouping ---------------------------------------------------------------------------------------


def test_loose_selectors_belong_to_the_only_person() -> None:
    items = parse(misp_examples.one_person_event())
    (person,) = of(items, PersonRecord)
    assert person.full_name == "Jordan Testperson"
    assert {s.person_ref for s in of(items, Sighting)} == {person.ref}
    assert of(items, MediaHash)[0].person_ref == person.ref


def test_loose_selectors_stay_unattached_with_two_persons() -> None:
    items = parse(misp_examples.two_person_response())
    assert len(of(items, PersonRecord)) == 2
    assert [s.person_ref for s in of(items, Sighting)] == [None]


def test_object_references_tie_selectors_when_there_are_several_persons() -> None:
    doc = event(
        attr("a1", "email-src", "first@example.org"),
        attr("a2", "ip-src", "192.0.2.1"),
        objects=[
            obj("p1", "person", ("p1n", "full-name", "full-name", "Avery Fakename"), refs=("u1",)),
            obj("p2", "person", ("p2n", "full-name", "full-name", "Blake Nobody"), refs=("a1",)),
            obj(
                "u1",
                "user-account",
                ("u1a", "username", "text", "avery_f"),
                ("u1b", "email", "email", "af@example.net"),
            ),
        ],
    )
    sightings = by_ref(parse(doc))
    assert sightings["a1"].person_ref == "p2"
    assert sightings["a2"].person_ref is None
    assert sightings["u1a"].person_ref == sightings["u1b"].person_ref == "p1"


def test_a_group_anchored_on_an_account_is_not_given_to_the_only_person() -> None:
    """One subject has a person object; another, unnamed, is an account that refers to its selectors."""
    doc = event(
        attr("a1", "email-src", "named@example.org"),
        attr("a2", "email-src", "unnamed@example.org"),
        attr("a3", "phone-number", "+44 7700 900999"),
        objects=[
            obj("p1", "person", ("p1n", "first-name", "first-name", "Drew"), refs=("a1",)),
            obj("u2", "user-account", ("u2a", "username", "text", "ghost_2"), refs=("a2",)),
        ],
    )
    sightings = by_ref(parse(doc))
    assert sightings["a1"].person_ref == "p1"
    assert sightings["a2"].person_ref is None
    assert sightings["u2a"].person_ref is None
    assert sightings["a3"].person_ref == "p1"  # in no group: the event's only person


def test_person_attributes_with_clashing_values_are_separate_persons() -> None:
    items = parse(
        event(
            attr("n1", "full-name", "Ellis One"),
            attr("n2", "full-name", "Ellis Two"),
            attr("e", "email", "x@example.com"),
        )
    )
    assert [p.full_name for p in of(items, PersonRecord)] == ["Ellis One", "Ellis Two"]
    assert of(items, Sighting)[0].person_ref is None


def test_person_object_fields() -> None:
    (person,) = of(parse(misp_examples.objects_event()), PersonRecord)
    assert (person.given_name, person.family_name, person.country) == ("Casey", "Examplesson", "Utopia")
    assert person.date_of_birth is not None and person.date_of_birth.isoformat() == "1994-07-12"


def test_text_attributes_are_read_only_where_a_relation_says_what_they_are() -> None:
    doc = event(
        attr("t1", "text", "alias_in_notes"),
        objects=[obj("o1", "misc", ("t2", "username", "text", "alias2"))],
    )
    assert [(s.ref, s.selector_type) for s in of(parse(doc), Sighting)] == [("t2", "username")]


def test_account_platform_from_relation_or_link_or_object_name() -> None:
    doc = event(
        objects=[
            obj(
                "o1",
                "user-account",
                ("u1", "username", "text", "a"),
                ("u2", "platform", "text", "ExampleChat"),
            ),
            obj(
                "o2",
                "user-account",
                ("u3", "username", "text", "b"),
                ("u4", "link", "link", "https://forum.example.net/u/b"),
            ),
            obj("o3", "telegram-account", ("u5", "username", "text", "c")),
        ]
    )
    platforms = {s.ref: s.platform for s in of(parse(doc), Sighting)}
    assert platforms == {"u1": "ExampleChat", "u3": "forum.example.net", "u4": None, "u5": "telegram"}


# -- windows, ports, hashes -------------------------------------------------------------------------


def test_ip_port_object_gives_window_and_port() -> None:
    sightings = by_ref(parse(misp_examples.objects_event()))
    ip = sightings["c0000000-0000-4000-8000-000000000008"]
    assert isinstance(ip, Sighting)
    assert (ip.raw_value, ip.port) == ("203.0.113.77", 443)
    assert ip.observed_from is not None and ip.observed_from.isoformat() == "2026-03-02T08:00:00+00:00"
    assert ip.observed_to is not None and ip.observed_to.isoformat() == "2026-03-02T09:30:00+00:00"


def test_attribute_first_and_last_seen_and_composite_port() -> None:
    sightings = by_ref(parse(misp_examples.one_person_event()))
    ip = sightings["a0000000-0000-4000-8000-000000000003"]
    assert isinstance(ip, Sighting)
    assert (ip.raw_value, ip.port) == ("198.51.100.23", 51515)
    assert ip.observed_from is not None and ip.observed_from.hour == 21
    assert ip.observed_to is not None and ip.observed_to.hour == 23


def test_object_first_seen_applies_to_its_attributes_and_the_attribute_wins() -> None:
    ip_port = obj(
        "o1", "ip-port", ("i1", "ip-src", "ip-src", "192.0.2.7"), ("i2", "src-port", "port", "5555")
    )
    ip_port["first_seen"], ip_port["last_seen"] = "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z"
    ip_port["Attribute"][0]["first_seen"] = "2026-01-02T00:00:00Z"
    (sighting,) = of(parse(event(objects=[ip_port])), Sighting)
    assert sighting.port == 5555
    assert sighting.observed_from is not None and sighting.observed_from.day == 2
    assert sighting.observed_to is not None and sighting.observed_to.day == 3


def test_last_seen_before_first_seen_is_an_error() -> None:
    items = parse(
        event(
            attr(
                "x",
                "ip-dst",
                "192.0.2.8",
                first_seen="2026-01-02T00:00:00Z",
                last_seen="2026-01-01T00:00:00Z",
            )
        )
    )
    assert [e.field for e in of(items, RecordError)] == ["last_seen"]
    assert not of(items, Sighting)


def test_hash_types_and_file_names() -> None:
    items = parse(
        event(
            attr("h1", "filename|sha1", "holiday.jpg|" + "1" * 40),
            attr("h2", "pdq", "f" * 64),
            attr("h3", "sha256", "2" * 64),
        )
    )
    hashes = [(h.ref, h.algorithm, h.file_name) for h in of(items, MediaHash)]
    assert hashes == [("h1", "sha1", "holiday.jpg"), ("h2", "pdq", None), ("h3", "sha256", None)]
    file_hashes = of(parse(misp_examples.objects_event()), MediaHash)
    assert {h.file_name for h in file_hashes} == {"upload_0193.jpg"}


def test_selector_types_by_attribute_type() -> None:
    kinds = {"email-dst": "email", "ip-dst|port": "ip", "phone-number": "phone", "url": "url", "link": "url"}
    kinds |= {"domain": "url", "btc": "wallet", "xmr": "wallet", "github-username": "username"}
    doc = event(*(attr(f"u{i}", k, "v|1") for i, k in enumerate(kinds)))
    assert [s.selector_type for s in of(parse(doc), Sighting)] == list(kinds.values())


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


def test_missing_uuid_falls_back_to_the_file_hash() -> None:
    doc = event(attr("e", "email", "c@example.org"))
    del doc["Event"]["uuid"]
    items = parse(doc)
    assert isinstance(items[0], ReferralHeader) and len(items[0].external_id) == 64
    assert [e.field for e in of(items, RecordError)] == ["uuid"]


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


# -- fuzz -------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
VALID = [json.loads(e.content) for e in MispImporter.examples() if not e.rejected]


def _slots(node: Any) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    pairs = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in pairs:
        found.append((node, key))
        found.extend(_slots(value))
    return found


def check_never_crashes(content: bytes) -> None:
    try:
        items = parse(content)
    except FileRejected:
        return
    assert isinstance(items[0], ReferralHeader)
    assert len(of(items, ReferralHeader)) == 1
    assert all(isinstance(item, RECORD_TYPES) for item in items)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(content: bytes) -> None:
    check_never_crashes(content)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID), st.data())
def test_fuzz_mutated_events(document: dict[str, Any], data: st.DataObject) -> None:
    content = json.dumps(document).encode()
    how = data.draw(st.sampled_from(["truncate", "flip", "replace", "replace"]))
    if how == "truncate":
        content = content[: data.draw(st.integers(0, len(content)))]
    elif how == "flip":
        at = data.draw(st.integers(0, len(content) - 1))
        content = content[:at] + bytes([content[at] ^ data.draw(st.integers(1, 255))]) + content[at + 1 :]
    else:
        mutated = copy.deepcopy(document)
        for _ in range(data.draw(st.integers(1, 3))):
            slots = _slots(mutated)
            container, key = slots[data.draw(st.integers(0, len(slots) - 1))]
            container[key] = data.draw(JSON_VALUES)
        content = json.dumps(mutated).encode()
    check_never_crashes(content)
