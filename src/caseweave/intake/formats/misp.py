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
    (re.compile(rb'"info"\s*:'), re.compile(rb'"(Attribute|Object|Orgc|threat_level_id|analysis)"\s*:')),
    (re.compile(rb'"Attribute"\s*:\s*\['), re.compile(rb'"(to_ids|object_relation)"\s*:')),
)
# MISP documents that are not events: refused saying what they are, not "not a format caseweave reads".
_GALAXY = re.compile(rb'"GalaxyCluster"\s*:')
_EVENT_FIELDS = frozenset({"Attribute", "Object", "Orgc", "threat_level_id", "analysis", "date", "Tag"})


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
        if isinstance(first, dict) and "Event" in first:
            event, path = first["Event"], "$.response[0].Event"
        elif _is_bare_event(first):  # as MISP's REST search answers with ?includeContext off
            event, path = first, "$.response[0]"
        else:
            raise FileRejected(Location(filename, path="$.response[0]"), "not a MISP event")
    elif _is_bare_event(document):
        event, path = document, "$"
    elif isinstance(document, dict) and "GalaxyCluster" in document:
        raise FileRejected(
            Location(filename, path="$"),
            "a MISP galaxy (a vocabulary of clusters), not an event: it states no party and no selector",
        )
    else:
        raise FileRejected(Location(filename, path="$"), 'not a MISP event (no "Event" object)')
    if not isinstance(event, dict):
        raise FileRejected(Location(filename, path=path), "the MISP event is not a JSON object")
    return event, path


def _is_bare_event(document: object) -> bool:
    """An event's own fields without the {"Event": …} around it, as PyMISP's to_json writes it."""
    if not isinstance(document, dict):
        return False
    if "Attribute" in document or "Object" in document:
        return True
    return isinstance(document.get("info"), str) and not _EVENT_FIELDS.isdisjoint(document)


class MispImporter(Importer):
    name: ClassVar[str] = "misp"
    description: ClassVar[str] = "MISP event (JSON core format, as MISP and PyMISP export it)"
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    max_bytes: ClassVar[int] = MAX_BYTES

    def sniff(self, head: bytes, filename: str) -> bool:
        if _EVENT_KEY.search(head) or _GALAXY.search(head):
            return True
        return any(all(pattern.search(head) for pattern in both) for both in _BARE_EVENT)

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        content = read_capped(stream, filename, self.max_bytes)
        event, path = find_event(load_json(content, filename), filename)
        yield from EventReader(event, filename, path, content).items()

    @classmethod
    def examples(cls) -> list[Example]:
        return misp_examples.examples()
