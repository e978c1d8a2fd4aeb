"""The contract every Importer plugin meets, checked the same way for each: its own examples, and
fuzzing (arbitrary bytes, then its valid examples cut, bit-flipped or with values replaced) that
may end in FileRejected but never in any other exception or a malformed stream of items.

A test module subclasses ImporterContract as `TestContract` and says which importer, under which
file names, and how to mutate its files; the test methods come from here.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseweave.intake.base import Example, FileRejected, Importer
from caseweave.intake.records import (
    MediaHash,
    ParsedItem,
    PersonRecord,
    RecordError,
    ReferralHeader,
    Sighting,
)
from caseweave.intake.registry import IMPORTERS

T = TypeVar("T")
SNIFF_BYTES = 64 * 1024
# Each module's TestContract runs the same inherited fuzz tests, hence differing_executors.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def read(importer: Importer, content: bytes | dict[str, Any], name: str) -> list[ParsedItem]:
    """Everything the importer yields for a file (a dict is written as JSON first)."""
    if isinstance(content, dict):
        content = json.dumps(content).encode()
    return list(importer.parse(io.BytesIO(content), name))


def of(items: list[ParsedItem], kind: type[T]) -> list[T]:
    return [item for item in items if isinstance(item, kind)]


class ImporterContract:
    importer: ClassVar[Importer]
    file: ClassVar[str]  # the name its examples are read under
    fuzz_files: ClassVar[tuple[str, ...]] = ()  # more names arbitrary bytes are read under
    record_kinds: ClassVar[tuple[type[Any], ...]] = (PersonRecord, Sighting, RecordError)  # after the header
    unsniffed: ClassVar[frozenset[str]] = frozenset()  # examples its sniff need not recognise, by name

    def file_name(self, example: Example) -> str:
        return self.file

    def valid_files(self) -> list[tuple[bytes, str]]:
        """The examples that are not refused as a whole, each with the name to read it under."""
        examples = self.importer.examples()
        return [(e.content, self.file_name(e)) for e in examples if not e.rejected and e.content]

    def mutated(self) -> st.SearchStrategy[tuple[bytes, str]]:
        """A valid file changed in the ways its format can break (mutated_json, _lines or _xml)."""
        raise NotImplementedError

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "example" in metafunc.fixturenames:
            examples = self.importer.examples()
            metafunc.parametrize("example", examples, ids=[e.name for e in examples])

    def test_examples_cover_the_contract(self) -> None:
        examples = self.importer.examples()
        assert sum(1 for e in examples if not e.rejected and not e.error_fields) >= 3
        assert sum(1 for e in examples if e.rejected or e.error_fields) >= 3

    def test_example(self, example: Example) -> None:
        name = self.file_name(example)
        if example.rejected:
            with pytest.raises(FileRejected):
                read(self.importer, example.content, name)
            return
        items = read(self.importer, example.content, name)
        kinds = Counter(type(item) for item in items)
        assert kinds[ReferralHeader] == 1 and isinstance(items[0], ReferralHeader)
        assert (kinds[PersonRecord], kinds[Sighting], kinds[MediaHash]) == (
            example.persons,
            example.sightings,
            example.media_hashes,
        )
        assert tuple(error.field for error in of(items, RecordError)) == example.error_fields
        if example.selector_types:
            assert tuple(sorted({s.selector_type for s in of(items, Sighting)})) == example.selector_types
        head = example.content[:SNIFF_BYTES]
        assert self.importer.sniff(head, name) or example.name in self.unsniffed
        rivals = [other for other in IMPORTERS.values() if other.name != self.importer.name]
        assert [rival.name for rival in rivals if rival.sniff(head, name)] == []

    def check_never_crashes(self, content: bytes, name: str) -> None:
        try:
            items = read(self.importer, content, name)
        except FileRejected:
            return
        assert isinstance(items[0], ReferralHeader)
        assert sum(isinstance(item, ReferralHeader) for item in items) == 1
        assert all(isinstance(item, self.record_kinds) for item in items[1:])

    @FUZZ
    @given(st.binary(max_size=2000), st.data())
    def test_fuzz_arbitrary_bytes(self, content: bytes, data: st.DataObject) -> None:
        self.check_never_crashes(content, data.draw(st.sampled_from((self.file, *self.fuzz_files))))

    @FUZZ
    @given(st.data())
    def test_fuzz_mutated_files(self, data: st.DataObject) -> None:
        self.check_never_crashes(*data.draw(self.mutated()))


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON document, nested ones included."""
    found: list[tuple[Any, Any]] = []
    pairs = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in pairs:
        found.append((node, key))
        found.extend(_slots(value))
    return found


def _broken(draw: st.DrawFn, content: bytes, how: str) -> bytes:
    """The file cut short at any byte ("truncate"), or with one byte changed ("flip")."""
    doc = bytearray(content)
    if how == "truncate":
        del doc[draw(st.integers(0, len(doc))) :]
    elif doc:
        doc[draw(st.integers(0, len(doc) - 1))] ^= draw(st.integers(1, 255))
    return bytes(doc)


@st.composite
def mutated_json(draw: st.DrawFn, files: list[tuple[bytes, str]]) -> tuple[bytes, str]:
    """A JSON document cut, flipped, or with one to three values anywhere in it replaced."""
    content, name = draw(st.sampled_from(files))
    how = draw(st.sampled_from(["truncate", "flip", "replace", "replace"]))
    if how != "replace":
        return _broken(draw, content, how), name
    document = json.loads(content)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(document)
        container, key = slots[draw(st.integers(0, len(slots) - 1))]
        container[key] = draw(JSON_VALUES)
    return json.dumps(document).encode(), name


@st.composite
def mutated_lines(draw: st.DrawFn, files: list[tuple[bytes, str]]) -> tuple[bytes, str]:
    """A CSV or JSON Lines file cut, flipped, or with one cell or one JSON field of a line replaced."""
    content, name = draw(st.sampled_from(files))
    how = draw(st.sampled_from(["truncate", "flip", "field", "field"]))
    if how != "field":
        return _broken(draw, content, how), name
    lines = content.split(b"\n")
    index = draw(st.integers(0, len(lines) - 1))
    if name.endswith(".csv"):
        cells = lines[index].split(b",")
        cells[draw(st.integers(0, len(cells) - 1))] = draw(st.text(max_size=30)).encode()
        lines[index] = b",".join(cells)
    else:
        try:
            record = json.loads(lines[index])
        except ValueError:
            record = None
        if isinstance(record, dict) and record:
            record[draw(st.sampled_from(sorted(record)))] = draw(JSON_VALUES)
            lines[index] = json.dumps(record).encode()
    return b"\n".join(lines), name


@st.composite
def mutated_xml(draw: st.DrawFn, files: list[tuple[bytes, str]]) -> tuple[bytes, str]:
    """An XML file with one to three edits: cut, a byte flipped, an element's text replaced, bytes added."""
    content, name = draw(st.sampled_from(files))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["truncate", "flip", "text", "insert"]))
        if how in ("truncate", "flip"):
            content = _broken(draw, content, how)
            continue
        doc = bytearray(content)
        at = draw(st.integers(0, max(len(doc) - 1, 0)))
        if how == "text":
            gt = doc.find(b">", at)
            lt = doc.find(b"<", gt + 1) if gt >= 0 else -1
            if 0 <= gt < lt:
                doc[gt + 1 : lt] = draw(st.text(max_size=40)).encode("utf-8", "surrogatepass")
        else:
            doc[at:at] = draw(st.binary(max_size=20))
        content = bytes(doc)
    return content, name
