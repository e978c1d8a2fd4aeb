"""The Importer plugin: one small class per format, each with examples its contract test runs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar

from caseweave.errors import Invalid
from caseweave.intake.records import Location, ParsedItem


class FileRejected(Invalid):
    """The file as a whole cannot be read (truncated, wrong encoding, hostile XML, …)."""

    def __init__(self, location: Location, reason: str, field: str = "file") -> None:
        super().__init__(f"{location}: {reason}", field=field)
        self.location = location
        self.reason = reason


@dataclass(frozen=True)
class Example:
    """A file and what reading it must give: counts of each item kind, and errors by field."""

    name: str
    content: bytes
    persons: int = 0
    sightings: int = 0
    media_hashes: int = 0
    error_fields: tuple[str, ...] = ()  # the `field` of each RecordError, in order
    rejected: bool = False  # the whole file must be refused with FileRejected
    # Records the parser reads but the import then quarantines (a selector that does not normalise):
    # importing the example without --partial must then be refused, with --partial keep the rest.
    quarantined: int = 0
    selector_types: tuple[str, ...] = field(default_factory=tuple)  # sorted set of types seen, if given


class Importer(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]

    @abstractmethod
    def sniff(self, head: bytes, filename: str) -> bool:
        """Whether the first bytes of a file (up to 64 KiB) look like this format."""

    @abstractmethod
    def parse(self, stream: BinaryIO, filename: str) -> Iterator[ParsedItem]:
        """Yield a ReferralHeader first, then records and RecordErrors, streaming where the format allows.

        Raise FileRejected when the file as a whole cannot be read.
        """

    @classmethod
    @abstractmethod
    def examples(cls) -> list[Example]:
        """Valid and invalid inputs with what they must produce."""
