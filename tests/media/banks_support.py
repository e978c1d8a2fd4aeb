"""Random hashes and hand-made VICS 2.0 / CSV hash lists for the bank and matching tests."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from caseweave.media.hashset_vics import CONTEXT


def random_hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def flip(pdq: str, bits: int, rng: random.Random) -> str:
    """The PDQ hash with `bits` distinct bits flipped: exactly that Hamming distance away."""
    value = int(pdq, 16)
    for bit in rng.sample(range(256), bits):
        value ^= 1 << bit
    return f"{value:064x}"


@dataclass
class Item:
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    quality: int | None = None
    media_id: str | None = None
    category: int | None = None
    series: str | None = None
    victim: bool | None = None
    path: str | None = None
    mime: str | None = None


def item(rng: random.Random, *, image: bool = True, **given: Any) -> Item:
    made = Item(
        md5=random_hex(rng, 128),
        sha1=random_hex(rng, 160),
        sha256=random_hex(rng, 256),
        pdq=random_hex(rng, 256) if image else None,
        quality=90 if image else None,
        mime="image/jpeg" if image else "application/pdf",
    )
    for name, value in given.items():
        setattr(made, name, value)
    return made


def vics(items: list[Item]) -> bytes:
    """A VICS 2.0 hash set (value[*] are Media records) in the hash-set writer's mapping."""
    records = []
    for i, it in enumerate(items, 1):
        record: dict[str, Any] = {"MediaID": it.media_id or str(i), "MD5": it.md5, "SHA1": it.sha1}
        alternative = []
        if it.sha256:
            alternative.append({"MD5": it.md5, "HashName": "SHA256", "HashValue": it.sha256})
        if it.pdq:
            alternative.append({"MD5": it.md5, "HashName": "PDQ", "HashValue": it.pdq})
        record["AlternativeHashes"] = alternative
        if it.quality is not None:
            record["MediaMetadata"] = [
                {"MD5": it.md5, "PropertyName": "PDQQuality", "PropertyValue": str(it.quality)}
            ]
        for key, value in (
            ("Category", it.category),
            ("Series", it.series),
            ("VictimIdentified", it.victim),
            ("RelativeFilePath", it.path),
            ("MimeType", it.mime),
        ):
            if value is not None:
                record[key] = value
        records.append({k: v for k, v in record.items() if v is not None})
    return json.dumps({"@odata.context": CONTEXT, "value": records}, indent=1).encode()


def csv_bank(items: list[Item]) -> bytes:
    lines = ["media_id,md5,sha1,pdq,pdq_quality,category,series,victim_identified"]
    for i, it in enumerate(items, 1):
        cells = (
            it.media_id or str(i),
            it.md5,
            it.sha1,
            it.pdq,
            it.quality,
            it.category,
            it.series,
            it.victim,
        )
        lines.append(
            ",".join("" if c is None else str(c).lower() if isinstance(c, bool) else str(c) for c in cells)
        )
    return ("\n".join(lines) + "\n").encode()
