"""The demo's media triage: benign generated images, a bank of some of them, a seized folder of
exact and altered copies (resized, recompressed) and new images; hash, import, match.

The images are random shapes on gradients, drawn in a temporary folder and deleted with it: only
their hashes reach the database, as with real material. The seed is fixed, so a second `make demo`
draws the same images, and the bank and the match add nothing new.
"""

from __future__ import annotations

import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.config import Settings
from caseweave.media.banks import import_bank
from caseweave.media.hash_run import hash_paths
from caseweave.media.matching import MatchReport, match_hashset
from caseweave.operations.models import Agency, Operation

SIZE = 256
KNOWN = 60  # images in the bank
EXACT = 20  # of them on the seized device unchanged
ALTERED = 30  # of them resized and recompressed
NEW = 240  # images the bank has never seen: new material
SERIES = ("Demo series Alpha", "Demo series Beta", "Demo series Gamma")


@dataclass
class MediaDemo:
    bank_id: int
    bank_entries: int
    seized_files: int
    report: MatchReport


def draw(rng: random.Random) -> Image.Image:
    """A benign picture: a two-colour gradient under a few random shapes."""
    top, bottom = [tuple(rng.randrange(256) for _ in range(3)) for _ in range(2)]
    image = Image.new("RGB", (SIZE, SIZE))
    pixels = ImageDraw.Draw(image)
    for y in range(SIZE):
        t = y / (SIZE - 1)
        pixels.line(
            [(0, y), (SIZE, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    for _ in range(rng.randint(14, 24)):
        x0, y0 = rng.randrange(SIZE - 40), rng.randrange(SIZE - 40)
        box = (x0, y0, x0 + rng.randint(30, 160), y0 + rng.randint(30, 160))
        colour = tuple(rng.randrange(256) for _ in range(3))
        (pixels.ellipse if rng.random() < 0.5 else pixels.rectangle)(box, fill=colour)
    return image


def altered(image: Image.Image, rng: random.Random) -> Image.Image:
    scale = rng.uniform(0.5, 0.8)
    return image.resize((round(SIZE * scale), round(SIZE * scale)), Image.Resampling.BILINEAR)


def run_media_demo(
    session: Session, actor: Actor, settings: Settings, operation: Operation, seizing: Agency
) -> MediaDemo:
    """Bank owned by the operation's lead (GREEN), seized device of `seizing`; returns the match."""
    lead = session.get_one(Agency, operation.lead_agency_id)
    rng = random.Random(6)
    with tempfile.TemporaryDirectory(prefix="caseweave-demo-media-") as folder:
        root = Path(folder)
        known, seized = root / "known", root / "seized"
        known.mkdir()
        seized.mkdir()
        images = [draw(rng) for _ in range(KNOWN + NEW)]
        for i, image in enumerate(images[:KNOWN]):
            image.save(known / f"known-{i:03}.png")
        for i in range(ALTERED):  # listed first: the summary shows PDQ finding them
            altered(images[i], rng).save(seized / f"IMG_{i:04}.jpg", quality=rng.randint(40, 75))
        for i in range(ALTERED, ALTERED + EXACT):
            (seized / f"IMG_{i:04}.png").write_bytes((known / f"known-{i:03}.png").read_bytes())
        for i, image in enumerate(images[KNOWN:], start=KNOWN):
            image.save(seized / f"IMG_{i:04}.jpg", quality=85)
        hash_paths([known], root / "known.json", "vics")
        hash_paths([seized], root / "seized.json", "vics")
        bank_file = _labelled(root / "known.json")
        bank = import_bank(
            session,
            actor,
            operation.id,
            bank_file,
            "demo-known-material.json",
            agency=lead.code,
            label="GREEN",
        ).bank
        report = match_hashset(
            session,
            actor,
            settings,
            operation.id,
            (root / "seized.json").read_bytes(),
            "demo-seized-device.json",
            agency=seizing.code,
            holder="Demo device holder",
        )
    return MediaDemo(bank.id, int(bank.counts["entries"]), len(report.files), report)


def _labelled(hash_set: Path) -> bytes:
    """The bank's list: the hash set with a category, a series and a victim flag per record."""
    document = json.loads(hash_set.read_text(encoding="utf-8"))
    for i, media in enumerate(document["value"]):
        media.update(Category=1 + i % 3, Series=SERIES[i % len(SERIES)], VictimIdentified=i % 4 == 0)
    return json.dumps(document, sort_keys=True).encode()
