"""STIX 2.1 bundles: a report (or grouping) is the referral; individuals, SCOs and files are its records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

from caseweave.intake.base import Example, FileRejected, Importer
from caseweave.intake.formats import stix_examples
from caseweave.intake.formats.stix_bundle import BundleReader
from caseweave.intake.formats_common import MAX_BYTES, load_json, read_capped
from caseweave.intake.records import Location, ParsedItem

_BUNDLE = re.compile(rb'"type"\s*:\s*"bundle"')
# One STIX object on its own, outside a bundle (OASIS's examples are written so).
_OBJECT = (re.compile(rb'"spec_version"\s*:\s*"2\.1"'), re.compile(rb'"id"\s*:\s*"[a-z0-9-]+--'))


def check_bundle(document: Any, filename: str) -> dict[str, Any]:
    """The bundle object, or FileRejected when the document is not a STIX 2.1 bundle. A single
    STIX 2.1 object is read as a bundle of that one object."""
    if _is_single_object(document):
        return {"type": "bundle", "objects": [document]}
    if not isinstance(document, dict) or document.get("type") != "bundle":
        raise FileRejected(Location(filename, path="$"), 'not a STIX bundle (no "type": "bundle")')
    if document.get("spec_version") == "2.0":
        raise FileRejected(
            Location(filename, path="$.spec_version"), "STIX 2.0 bundles are not read; export STIX 2.1"
        )
    objects = document.get("objects")
    if objects is not None and not isinstance(objects, list):
        raise FileRejected(Location(filename, path="$.objects"), "the bundle's objects are not a list")
    return document


class StixImporter(Importer):
    name: ClassVar[str] = "stix"
    description: ClassVar[str] = "STIX 2.1 bundle (report or grouping, identities, observables, TLP markings)"
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    max_bytes: ClassVar[int] = MAX_BYTES

    def sniff(self, head: bytes, filename: str) -> bool:
        return _BUNDLE.search(head) is not None or all(pattern.search(head) for pattern in _OBJECT)

    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        content = read_capped(stream, filename, self.max_bytes)
        bundle = check_bundle(load_json(content, filename), filename)
        yield from BundleReader(bundle, filename, content).items()

    @classmethod
    def examples(cls) -> list[Example]:
        return stix_examples.examples()


def _is_single_object(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and document.get("spec_version") == "2.1"
        and isinstance(document.get("type"), str)
        and document["type"] != "bundle"
        and isinstance(document.get("id"), str)
        and document["id"].startswith(f"{document['type']}--")
    )
