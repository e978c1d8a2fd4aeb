"""Hash sets written by `media hash` read back exactly; bad records in lists come back located."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from caseweave.intake.base import FileRejected
from caseweave.media.hashset import read_hashset, read_hashset_stream, write_hashset
from caseweave.media.records import FileHashes, HashRecord, RecordError

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def result(path: str, md5: str = MD5, pdq: str | None = PDQ, problem: str | None = None) -> FileHashes:
    return FileHashes(
        path, 1234, md5, SHA1, SHA256, "image", "image/jpeg", pdq, 87 if pdq else None, problem=problem
    )


def read(content: str, name: str) -> list[HashRecord | RecordError]:
    return list(read_hashset_stream(io.BytesIO(content.encode()), name))


@pytest.mark.parametrize("fmt", ["vics", "csv"])
def test_round_trip(fmt: str) -> None:
    written = [
        result("a/x.jpg"),
        result("b.zip!/in/y.jpg", md5="0" * 32, pdq=None, problem="not an image: …"),
        result("a/copy.jpg"),
    ]
    out = io.StringIO()
    count = write_hashset(written, out, "vics" if fmt == "vics" else "csv")
    assert count == (2 if fmt == "vics" else 3)  # VICS: one Media per MD5
    back = read(out.getvalue(), f"set.{'json' if fmt == 'vics' else 'csv'}")
    assert all(isinstance(r, HashRecord) for r in back)
    first = back[0]
    assert isinstance(first, HashRecord)
    assert dict(first.hashes) == {"md5": MD5, "sha1": SHA1, "sha256": SHA256, "pdq": PDQ}
    assert first.pdq_quality == 87 and first.size == 1234 and first.mime_type == "image/jpeg"
    paths = [p for r in back if isinstance(r, HashRecord) for p in r.paths]
    assert sorted(paths) == ["a/copy.jpg", "a/x.jpg", "b.zip!/in/y.jpg"]


def test_vics_follows_the_data_model() -> None:
    out = io.StringIO()
    write_hashset([result("case/b.zip!/in/y.jpg")], out, "vics")
    document = json.loads(out.getvalue())
    assert document["@odata.context"].endswith("/2.0.xml/CUSTOM/$metadata#Media")
    [media] = document["value"]
    assert media["MD5"] == MD5 and media["SHA1"] == SHA1 and media["MediaID"] == 1
    assert media["IsPrecategorized"] is False
    assert {a["HashName"]: a["HashValue"] for a in media["AlternativeHashes"]} == {
        "SHA256": SHA256,
        "PDQ": PDQ,
    }
    assert media["MediaMetadata"] == [{"MD5": MD5, "PropertyName": "PDQQuality", "PropertyValue": "87"}]
    [file] = media["MediaFiles"]
    assert (
        file["ParentFilePath"] == "case/b.zip"
        and file["FilePath"] == "in/y.jpg"
        and file["FileName"] == "y.jpg"
    )


def test_vics_bank_with_bad_records_located_by_json_path() -> None:
    bank = {
        "odata.metadata": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/1.3.xml/UK/$metadata#Media",
        "value": [
            {"MD5": MD5.upper(), "MediaID": 7, "Category": 1, "Series": "S-1", "VictimIdentified": True},
            {"MD5": MD5, "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ[:32]}]},
            {"MD5": MD5, "Category": "seven"},
            {"Category": 1},
            "not an object",
            {"MD5": MD5, "AlternativeHashes": [{"HashName": "PhotoDNA", "HashValue": "opaque"}]},
        ],
    }
    first, bad_pdq, bad_category, no_hash, not_object, photo_dna = read(json.dumps(bank), "bank.json")
    assert isinstance(first, HashRecord) and first.hashes == {"md5": MD5}
    assert (first.category, first.series, first.victim_identified, first.media_id) == (1, "S-1", True, "7")
    assert isinstance(bad_pdq, RecordError) and bad_pdq.field == "pdq"
    assert str(bad_pdq.location) == "bank.json:$.value[1].AlternativeHashes[0].HashValue"
    assert "64 hex characters, got 32" in bad_pdq.reason and "md5" in bad_pdq.reason
    assert isinstance(bad_category, RecordError) and bad_category.location.path == "$.value[2].Category"
    assert isinstance(no_hash, RecordError) and no_hash.field == "hashes"
    assert isinstance(not_object, RecordError) and not_object.location.path == "$.value[4]"
    assert isinstance(photo_dna, HashRecord) and photo_dna.extra == {"hash:PhotoDNA": "opaque"}


def test_vics_case_shape() -> None:
    case = {"value": [{"CaseID": "c1", "Media": [{"MD5": MD5, "MediaID": 1}, {"MD5": "x"}]}]}
    good, bad = read(json.dumps(case), "case.json")
    assert isinstance(good, HashRecord) and good.location.path == "$.value[0].Media[0]"
    assert isinstance(bad, RecordError) and bad.location.path == "$.value[0].Media[1].MD5"


def test_csv_bank_with_bad_rows_located_by_line() -> None:
    content = (
        "MD5,SHA-1,pdq,Category,Series,victim_identified\n"
        f"{MD5},{SHA1},{PDQ},1,S-2,yes\n"
        f"{MD5},,{PDQ[:32]},1,S-2,no\n"
        "\n"
        f"{MD5},,,1\n"
        f"{MD5},,,x,S,no\n"
        ",,,1,S,no\n"
    )
    good, short_pdq, wrong_cells, bad_category, no_hash = read(content, "bank.csv")
    assert isinstance(good, HashRecord) and good.victim_identified is True and good.series == "S-2"
    assert isinstance(short_pdq, RecordError) and str(short_pdq.location) == "bank.csv:line 3:pdq"
    assert isinstance(wrong_cells, RecordError) and wrong_cells.location.line == 5
    assert isinstance(bad_category, RecordError) and bad_category.field == "category"
    assert isinstance(no_hash, RecordError) and no_hash.location.line == 7


@pytest.mark.parametrize(
    ("content", "name"),
    [("{not json", "x.json"), ('{"value": 3}', "x.json"), ("name,size\na,1\n", "x.csv"), ("", "x.csv")],
)
def test_unreadable_files_are_rejected_whole(content: str, name: str) -> None:
    with pytest.raises(FileRejected):
        read(content, name)


def test_read_hashset_from_a_path_sniffs_the_format(tmp_path: Path) -> None:
    (tmp_path / "set").write_text(json.dumps({"value": [{"MD5": MD5}]}))
    [record] = list(read_hashset(tmp_path / "set"))
    assert isinstance(record, HashRecord) and record.location.file == "set"
