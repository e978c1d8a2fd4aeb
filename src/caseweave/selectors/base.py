"""What every selector type shares: the result, the error, the examples and the interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from caseweave.errors import Invalid


class InvalidSelector(Invalid):
    """A raw value that cannot be one selector of the given type; the message says why."""


@dataclass(frozen=True)
class Normalised:
    """The canonical form of one selector; equal values mean the same identifier."""

    value: str
    flags: frozenset[str] = frozenset()
    port: int | None = None  # only ip: the port given with the address, kept apart from it


@dataclass(frozen=True)
class SelectorExample:
    """A documented input: expected is the normalised value, or None when it must be rejected."""

    raw: str
    expected: str | None
    platform: str | None = None
    region: str | None = None
    flags: frozenset[str] = frozenset()  # flags a valid example's result must carry (a subset)


class SelectorType(ABC):
    """One kind of identifier. Subclasses implement _parse on the stripped, non-empty text."""

    name: ClassVar[str]

    def normalise(self, raw: str, *, platform: str | None = None, region: str | None = None) -> Normalised:
        text = raw.strip()
        if not text:
            raise InvalidSelector(f"empty {self.name} selector", field=self.name)
        return self._parse(text, platform=platform, region=region)

    @abstractmethod
    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        """Normalise text (already stripped, never empty) or raise InvalidSelector."""

    @classmethod
    @abstractmethod
    def examples(cls) -> list[SelectorExample]:
        """At least five valid and three invalid inputs; the contract test runs them all."""

    def _invalid(self, message: str, *, hint: str | None = None) -> InvalidSelector:
        """An error naming this type as the field, for `raise self._invalid(...)`."""
        return InvalidSelector(message, field=self.name, hint=hint)
