"""A package as JSON, HTML and PDF, exactly as issued; a changed file or stored copy is refused."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.audit.models import AuditEntry
from caseweave.config import Settings
from caseweave.db.runtime import Database
from caseweave.dissemination.documents import Tampered, read_document, verify_file
from caseweave.dissemination.models import Package
from caseweave.dissemination.render_html import render_html
from caseweave.dissemination.render_pdf import render_pdf, safe
from caseweave.errors import Conflict, Invalid, NotFound
from tests.dissemination.scenario import build, send_packages

REF = "PKG-1-PARTNER-V1"


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages: ReportLab writes each content stream Flate-compressed, then ASCII85."""
    drawn = []
    for stream in re.findall(
        rb"/Filter \[ /ASCII85Decode /FlateDecode \].*?stream\r?\n(.*?)endstream", pdf, re.S
    ):
        data = stream.strip().removesuffix(b"~>")
        drawn.append(zlib.decompress(base64.a85decode(data)).decode("latin-1"))
    return "".join(drawn)


def test_json_html_and_pdf_are_the_package_as_issued(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    send_packages(db, settings, scene.coordinator, scene.op)
    partner = scene.actor("PARTNER")
    with db.transaction() as session:
        package = session.scalar(select(Package).where(Package.reference == REF))
        assert package is not None
        files = {fmt: read_document(session, partner, REF, fmt) for fmt in ("json", "html", "pdf")}
    exported = files["json"].content
    assert exported == package.body.encode() and hashlib.sha256(exported).hexdigest() == package.sha256
    assert files["json"].file_name == f"{REF}.json" and files["pdf"].media_type == "application/pdf"

    page = files["html"].content.decode()
    assert page.count("TLP:AMBER") >= 2 and package.sha256 in page and "<script" not in page
    assert scene.subjects["child"] in page and "a child possibly at risk" in page

    pdf = files["pdf"].content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type /Page\b", pdf))
    assert pages >= 1 and re.search(rb"/Count %d\b" % pages, pdf)
    drawn = _pdf_text(pdf)
    assert drawn.count("TLP:AMBER") >= 2 * pages  # top and bottom of every page
    assert REF in drawn and scene.subjects["suspect"] in drawn and "24.48.0.1" in drawn
    with db.transaction() as session:
        reads = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "package.read")
        )
        assert reads == 3


def test_renderings_escape_what_referrals_say_and_keep_every_character() -> None:
    assert safe("<b>Ж & é</b>") == "&lt;b&gt;\\u0416 &amp; é&lt;/b&gt;"
    body = json.loads(_minimal())
    body["subjects"][0]["persons"][0]["name"] = "<script>alert(1)</script> Жанна"
    page = render_html(body, "0" * 64)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Жанна" in page
    pdf = render_pdf(body, "0" * 64)
    assert "\\\\u0416" in _pdf_text(pdf) or "\\u0416" in _pdf_text(pdf)


def test_verify_accepts_the_file_as_issued_and_refuses_a_changed_one(
    db: Database, settings: Settings
) -> None:
    scene = build(db, settings)
    send_packages(db, settings, scene.coordinator, scene.op)
    operator = Actor.cli()
    with db.transaction() as session:
        exported = read_document(session, operator, REF, "json").content
    body = json.loads(exported)
    with db.transaction() as session:
        assert verify_file(session, operator, exported, "p.json").reference == REF
        pretty = json.dumps(body, indent=2).encode()  # re-indented for reading: same content
        assert verify_file(session, scene.actor("PARTNER"), pretty, "pretty.json").status == "sent"
        before = session.scalar(select(func.count()).select_from(AuditEntry))

    body["subjects"][2]["selectors"][0]["value"] = "someone.else@example.com"
    refused: list[tuple[bytes, type[Exception], str]] = [
        (json.dumps(body).encode(), Tampered, "does not match package PKG-1-PARTNER-V1 as issued"),
        (b"%PDF-1.4 not json", Invalid, "not a JSON package file"),
        (b'{"hello": "world"}', Invalid, "not a caseweave lead package"),
        (
            exported.replace(REF.encode(), b"PKG-1-PARTNER-V9"),
            NotFound,
            "PKG-1-PARTNER-V9 was not issued here",
        ),
    ]
    for data, error, words in refused:
        with db.transaction() as session, pytest.raises(error, match=words):
            verify_file(session, operator, data, "p.json")
    with db.transaction() as session, pytest.raises(NotFound):
        verify_file(session, scene.actor("LATE"), exported, "p.json")  # another agency: as if missing
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_the_database_keeps_an_issued_package_as_it_was(db: Database, settings: Settings) -> None:
    scene = build(db, settings)
    send_packages(db, settings, scene.coordinator, scene.op)
    for statement in (
        update(Package).where(Package.reference == REF).values(body="{}"),
        update(Package).where(Package.reference == REF).values(tlp="CLEAR"),
    ):
        with (
            pytest.raises(DBAPIError, match="an issued package cannot be changed"),
            db.transaction() as session,
        ):
            session.execute(statement)
    with pytest.raises(DBAPIError, match="cannot be"), db.transaction() as session:
        session.execute(text("DELETE FROM packages"))

    # someone who drops the protection first is still found out when the package is read or verified
    drop = "DROP TRIGGER packages_frozen" + (" ON packages" if db.engine.dialect.name == "postgresql" else "")
    with db.transaction() as session:
        exported = read_document(session, Actor.cli(), REF, "json").content
        session.execute(text(drop))
        session.execute(
            update(Package).where(Package.reference == REF).values(body=exported.decode()[:-1] + ',"x":1}')
        )
    calls: list[Callable[[Session], object]] = [
        lambda s: read_document(s, scene.actor("PARTNER"), REF, "html"),
        lambda s: verify_file(s, Actor.cli(), exported, "p.json"),
    ]
    for call in calls:
        with db.transaction() as session, pytest.raises(Conflict, match="no longer matches its sha256"):
            call(session)


def _minimal() -> str:
    """A one-subject document in the issued shape, for rendering alone."""
    subject = {
        "subject": "SUB-000001",
        "urgency": "routine",
        "urgency_reasons": [],
        "roles": ["suspect"],
        "route": {
            "country": "CA",
            "method": "auto",
            "decided_by": "system",
            "decided_at": None,
            "note": None,
        },
        "attribution": None,
        "persons": [
            {
                "record": 1,
                "held_by": "CA-OCPU",
                "referral": 1,
                "role": "suspect",
                "name": None,
                "date_of_birth": None,
                "address": None,
                "country": "CA",
                "tlp": "GREEN",
            }
        ],
        "referrals": [],
        "selectors": [],
        "linked_on": [],
        "media": {"hashes_listed": 0, "matched_known_material": None, "matching": "not available"},
        "further_material": [],
    }
    agency = {"code": "CA-OCPU", "name": "CA unit", "country": "CA", "contact_point": "desk@ca.invalid"}
    return json.dumps(
        {
            "reference": "PKG-1-CA-OCPU-V1",
            "version": 1,
            "previous": None,
            "issued_at": "2026-01-01T00:00:00+00:00",
            "issued_by": "cli:test",
            "operation": {"id": 1, "name": "Op"},
            "from": agency,
            "to": agency,
            "tlp": "AMBER",
            "tlp_rule": "rule",
            "urgency": "routine",
            "urgency_label": "routine",
            "deadline": "2026-01-31T00:00:00+00:00",
            "deadline_rule": "rule",
            "summary": {
                "subjects": 1,
                "immediate": 0,
                "high": 0,
                "routine": 1,
                "records": 1,
                "selectors": 0,
                "media_hashes_listed": 0,
                "further_material_records": 0,
            },
            "further_material": [],
            "changes": None,
            "subjects": [subject],
            "handling": "TLP:AMBER.",
        }
    )


def test_a_selector_seen_a_hundred_times_continues_on_the_next_page() -> None:
    body = json.loads(_minimal())
    window = {
        "from": "2026-01-01T10:00:00+00:00",
        "to": "2026-01-01T11:00:00+00:00",
        "port": 443,
        "context": "login",
    }
    body["subjects"][0]["selectors"] = [
        {
            "type": "ip",
            "value": "24.48.0.1",
            "first_seen": "2026-01-01T10:00:00+00:00",
            "last_seen": "2026-03-01T10:00:00+00:00",
            "platforms": ["chatapp"],
            "contexts": ["login"],
            "possible_proxy": False,
            "windows": [window] * 100,
            "windows_total": 140,
        }
    ]
    drawn = _pdf_text(render_pdf(body, "0" * 64))
    assert drawn.count("port 443") == 100 and "40 more" in drawn  # every window, then the count of the rest
