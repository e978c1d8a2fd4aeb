"""Where ThreatExchange's benign reference images lie (../shared/testdata/pdq beside the repo)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

PDQ_DATA = Path(
    os.environ.get("CASEWEAVE_PDQ_TESTDATA", Path(__file__).resolve().parents[3] / "shared/testdata/pdq")
)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass(frozen=True)
class Expected:
    implementation: str
    image: str
    pdq: str
    quality: int | None
    tolerance: int
    note: str


def pdq_data() -> Path:
    if not (PDQ_DATA / "expected_pdq_hashes.csv").is_file():
        pytest.skip(f"reference images not found at {PDQ_DATA} (set CASEWEAVE_PDQ_TESTDATA)")
    return PDQ_DATA


def expected_rows() -> list[Expected]:
    path = PDQ_DATA / "expected_pdq_hashes.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as stream:
        return [
            Expected(
                r["implementation"],
                r["image"],
                r["expected_pdq"],
                int(r["expected_quality"]) if r["expected_quality"] else None,
                int(r["tolerance"] or 0),
                r["note"],
            )
            for r in csv.DictReader(stream)
        ]


def reference_images() -> list[Path]:
    return sorted(p for p in PDQ_DATA.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
