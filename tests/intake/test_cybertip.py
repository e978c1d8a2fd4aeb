"""The CyberTipline XML importer: examples, hostile XML, paths in errors, the published XSD, fuzzing."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import strategies as st

from caseweave.intake.base import Example, FileRejected
from caseweave.intake.formats.cybertip import (
    ATTRIBUTES_READ,
    ELEMENTS_READ,
    ENTITY_BOMB,
    EXTERNAL_ENTITY,
    FULL_REPORT,
    CyberTipImporter,
)
from caseweave.intake.records import (
    MediaHash,
    ParsedItem,
    PersonRecord,
    RecordError,
    ReferralHeader,
    Sighting,
)
from tests.support.importer_contract import ImporterContract, mutated_xml, read

XSD = Path(__file__).resolve().parents[2] / "docs" / "cybertip.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"
IMPORTER = CyberTipImporter()
EXAMPLES = CyberTipImporter.examples()


def parse(content: bytes, name: str = "tip.xml") -> list[ParsedItem]:
    return read(IMPORTER, content, name)


class TestContract(ImporterContract):
    importer = IMPORTER
    file = "tip.xml"
    record_kinds = (PersonRecord, Sighting, MediaHash, RecordError)
    unsniffed = frozenset({"no-incident-summary"})  # sniff looks for <incidentSummary>

    def file_name(self, example: Example) -> str:
        return f"{example.name}.xml"

    def mutated(self) -> st.SearchStrategy[tuple[bytes, str]]:
        return mutated_xml(self.valid_files())


def test_header_and_suspect() -> None:
    items = parse(FULL_REPORT)
    header = items[0]
    assert isinstance(header, ReferralHeader)
    assert header.external_id == "CT-2026-000123"
    assert header.title.startswith("Child Pornography")
    assert header.reported_at is not None and header.reported_at.isoformat() == "2026-02-14T09:30:00+00:00"
    suspect = next(i for i in items if isinstance(i, PersonRecord) and i.role == "suspect")
    assert (suspect.given_name, suspect.family_name, suspect.country) == ("Jordan", "Example", "GB")
    assert suspect.date_of_birth is not None and suspect.date_of_birth.isoformat() == "1988-04-02"
    victim = next(i for i in items if isinstance(i, PersonRecord) and i.role == "victim")
    assert victim.full_name is None
    screen = next(i for i in items if isinstance(i, Sighting) and i.raw_value == "shadow_example")
    assert (screen.selector_type, screen.platform, screen.person_ref) == (
        "username",
        "PhotoShareExample",
        suspect.ref,
    )


def test_possible_proxy_port_and_window() -> None:
    ips = {i.raw_value: i for i in parse(FULL_REPORT) if isinstance(i, Sighting) and i.selector_type == "ip"}
    assert ips["203.0.113.250"].possible_proxy is True
    assert ips["203.0.113.250"].context == "upload"
    login = ips["198.51.100.23"]
    assert (login.possible_proxy, login.port, login.context) == (False, 50432, "login")
    assert login.observed_from == login.observed_to and login.observed_from is not None
    upload = ips["2001:db8::17"]
    assert upload.person_ref is None and upload.context == "upload"


def test_media_hashes() -> None:
    hashes = [i for i in parse(FULL_REPORT) if isinstance(i, MediaHash)]
    assert [(h.algorithm, h.file_name) for h in hashes] == [("md5", "IMG_0001.jpg"), ("sha1", "IMG_0001.jpg")]


def test_error_locations_are_paths() -> None:
    bad = next(e for e in EXAMPLES if e.name == "bad-values")
    errors = [i for i in parse(bad.content, "bad.xml") if isinstance(i, RecordError)]
    paths = [e.location.path for e in errors]
    assert paths[1] == "/report/personOrUserReported[1]/personOrUserReportedPerson[1]/dateOfBirth"
    assert paths[2] == "/report/personOrUserReported[1]/ipCaptureEvent[1]"
    assert paths[3] == "/report/personOrUserReported[1]/ipCaptureEvent[2]/dateTime"
    assert paths[-1] == "/report/fileDetails[1]/originalFileHash[2]"
    assert all(e.location.file == "bad.xml" for e in errors)


def test_email_path_counts_siblings() -> None:
    emails = [i for i in parse(FULL_REPORT) if isinstance(i, Sighting) and i.selector_type == "email"]
    assert [e.location.path for e in emails] == [
        "/report/personOrUserReported[1]/personOrUserReportedPerson[1]/email[1]",
        "/report/personOrUserReported[1]/personOrUserReportedPerson[1]/email[2]",
    ]


def test_entity_bomb_refused() -> None:
    with pytest.raises(FileRejected) as caught:
        parse(ENTITY_BOMB)
    assert "DTD" in caught.value.reason


def test_external_entity_refused() -> None:
    with pytest.raises(FileRejected) as caught:
        parse(EXTERNAL_ENTITY)
    assert "DTD" in caught.value.reason
    assert "root:" not in caught.value.reason


def test_malformed_xml_names_line_and_column() -> None:
    with pytest.raises(FileRejected) as caught:
        parse(b'<report id="1">\n<incidentSummary>\n<incidentType>x</incidentSummary>\n</report>')
    assert caught.value.location.line == 3
    assert "column" in caught.value.reason


def test_namespaced_report_is_read() -> None:
    doc = (
        b'<report xmlns="urn:example:tip" id="N1"><victim><screenName>ns_user</screenName></victim></report>'
    )
    items = parse(doc)
    assert isinstance(items[0], ReferralHeader) and items[0].external_id == "N1"
    assert any(isinstance(i, Sighting) and i.raw_value == "ns_user" for i in items)


def test_sniff() -> None:
    assert IMPORTER.sniff(FULL_REPORT[:65536], "x.xml")
    assert not IMPORTER.sniff(b"<rss><channel/></rss>", "x.xml")
    assert not IMPORTER.sniff(b'{"account_id": 1}', "x.jsonl")


def test_xsd_lists_exactly_what_is_read() -> None:
    tree = SafeET.parse(str(XSD), forbid_dtd=True)
    elements = {node.get("name") for node in tree.iter(f"{XS}element")}
    attributes = {node.get("name") for node in tree.iter(f"{XS}attribute")}
    assert elements == set(ELEMENTS_READ)
    assert attributes == set(ATTRIBUTES_READ)


def test_valid_examples_validate_against_xsd() -> None:
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    for example in EXAMPLES:
        if not example.rejected and not example.error_fields:
            assert schema.validate(etree.fromstring(example.content)), (example.name, schema.error_log)


def test_many_files_stream_with_flat_memory() -> None:
    file = (
        b'<fileDetails><originalFileHash hashType="MD5">' + b"a" * 32 + b"</originalFileHash></fileDetails>\n"
    )
    doc = b'<report id="big"><incidentSummary><incidentType>t</incidentType></incidentSummary>\n'
    doc += file * 20_000 + b"</report>"
    tracemalloc.start()
    try:
        count = sum(1 for item in IMPORTER.parse(io.BytesIO(doc), "big.xml") if isinstance(item, MediaHash))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 8 * 1024 * 1024
