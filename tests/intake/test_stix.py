"""The STIX 2.1 importer: its contract, grouping, windows, TLP, error paths."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import strategies as st

from caseweave.intake.base import FileRejected
from caseweave.intake.formats import stix_examples as ex
from caseweave.intake.formats.stix import StixImporter
from caseweave.intake.formats.stix_map import TLP_2_EXTENSION
from caseweave.intake.records import (
    MediaHash,
    ParsedItem,
    PersonRecord,
    RecordError,
    ReferralHeader,
    Sighting,
)
from tests.support.importer_contract import ImporterContract, mutated_json, of, read

IMPORTER = StixImporter()
PERSON = ex.sid("identity", 1)


def parse(content: bytes | dict[str, Any]) -> list[ParsedItem]:
    return read(IMPORTER, content, "bundle.json")


def sightings(items: list[ParsedItem]) -> dict[str, Sighting]:
    return {item.ref: item for item in items if isinstance(item, Sighting)}


def header(items: list[ParsedItem]) -> ReferralHeader:
    assert isinstance(items[0], ReferralHeader)
    return items[0]


def individual(n: int, name: str, **props: Any) -> dict[str, Any]:
    return ex.sdo("identity", n, name=name, identity_class="individual", **props)


class TestContract(ImporterContract):
    importer = IMPORTER
    file = "bundle.json"
    record_kinds = (PersonRecord, Sighting, MediaHash, RecordError)

    def mutated(self) -> st.SearchStrategy[tuple[bytes, str]]:
        return mutated_json(self.valid_files())


# -- the referral -----------------------------------------------------------------------------------


def test_report_is_the_referral() -> None:
    top = header(parse(ex.report_bundle()))
    assert top.external_id == ex.sid("report", 1)
    assert top.title == "Referral 2026-0150: livestream grooming"
    assert top.reported_at is not None and top.reported_at.isoformat() == "2026-03-01T12:00:00+00:00"


def test_without_a_report_the_bundle_id_is_the_referral() -> None:
    assert header(parse(ex.bare_bundle())).external_id == ex.sid("bundle", 3)


def test_a_second_report_is_noted_and_the_first_used() -> None:
    doc = ex.bundle(
        5,
        ex.sdo("report", 5, name="first", published=ex.T0, object_refs=[PERSON]),
        ex.sdo("grouping", 6, context="x", object_refs=[PERSON]),
    )
    items = parse(doc)
    assert header(items).title == "first"
    assert [(e.field, e.location.path) for e in of(items, RecordError)] == [("grouping", "$.objects[1]")]


@pytest.mark.parametrize(
    ("refs", "definitions", "tlp"),
    [
        ([ex.AMBER_STRICT], [ex.AMBER_STRICT_DEFINITION], "tlp:amber+strict"),
        ([ex.AMBER_STRICT], [], "tlp:amber+strict"),
        ([ex.CLEAR], [], "tlp:clear"),
        ([ex.TLP1_AMBER], [], "tlp:amber"),
        (["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"], [], "tlp:white"),
        (["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", ex.CLEAR], [], "tlp:red"),
        ([], [], None),
    ],
)
def test_tlp_from_report_markings(
    refs: list[str], definitions: list[dict[str, Any]], tlp: str | None
) -> None:
    report = ex.sdo("report", 7, name="r", published=ex.T0, object_refs=[PERSON])
    if refs:
        report["object_marking_refs"] = refs
    assert header(parse(ex.bundle(7, *definitions, report))).tlp == tlp


def test_tlp_from_a_marking_defined_in_the_bundle() -> None:
    marking_id = "marking-definition--00000000-0000-4000-8000-000000000077"
    custom = {**ex.AMBER_STRICT_DEFINITION, "id": marking_id, "name": "TLP:GREEN"}
    custom["extensions"] = {TLP_2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": "green"}}
    report = ex.sdo(
        "report", 8, name="r", published=ex.T0, object_refs=[PERSON], object_marking_refs=[marking_id]
    )
    assert header(parse(ex.bundle(8, custom, report))).tlp == "tlp:green"


# -- persons and grouping ---------------------------------------------------------------------------


def test_individual_identity_is_a_person() -> None:
    (person,) = of(parse(ex.report_bundle()), PersonRecord)
    assert (person.ref, person.full_name, person.country) == (PERSON, "Morgan Sample", "New Zealand")
    assert person.date_of_birth is not None and person.date_of_birth.isoformat() == "1991-02-03"
    assert of(parse(ex.grouping_bundle()), PersonRecord)[0].role == "suspect"


def test_organisations_are_not_persons() -> None:
    doc = ex.bundle(9, ex.sdo("identity", 9, name="Synthetic Agency", identity_class="organization"))
    assert not of(parse(doc), PersonRecord)


def test_belongs_to_ref_and_relationships_tie_selectors() -> None:
    found = sightings(parse(ex.report_bundle()))
    assert found[ex.sid("email-addr", 1)].person_ref == PERSON  # belongs_to_ref
    assert found[ex.sid("user-account", 1)].person_ref == PERSON
    assert found[ex.sid("user-account", 1) + "/x_phone"].person_ref == PERSON
    assert found[ex.sid("ipv4-addr", 1)].person_ref == PERSON  # relationship
    assert found[ex.sid("url", 1)].person_ref is None  # nothing says whose


def test_relationships_in_either_direction_and_unattached_with_two_persons() -> None:
    found = sightings(parse(ex.grouping_bundle()))
    assert found[ex.sid("x-phone-number", 1)].person_ref == ex.sid("identity", 2)
    assert found[ex.sid("domain-name", 1)].person_ref == ex.sid("identity", 3)
    assert found[ex.sid("ipv6-addr", 1)].person_ref is None


def test_email_belonging_to_an_account_belongs_to_the_accounts_person() -> None:
    account, email = ex.sid("user-account", 2), ex.sid("email-addr", 2)
    doc = ex.bundle(
        10,
        individual(10, "Harper Imaginary"),
        ex.sco("user-account", 2, user_id="1234567", x_platform="ExampleSocial"),
        ex.sco("email-addr", 2, value="harper@example.net", belongs_to_ref=account),
        ex.rel(10, ex.sid("identity", 10), account, "uses"),
    )
    found = sightings(parse(doc))
    assert found[email].person_ref == ex.sid("identity", 10)
    assert (found[account].raw_value, found[account].platform) == ("1234567", "ExampleSocial")


def test_a_selector_related_to_two_persons_is_tied_to_neither() -> None:
    ip = ex.sid("ipv4-addr", 3)
    doc = ex.bundle(
        11,
        individual(11, "Kai One"),
        individual(12, "Kai Two"),
        ex.sco("ipv4-addr", 3, value="192.0.2.33"),
        ex.rel(11, ex.sid("identity", 11), ip),
        ex.rel(12, ex.sid("identity", 12), ip),
    )
    assert sightings(parse(doc))[ip].person_ref is None


# -- windows, hashes --------------------------------------------------------------------------------


def test_observed_data_gives_the_window() -> None:
    ip = sightings(parse(ex.report_bundle()))[ex.sid("ipv4-addr", 1)]
    assert ip.observed_from is not None and ip.observed_from.isoformat() == "2026-02-27T20:00:00+00:00"
    assert ip.observed_to is not None and ip.observed_to.isoformat() == "2026-02-27T22:15:00+00:00"


def test_two_observations_widen_the_window() -> None:
    ip = ex.sid("ipv4-addr", 4)
    observed = [
        ex.sdo("observed-data", n, first_observed=f, last_observed=last, number_observed=1, object_refs=[ip])
        for n, f, last in (
            (20, "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"),
            (21, "2026-01-03T10:00:00Z", "2026-01-04T10:00:00Z"),
        )
    ]
    doc = ex.bundle(12, ex.sco("ipv4-addr", 4, value="192.0.2.44"), *observed)
    found = sightings(parse(doc))[ip]
    assert found.observed_from is not None and found.observed_from.day == 3
    assert found.observed_to is not None and (found.observed_to.day, found.observed_to.hour) == (5, 11)


def test_file_hashes() -> None:
    hashes = of(parse(ex.report_bundle()), MediaHash)
    assert [(h.algorithm, h.file_name) for h in hashes] == [
        ("md5", "frame_0001.png"),
        ("sha256", "frame_0001.png"),
    ]
    assert len({h.ref for h in hashes}) == 2


# -- errors and rejection ---------------------------------------------------------------------------


def test_errors_name_the_object_and_its_path() -> None:
    errors = of(parse(ex.bad_values_bundle()), RecordError)
    assert [e.location.path for e in errors] == [
        "$.objects[1]",
        "$.objects[3]",
        "$.objects[2]",
        "$.objects[4]",
    ]
    assert errors[0].raw == ex.sid("identity", 4) and ex.sid("identity", 4) in errors[0].reason
    assert errors[3].raw == ex.sid("observed-data", 4)


def test_malformed_objects_become_errors() -> None:
    doc = ex.bundle(
        13,
        "not an object",
        {"id": "x"},
        {"type": "url"},
        ex.sco("file", 5, hashes={"MD5": "not-a-hash"}),
        {"type": "x-phone-number", "id": "x-phone-number--00000000-0000-4000-8000-000000000005", "value": 7},
        ex.sco("email-addr", 6, value="ok@example.com"),
    )
    items = parse(doc)
    assert [(e.field, e.location.path) for e in of(items, RecordError)] == [
        ("objects", "$.objects[0]"),
        ("type", "$.objects[1]"),
        ("id", "$.objects[2]"),
        ("hashes", "$.objects[3]"),
        ("value", "$.objects[4]"),
    ]
    assert [s.raw_value for s in of(items, Sighting)] == ["ok@example.com"]


def test_truncated_file_is_rejected_with_a_line() -> None:
    content = json.dumps(ex.report_bundle(), indent=1).encode()
    with pytest.raises(FileRejected) as caught:
        parse(content[: len(content) // 2])
    assert caught.value.location.line is not None and caught.value.location.line > 1


@pytest.mark.parametrize(
    "content",
    [b"", b"{}", b'{"type": "bundle", "objects": {}}', b'{"type": "report"}', b"[" * 100_000, b"\xc3\x28"],
)
def test_not_a_bundle_is_rejected(content: bytes) -> None:
    with pytest.raises(FileRejected):
        parse(content)


def test_files_over_the_limit_are_refused() -> None:
    class Small(StixImporter):
        max_bytes = 1_000

    with pytest.raises(FileRejected, match="larger than"):
        list(Small().parse(io.BytesIO(b" " * 5_000), "huge.json"))


def test_bundle_built_with_the_stix2_library() -> None:
    import stix2

    person = stix2.v21.Identity(name="Rowan Synthetic", identity_class="individual")
    account = stix2.v21.UserAccount(account_login="rowan_s", account_type="examplechat")
    relation = stix2.v21.Relationship(source_ref=person.id, target_ref=account.id, relationship_type="uses")
    report = stix2.v21.Report(
        name="Referral via stix2", published="2026-02-01T00:00:00Z", object_refs=[person.id, account.id],
        object_marking_refs=[stix2.v21.TLP_RED.id],
    )  # fmt: skip
    content = stix2.v21.Bundle(objects=[report, person, account, relation]).serialize(pretty=True).encode()
    assert IMPORTER.sniff(content, "bundle.json")
    items = parse(content)
    assert header(items).tlp == "tlp:red"
    (found,) = of(items, Sighting)
    assert (found.selector_type, found.platform, found.person_ref) == ("username", "examplechat", person.id)


# -- what an identity's contact information and an account's traffic say --------------------------


def test_phones_and_emails_in_an_identitys_contact_information_are_its_own() -> None:
    person = individual(
        1,
        "Sam Sample",
        contact_information="phone: +44 7400 123456; e-mail sam@example.org (born 1990-01-02)",
    )
    found = [s for s in sightings(parse(ex.bundle(1, person))).values()]
    assert sorted((s.selector_type, s.raw_value, s.person_ref) for s in found) == [
        ("email", "sam@example.org", PERSON),
        ("phone", "+44 7400 123456", PERSON),
    ]


def test_an_address_an_accounts_traffic_came_from_is_the_account_holders() -> None:
    person = individual(1, "Sam Sample")
    account = ex.sco("user-account", 2, account_login="sam_s", account_type="chirp", belongs_to_ref=PERSON)
    other = ex.sco("user-account", 3, account_login="someone_else", account_type="chirp")
    address, shared = ex.sco("ipv4-addr", 4, value="81.2.69.160"), ex.sco("ipv4-addr", 5, value="81.2.69.161")
    login = ex.sco("network-traffic", 6, src_ref=address["id"], protocols=["tcp"])
    seen_by_both = ex.sco("network-traffic", 7, src_ref=shared["id"], protocols=["tcp"])

    def observed(n: int, *refs: str) -> dict[str, Any]:
        return ex.sdo(
            "observed-data", n, first_observed="2026-03-01T10:00:00Z", last_observed="2026-03-01T11:00:00Z",
            number_observed=1, object_refs=list(refs),
        )  # fmt: skip

    bundle = ex.bundle(
        1, person, account, other, address, shared, login, seen_by_both,
        observed(8, account["id"], login["id"]),
        observed(9, account["id"], other["id"], seen_by_both["id"]),  # two accounts: whose is it?
    )  # fmt: skip
    found = sightings(parse(bundle))
    assert found[address["id"]].person_ref == PERSON
    assert found[address["id"]].observed_from is not None, "the observation's window travels with it"
    assert found[shared["id"]].person_ref is None


def test_an_account_no_identity_holds_is_a_record_with_the_addresses_it_logged_in_from() -> None:
    """A platform's return about an unnamed account: the account, its e-mail, its logins."""
    account = ex.sco(
        "user-account", 2, account_login="night_owl", account_type="chirp", display_name="Night Owl",
        x_email="owl@example.org",
    )  # fmt: skip
    held = individual(3, "Sam Sample")
    other = ex.sco("user-account", 4, account_login="sam_s", account_type="chirp", belongs_to_ref=held["id"])
    address = ex.sco("ipv4-addr", 5, value="81.2.69.160")
    login = ex.sco("network-traffic", 6, src_ref=address["id"], protocols=["tcp"])
    observed = ex.sdo(
        "observed-data", 7, first_observed="2026-03-01T10:00:00Z", last_observed="2026-03-01T11:00:00Z",
        number_observed=1, object_refs=[account["id"], login["id"]],
    )  # fmt: skip
    items = parse(ex.bundle(1, account, held, other, address, login, observed))
    records = {(p.ref, p.kind, p.full_name) for p in of(items, PersonRecord)}
    assert records == {(account["id"], "account", "Night Owl"), (held["id"], "person", "Sam Sample")}
    found = sightings(items)
    assert found[account["id"]].person_ref == account["id"]
    assert found[f"{account['id']}/x_email"].person_ref == account["id"]
    assert found[address["id"]].person_ref == account["id"]
    assert found[other["id"]].person_ref == held["id"]
