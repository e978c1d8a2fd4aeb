"""Reading the children of a CyberTipline <report> into caseweave items: people, accounts, IPs, files.

Each function takes one parsed element and yields what it states; streaming the document and the
report-wide rules (the header, the reporting ESP's service) live in cybertip.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from xml.etree.ElementTree import Element

from caseweave.bounds import ascii_int
from caseweave.intake.formats_common import BadValue, parse_time
from caseweave.intake.records import Location, MediaHash, ParsedItem, PersonRecord, RecordError, Sighting

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
# Elements that describe an account holder: (its person element, the role of its PersonRecord).
PEOPLE = {
    "personOrUserReported": ("personOrUserReportedPerson", "suspect"),
    "victim": ("victimPerson", "victim"),
    "intendedRecipient": ("intendedRecipientPerson", "unknown"),
}
_HEX = re.compile(r"[0-9a-fA-F]+")


def local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def kids(elem: Element | None, name: str) -> Iterator[tuple[int, Element]]:
    """Children with this local name, numbered from 1 as in XPath."""
    if elem is None:
        return
    index = 0
    for child in elem:
        if local(child.tag) == name:
            index += 1
            yield index, child


def child(elem: Element | None, name: str) -> Element | None:
    return next((node for _, node in kids(elem, name)), None)


def text(elem: Element | None, name: str | None = None) -> str | None:
    node = elem if name is None else child(elem, name)
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def _date_of_birth(raw: str) -> date:
    try:
        value = date.fromisoformat(raw[:10])
    except ValueError:
        raise BadValue(f"{raw!r} is not a date (use YYYY-MM-DD)") from None
    if value.year < 1900 or value > datetime.now(UTC).date():
        raise BadValue(f"{raw!r} is not a plausible date of birth")
    return value


@dataclass(frozen=True)
class Ctx:
    filename: str

    def loc(self, path: str) -> Location:
        return Location(self.filename, path=path)


def _event_items(
    ctx: Ctx,
    elem: Element,
    path: str,
    kind: str,
    person_ref: str | None,
    platform: str | None,
    default: str | None,
) -> Iterator[ParsedItem]:
    """One ipCaptureEvent (kind "ip") or deviceId (kind "device") → a Sighting, or RecordErrors."""
    value_tag = "ipAddress" if kind == "ip" else "idValue"
    value = text(elem, value_tag)
    if value is None:
        yield RecordError(ctx.loc(path), value_tag, "missing")
        return
    when: datetime | None = None
    port: int | None = None
    raw_time, raw_port = text(elem, "dateTime"), text(elem, "port")
    try:
        when = parse_time(raw_time)
    except BadValue as exc:
        yield RecordError(ctx.loc(f"{path}/dateTime"), "dateTime", str(exc), raw=str(raw_time)[:200])
        return
    if kind == "ip" and raw_port is not None:
        port = ascii_int(raw_port, 65535)
        if port is None:
            yield RecordError(
                ctx.loc(f"{path}/port"), "port", f"{raw_port[:20]!r} is not a port number (0-65535)"
            )
            return
    event = text(elem, "eventName") or (text(elem, "idType") if kind == "device" else None)
    proxy = (text(elem, "possibleProxy") or "").lower() in ("true", "1")
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


def _contact_items(ctx: Ctx, person: Element | None, person_path: str, ref: str) -> Iterator[Sighting]:
    for i, node in kids(person, "email"):
        if (value := text(node)) is not None:
            node_path = f"{person_path}/email[{i}]"
            yield Sighting(node_path, ctx.loc(node_path), "email", value, person_ref=ref)
    for i, node in kids(person, "phone"):
        if (value := text(node)) is not None:
            code = (node.get("countryCallingCode") or "").strip()
            if code and not value.startswith("+"):
                value = f"{code if code.startswith('+') else '+' + code} {value}"
            node_path = f"{person_path}/phone[{i}]"
            yield Sighting(node_path, ctx.loc(node_path), "phone", value, person_ref=ref)


def person_items(ctx: Ctx, elem: Element, path: str, person_tag: str, role: str) -> Iterator[ParsedItem]:
    """A person (or reporter) element: its PersonRecord, contact details, account and its events.

    Username sightings take the element's own espService; without one their platform is None and
    the caller supplies the reporting ESP's service.
    """
    person = child(elem, person_tag)
    person_path = f"{path}/{person_tag}[1]"
    errors: list[RecordError] = []
    dob: date | None = None
    raw_dob = text(person, "dateOfBirth")
    if raw_dob is not None:
        try:
            dob = _date_of_birth(raw_dob)
        except BadValue as exc:
            errors.append(
                RecordError(ctx.loc(f"{person_path}/dateOfBirth"), "dateOfBirth", str(exc), raw_dob)
            )
    address = child(person, "address")
    parts = [text(address, key) for key in ("address", "city", "state", "nonUsaState", "zipCode")]
    given, family = text(person, "firstName"), text(person, "lastName")
    full = " ".join(part for part in (given, family) if part) or None
    yield PersonRecord(
        ref=path,
        location=ctx.loc(path),
        full_name=full,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        address=", ".join(p for p in parts if p) or None,
        country=text(address, "country"),
        role=role,
    )
    yield from errors
    if role == "reporter":
        return  # the reporting company's staff: their contact details are not case selectors
    yield from _contact_items(ctx, person, person_path, path)
    platform = text(elem, "espService")
    for tag, selector, context in (
        ("screenName", "username", None),
        ("espIdentifier", "username", "account id"),
        ("profileUrl", "url", "profile"),
    ):
        for i, node in kids(elem, tag):
            if (value := text(node)) is not None:
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
        for i, node in kids(elem, tag):
            yield from _event_items(ctx, node, f"{path}/{tag}[{i}]", kind, path, platform, None)


def _file_items(ctx: Ctx, elem: Element, path: str) -> Iterator[ParsedItem]:
    file_name = text(elem, "originalFileName") or text(elem, "fileName")
    for i, node in kids(elem, "originalFileHash"):
        node_path = f"{path}/originalFileHash[{i}]"
        algorithm = (node.get("hashType") or "").strip().lower()
        value = text(node)
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
        for i, node in kids(elem, tag):
            yield from _event_items(ctx, node, f"{path}/{tag}[{i}]", kind, None, None, "upload")


def top_items(ctx: Ctx, name: str, elem: Element, path: str) -> Iterator[ParsedItem]:
    """What one child of <report> states (the incidentSummary is the header, read elsewhere)."""
    if name in PEOPLE:
        person_tag, role = PEOPLE[name]
        yield from person_items(ctx, elem, path, person_tag, role)
    elif name == "reporter" and child(elem, "reportingPerson") is not None:
        yield from person_items(ctx, elem, path, "reportingPerson", "reporter")
    elif name == "fileDetails":
        yield from _file_items(ctx, elem, path)
    elif name == "internetDetails":
        for i, page in kids(elem, "webPageIncident"):
            for j, node in kids(page, "url"):
                if (value := text(node)) is not None:
                    node_path = f"{path}/webPageIncident[{i}]/url[{j}]"
                    yield Sighting(node_path, ctx.loc(node_path), "url", value, context="incident web page")
