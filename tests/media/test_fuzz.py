"""Hostile input never escapes as an unexpected exception: hash-set readers and image hashing."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseweave.intake.base import FileRejected
from caseweave.media.hashing import hash_stream
from caseweave.media.hashset import read_hashset_stream, write_hashset
from caseweave.media.records import FileHashes, HashRecord, RecordError
from tests.media.images import encoded
from tests.support.importer_contract import mutated_json, mutated_lines

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
SAMPLE = [
    FileHashes("a/x.jpg", 10, "a" * 32, "b" * 40, "c" * 64, "image", "image/jpeg", PDQ, 90),
    FileHashes("a.zip!/y.txt", 3, "d" * 32, "e" * 40, "f" * 64),
]


def _written(fmt: str) -> bytes:
    out = io.StringIO()
    write_hashset(SAMPLE, out, "vics" if fmt == "vics" else "csv")
    return out.getvalue().encode()


FILES = [(_written("vics"), "set.json")]
CSV_FILES = [(_written("csv"), "set.csv")]


def check(content: bytes, name: str) -> None:
    try:
        items = list(read_hashset_stream(io.BytesIO(content), name))
    except FileRejected:
        return
    assert all(isinstance(item, HashRecord | RecordError) for item in items)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["set.json", "set.csv", "set"]))
def test_arbitrary_bytes(content: bytes, name: str) -> None:
    check(content, name)


@FUZZ
@given(st.data())
def test_mutated_vics(data: st.DataObject) -> None:
    check(*data.draw(mutated_json(FILES)))


@FUZZ
@given(st.data())
def test_mutated_csv(data: st.DataObject) -> None:
    check(*data.draw(mutated_lines(CSV_FILES)))


JPEG = encoded(21, (64, 48))
PNG = encoded(22, (64, 48), "PNG")


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([(JPEG, "x.jpg"), (PNG, "x.png")]),
    st.integers(0, 10_000),
    st.binary(min_size=1, max_size=8),
)
def test_damaged_images_give_hashes_and_maybe_a_problem(
    picked: tuple[bytes, str], at: int, junk: bytes
) -> None:
    original, name = picked
    data = bytearray(original)
    position = at % len(data)
    data[position : position + len(junk)] = junk  # overwrite a few bytes anywhere, header included
    result = hash_stream(io.BytesIO(bytes(data)), name, len(data))
    assert result.size == len(data) and len(result.sha256) == 64
    assert (result.pdq is None) == (result.problem is not None)
