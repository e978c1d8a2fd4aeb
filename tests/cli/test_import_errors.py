"""`caseweave import` on bad input, end to end: one clear line naming the file, the place in it, the
field and the reason; exit 2; nothing stored. With --partial the good records of the same file are
stored and the bad one is quarantined with its place."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from caseweave.actor import Actor
from caseweave.audit.models import AuditHead
from caseweave.db.runtime import Database
from caseweave.intake.base import Example, FileRejected, Importer
from caseweave.intake.formats.chat import ChatExportImporter
from caseweave.intake.formats.cybertip import CyberTipImporter
from caseweave.intake.formats.lines import MAX_LINE_BYTES
from caseweave.intake.formats.misp import MispImporter
from caseweave.intake.formats.platform import PlatformReturnImporter
from caseweave.intake.formats.stix import StixImporter
from caseweave.intake.models import (
    PersonRecord,
    QuarantinedRecord,
    RawChunk,
    RawFile,
    Referral,
    ReferralMediaHash,
    Sighting,
)
from caseweave.operations import service as ops
from tests.support.cli import fails, ok

NEWLINE = b"\n"  # (no backslash inside an f-string before Python 3.12)
TABLES = (Referral, PersonRecord, Sighting, ReferralMediaHash, QuarantinedRecord, RawFile, RawChunk)


def example(importer: type[Importer], name: str) -> Example:
    return next(e for e in importer.examples() if e.name == name)


MISP = example(MispImporter, "search response with two persons")
STIX = example(StixImporter, "grouping with two persons, tlp:clear")
TIP = example(CyberTipImporter, "file-only")
CSV = example(PlatformReturnImporter, "csv-column-variants")
JSONL = example(PlatformReturnImporter, "jsonl-accounts")
CHAT = example(ChatExportImporter, "sessions")


def line_after(content: bytes) -> str:
    """The number of the line that follows `content`."""
    return f"line {content.count(NEWLINE) + 1}"


def half(content: bytes) -> tuple[bytes, str]:
    """The first half of a file, and the line it now ends on."""
    cut = content[: len(content) // 2]
    return cut, line_after(cut)


def half_of_last_line(content: bytes) -> tuple[bytes, str]:
    """The file cut in the middle of its last line, and that line."""
    body = content.rstrip(b"\n")
    start = body.rfind(b"\n") + 1
    return body[: start + (len(body) - start) // 2], line_after(body[:start])


def plus_line(good: Example, line: bytes) -> tuple[bytes, str]:
    """A valid line-based file with one more line, and that line's number."""
    content = good.content.rstrip(b"\n") + b"\n"
    return content + line + b"\n", line_after(content)


def misp_with(attribute: dict[str, Any]) -> bytes:
    document = json.loads(MISP.content)
    document["response"][0]["Event"]["Attribute"].append(attribute)
    return json.dumps(document, indent=2).encode()


def stix_with(sco: dict[str, Any]) -> bytes:
    document = json.loads(STIX.content)
    document["objects"].append(sco)
    return json.dumps(document, indent=2).encode()


def tip_with(element: bytes) -> bytes:
    return TIP.content.replace(b"</report>", element + b"\n</report>")


def tip_with_doctype(doctype: bytes, entity: bytes) -> bytes:
    """The tip with a DTD on line 2 and an entity used in its incident type."""
    with_dtd = TIP.content.replace(b"?>\n", b"?>\n" + doctype + b"\n", 1)
    return with_dtd.replace(b"<incidentType>", b"<incidentType>" + entity, 1)


LAUGHS = b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
ENTITY_BOMB = tip_with_doctype(b'<!DOCTYPE report [<!ENTITY lol0 "lol">' + LAUGHS + b"]>", b"&lol9;")
EXTERNAL_ENTITY = tip_with_doctype(b'<!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b"&x;")


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    content: bytes
    where: str  # as the location prints after "file:"; "" where the file as a whole is refused
    field: str
    reason: str
    options: tuple[str, ...] = ()
    good: Example | None = None  # the valid file one bad record was added to: run with --partial too


def case(id: str, file: str, made: tuple[bytes, str], field: str, reason: str, **more: Any) -> Case:
    return Case(id, file, made[0], made[1], field, reason, **more)


def long_line(prefix: bytes, suffix: bytes, size: int) -> bytes:
    return prefix + b"a" * (size - len(prefix) - len(suffix)) + suffix


OVER = MAX_LINE_BYTES + 1
OLD_SESSION = (
    b'{"type": "session", "nick": "pebble", "ip": "192.0.2.5", "connected_at": "1989-12-31T00:00:00Z"}'
)
CASES = [
    case("misp-truncated", "event.json", half(MISP.content), "file", "file ends early (truncated?)"),
    case("stix-truncated", "bundle.json", half(STIX.content), "file", "file ends early (truncated?)"),
    case("cybertip-truncated", "tip.xml", half(TIP.content), "file", "not well-formed XML"),
    case("csv-truncated", "return.csv", half_of_last_line(CSV.content), "line", "the row is cut short"),
    case("jsonl-truncated", "return.jsonl", half_of_last_line(JSONL.content), "json", "not valid JSON"),
    case("chat-truncated", "chat.jsonl", half_of_last_line(CHAT.content), "json", "not valid JSON"),
    case(
        "utf16-json", "event.json", (MISP.content.decode().encode("utf-16"), "line 1"), "encoding", "UTF-16"
    ),
    case("utf16-xml", "tip.xml", (TIP.content.decode().encode("utf-16"), "line 1"), "encoding", "UTF-16"),
    case(
        "utf16-json-named",
        "event.json",
        (MISP.content.decode().encode("utf-16"), "line 1"),
        "encoding",
        "file is not UTF-8 text",
        options=("--format", "misp"),
    ),
    case(
        "utf16-csv-named",
        "return.csv",
        (CSV.content.decode().encode("utf-16"), "line 1"),
        "encoding",
        "UTF-16 file: save as UTF-8",
        options=("--format", "platform"),
    ),
    case(
        "latin1-jsonl",
        "chat.jsonl",
        plus_line(CHAT, '{"type": "session", "nick": "café"}'.encode("latin-1")),
        "line",
        "not UTF-8 (byte 0xe9 at column 33)",
        good=CHAT,
    ),
    case("entity-bomb", "tip.xml", (ENTITY_BOMB, ""), "file", "the XML declares a DTD or entities"),
    case("external-entity", "tip.xml", (EXTERNAL_ENTITY, ""), "file", "the XML declares a DTD or entities"),
    case(
        "long-csv-line",
        "return.csv",
        plus_line(CSV, long_line(b"u-78,", b"", OVER)),
        "line",
        f"line is longer than {MAX_LINE_BYTES} bytes",
    ),
    case(
        "long-jsonl-line",
        "chat.jsonl",
        plus_line(CHAT, long_line(b'{"type": "session", "nick": "', b'"}', OVER)),
        "line",
        f"line is longer than {MAX_LINE_BYTES} bytes",
    ),
    case(
        "future-csv",
        "return.csv",
        plus_line(CSV, b"u-77,sam@example.net,203.0.113.9,2099-01-01T00:00:00Z,red"),
        "login_time",
        "'2099-01-01T00:00:00Z' is in the future",
        good=CSV,
    ),
    case(
        "future-cybertip",
        "tip.xml",
        (
            tip_with(
                b"<personOrUserReported><ipCaptureEvent><ipAddress>192.0.2.1</ipAddress>"
                b"<dateTime>2099-01-01T00:00:00Z</dateTime></ipCaptureEvent></personOrUserReported>"
            ),
            "/report/personOrUserReported[1]/ipCaptureEvent[1]/dateTime",
        ),
        "dateTime",
        "'2099-01-01T00:00:00Z' is in the future",
    ),
    case(
        "before-1990-misp",
        "event.json",
        (
            misp_with(
                {"uuid": "e1", "type": "ip-src", "value": "192.0.2.1", "first_seen": "1989-06-01T00:00:00Z"}
            ),
            "$.response[0].Event.Attribute[1]",
        ),
        "first_seen",
        "'1989-06-01T00:00:00Z' is before 1990",
    ),
    case(
        "before-1990-chat",
        "chat.jsonl",
        plus_line(CHAT, OLD_SESSION),
        "connected_at",
        "'1989-12-31T00:00:00Z' is before 1990",
    ),
    case(
        "md5-too-short-misp",
        "event.json",
        (
            misp_with({"uuid": "e2", "type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427"}),
            "$.response[0].Event.Attribute[1]",
        ),
        "md5",
        "is not a md5 hash (32 hex digits)",
        good=MISP,
    ),
    case(
        "md5-not-hex-stix",
        "bundle.json",
        (
            stix_with(
                {
                    "type": "file",
                    "id": "file--00000000-0000-4000-8000-0000000000f1",
                    "hashes": {"MD5": "zz" * 16},
                }
            ),
            "$.objects[8]",
        ),
        "hashes",
        "is not a valid MD5 hash",
        good=STIX,
    ),
    case(
        "md5-not-hex-cybertip",
        "tip.xml",
        (
            tip_with(
                b'<fileDetails><originalFileHash hashType="MD5">not-a-hash</originalFileHash></fileDetails>'
            ),
            "/report/fileDetails[2]/originalFileHash[1]",
        ),
        "originalFileHash",
        "MD5",
        good=TIP,
    ),
    case(
        "unrecognisable",
        "notes.txt",
        (b"hello\nthis is not a referral\n", ""),
        "format",
        "not a format caseweave reads",
    ),
    case(
        "unknown-format",
        "event.json",
        (MISP.content, ""),
        "format",
        "unknown format 'pdf'",
        options=("--format", "pdf"),
    ),
]


@pytest.fixture
def loom(db: Database) -> None:
    """An operation led by GB-OCPU, set up through the services: quicker than three CLI runs."""
    operator = Actor.cli()
    with db.transaction() as session:
        ops.add_agency(
            session,
            operator,
            code="GB-OCPU",
            name="GB Unit",
            country="GB",
            kind="police",
            contact_point="desk@gb",
        )
        ops.create_operation(
            session, operator, name="Op Loom", lead_agency="GB-OCPU", start_date=date(2026, 1, 5)
        )


def state(db: Database) -> tuple[object, ...]:
    """Rows in every table an import writes, and the audit chain's head."""
    with db.transaction() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(table)) for table in TABLES)
        head = session.execute(select(AuditHead.last_seq, AuditHead.last_hash)).one()
    return (*counts, *head)


def run_import(
    database_url: str, tmp_path: Path, bad: Case, *more: str, then: Callable[..., str] = fails
) -> str:
    """`caseweave import` of the case's file; `then` checks how it ended (fails: one error line)."""
    path = tmp_path / bad.file
    path.write_bytes(bad.content)
    return then(
        database_url,
        "import",
        str(path),
        "--operation",
        "Op Loom",
        "--agency",
        "GB-OCPU",
        *bad.options,
        *more,
    )


@pytest.mark.usefixtures("loom")
@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_line_and_stores_nothing(
    db: Database, database_url: str, tmp_path: Path, bad: Case
) -> None:
    before = state(db)
    line = run_import(database_url, tmp_path, bad)
    assert f"{bad.file}:{bad.where}" in line
    assert f"[{bad.field}]" in line and bad.reason in line
    assert "root:" not in line  # nothing of /etc/passwd
    assert state(db) == before


PARTIAL = [c for c in CASES if c.good is not None]


@pytest.mark.usefixtures("loom")
@pytest.mark.parametrize("bad", PARTIAL, ids=[c.id for c in PARTIAL])
def test_partial_stores_the_good_records_and_quarantines_the_bad_one(
    db: Database, database_url: str, tmp_path: Path, bad: Case
) -> None:
    assert bad.good is not None
    out = run_import(database_url, tmp_path, bad, "--partial", then=ok)
    assert f"quarantined: {bad.file}:{bad.where} [{bad.field}] " in out and bad.reason in out
    with db.transaction() as session:
        referral = session.scalars(select(Referral)).one()
        quarantined = session.scalars(select(QuarantinedRecord)).one()
        stored = tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (PersonRecord, Sighting, ReferralMediaHash)
        )
    assert referral.status == "partial" and referral.counts["quarantined"] == 1
    assert (quarantined.location, quarantined.field) == (f"{bad.file}:{bad.where}", bad.field)
    assert bad.reason in quarantined.reason
    assert stored == (bad.good.persons, bad.good.sightings, bad.good.media_hashes)


@pytest.mark.usefixtures("loom")
def test_a_line_at_the_cap_is_read(database_url: str, tmp_path: Path) -> None:
    """The cap in the errors above is the one the importers apply: a line of exactly that size is read."""
    at_cap = long_line(b'{"type": "session", "nick": "pebble", "x_padding": "', b'"}', MAX_LINE_BYTES)
    content, _ = plus_line(CHAT, at_cap)
    out = run_import(database_url, tmp_path, Case("at-cap", "chat.jsonl", content, "", "", ""), then=ok)
    assert f"{CHAT.sightings} sightings" in out and "0 quarantined" in out


@pytest.mark.parametrize("content", [ENTITY_BOMB, EXTERNAL_ENTITY], ids=["entity-bomb", "external-entity"])
def test_a_refused_dtd_names_its_line(content: bytes) -> None:
    with pytest.raises(FileRejected) as refused:
        list(CyberTipImporter().parse(io.BytesIO(content), "tip.xml"))
    assert refused.value.location.line == 2
