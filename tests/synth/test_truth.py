"""truth.json matches the files, and the realism the linkage will be scored on is really there."""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Any

import base58
import phonenumbers
import stix2

from caseweave.synth import SynthSummary, identifiers, names
from tests.synth.helpers import read

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]+)")
IPV4 = re.compile(r"(?<![\d.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![\d.])")


def _by_subject(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in truth["subjects"]}


def _records(truth: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in truth["records"]:
        out[record["file"], record["ref"]].add(record.get("subject") or record["victim"])
    return out


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_truth_ref_exists_in_its_file(small_operation: SynthSummary, truth: dict[str, Any]) -> None:
    out = small_operation.out
    refs: dict[str, set[str]] = defaultdict(set)
    for record in truth["records"]:
        refs[record["file"]].add(record["ref"])
    assert set(refs) == set(small_operation.files)
    for name, wanted in refs.items():
        text = read(out, name)
        if name.startswith(("misp_", "stix_")):
            assert all(f'"{ref}"' in text for ref in wanted), name
        elif name.endswith(".xml"):
            root = ET.fromstring(text)
            for ref in wanted:
                match = re.fullmatch(r"/report/(\w+)\[(\d+)\]", ref)
                assert match, ref
                assert len(root.findall(match[1])) >= int(match[2]), (name, ref)
        else:
            lines = text.splitlines()
            for ref in wanted:
                kind, _, value = ref.partition(":")
                if kind == "line":
                    assert 1 <= int(value) <= len(lines), (name, ref)
                else:
                    assert f'"{value}"' in text or f",{value}," in text, (name, ref)


def test_lines_and_accounts_agree_on_the_subject(
    small_operation: SynthSummary, truth: dict[str, Any]
) -> None:
    records = _records(truth)
    chat = "chat_export.jsonl"
    lines = read(small_operation.out, "chat_export.jsonl").splitlines()
    for number, line in enumerate(lines[1:], start=2):
        row = json.loads(line)
        assert records[chat, f"line:{number}"] == records[chat, f"account:{row['account']}"]
    for name in small_operation.files:
        if name.endswith(".csv"):
            rows = list(csv.DictReader(read(small_operation.out, name).splitlines()))
            for number, row in enumerate(rows, start=2):
                account = records[name, f"{row['platform']}:{row['account_id']}"]
                assert records[name, f"line:{number}"] == account and len(account) == 1


def test_every_subject_appears_and_many_in_two_referrals(truth: dict[str, Any]) -> None:
    files: dict[str, set[str]] = defaultdict(set)
    for record in truth["records"]:
        if "subject" in record:
            files[record["subject"]].add(record["file"])
    assert set(files) == set(_by_subject(truth))
    kinds = ("misp_", "stix_", "cybertip_", "tipoff_")
    referrals = {sid: {f for f in fs if f.startswith(kinds)} for sid, fs in files.items()}
    assert sum(len(fs) >= 2 for fs in referrals.values()) >= len(files) // 10
    assert sum(len(fs) >= 2 for fs in files.values()) >= len(files) // 2


def test_isp_addresses_are_reassigned_in_non_overlapping_windows(truth: dict[str, Any]) -> None:
    leases: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for subject in truth["subjects"]:
        for lease in subject["home_ips"]:
            leases[lease["ip"]].append((_time(lease["from"]), _time(lease["to"]), subject["household"]))
    reassigned = 0
    for spans in leases.values():
        households = {h for _, _, h in spans}
        if len(households) < 2:
            continue
        reassigned += 1
        for a in spans:
            for b in spans:
                if a[2] != b[2]:
                    assert a[1] <= b[0] or b[1] <= a[0], "two households hold one address at once"
    assert reassigned >= 5


def test_shared_exits_are_used_by_many_subjects(small_operation: SynthSummary, truth: dict[str, Any]) -> None:
    records = _records(truth)
    users: dict[str, set[str]] = defaultdict(set)
    lines = read(small_operation.out, "chat_export.jsonl").splitlines()
    for number, line in enumerate(lines[1:], start=2):
        row = json.loads(line)
        if row["type"] == "session":
            users[row["ip"]] |= records["chat_export.jsonl", f"line:{number}"]
    kinds = {identifiers.ip_kind(ip) for ip, who in users.items() if len(who) >= 4}
    assert "vpn" in kinds
    # A carrier puts many customers behind one address, but only some of them are in this chat room.
    assert any(identifiers.ip_kind(ip) == "cgnat" and len(who) >= 2 for ip, who in users.items())
    assert any(identifiers.ip_kind(ip) == "home" and len(who) >= 2 for ip, who in users.items())
    assert any(identifiers.ip_kind(ip) == "tor" for ip in users)


def test_every_ip_written_is_synthetic_and_public_looking(small_operation: SynthSummary) -> None:
    blocks = [ipaddress.ip_network(b) for bs in identifiers.ip_blocks().values() for b in bs]
    for name in small_operation.files:
        for text in set(IPV4.findall(read(small_operation.out, name))):
            ip = ipaddress.ip_address(text)
            if ip in identifiers.CGNAT:
                assert text in identifiers.CGNAT_ADDRESSES
            else:
                assert ip.is_global, text
                exits = identifiers.VPN_EXITS + identifiers.TOR_EXITS
                assert text in exits or any(ip in b for b in blocks), text


def test_handles_vary_by_case_digits_and_leetspeak(truth: dict[str, Any]) -> None:
    spellings = [set(s["handles"].values()) for s in truth["subjects"]]
    assert sum(len(v) >= 2 for v in spellings) >= len(spellings) // 2
    every = {h for v in spellings for h in v}
    assert any(h != h.lower() for h in every)
    assert any(re.search(r"[a-z][034][a-z]", h) for h in every)  # leetspeak
    assert any(re.search(r"\d$", h) for h in every)
    assert any(s["flags"]["handle_lookalike_of"] for s in truth["subjects"])


def _stated_people(small_operation: SynthSummary) -> list[tuple[str, str, str | None, str | None]]:
    """(file, ref, full name, date of birth) for each person record that states a name."""
    out: list[tuple[str, str, str | None, str | None]] = []
    for name in small_operation.files:
        text = read(small_operation.out, name)
        if name.startswith("misp_"):
            for obj in json.loads(text)["Event"]["Object"]:
                if obj["name"] == "person":
                    values = {a["object_relation"]: a["value"] for a in obj["Attribute"]}
                    stated = f"{values['first-name']} {values['last-name']}"
                    out.append((name, obj["uuid"], stated, values.get("date-of-birth")))
        elif name.startswith("stix_"):
            for obj in stix2.parse(text, allow_custom=True).objects:
                if obj["type"] == "identity" and obj["identity_class"] == "individual":
                    out.append((name, obj["id"], obj["name"], obj.get("x_date_of_birth")))
        elif name.endswith(".xml"):
            root = ET.fromstring(text)
            for k, person in enumerate(root.findall("personOrUserReported"), start=1):
                first = person.findtext("personOrUserReportedPerson/firstName")
                last = person.findtext("personOrUserReportedPerson/lastName")
                dob = person.findtext("personOrUserReportedPerson/dateOfBirth")
                full = f"{first} {last}" if first else None
                out.append((name, f"/report/personOrUserReported[{k}]", full, dob))
    return out


def test_names_are_invented_and_vary_and_dobs_sometimes_swap(
    small_operation: SynthSummary, truth: dict[str, Any]
) -> None:
    subjects, records = _by_subject(truth), _records(truth)
    assert all(names.is_invented(f"{s['given_name']} {s['family_name']}") for s in subjects.values())
    exact = variant = missing = swapped = 0
    for file, ref, full, dob in _stated_people(small_operation):
        (sid,) = records[file, ref]
        subject = subjects[sid]
        canonical = f"{subject['given_name']} {subject['family_name']}"
        if full is None:
            missing += 1
        elif full == canonical:
            exact += 1
        else:
            variant += 1
            words = full.lower().split()
            orders = (" ".join(words), " ".join(reversed(words)))  # family name sometimes written first
            best = max(SequenceMatcher(None, o, canonical.lower()).ratio() for o in orders)
            assert best >= 0.7, (full, canonical)
        if dob is not None:
            true_dob = date.fromisoformat(subject["date_of_birth"])
            stated = date.fromisoformat(dob)
            if stated != true_dob:
                assert (stated.month, stated.day) == (true_dob.day, true_dob.month)
                assert stated.year == true_dob.year
            swapped += stated != true_dob
    assert exact > variant > 0
    assert missing > 0
    assert swapped > 0


def test_emails_use_example_domains_with_dots_and_tags(small_operation: SynthSummary) -> None:
    seen: set[str] = set()
    for name in small_operation.files:
        for match in EMAIL.finditer(read(small_operation.out, name)):
            assert identifiers.is_synthetic_domain(match[1]), match[0]
            seen.add(match[0])
    assert any("+" in e.split("@")[0] for e in seen)


def test_identifiers_are_checksum_valid(small_operation: SynthSummary, truth: dict[str, Any]) -> None:
    for subject in truth["subjects"]:
        for device in subject["devices"]:
            assert len(device) == 15 and identifiers.luhn_valid(device)
        for phone in subject["phones"]:
            parsed = phonenumbers.parse(phone)
            assert phonenumbers.is_valid_number(parsed)
            region = phonenumbers.region_code_for_number(parsed)
            country = subject["flags"]["phone_country"] or subject["country"]  # a number kept from elsewhere
            assert region == country or country in {"CA", "US"}  # NANP shares +1
        for wallet in subject["wallets"]:
            if wallet.startswith("0x"):
                assert re.fullmatch(r"0x[0-9a-fA-F]{40}", wallet)
            else:
                assert base58.b58decode_check(wallet)[0] == 0
    shared = [s for s in truth["subjects"] if s["flags"]["shares_device_with"]]
    assert shared
    by_id = _by_subject(truth)
    for subject in shared:
        for other in subject["flags"]["shares_device_with"]:
            assert set(subject["devices"]) & set(by_id[other]["devices"])
            assert subject["home_ips"] == by_id[other]["home_ips"]


def test_victims_are_pseudonymous_and_linked(small_operation: SynthSummary, truth: dict[str, Any]) -> None:
    subjects = _by_subject(truth)
    assert truth["victims"]
    for victim in truth["victims"]:
        assert re.fullmatch(r"V-\d{4}", victim["id"])
        assert all(victim["id"] in subjects[sid]["victims"] for sid in victim["subjects"])
    known = {v["id"] for v in truth["victims"]}
    assert {r["victim"] for r in truth["records"] if r["kind"] == "victim"} <= known
