"""SignalType plugins: one small class per hash kind, each validating and normalising its strings.

A bank, a hash set or a match request holds hash strings typed in by people or written by other
tools; each goes through its type's `normalise` before it reaches an index, so a corrupt value (a
32-character "PDQ", a SHA-1 with a stray character) is refused with its location instead of breaking
an index build. `index` says where matching happens: "exact" through the database index, "hamming"
through faiss IndexBinaryFlat.
"""

from __future__ import annotations

import string
from abc import ABC
from dataclasses import dataclass
from typing import ClassVar

from caseweave.errors import Invalid

_HEX = frozenset(string.hexdigits.lower())


@dataclass(frozen=True)
class SignalExample:
    """A documented input: expected is the normalised value, or None when it must be rejected."""

    raw: str
    expected: str | None
    why: str = ""


class SignalType(ABC):
    """One kind of hash, stored and compared as lower-case hex of `bits` bits."""

    name: ClassVar[str]
    index: ClassVar[str]  # "exact" or "hamming"
    bits: ClassVar[int]

    @classmethod
    def hex_length(cls) -> int:
        return cls.bits // 4

    @classmethod
    def normalise(cls, value: str) -> str:
        """Lower-case hex of exactly bits/4 characters; surrounding whitespace is dropped."""
        if not isinstance(value, str):
            raise Invalid(f"{cls.name} hash must be text, got {type(value).__name__}", field=cls.name)
        text = value.strip().lower()
        if not text:
            raise Invalid(f"empty {cls.name} hash", field=cls.name)
        if len(text) != cls.hex_length():
            raise Invalid(
                f"{cls.name} hash must be {cls.hex_length()} hex characters, got {len(text)}",
                field=cls.name,
                hint=_length_hint(len(text)),
            )
        if not set(text) <= _HEX:
            bad = next(ch for ch in text if ch not in _HEX)
            raise Invalid(f"{cls.name} hash has a non-hex character {bad!r}", field=cls.name)
        return text

    @classmethod
    def examples(cls) -> list[SignalExample]:
        """Inputs every type shares: its own valid shapes first, then what each must refuse."""
        n = cls.hex_length()
        valid = ("0123456789abcdef" * 4)[:n]
        return [
            SignalExample(valid, valid, "lower-case hex"),
            SignalExample(valid.upper(), valid, "upper case is folded"),
            SignalExample(f"  {valid}\n", valid, "surrounding whitespace is dropped"),
            SignalExample("f" * n, "f" * n, "all ones is still a hash"),
            SignalExample("0" * n, "0" * n, "all zeros is still a hash"),
            SignalExample("", None, "empty"),
            SignalExample(valid[:-1], None, "one character short"),
            SignalExample(valid + "0", None, "one character long"),
            SignalExample(valid[:-1] + "g", None, "non-hex character"),
            SignalExample("0x" + valid[:-2], None, "0x prefix is not part of the hash"),
        ]


def _length_hint(length: int) -> str | None:
    """Name the hash kind a wrong-length value probably is: the usual mix-up in hand-made lists."""
    others = {t.hex_length(): t.name for t in SIGNAL_TYPES.values()}
    if length in others:
        return f"{length} hex characters is the length of a {others[length]} hash"
    return None


class MD5(SignalType):
    name = "md5"
    index = "exact"
    bits = 128


class SHA1(SignalType):
    name = "sha1"
    index = "exact"
    bits = 160


class SHA256(SignalType):
    name = "sha256"
    index = "exact"
    bits = 256


class PDQ(SignalType):
    """Meta's 256-bit perceptual image hash; compared by Hamming distance."""

    name = "pdq"
    index = "hamming"
    bits = 256

    @classmethod
    def examples(cls) -> list[SignalExample]:
        reference = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"  # bridge-mods/aaa-orig
        return [
            *super().examples(),
            SignalExample(reference, reference, "pdqhash's hash of ThreatExchange's bridge image"),
            SignalExample(reference[:32], None, "a corrupt 32-character PDQ (an MD5's length)"),
        ]


SIGNAL_TYPES: dict[str, type[SignalType]] = {t.name: t for t in (MD5, SHA1, SHA256, PDQ)}


def signal_type(name: str) -> type[SignalType]:
    """The plugin for a hash kind by name ("md5", "sha1", "sha256", "pdq"), case-insensitive."""
    found = SIGNAL_TYPES.get(name.strip().lower()) if isinstance(name, str) else None
    if found is None:
        raise Invalid(
            f"unknown signal type {name!r}",
            field="signal_type",
            hint=f"one of {', '.join(SIGNAL_TYPES)}",
        )
    return found


def hamming(a: str, b: str) -> int:
    """Bits that differ between two normalised hex hashes of the same length."""
    if len(a) != len(b):
        raise Invalid(f"cannot compare hashes of {len(a) * 4} and {len(b) * 4} bits", field="hash")
    return (int(a, 16) ^ int(b, 16)).bit_count()
