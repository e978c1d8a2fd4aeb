"""A CyberTipline-style report (XML): reported person, victims, files with hashes, IP capture events.

Parsed with defusedxml with DTDs forbidden, so entity bombs and external entities never expand.
The report streams: each top-level child of <report> is read, shaped and dropped. The subset of the
schema read here is published as docs/cybertip.xsd; ELEMENTS_READ lists its element names.
Reading each child is in cybertip_fields.py, the examples in cybertip_examples.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO, ClassVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from caseweave.intake.base import Example, FileRejected, Importer
from caseweave.intake.formats import cybertip_examples
from caseweave.intake.formats.cybertip_examples import ENTITY_BOMB, EXTERNAL_ENTITY, FULL_REPORT
from caseweave.intake.formats.cybertip_fields import (
    ATTRIBUTES_READ,
    ELEMENTS_READ,
    PEOPLE,
    Ctx,
    local,
    text,
    top_items,
)
from caseweave.intake.formats_common import BadValue, parse_time
from caseweave.intake.records import Location, ParsedItem, RecordError, ReferralHeader, Sighting

__all__ = [
    "ATTRIBUTES_READ",
    "ELEMENTS_READ",
    "ENTITY_BOMB",
    "EXTERNAL_ENTITY",
    "FULL_REPORT",
    "CyberTipImporter",
]


class _ReportingService:
    """The reporting ESP's service: the one espService the report's account holders name.

    A report is filed by one ESP, and a victim or recipient often leaves espService out, meaning that
    ESP's service. Usernames without one wait here until the whole report has been read.
    """

    def __init__(self) -> None:
        self.named: set[str] = set()
        self.waiting: list[Sighting] = []

    def note(self, name: str, elem: Element) -> None:
        if name in PEOPLE and (service := text(elem, "espService")) is not None:
            self.named.add(service)

    def holds(self, item: ParsedItem) -> bool:
        if isinstance(item, Sighting) and item.selector_type == "username" and item.platform is None:
            self.waiting.append(item)
            return True
        return False

    def resolved(self) -> Iterator[Sighting]:
        """The waiting usernames, on the report's one service; unchanged (and so refused later,
        "needs the platform") when the report names none or several."""
        service = next(iter(self.named)) if len(self.named) == 1 else None
        for item in self.waiting:
            yield item if service is None else replace(item, platform=service)


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
        raise FileRejected(Location(filename, line=_doctype_line(stream)), reason) from None
    except (ValueError, LookupError, UnicodeError, RecursionError) as exc:
        raise FileRejected(where, f"not readable XML: {exc}"[:300]) from None


def _doctype_line(stream: BinaryIO) -> int | None:
    """The line of the <!DOCTYPE> that was refused (the parser's exception does not say)."""
    try:
        stream.seek(0)
        head = stream.read(1 << 16)
    except (OSError, ValueError):
        return None
    index = head.find(b"<!DOCTYPE")
    return head.count(b"\n", 0, index) + 1 if index >= 0 else None


class CyberTipImporter(Importer):
    name: ClassVar[str] = "cybertip"
    description: ClassVar[str] = (
        "A CyberTipline-style report (XML): reported person, victims, files, IP captures"
    )
    extensions: ClassVar[tuple[str, ...]] = (".xml",)

    def sniff(self, head: bytes, filename: str) -> bool:
        start = head[:4096].decode("utf-8", errors="ignore")
        return re.search(r"<(?:\w+:)?report[\s>]", start) is not None and (
            "incidentSummary" in head.decode("utf-8", errors="ignore")
        )

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        ctx = Ctx(filename)
        root: Element | None = None
        depth = 0
        counts: Counter[str] = Counter()
        report_id = ""
        header_sent = False
        pending: list[ParsedItem] = []
        service = _ReportingService()
        for event, elem in _events(stream, filename):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                    if local(elem.tag) != "report":
                        raise FileRejected(
                            Location(filename), f"root element is <{local(elem.tag)}>, not <report>"
                        )
                    report_id = (elem.get("id") or "").strip()
                continue
            depth -= 1
            if depth != 1 or root is None:
                continue
            name = local(elem.tag)
            counts[name] += 1
            path = f"/report/{name}[{counts[name]}]"
            service.note(name, elem)
            items = [item for item in top_items(ctx, name, elem, path) if not service.holds(item)]
            if not header_sent and name == "reportId":
                report_id = report_id or (text(elem) or "")
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
        yield from service.resolved()
        if not header_sent:
            yield RecordError(ctx.loc("/report/incidentSummary"), "incidentSummary", "missing")

    @staticmethod
    def _header(ctx: Ctx, report_id: str, summary: Element, path: str) -> Iterator[ParsedItem]:
        raw_time = text(summary, "incidentDateTime")
        try:
            reported_at, error = parse_time(raw_time), None
        except BadValue as exc:
            reported_at = None
            error = RecordError(
                ctx.loc(f"{path}/incidentDateTime"), "incidentDateTime", str(exc), str(raw_time)
            )
        title = text(summary, "incidentType") or "CyberTipline report"
        yield ReferralHeader(external_id=report_id, title=title, reported_at=reported_at)
        if error is not None:
            yield error

    @classmethod
    def examples(cls) -> list[Example]:
        return cybertip_examples.examples()
