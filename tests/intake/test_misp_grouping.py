"""The MISP importer: which person each selector belongs to, observation windows, ports and hashes."""

from __future__ import annotations

from caseweave.intake.formats import misp_examples
from caseweave.intake.records import MediaHash, PersonRecord, RecordError, Sighting
from tests.intake.misp_docs import attr, by_ref, event, obj, parse
from tests.support.importer_contract import of

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


def test_a_group_anchored_on_an_account_is_a_record_of_its_own_not_the_only_persons() -> None:
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
    items = parse(doc)
    assert [(p.ref, p.kind) for p in of(items, PersonRecord)] == [("p1", "person"), ("u2", "account")]
    sightings = by_ref(items)
    assert sightings["a1"].person_ref == "p1"
    assert sightings["a2"].person_ref == sightings["u2a"].person_ref == "u2"
    assert sightings["a3"].person_ref == "p1"  # in no group: the event's only person


def test_an_event_about_one_unnamed_account_is_one_record_holding_every_selector() -> None:
    """A seized chat room's account: a user-account object, loose e-mail and IPs, no person object."""
    doc = event(
        attr("a1", "email-src", "nightowl@example.org"),
        attr("a2", "ip-src", "198.51.100.7"),
        attr("a3", "ip-src", "198.51.100.8"),
        objects=[
            obj(
                "u1",
                "user-account",
                ("u1a", "username", "text", "night_owl"),
                ("u1d", "display-name", "text", "Night Owl"),
            )
        ],
    )
    items = parse(doc)
    (record,) = of(items, PersonRecord)
    assert (record.ref, record.kind, record.full_name, record.role) == (
        "u1",
        "account",
        "Night Owl",
        "suspect",
    )
    assert {s.person_ref for s in of(items, Sighting)} == {"u1"}
    assert len(of(items, Sighting)) == 4


def test_several_unnamed_accounts_are_separated_by_their_references() -> None:
    doc = event(
        attr("a1", "email-src", "one@example.org"),
        attr("a2", "email-src", "two@example.org"),
        attr("a3", "ip-src", "198.51.100.9"),  # referenced by nobody: whose it is cannot be told
        objects=[
            obj("u1", "telegram-account", ("u1a", "username", "text", "first_one"), refs=("a1",)),
            obj("u2", "user-account", ("u2a", "username", "text", "second_one"), refs=("a2",)),
        ],
    )
    items = parse(doc)
    assert [p.ref for p in of(items, PersonRecord)] == ["u1", "u2"]
    sightings = by_ref(items)
    assert sightings["a1"].person_ref == sightings["u1a"].person_ref == "u1"
    assert sightings["a2"].person_ref == sightings["u2a"].person_ref == "u2"
    assert sightings["a3"].person_ref is None


def test_an_account_the_holder_uses_is_the_same_record_but_one_contacted_is_not() -> None:
    doc = event(
        objects=[
            obj("u1", "user-account", ("u1a", "username", "text", "main_handle"), refs=("u2",)),
            obj("u2", "user-account", ("u2a", "username", "text", "alt_handle")),
            obj(
                "u3",
                "user-account",
                ("u3a", "username", "text", "a_contact"),
                refs=("u1",),
                relationship="contacted-by",
            ),
        ],
    )
    items = parse(doc)
    assert [p.ref for p in of(items, PersonRecord)] == ["u1", "u3"]
    sightings = by_ref(items)
    assert sightings["u1a"].person_ref == sightings["u2a"].person_ref == "u1"
    assert sightings["u3a"].person_ref == "u3"


def test_an_account_a_person_references_stays_the_persons() -> None:
    doc = event(
        objects=[
            obj("p1", "person", ("p1n", "full-name", "full-name", "Avery Fakename"), refs=("u1",)),
            obj("p2", "person", ("p2n", "full-name", "full-name", "Blake Nobody")),
            obj("u1", "user-account", ("u1a", "username", "text", "avery_f")),
        ],
    )
    items = parse(doc)
    assert [p.kind for p in of(items, PersonRecord)] == ["person", "person"]
    assert by_ref(items)["u1a"].person_ref == "p1"


def test_a_phone_object_no_person_holds_is_a_phone_line_record() -> None:
    doc = event(
        objects=[
            obj(
                "ph",
                "phone",
                ("ph1", "msisdn", "text", "+44 7700 900123"),
                ("ph2", "imei", "text", "490154203237518"),
            )
        ]
    )
    items = parse(doc)
    (record,) = of(items, PersonRecord)
    assert record.kind == "phone"
    sightings = {s.ref: s for s in of(items, Sighting)}
    assert (sightings["ph1"].selector_type, sightings["ph2"].selector_type) == ("phone", "device")
    assert sightings["ph1"].person_ref == sightings["ph2"].person_ref == "ph"


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
    assert (person.given_name, person.family_name, person.country) == ("Casey", "Examplesson", "Ireland")
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
