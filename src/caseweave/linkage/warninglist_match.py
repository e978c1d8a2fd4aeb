"""WarninglistMatcher: is a normalised selector value on an enabled warning list? Built once per run.

Each list type has the structure that answers it without scanning the list: CIDR blocks become
disjoint integer intervals searched with bisect (IPv4 and IPv6 apart), strings and hostnames become
dictionaries (a hostname is found by looking up each of its parent domains), substrings one
alternation per list, regexes compiled once.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from caseweave.selectors import SELECTOR_TYPES, InvalidSelector, normalise
from caseweave.selectors.username import fold

# Reported name wins in this order where a value is on several lists (a WARP address is a VPN).
CATEGORY_ORDER = ("tor", "vpn", "cgnat", "hosting", "junk", "other")
_PHP_REGEX = re.compile(r"/(?P<body>.*)/(?P<flags>[imsxu]*)", re.DOTALL)
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0}


@dataclass(frozen=True)
class ListSpec:
    """What the matcher needs of one list (a parsed file or a stored Warninglist with its entries)."""

    name: str
    list_type: str  # cidr, string, hostname, substring, regex
    category: str
    selector_types: tuple[str, ...]
    values: tuple[str, ...]


class Intervals:
    """Disjoint [first, last] integer intervals, each labelled with the list that holds it."""

    def __init__(self, spans: Iterable[tuple[int, int, int, str]]) -> None:
        # spans: (first, last, rank, name); where spans overlap the lowest rank labels the overlap.
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.names: list[str] = []
        self._build(sorted(spans))

    def _build(self, spans: list[tuple[int, int, int, str]]) -> None:
        points = sorted({s[0] for s in spans} | {s[1] + 1 for s in spans})
        active: list[tuple[int, int, str]] = []  # heap of (rank, last, name)
        index = 0
        for i, point in enumerate(points):
            while index < len(spans) and spans[index][0] == point:
                _, last, rank, name = spans[index]
                heapq.heappush(active, (rank, last, name))
                index += 1
            while active and active[0][1] < point:
                heapq.heappop(active)
            if not active or i + 1 == len(points):
                continue
            name, end = active[0][2], points[i + 1] - 1
            if self.names and self.names[-1] == name and self.ends[-1] + 1 == point:
                self.ends[-1] = end  # same list continues: one interval, fewer to search
            else:
                self.starts.append(point)
                self.ends.append(end)
                self.names.append(name)

    def find(self, number: int) -> str | None:
        i = bisect.bisect_right(self.starts, number) - 1
        if i >= 0 and number <= self.ends[i]:
            return self.names[i]
        return None

    def __len__(self) -> int:
        return len(self.starts)


@dataclass
class _TypeIndex:
    """Everything that applies to one selector type."""

    strings: dict[str, str] = field(default_factory=dict)
    hostnames: dict[str, str] = field(default_factory=dict)
    v4_spans: list[tuple[int, int, int, str]] = field(default_factory=list)
    v6_spans: list[tuple[int, int, int, str]] = field(default_factory=list)
    # substring (searched in the lower-cased value) and regex (in the value as it is)
    patterns: list[tuple[re.Pattern[str], bool, str]] = field(default_factory=list)
    v4: Intervals = field(default_factory=lambda: Intervals(()))
    v6: Intervals = field(default_factory=lambda: Intervals(()))


def compile_regex(entry: str) -> re.Pattern[str]:
    """A MISP regex entry: PHP style "/body/flags" (as MISP writes them) or a bare pattern."""
    match = _PHP_REGEX.fullmatch(entry)
    if match is None:
        return re.compile(entry)
    flags = 0
    for letter in match["flags"]:
        flags |= _REGEX_FLAGS[letter]
    return re.compile(match["body"], flags)


def network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR entry or a single address; host bits set below the prefix are tolerated, as MISP does."""
    return ipaddress.ip_network(entry.strip(), strict=False)


def string_keys(entry: str, selector_type: str) -> set[str]:
    """The forms of a string entry a normalised value of selector_type can take."""
    text = entry.strip()
    if selector_type == "username":
        return {fold(text).lstrip("@")}  # compared with the handle, whatever the platform
    keys = {text, text.lower()}
    if selector_type in SELECTOR_TYPES and selector_type != "url":
        # junk such as "n/a" never becomes a sighting; the raw key is kept all the same
        with contextlib.suppress(InvalidSelector):
            keys.add(normalise(selector_type, text).value)
    return keys


def host_of(selector_type: str, value: str) -> str:
    """The hostname a hostname list is matched against: an e-mail's domain, a URL's host."""
    if selector_type == "email":
        return value.rpartition("@")[2]
    if selector_type == "url":
        if "://" in value:
            return (urlsplit(value).hostname or "").strip("[]")
        return value.split("/", 1)[0]
    return value


def _address(value: str) -> tuple[int, int] | None:
    """(4 or 6, the address as an integer), or None where value is no IP address. inet_pton reads
    the forms the IP normaliser writes at a tenth of ipaddress's cost (a run asks for each value)."""
    for version, family in ((4, socket.AF_INET), (6, socket.AF_INET6)):
        try:
            return version, int.from_bytes(socket.inet_pton(family, value), "big")
        except OSError:
            continue
    return None


class WarninglistMatcher:
    """`match(selector_type, value)`: the name of the first list holding the normalised value, or None."""

    def __init__(self, lists: Iterable[ListSpec]) -> None:
        ordered = sorted(lists, key=lambda s: (_rank(s.category), s.name))
        self.names = tuple(spec.name for spec in ordered)
        self._index: dict[str, _TypeIndex] = {}
        for rank, spec in enumerate(ordered):
            for selector_type in spec.selector_types:
                index = self._index.setdefault(selector_type, _TypeIndex())
                _add(index, spec, rank, selector_type)
        for index in self._index.values():
            index.v4, index.v6 = Intervals(index.v4_spans), Intervals(index.v6_spans)
            index.v4_spans, index.v6_spans = [], []

    def match(self, selector_type: str, value: str) -> str | None:
        index = self._index.get(selector_type)
        if index is None:
            return None
        if index.v4 or index.v6:
            address = _address(value)
            if address is not None:
                version, number = address
                found = (index.v4 if version == 4 else index.v6).find(number)
                if found is not None:
                    return found
        key = value.partition(":")[2] if selector_type == "username" else value
        found = index.strings.get(key) or index.strings.get(key.lower())
        if found is not None:
            return found
        if index.hostnames:
            labels = host_of(selector_type, value).lower().split(".")
            for start in range(len(labels)):
                found = index.hostnames.get(".".join(labels[start:]))
                if found is not None:
                    return found
        lowered = value.lower()
        for pattern, on_lowered, name in index.patterns:
            if pattern.search(lowered if on_lowered else value):
                return name
        return None


def _add(index: _TypeIndex, spec: ListSpec, rank: int, selector_type: str) -> None:
    """Put one list's entries into the structures of one selector type (earlier ranks win ties)."""
    if spec.list_type == "cidr":
        for entry in spec.values:
            net = network(entry)
            spans = index.v4_spans if net.version == 4 else index.v6_spans
            spans.append((int(net.network_address), int(net.broadcast_address), rank, spec.name))
    elif spec.list_type == "string":
        for entry in spec.values:
            for key in string_keys(entry, selector_type):
                index.strings.setdefault(key, spec.name)
    elif spec.list_type == "hostname":
        for entry in spec.values:
            index.hostnames.setdefault(entry.strip().lower().lstrip("*").strip("."), spec.name)
    elif spec.list_type == "substring" and spec.values:
        longest_first = sorted({v.strip().lower() for v in spec.values if v.strip()}, key=len, reverse=True)
        index.patterns.append((re.compile("|".join(map(re.escape, longest_first))), True, spec.name))
    elif spec.list_type == "regex":
        index.patterns.extend((compile_regex(entry), False, spec.name) for entry in spec.values)


def _rank(category: str) -> int:
    return CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER)
