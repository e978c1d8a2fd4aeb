"""MISP events (the core JSON format PyMISP writes): one event is one referral."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

from caseweave.intake.base import Example, FileRejected, Importer
from caseweave.intake.formats import misp_examples
from caseweave.intake.formats.misp_event import EventReader
from caseweave.intake.formats_common import MAX_BYTES, load_json, read_capped
from caseweave.intake.records import Location, ParsedItem

_EVENT_KEY = re.compile(rb'"Event"\s*:')
# A bare event (PyMISP's to_json) puts "info" last, so the head may show only its attributes.
_BARE_EVENT = (
    (re.compile(rb'"info"\s*:'), re.compile(rb'"(Attribute|Object|Orgc)"\s*:')),
    (re.compile(rb'"Attribute"\s*:\s*\['), re.compile(rb'"(to_ids|object_relation)"\s*:')),
)


def find_event(document: Any, filename: str) -> tuple[dict[str, Any], str]:
    """The event object and its JSON path, from {"Event": …}, {"response": [{"Event": …}]} or a bare event."""
    if isinstance(document, dict) and "Event" in document:
        event, path = document["Event"], "$.Event"
    elif isinstance(document, dict) and "response" in document:
        response = document["response"]
        if not isinstance(response, list) or not response:
            raise FileRejected(Location(filename, path="$.response"), "MISP response holds no event")
        if len(response) > 1:
            raise FileRejected(
                Location(filename, path="$.response"),
                f"MISP response holds {len(response)} events; export one event per file",
            )
        first = response[0]
        if not isinstance(first, dict) or "Event" not in first:
            raise FileRejected(Location(filename, path="$.response[0]"), "not a MISP event")
        event, path = first["Event"], "$.response[0].Event"
    elif isinstance(document, dict) and ("Attribute" in document or "Object" in document):
        event, path = document, "$"
    else:
        raise FileRejected(Location(filename, path="$"), 'not a MISP event (no "Event" object)')
    if not isinstance(event, dict):
        raise FileRejected(Location(filename, path=path), "the MISP event is not a JSON object")
    return event, path


class MispImporter(Importer):
    name: ClassVar[str] = "misp"
    description: ClassVar[str] = "MISP event (JSON core format, as MISP and PyMISP export it)"
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    max_bytes: ClassVar[int] = MAX_BYTES

    def sniff(self, head: bytes, filename: str) -> bool:
        if _EVENT_KEY.search(head):
            return True
        return any(all(pattern.search(head) for pattern in both) for both in _BARE_EVENT)

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        content = read_capped(stream, filename, self.max_bytes)
        event, path = find_event(load_json(content, filename), filename)
        yield from EventReader(event, filename, path, content).items()

    @classmethod
    def examples(cls) -> list[Example]:
        return misp_examples.examples()
