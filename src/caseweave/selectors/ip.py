"""IP addresses, with an optional port kept apart; flags say which special-purpose range holds them."""

from __future__ import annotations

import ipaddress
import re

from caseweave.selectors.base import Normalised, SelectorExample, SelectorType

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Explicit tables rather than ipaddress.is_private & co., whose meaning changed between Python
# releases (3.11 counts documentation and CGNAT ranges as "private"); investigators need RFC 1918.
_RANGES: dict[str, tuple[str, ...]] = {
    "private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
    "cgnat": ("100.64.0.0/10",),  # RFC 6598 carrier-grade NAT: many subscribers behind one address
    "loopback": ("127.0.0.0/8", "::1/128"),
    "link_local": ("169.254.0.0/16", "fe80::/10"),
    "multicast": ("224.0.0.0/4", "ff00::/8"),
    "documentation": (
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "2001:db8::/32",
        "3fff::/20",
    ),
    "unspecified": ("0.0.0.0/32", "::/128"),
    "reserved": ("0.0.0.0/8", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4"),
}
# (version, first, last, flag) as integers: a comparison is far cheaper than `address in network`,
# and intake checks every address of million-line returns.
_SPANS = tuple(
    (net.version, int(net.network_address), int(net.broadcast_address), flag)
    for flag, cidrs in _RANGES.items()
    for net in map(ipaddress.ip_network, cidrs)
)
_BRACKETED = re.compile(r"\[(?P<address>[^\]]*)\](?::(?P<port>[^:]*))?")


def flags_for(address: Address) -> frozenset[str]:
    if address.version == 4:
        return _ipv4_flags(int(address))
    flags = {"ipv6"}
    number = int(address)
    flags.update(flag for v, first, last, flag in _SPANS if v == 6 and first <= number <= last)
    if address.is_reserved:  # IETF-reserved IPv6 blocks (ipaddress's list)
        flags.add("reserved")
    return frozenset(flags)


def _v4_spans_by_first_octet() -> tuple[tuple[tuple[int, int, str], ...], ...]:
    """For each first octet, the IPv4 spans that can hold an address starting with it: most hold none."""
    spans = [(first, last, flag) for version, first, last, flag in _SPANS if version == 4]
    return tuple(
        tuple(span for span in spans if span[0] >> 24 <= octet <= span[1] >> 24) for octet in range(256)
    )


_V4_SPANS = _v4_spans_by_first_octet()
_PLAIN_V4 = frozenset({"ipv4"})


def _ipv4_flags(number: int) -> frozenset[str]:
    spans = _V4_SPANS[number >> 24]
    if not spans:
        return _PLAIN_V4
    return frozenset({"ipv4", *(flag for first, last, flag in spans if first <= number <= last)})


def _dotted_quad(text: str) -> int | None:
    """The address as an integer when text is a plain a.b.c.d (the common case, parsed without
    ipaddress's objects); None for anything else, which ipaddress then judges."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    number = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        number = number << 8 | octet
    return number


class IpSelector(SelectorType):
    name = "ip"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        host, port_text = self._split(text)
        if "%" in host:
            raise self._invalid(
                f"IP address {text!r} has a zone index",
                hint="a %zone only means something on one machine; give the address without it",
            )
        port = None if port_text is None else self._port(port_text, text)
        quad = _dotted_quad(host)
        if quad is not None:
            return Normalised(host, _ipv4_flags(quad), port=port)
        try:
            address: Address = ipaddress.ip_address(host)
        except ValueError as error:
            raise self._invalid(f"{text!r} is not an IP address: {error}") from error
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:a.b.c.d is how dual-stack sockets log IPv4 peers
        return Normalised(str(address), flags_for(address), port=port)

    def _split(self, text: str) -> tuple[str, str | None]:
        """(address, port text or None) from "a.b.c.d", "a.b.c.d:p", "v6", "[v6]" or "[v6]:p"."""
        if text.startswith("["):
            match = _BRACKETED.fullmatch(text)
            if match is None:
                raise self._invalid(f"{text!r} is not an address in brackets, optionally with :port")
            return match["address"], match["port"]
        if text.count(":") == 1:  # IPv6 has at least two colons; one colon means IPv4 with a port
            host, _, port = text.partition(":")
            return host, port
        return text, None

    def _port(self, port_text: str, text: str) -> int:
        if not (port_text.isascii() and port_text.isdigit()):
            raise self._invalid(f"port {port_text!r} in {text!r} is not a number")
        port = int(port_text)
        if port > 65535:
            raise self._invalid(f"port {port} in {text!r} is above 65535")
        return port

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        return [
            SelectorExample("192.0.2.10:443", "192.0.2.10", flags=frozenset({"documentation", "ipv4"})),
            SelectorExample(
                "[2001:DB8:0:0::1]:8080", "2001:db8::1", flags=frozenset({"documentation", "ipv6"})
            ),
            SelectorExample("::ffff:10.1.2.3", "10.1.2.3", flags=frozenset({"private", "ipv4"})),
            SelectorExample("100.64.12.34", "100.64.12.34", flags=frozenset({"cgnat"})),
            SelectorExample("127.0.0.1", "127.0.0.1", flags=frozenset({"loopback"})),
            SelectorExample("fe80::1", "fe80::1", flags=frozenset({"link_local"})),
            SelectorExample("239.255.255.250", "239.255.255.250", flags=frozenset({"multicast"})),
            SelectorExample("::", "::", flags=frozenset({"unspecified"})),
            SelectorExample("8.8.8.8", "8.8.8.8", flags=frozenset({"ipv4"})),
            SelectorExample("256.1.1.1", None),
            SelectorExample("192.0.2.1:70000", None),
            SelectorExample("010.0.0.1", None),
            SelectorExample("10.0.0.0/8", None),
            SelectorExample("[2001:db8::1", None),
            SelectorExample("fe80::1%eth0", None),
        ]
