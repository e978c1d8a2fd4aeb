"""Segwit address decoding: BIP-173 (bech32, witness v0) and BIP-350 (bech32m, witness v1+)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Encoding(Enum):
    BECH32 = 1  # checksum constant from BIP-173
    BECH32M = 0x2BC830A3  # checksum constant from BIP-350


class SegwitError(ValueError):
    """Why a string is not a valid segwit address."""


@dataclass(frozen=True)
class SegwitAddress:
    hrp: str
    version: int
    program: bytes
    encoding: Encoding


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def _decode(text: str) -> tuple[str, list[int], Encoding]:
    """(human-readable part, data without checksum, encoding) of a bech32 or bech32m string."""
    if any(ord(char) < 33 or ord(char) > 126 for char in text):
        raise SegwitError("contains characters outside printable ASCII")
    if text.lower() != text and text.upper() != text:
        raise SegwitError("mixes upper and lower case")
    text = text.lower()
    separator = text.rfind("1")
    if separator < 1 or separator + 7 > len(text) or len(text) > 90:
        raise SegwitError("has no human-readable part, no checksum, or is longer than 90 characters")
    hrp = text[:separator]
    if any(char not in CHARSET for char in text[separator + 1 :]):
        raise SegwitError("contains a character outside the bech32 alphabet")
    data = [CHARSET.index(char) for char in text[separator + 1 :]]
    constant = _polymod(_hrp_expand(hrp) + data)
    for encoding in Encoding:
        if constant == encoding.value:
            return hrp, data[:-6], encoding
    raise SegwitError("fails its bech32/bech32m checksum")


def _convert_bits(data: list[int], from_bits: int, to_bits: int) -> bytes:
    """Regroup 5-bit words into bytes; leftover padding must be under 5 bits and all zero."""
    accumulator = bits = 0
    result = bytearray()
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & ((1 << to_bits) - 1))
    if bits >= from_bits or (accumulator << (to_bits - bits)) & ((1 << to_bits) - 1):
        raise SegwitError("has invalid padding in its witness program")
    return bytes(result)


def decode_segwit(text: str) -> SegwitAddress:
    """Decode and check a segwit address for any network; raises SegwitError saying why not."""
    hrp, data, encoding = _decode(text)
    if not data:
        raise SegwitError("has no witness version")
    version = data[0]
    if version > 16:
        raise SegwitError(f"has witness version {version} (at most 16)")
    expected = Encoding.BECH32 if version == 0 else Encoding.BECH32M
    if encoding is not expected:
        used, needed = encoding.name.lower(), expected.name.lower()
        raise SegwitError(f"uses a {used} checksum, but witness version {version} needs {needed}")
    program = _convert_bits(data[1:], 5, 8)
    if not 2 <= len(program) <= 40:
        raise SegwitError(f"has a {len(program)}-byte witness program (2 to 40 allowed)")
    if version == 0 and len(program) not in (20, 32):
        raise SegwitError(f"has a {len(program)}-byte version 0 program (20 or 32 allowed)")
    return SegwitAddress(hrp, version, program, encoding)
