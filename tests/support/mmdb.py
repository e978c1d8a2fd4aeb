"""A small MaxMind DB (.mmdb) writer for tests, after the MaxMind DB File Format Specification 2.0.

It writes an IPv6 tree (IPv4 networks live under ::/96, as in GeoIP2 files) with 32-bit records,
a data section of deduplicated records and the metadata map, so maxminddb (and so geoip2) reads it
like a file MaxMind built. No network is needed; the networks mirror MaxMind's own test database
(GeoIP2-Country-Test.mmdb in the MaxMind-DB repository's test-data).
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
DATA_SEPARATOR = bytes(16)
NAMES = {"GB": "United Kingdom", "SE": "Sweden", "US": "United States", "JP": "Japan", "CA": "Canada"}

# network → (country, registered country); None: absent from that record
COUNTRY_TEST_NETWORKS: dict[str, tuple[str | None, str | None]] = {
    "81.2.69.142/31": ("GB", "GB"),
    "81.2.69.160/27": ("GB", "GB"),
    "89.160.20.112/28": ("SE", "DE"),
    "216.160.83.56/29": ("US", "US"),
    "2001:218::/32": ("JP", "JP"),
    "2a02:d300::/29": ("SE", "SE"),
    "67.43.156.0/24": (None, "BT"),  # MaxMind's anonymous-proxy example: registered country only
}


@dataclass(frozen=True)
class Uint:
    """An unsigned integer of a given width: the format types uint16, uint32 and uint64 apart."""

    value: int
    bits: int = 32


def _control(type_number: int, size: int) -> bytes:
    if size < 29:
        first, extra = size, b""
    elif size < 29 + 256:
        first, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        first, extra = 31, (size - 65821).to_bytes(3, "big")
    if type_number <= 7:
        return bytes([(type_number << 5) | first]) + extra
    return bytes([first, type_number - 7]) + extra  # extended type: 0 in the top bits, then type - 7


def encode(value: Any) -> bytes:
    """One data-section value: str, bool, float, Uint, int (uint32/uint64), dict, list."""
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, bool):
        return _control(14, int(value))
    if isinstance(value, float):
        return _control(3, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        value = Uint(value, 32 if value < 2**32 else 64)
    if isinstance(value, Uint):
        raw = value.value.to_bytes((value.value.bit_length() + 7) // 8, "big")
        return _control({16: 5, 32: 6, 64: 9, 128: 10}[value.bits], len(raw)) + raw
    if isinstance(value, Mapping):
        body = b"".join(encode(str(key)) + encode(item) for key, item in value.items())
        return _control(7, len(value)) + body
    if isinstance(value, Sequence):
        return _control(11, len(value)) + b"".join(encode(item) for item in value)
    raise TypeError(f"cannot encode {type(value).__name__}")


class _Tree:
    """A binary trie over 128-bit keys; a child is a node index, ("data", offset) or None (empty)."""

    def __init__(self) -> None:
        self.nodes: list[list[Any]] = [[None, None]]

    def insert(self, bits: str, leaf: tuple[str, int]) -> None:
        node = 0
        for depth, bit in enumerate(bits):
            side = int(bit)
            if depth == len(bits) - 1:
                self.nodes[node][side] = leaf
                return
            child = self.nodes[node][side]
            if not isinstance(child, int):  # empty, or a wider network's data: split it
                self.nodes.append([child, child])
                child = self.nodes[node][side] = len(self.nodes) - 1
            node = child

    def records(self, data_base: int) -> bytes:
        count = len(self.nodes)

        def record(child: Any) -> int:
            if child is None:
                return count
            if isinstance(child, int):
                return child
            offset: int = child[1]
            return count + len(DATA_SEPARATOR) + offset + data_base

        return b"".join(struct.pack(">II", record(left), record(right)) for left, right in self.nodes)


def _key_bits(network: str) -> str:
    net = ipaddress.ip_network(network, strict=False)
    if net.version == 4:
        return "0" * 96 + format(int(net.network_address), "032b")[: net.prefixlen]
    return format(int(net.network_address), "0128b")[: net.prefixlen]


def _country(code: str) -> dict[str, Any]:
    return {"iso_code": code, "names": {"en": NAMES.get(code, code)}}


def country_record(country: str | None, registered: str | None, **traits: bool) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if country:
        record["country"] = _country(country)
    if registered:
        record["registered_country"] = _country(registered)
    if traits:
        record["traits"] = dict(traits)
    return record


def write_mmdb(
    path: Path,
    networks: Mapping[str, Mapping[str, Any]],
    *,
    database_type: str = "GeoIP2-Country",
    build_epoch: int = 1_718_668_800,  # 2024-06-18
) -> Path:
    """Write networks (CIDR → record) to path; wider networks first so narrower ones split them."""
    tree = _Tree()
    data = bytearray()
    offsets: dict[bytes, int] = {}
    for network in sorted(networks, key=lambda n: ipaddress.ip_network(n, strict=False).prefixlen):
        encoded = encode(dict(networks[network]))
        if encoded not in offsets:
            offsets[encoded] = len(data)
            data += encoded
        tree.insert(_key_bits(network), ("data", offsets[encoded]))
    metadata = {
        "binary_format_major_version": Uint(2, 16),
        "binary_format_minor_version": Uint(0, 16),
        "build_epoch": Uint(build_epoch, 64),
        "database_type": database_type,
        "description": {"en": "caseweave test database"},
        "ip_version": Uint(6, 16),
        "languages": ["en"],
        "node_count": Uint(len(tree.nodes), 32),
        "record_size": Uint(32, 16),
    }
    path.write_bytes(tree.records(0) + DATA_SEPARATOR + bytes(data) + METADATA_MARKER + encode(metadata))
    return path


def country_test_database(path: Path, **options: Any) -> Path:
    """A file holding COUNTRY_TEST_NETWORKS, with an anonymous-proxy trait where MaxMind's has one."""
    networks = {
        network: country_record(country, registered, **({} if country else {"is_anonymous_proxy": True}))
        for network, (country, registered) in COUNTRY_TEST_NETWORKS.items()
    }
    return write_mmdb(path, networks, **options)
