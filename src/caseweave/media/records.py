"""What hashing produces and what a hash-set reader yields: hashes and file facts, never content."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from caseweave.intake.records import Location, RecordError

__all__ = ["FileHashes", "FileProblem", "HashRecord", "Location", "MediaKind", "RecordError"]

MediaKind = Literal["image", "video", "other"]


@dataclass(frozen=True)
class FileHashes:
    """The hashes of one seized file (or zip member), computed where it lies.

    `problem` is set when the cryptographic hashes are good but the perceptual part failed (a
    truncated image, a text file named .jpg, a decompression bomb): the file is still listed, and the
    run's summary counts it with the reason.
    """

    path: str  # relative to the walked root; a zip member is "archive.zip!/member/path"
    size: int
    md5: str
    sha1: str
    sha256: str
    kind: MediaKind = "other"
    mime_type: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    vpdq: tuple[str, ...] = ()  # "frame,quality,seconds,hash" per kept frame, as vpdq writes it
    problem: str | None = None

    @property
    def hashes(self) -> dict[str, str]:
        """Signal name → hex, for every hash this file has."""
        found = {"md5": self.md5, "sha1": self.sha1, "sha256": self.sha256}
        if self.pdq is not None:
            found["pdq"] = self.pdq
        return found


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be hashed at all (unreadable, vanished, a symlink loop, a corrupt zip)."""

    path: str
    reason: str


@dataclass(frozen=True)
class HashRecord:
    """One entry of a hash set (VICS Media record or CSV row), every hash already normalised.

    Bank metadata (category, series, victim_identified …) is None where the file does not state it;
    a hash set written by `caseweave media hash` states none of it.
    """

    location: Location
    hashes: Mapping[str, str]  # signal type name → normalised hex; at least one entry
    paths: tuple[str, ...] = ()
    size: int | None = None
    pdq_quality: int | None = None
    mime_type: str | None = None
    media_id: str | None = None
    category: int | None = None
    series: str | None = None
    victim_identified: bool | None = None
    offender_identified: bool | None = None
    tags: str | None = None
    comments: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # other VICS metadata, name → value
