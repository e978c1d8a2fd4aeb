"""Warning lists in MISP format: read with clear errors, stored by name, loaded by platform admins,
audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.auth import service as auth
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.errors import Forbidden, Invalid
from caseweave.linkage import warninglists as wl
from caseweave.linkage.models import Warninglist, WarninglistEntry
from caseweave.selectors import SELECTOR_TYPES
from tests.support.cli import fails, ok
from tests.support.world import build_world


def admin_and_analyst(db: Database, settings: Settings) -> tuple[Actor, Actor]:
    """Two users of one agency (no more: every account costs a password hash)."""
    build_world(db, settings, roles=())
    with db.transaction() as session:
        users = [
            auth.add_user(session, Actor.cli(), settings, username=role, agency="LEAD", roles=[role])[0]
            for role in ("platform_admin", "analyst")
        ]
    return Actor.for_user(users[0]), Actor.for_user(users[1])


def misp(**fields: Any) -> dict[str, Any]:
    """A list shaped like MISP's public ones (e.g. lists/rfc6598/list.json)."""
    base: dict[str, Any] = {
        "name": "List of RFC 6598 CIDR blocks",
        "description": "Event contains one or more entries part of the Shared Address Space CIDR blocks",
        "version": 2,
        "type": "cidr",
        "matching_attributes": ["ip-src", "ip-dst", "domain|ip"],
        "list": ["100.64.0.0/10"],
    }
    return {**base, **fields}


def write(tmp_path: Path, name: str, document: object) -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_a_misp_list_is_read_with_our_selector_types_and_a_category() -> None:
    parsed = wl.parse_warninglist(json.dumps(misp()), "rfc6598/list.json")
    assert parsed.spec.list_type == "cidr" and parsed.version == "2"
    assert parsed.spec.selector_types == ("ip", "url") and parsed.spec.category == "cgnat"
    hashes = wl.parse_warninglist(
        json.dumps(
            misp(name="Empty hashes", type="string", matching_attributes=["md5", "email-src"], list=["x"])
        ),
        "f.json",
    )
    assert hashes.spec.selector_types == ("email",) and hashes.ignored_attributes == ("md5",)
    untyped = {k: v for k, v in misp(type="string", list=["admin"]).items() if k != "matching_attributes"}
    assert wl.parse_warninglist(json.dumps(untyped), "f.json").spec.selector_types == tuple(SELECTOR_TYPES)


@pytest.mark.parametrize(
    ("name", "description", "category"),
    [
        ("Specialized list of vpn-ipv4 addresses", "common VPN providers and datacenters", "vpn"),
        ("List of known Amazon AWS IP address ranges", "Amazon AWS IP address ranges", "hosting"),
        ("Tor exit nodes", "current exits", "tor"),
        ("Monitoring stations", "storage servers", "other"),
        ("List of RFC 6598 CIDR blocks", "Shared Address Space", "cgnat"),
    ],
)
def test_categories_come_from_name_and_description(name: str, description: str, category: str) -> None:
    assert wl.categorise(name, description) == category


def test_the_bundled_lists_cover_each_kind_of_noise() -> None:
    categories = {parsed.spec.name: parsed.spec.category for parsed in wl.bundled_lists()}
    assert categories["tor-exits"] == "tor" and categories["vpn-egress"] == "vpn"
    assert categories["hosting"] == "hosting" and categories["cgnat"] == "cgnat"
    assert {name for name, category in categories.items() if category == "junk"} >= {
        "junk-usernames",
        "junk-emails",
        "junk-phones",
    }


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ("{not json", "(file)", "not JSON"),
        ([1, 2], "(file)", "JSON object"),
        (misp(name=""), "name", "name must be non-empty text"),
        (misp(version=None), "version", "version"),
        (misp(type="fuzzy"), "type", "unknown list type 'fuzzy'"),
        (misp(list=["100.64.0.0/10", "100.64.0.0/33"]), "list[1]", "'100.64.0.0/33' is not an IP address"),
        (misp(list=["10.0.0.0/8", 7]), "list[1]", "list[1] is int, not text"),
        (misp(type="regex", list=["/(unclosed/"]), "list[0]", "not a regular expression"),
        (misp(matching_attributes="ip-src"), "matching_attributes", "list of text"),
        (misp(list={"a": 1}), "list", "JSON array"),
    ],
)
def test_bad_files_are_refused_naming_file_and_field(document: object, field: str, words: str) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(Invalid) as refused:
        wl.parse_warninglist(text, "lists/bad/list.json")
    assert refused.value.field == field
    assert refused.value.message.startswith("lists/bad/list.json: ")
    assert words in refused.value.message


def entries(db: Database, name: str) -> list[str]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(WarninglistEntry.value)
                .join(Warninglist)
                .where(Warninglist.name == name)
                .order_by(WarninglistEntry.value)
            )
        )


def test_loading_again_replaces_entries_and_records_the_version(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    admin, _ = admin_and_analyst(db, settings)
    first = write(tmp_path, "v1.json", misp(list=["100.64.0.0/10", "198.51.100.0/24"]))
    second = write(tmp_path, "v2.json", misp(version=3, list=["100.64.0.0/10"]))
    with db.transaction() as session:
        (outcome,) = wl.load_files(session, admin, [first])
        assert outcome.previous_version is None
    with db.transaction() as session:
        (outcome,) = wl.load_files(session, admin, [second])
        assert outcome.previous_version == "2" and outcome.warninglist.version == "3"
        assert outcome.warninglist.source.endswith("v2.json")
    assert entries(db, "List of RFC 6598 CIDR blocks") == ["100.64.0.0/10"]
    with db.transaction() as session:
        details = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "warninglist.load").order_by(AuditEntry.seq)
        ).all()
    assert [(d["version"], d["previous_version"], d["entries"]) for d in details] == [
        ("2", None, 2),
        ("3", "2", 1),
    ]
    assert all(entry["automatic"] is False for entry in details)


def test_only_admins_load_and_a_bad_file_loads_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    admin, analyst = admin_and_analyst(db, settings)
    good = write(tmp_path, "good.json", misp())
    bad = write(tmp_path, "bad.json", misp(name="other", list=["nope"]))
    with db.transaction() as session, pytest.raises(Forbidden):
        wl.load_files(session, analyst, [good])
    with db.transaction() as session, pytest.raises(Invalid, match=r"bad\.json"):
        wl.load_files(session, admin, [good, bad])
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Warninglist)) == 0


def test_bundled_lists_load_once_and_a_disabled_list_stops_matching(db: Database, settings: Settings) -> None:
    admin, analyst = admin_and_analyst(db, settings)
    with db.transaction() as session:
        assert len(wl.ensure_bundled(session, analyst)) == len(wl.bundled_lists()), "the first run loads them"
        assert wl.ensure_bundled(session, analyst) == [], "later runs find them"
        assert wl.build_matcher(session).match("ip", "185.220.101.1") == "tor-exits"
        with pytest.raises(Forbidden):
            wl.set_enabled(session, analyst, "tor-exits", False)
        wl.set_enabled(session, admin, "tor-exits", False)
    with db.transaction() as session:
        assert wl.ensure_bundled(session, analyst) == [], "a disabled list is not loaded back"
        assert wl.build_matcher(session).match("ip", "185.220.101.1") is None
        shown = {row.name: (row.enabled, count) for row, count in wl.list_warninglists(session)}
    assert shown["tor-exits"] == (False, 8) and shown["cgnat"] == (True, 1)


def test_the_cli_loads_lists_and_names_the_bad_field(database_url: str, tmp_path: Path) -> None:
    bad = write(tmp_path, "broken.json", misp(list=["100.64.0.0/10", "100.64.0.0/99"]))
    line = fails(database_url, "warninglist", "load", str(bad))
    assert "broken.json" in line and "[list[1]]" in line
    assert "tor-exits: cidr, tor" in ok(database_url, "warninglist", "load-bundled")
    good = write(tmp_path, "list.json", misp())
    assert "(new)" in ok(database_url, "warninglist", "load", str(good))
    ok(database_url, "warninglist", "disable", "junk-usernames")
    listing = ok(database_url, "warninglist", "list")
    rows = {line.split("│")[1].strip(): line for line in listing.splitlines() if "│" in line}
    assert "bundled" in rows["tor-exits"] and "yes" in rows["tor-exits"]
    assert rows["junk-usernames"].rstrip(" │").endswith("no")
    assert "List of RFC 6598 CIDR" in listing
    assert "not found" in fails(database_url, "warninglist", "disable", "no-such-list")
