"""Determinism, counts and file validity of the synthetic operation."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import stix2
from pymisp import MISPEvent

from caseweave.synth import SynthSummary, write_operation
from caseweave.synth.identifiers import COUNTRIES
from caseweave.synth.platforms import CSV_HEADER
from caseweave.synth.stix import TLP_MARKINGS
from tests.support.cli import run
from tests.synth.helpers import read

FORMATS = {"chat", "cybertip", "platform_csv", "platform_jsonl", "misp", "stix"}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _contents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = write_operation(tmp_path / "a", subjects=60, countries=10, seed=7)
    second = write_operation(tmp_path / "b", subjects=60, countries=10, seed=7)
    assert first.files == second.files
    assert _contents(tmp_path / "a") == _contents(tmp_path / "b")


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    write_operation(tmp_path / "a", subjects=60, countries=10, seed=7)
    write_operation(tmp_path / "b", subjects=60, countries=10, seed=8)
    a, b = _contents(tmp_path / "a"), _contents(tmp_path / "b")
    assert a["chat_export.jsonl"] != b["chat_export.jsonl"]
    assert a["truth.json"] != b["truth.json"]


def test_default_operation_has_700_subjects_in_35_countries_and_every_format(tmp_path: Path) -> None:
    summary = write_operation(tmp_path)
    assert (summary.subjects, summary.countries) == (700, 35)
    assert set(summary.formats) == FORMATS
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert len(truth["subjects"]) == 700
    assert len({s["country"] for s in truth["subjects"]}) == 35
    in_order = list(dict.fromkeys(s["country"] for s in truth["subjects"]))
    assert in_order[:5] == ["GB", "CA", "US", "AU", "NZ"]
    assert truth["summary"]["records"] == summary.records == len(truth["records"])
    assert set(truth["summary"]["files"]) == set(summary.files)
    chat_lines = (tmp_path / "chat_export.jsonl").read_text(encoding="utf-8").count("\n")
    assert chat_lines > 3000
    chat = [r for r in truth["records"] if r["file"] == "chat_export.jsonl"]
    members = {r["ref"] for r in chat if r["kind"] == "account"}
    assert len(members) > 300


def test_summary_lists_every_file_written(small_operation: SynthSummary) -> None:
    on_disk = {p.name for p in small_operation.out.iterdir()} - {"truth.json"}
    assert set(small_operation.files) == on_disk
    assert "tipoff_CA.xml" in on_disk
    assert any(name.startswith("cybertip_") for name in on_disk)
    assert set(small_operation.formats) == FORMATS


def test_json_files_parse_and_misp_events_load(small_operation: SynthSummary) -> None:
    out = small_operation.out
    for name in small_operation.files:
        text = read(out, name)
        if name.endswith(".jsonl"):
            rows = [json.loads(line) for line in text.splitlines()]
            assert rows
        elif name.endswith(".json"):
            json.loads(text)
        if name.startswith("misp_"):
            event = MISPEvent()
            event.load(text)
            raw = json.loads(text)["Event"]
            assert raw["Tag"][0]["name"] in {"tlp:amber", "tlp:amber+strict", "tlp:green", "tlp:clear"}
            assert {o["name"] for o in raw["Object"]} <= {"person", "user-account", "coin-address"}
            assert {a["type"] for a in raw["Attribute"]} <= {"email-src", "ip-src", "phone-number", "btc"}


def test_stix_bundles_parse_with_report_and_tlp2_marking(small_operation: SynthSummary) -> None:
    names = [n for n in small_operation.files if n.startswith("stix_")]
    assert names
    for name in names:
        bundle = stix2.parse(read(small_operation.out, name), allow_custom=True)
        types = {obj["type"] for obj in bundle.objects}
        assert {"report", "identity", "marking-definition", "ipv4-addr", "user-account"} <= types
        report = next(obj for obj in bundle.objects if obj["type"] == "report")
        assert report.object_marking_refs[0] in TLP_MARKINGS.values()
        for obj in bundle.objects:
            if obj["type"] == "observed-data":
                assert obj.first_observed <= obj.last_observed


def test_cybertip_xml_is_well_formed_with_the_documented_tree(small_operation: SynthSummary) -> None:
    names = [n for n in small_operation.files if n.endswith(".xml")]
    for name in names:
        root = ET.parse(small_operation.out / name).getroot()
        assert root.tag == "report"
        assert root.find("incidentSummary/incidentType") is not None
        assert root.find("reporter/reportingPerson/email") is not None
        people = root.findall("personOrUserReported")
        assert people
        for person in people:
            assert person.findtext("screenName")
            for capture in person.findall("ipCaptureEvent"):
                assert capture.findtext("possibleProxy") in {"true", "false"}
                assert int(capture.findtext("port") or "0") > 0
        for files in root.findall("fileDetails"):
            hashes = files.findall("originalFileHash")
            assert {h.get("hashType") for h in hashes} == {"MD5", "SHA1"}
            assert files.find("ipCaptureEvent/ipAddress") is not None
        for victim in root.findall("victim"):
            assert re.fullmatch(r"\d{10}", victim.findtext("espIdentifier") or "")  # an account, not V-…
            assert victim.find("victimPerson/firstName") is None


def test_platform_csv_header_is_exact(small_operation: SynthSummary) -> None:
    names = [n for n in small_operation.files if n.endswith(".csv")]
    assert len(names) >= 2
    expected = (
        "platform,account_id,username,display_name,email,phone,registration_ip,registration_time,"
        "login_ip,login_port,login_time"
    )
    assert ",".join(CSV_HEADER) == expected
    for name in names:
        text = read(small_operation.out, name)
        assert text.splitlines()[0] == expected
        rows = list(csv.DictReader(text.splitlines()))
        assert all(len(row) == 11 for row in rows)
        assert any(row["login_ip"] == "" for row in rows) or all(row["login_time"] for row in rows)


def test_every_time_is_iso_z_within_the_window(small_operation: SynthSummary, truth: dict[str, Any]) -> None:
    begin = datetime.fromisoformat(truth["window"]["from"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(truth["window"]["to"].replace("Z", "+00:00"))
    assert end == datetime(2025, 1, 6, tzinfo=UTC)
    assert 280 <= (end - begin).days <= 320
    for name in small_operation.files:
        for stamp in TIME.findall(read(small_operation.out, name)):
            if stamp == "2022-10-01T00:00:00.000Z":  # the TLP 2.0 marking definitions' own date
                continue
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            assert begin <= when <= end, (name, stamp)


def test_start_parameter_moves_the_window(tmp_path: Path) -> None:
    write_operation(tmp_path, subjects=40, countries=5, seed=2, start=date(2024, 6, 1))
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["window"]["to"] == "2024-06-01T00:00:00Z"


def test_the_cli_writes_an_operation_for_any_country_count_it_allows(tmp_path: Path) -> None:
    for countries in (1, 3, len(COUNTRIES)):
        done = run("sqlite://", "synth", "operation", "--out", str(tmp_path / str(countries)),
                   "--countries", str(countries), "--subjects", str(max(countries, 12)))  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"in {countries} countries" in done.stdout
    for args, named in ((("--countries", str(len(COUNTRIES) + 1)), "--countries"),
                        (("--countries", "5", "--subjects", "3"), "--subjects")):  # fmt: skip
        refused = run("sqlite://", "synth", "operation", "--out", str(tmp_path / "no"), *args)
        assert refused.returncode == 2 and named in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
