"""A CyberTipline-style report (XML): reported person, victims, files with hashes, IP capture events.

Parsed with defusedxml with DTDs forbidden, so entity bombs and external entities never expand.
The report streams: each top-level child of <report> is read, shaped and dropped. The subset of the
schema read here is published as docs/cybertip.xsd; ELEMENTS_READ lists its element names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, BinaryIO, ClassVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from caseweave.intake.base import Example, FileRejected, Importer
from caseweave.intake.formats_common import BadValue, parse_time
from caseweave.intake.records import (
    Location,
    MediaHash,
    ParsedItem,
    PersonRecord,
    RecordError,
    ReferralHeader,
    Sighting,
)

_ELEMENT_NAMES = """
    report reportId incidentSummary incidentType incidentDateTime internetDetails webPageIncident url
    reporter reportingPerson personOrUserReported personOrUserReportedPerson victim victimPerson
    intendedRecipient intendedRecipientPerson firstName lastName email phone address city zipCode state
    nonUsaState country dateOfBirth espIdentifier espService screenName profileUrl ipCaptureEvent ipAddress
    eventName dateTime possibleProxy port deviceId idType idValue fileDetails fileName originalFileName
    originalFileHash
"""
ELEMENTS_READ = frozenset(_ELEMENT_NAMES.split())
ATTRIBUTES_READ = frozenset({"id", "hashType", "countryCallingCode"})
HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
PEOPLE = {
    "personOrUserReported": ("personOrUserReportedPerson", "suspect"),
    "victim": ("victimPerson", "victim"),
    "intendedRecipient": ("intendedRecipientPerson", "unknown"),
}
_HEX = re.compile(r"[0-9a-fA-F]+")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(elem: Element | None, name: str) -> Iterator[tuple[int, Element]]:
    """Children with this local name, numbered from 1 as in XPath."""
    if elem is None:
        return
    index = 0
    for child in elem:
        if _local(child.tag) == name:
            index += 1
            yield index, child


def _child(elem: Element | None, name: str) -> Element | None:
    return next((child for _, child in _kids(elem, name)), None)


def _text(elem: Element | None, name: str | None = None) -> str | None:
    node = elem if name is None else _child(elem, name)
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def _date_of_birth(text: str) -> date:
    try:
        value = date.fromisoformat(text[:10])
    except ValueError:
        raise BadValue(f"{text!r} is not a date (use YYYY-MM-DD)") from None
    if value.year < 1900 or value > datetime.now(UTC).date():
        raise BadValue(f"{text!r} is not a plausible date of birth")
    return value


@dataclass(frozen=True)
class _Ctx:
    filename: str

    def loc(self, path: str) -> Location:
        return Location(self.filename, path=path)


def _event_items(
    ctx: _Ctx,
    elem: Element,
    path: str,
    kind: str,
    person_ref: str | None,
    platform: str | None,
    default: str | None,
) -> Iterator[ParsedItem]:
    """One ipCaptureEvent (kind "ip") or deviceId (kind "device") → a Sighting, or RecordErrors."""
    value_tag = "ipAddress" if kind == "ip" else "idValue"
    value = _text(elem, value_tag)
    if value is None:
        yield RecordError(ctx.loc(path), value_tag, "missing")
        return
    when: datetime | None = None
    port: int | None = None
    raw_time, raw_port = _text(elem, "dateTime"), _text(elem, "port")
    try:
        when = parse_time(raw_time)
    except BadValue as exc:
        yield RecordError(ctx.loc(f"{path}/dateTime"), "dateTime", str(exc), raw=str(raw_time)[:200])
        return
    if kind == "ip" and raw_port is not None:
        if not raw_port.isdigit() or int(raw_port) > 65535:
            yield RecordError(ctx.loc(f"{path}/port"), "port", f"{raw_port!r} is not a port number (0-65535)")
            return
        port = int(raw_port)
    event = _text(elem, "eventName") or (_text(elem, "idType") if kind == "device" else None)
    proxy = (_text(elem, "possibleProxy") or "").lower() in ("true", "1")
    yield Sighting(
        path,
        ctx.loc(path),
        kind,
        value,
        person_ref=person_ref,
        platform=platform,
        port=port,
        observed_from=when,
        observed_to=when,
        context=event.lower() if event else default,
        possible_proxy=kind == "ip" and proxy,
    )


def _person_items(ctx: _Ctx, elem: Element, path: str, person_tag: str, role: str) -> Iterator[ParsedItem]:
    person = _child(elem, person_tag)
    person_path = f"{path}/{person_tag}[1]"
    errors: list[RecordError] = []
    dob: date | None = None
    raw_dob = _text(person, "dateOfBirth")
    if raw_dob is not None:
        try:
            dob = _date_of_birth(raw_dob)
        except BadValue as exc:
            errors.append(
                RecordError(ctx.loc(f"{person_path}/dateOfBirth"), "dateOfBirth", str(exc), raw_dob)
            )
    address = _child(person, "address")
    parts = [_text(address, key) for key in ("address", "city", "state", "nonUsaState", "zipCode")]
    given, family = _text(person, "firstName"), _text(person, "lastName")
    full = " ".join(part for part in (given, family) if part) or None
    yield PersonRecord(
        ref=path,
        location=ctx.loc(path),
        full_name=full,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        address=", ".join(p for p in parts if p) or None,
        country=_text(address, "country"),
        role=role,
    )
    yield from errors
    if role == "reporter":
        return  # the reporting company's staff: their contact details are not case selectors
    platform = _text(elem, "espService")
    for i, node in _kids(person, "email"):
        if (value := _text(node)) is not None:
            node_path = f"{person_path}/email[{i}]"
            yield Sighting(node_path, ctx.loc(node_path), "email", value, person_ref=path)
    for i, node in _kids(person, "phone"):
        if (value := _text(node)) is not None:
            code = (node.get("countryCallingCode") or "").strip()
            if code and not value.startswith("+"):
                value = f"{code if code.startswith('+') else '+' + code} {value}"
            node_path = f"{person_path}/phone[{i}]"
            yield Sighting(node_path, ctx.loc(node_path), "phone", value, person_ref=path)
    for tag, selector, context in (
        ("screenName", "username", None),
        ("espIdentifier", "username", "account id"),
        ("profileUrl", "url", "profile"),
    ):
        for i, node in _kids(elem, tag):
            if (value := _text(node)) is not None:
                node_path = f"{path}/{tag}[{i}]"
                yield Sighting(
                    node_path,
                    ctx.loc(node_path),
                    selector,
                    value,
                    person_ref=path,
                    platform=platform,
                    context=context,
                )
    for tag, kind in (("ipCaptureEvent", "ip"), ("deviceId", "device")):
        for i, node in _kids(elem, tag):
            yield from _event_items(ctx, node, f"{path}/{tag}[{i}]", kind, path, platform, None)


def _file_items(ctx: _Ctx, elem: Element, path: str) -> Iterator[ParsedItem]:
    file_name = _text(elem, "originalFileName") or _text(elem, "fileName")
    for i, node in _kids(elem, "originalFileHash"):
        node_path = f"{path}/originalFileHash[{i}]"
        algorithm = (node.get("hashType") or "").strip().lower()
        value = _text(node)
        if algorithm not in HASH_LENGTHS:
            reason = f"hashType {node.get('hashType')!r} is not one of MD5, SHA1, SHA256, PDQ"
            yield RecordError(ctx.loc(node_path), "hashType", reason)
        elif value is None:
            yield RecordError(ctx.loc(node_path), "originalFileHash", "empty hash value")
        elif len(value) != HASH_LENGTHS[algorithm] or not _HEX.fullmatch(value):
            reason = f"not a {HASH_LENGTHS[algorithm]}-hex-digit {algorithm.upper()} value"
            yield RecordError(ctx.loc(node_path), "originalFileHash", reason, raw=value[:200])
        else:
            yield MediaHash(node_path, ctx.loc(node_path), algorithm, value, file_name=file_name)
    for tag, kind in (("ipCaptureEvent", "ip"), ("deviceId", "device")):
        for i, node in _kids(elem, tag):
            yield from _event_items(ctx, node, f"{path}/{tag}[{i}]", kind, None, None, "upload")


def _top_items(ctx: _Ctx, name: str, elem: Element, path: str) -> Iterator[ParsedItem]:
    if name in PEOPLE:
        person_tag, role = PEOPLE[name]
        yield from _person_items(ctx, elem, path, person_tag, role)
    elif name == "reporter" and _child(elem, "reportingPerson") is not None:
        yield from _person_items(ctx, elem, path, "reportingPerson", "reporter")
    elif name == "fileDetails":
        yield from _file_items(ctx, elem, path)
    elif name == "internetDetails":
        for i, page in _kids(elem, "webPageIncident"):
            for j, node in _kids(page, "url"):
                if (value := _text(node)) is not None:
                    node_path = f"{path}/webPageIncident[{i}]/url[{j}]"
                    yield Sighting(node_path, ctx.loc(node_path), "url", value, context="incident web page")


def _events(stream: BinaryIO, filename: str) -> Iterator[tuple[str, Element]]:
    """iterparse with DTDs forbidden; every way the XML can fail becomes FileRejected."""
    where = Location(filename)
    try:
        yield from iterparse(stream, events=("start", "end"), forbid_dtd=True)
    except ParseError as exc:
        line = exc.position[0]
        raise FileRejected(Location(filename, line=line), f"not well-formed XML: {exc}") from None
    except DefusedXmlException as exc:
        reason = f"refused: the XML declares a DTD or entities ({type(exc).__name__}); remove the <!DOCTYPE>"
        raise FileRejected(where, reason) from None
    except (ValueError, LookupError, UnicodeError, RecursionError) as exc:
        raise FileRejected(where, f"not readable XML: {exc}"[:300]) from None


class CyberTipImporter(Importer):
    name: ClassVar[str] = "cybertip"
    description: ClassVar[str] = (
        "A CyberTipline-style report (XML): reported person, victims, files, IP captures"
    )
    extensions: ClassVar[tuple[str, ...]] = (".xml",)

    def sniff(self, head: bytes, filename: str) -> bool:
        text = head[:4096].decode("utf-8", errors="ignore")
        return re.search(r"<(?:\w+:)?report[\s>]", text) is not None and (
            "incidentSummary" in head.decode("utf-8", errors="ignore")
        )

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        ctx = _Ctx(filename)
        root: Element | None = None
        depth = 0
        counts: Counter[str] = Counter()
        report_id = ""
        header_sent = False
        pending: list[ParsedItem] = []
        for event, elem in _events(stream, filename):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                    if _local(elem.tag) != "report":
                        raise FileRejected(
                            Location(filename), f"root element is <{_local(elem.tag)}>, not <report>"
                        )
                    report_id = (elem.get("id") or "").strip()
                continue
            depth -= 1
            if depth != 1 or root is None:
                continue
            name = _local(elem.tag)
            counts[name] += 1
            path = f"/report/{name}[{counts[name]}]"
            items = list(_top_items(ctx, name, elem, path))
            if not header_sent and name == "reportId":
                report_id = report_id or (_text(elem) or "")
            if not header_sent and name == "incidentSummary":
                header_sent = True
                yield from self._header(ctx, report_id, elem, path)
                yield from pending
                pending.clear()
            if header_sent:
                yield from items
            else:
                pending.extend(items)
            root.remove(elem)
        if not header_sent:
            yield ReferralHeader(external_id=report_id, title="CyberTipline report")
            yield from pending
            yield RecordError(ctx.loc("/report/incidentSummary"), "incidentSummary", "missing")

    @staticmethod
    def _header(ctx: _Ctx, report_id: str, summary: Element, path: str) -> Iterator[ParsedItem]:
        raw_time = _text(summary, "incidentDateTime")
        try:
            reported_at, error = parse_time(raw_time), None
        except BadValue as exc:
            reported_at = None
            error = RecordError(
                ctx.loc(f"{path}/incidentDateTime"), "incidentDateTime", str(exc), str(raw_time)
            )
        title = _text(summary, "incidentType") or "CyberTipline report"
        yield ReferralHeader(external_id=report_id, title=title, reported_at=reported_at)
        if error is not None:
            yield error

    @classmethod
    def examples(cls) -> list[Example]:
        return [
            Example(
                "full-report",
                FULL_REPORT,
                persons=3,
                sightings=11,
                media_hashes=2,
                selector_types=("device", "email", "ip", "phone", "url", "username"),
            ),
            Example("file-only", _report(_FILE_ONLY), media_hashes=1),
            Example("victim-and-recipient", _report(_VICTIMS), persons=2, sightings=3, media_hashes=1),
            Example(
                "bad-values",
                _report(_BAD, when="yesterday"),
                persons=1,
                sightings=1,
                error_fields=(
                    "incidentDateTime",
                    "dateOfBirth",
                    "ipAddress",
                    "dateTime",
                    "port",
                    "hashType",
                    "originalFileHash",
                ),
            ),
            Example(
                "no-incident-summary", _NO_SUMMARY, persons=1, sightings=1, error_fields=("incidentSummary",)
            ),
            Example("entity-bomb", ENTITY_BOMB, rejected=True),
            Example("external-entity", EXTERNAL_ENTITY, rejected=True),
            Example("truncated", FULL_REPORT[: len(FULL_REPORT) // 2], rejected=True),
            Example("wrong-root", b"<rss><channel/></rss>", rejected=True),
        ]


def _report(body: str, when: str = "2026-02-14T09:30:00Z", report_id: str = "CT-2026-000123") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<report id="{report_id}">\n'
        f"  <incidentSummary><incidentType>Child Pornography (possession, manufacture, and distribution)"
        f"</incidentType><incidentDateTime>{when}</incidentDateTime></incidentSummary>\n{body}</report>\n"
    ).encode()


_SUSPECT = """  <personOrUserReported>
    <personOrUserReportedPerson>
      <firstName>Jordan</firstName><lastName>Example</lastName>
      <phone countryCallingCode="44">7700900456</phone>
      <email>jordan.example@example.com</email>
      <email>j.e.backup@example.net</email>
      <address><address>1 Sample Street</address><city>Testville</city><zipCode>ZZ1 1ZZ</zipCode>
        <country>GB</country></address>
      <dateOfBirth>1988-04-02</dateOfBirth>
    </personOrUserReportedPerson>
    <espIdentifier>884422</espIdentifier>
    <espService>PhotoShareExample</espService>
    <screenName>shadow_example</screenName>
    <ipCaptureEvent><ipAddress>198.51.100.23</ipAddress><eventName>Login</eventName>
      <dateTime>2026-02-10T21:04:00Z</dateTime><port>50432</port></ipCaptureEvent>
    <ipCaptureEvent><ipAddress>203.0.113.250</ipAddress><eventName>Upload</eventName>
      <dateTime>2026-02-11T07:15:00Z</dateTime><possibleProxy>true</possibleProxy></ipCaptureEvent>
    <deviceId><idType>IMEI</idType><idValue>490154203237518</idValue></deviceId>
  </personOrUserReported>
"""
_NO_SUMMARY = b'<report id="X-9"><victim><screenName>a</screenName></victim></report>'
_FILE_ONLY = """  <fileDetails><fileName>a1.jpg</fileName>
    <originalFileHash hashType="SHA256">9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    </originalFileHash>
  </fileDetails>
"""
_VICTIMS = (
    """  <intendedRecipient><screenName>recipient_example</screenName></intendedRecipient>
  <victim><victimPerson><dateOfBirth>2012-06-01</dateOfBirth></victimPerson>
    <espService>PhotoShareExample</espService><screenName>small_star_example</screenName>
    <ipCaptureEvent><ipAddress>192.0.2.61</ipAddress></ipCaptureEvent>
  </victim>
  <fileDetails><originalFileHash hashType="PDQ">"""
    + "f" * 64
    + """</originalFileHash></fileDetails>
"""
)
_BAD = """  <personOrUserReported>
    <personOrUserReportedPerson><dateOfBirth>31/02/2001</dateOfBirth></personOrUserReportedPerson>
    <screenName>bad_example</screenName>
    <ipCaptureEvent><eventName>Login</eventName></ipCaptureEvent>
    <ipCaptureEvent><ipAddress>192.0.2.1</ipAddress><dateTime>1970-01-01T00:00:00Z</dateTime></ipCaptureEvent>
    <ipCaptureEvent><ipAddress>192.0.2.2</ipAddress><port>99999</port></ipCaptureEvent>
  </personOrUserReported>
  <fileDetails>
    <originalFileHash hashType="CRC32">cbf43926</originalFileHash>
    <originalFileHash hashType="MD5">abc</originalFileHash>
  </fileDetails>
"""
FULL_REPORT = _report(
    """  <internetDetails><webPageIncident><url>https://files.example.org/share/abc123</url></webPageIncident>
  </internetDetails>
  <reporter><reportingPerson><firstName>Casey</firstName><lastName>Reviewer</lastName>
    <email>trust-safety@example.com</email></reportingPerson></reporter>
"""
    + _SUSPECT
    + """  <victim><espService>PhotoShareExample</espService><screenName>little_example</screenName></victim>
  <fileDetails><fileName>upload_0001.jpg</fileName><originalFileName>IMG_0001.jpg</originalFileName>
    <originalFileHash hashType="MD5">d41d8cd98f00b204e9800998ecf8427e</originalFileHash>
    <originalFileHash hashType="SHA1">da39a3ee5e6b4b0d3255bfef95601890afd80709</originalFileHash>
    <ipCaptureEvent><ipAddress>2001:db8::17</ipAddress><dateTime>2026-02-11T07:15:00Z</dateTime></ipCaptureEvent>
  </fileDetails>
"""
)
ENTITY_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE report [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>\n<report id="&c;"><incidentSummary/></report>\n'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<report id="x"><incidentSummary><incidentType>&x;</incidentType></incidentSummary></report>\n'
)
