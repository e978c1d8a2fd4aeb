"""Countries, IP ranges and checksum-valid identifiers (phones, IMEIs, wallets, e-mail domains).

Home addresses come from real country blocks: the largest blocks that the GeoLite2 data bundled
with geoip2fast (attribution's default GeoProvider) places in each country, so attribution can be
scored against truth. VPN and Tor exits come from the bundled warning lists, as real exits are on
real lists. Nothing is ever contacted; which synthetic person uses an address is invented.
"""

from __future__ import annotations

import ipaddress
import json
import random
from functools import cache
from importlib import resources

import base58
import phonenumbers

from caseweave.selectors.wallet import eip55_checksum

# GB leads; CA sent the tip-off; then the Five Eyes partners, then the others.
COUNTRIES: tuple[str, ...] = (
    "GB", "CA", "US", "AU", "NZ", "IE", "DE", "FR", "NL", "ES", "IT", "SE", "NO", "DK", "FI", "PL", "CZ",
    "UA", "PT", "BE", "AT", "CH", "RO", "BG", "HR", "SK", "BR", "MX", "AR", "JP", "KR", "PH", "ZA", "IN",
    "SG", "IS", "CL", "CO", "RS",
)  # fmt: skip

BLOCKS_PER_COUNTRY = 3
_GEO_DATA = "geoip2fast-ipv6.dat.gz"  # the file attribution's bundled provider reads


@cache
def ip_blocks() -> dict[str, tuple[str, ...]]:
    """Country → its BLOCKS_PER_COUNTRY largest IPv4 blocks in the bundled GeoLite2 data, found by
    looking up one address in every /16 (about a second, once per process)."""
    from geoip2fast import GeoIP2Fast

    geo = GeoIP2Fast(geoip2fast_data_file=_GEO_DATA)
    wanted = set(COUNTRIES)
    found: dict[str, set[ipaddress.IPv4Network]] = {country: set() for country in COUNTRIES}
    for first in range(1, 224):
        for second in range(256):
            answer = geo.lookup(f"{first}.{second}.128.1")
            if answer.country_code in wanted and answer.cidr:
                block = ipaddress.ip_network(answer.cidr)
                if isinstance(block, ipaddress.IPv4Network) and block.is_global and block.prefixlen <= 24:
                    found[answer.country_code].add(block)
    table: dict[str, tuple[str, ...]] = {}
    for country, blocks in found.items():
        largest = sorted(blocks, key=lambda b: (b.prefixlen, int(b.network_address)))[:BLOCKS_PER_COUNTRY]
        if not largest:
            raise RuntimeError(f"the bundled GeoLite2 data has no IPv4 block for {country}")
        table[country] = tuple(str(block) for block in largest)
    return table


def _exits(list_name: str, count: int) -> tuple[str, ...]:
    """count addresses spread over the CIDR entries of a bundled warning list."""
    path = resources.files("caseweave.linkage") / "warninglist_data" / f"{list_name}.json"
    networks = [ipaddress.ip_network(entry) for entry in json.loads(path.read_text())["list"]]
    v4 = [n for n in networks if n.version == 4]
    return tuple(str(v4[i % len(v4)].network_address + 20 + 7 * i) for i in range(count))


# Shared exits: commercial VPN endpoints and Tor exit relays, each used by many subjects.
VPN_EXITS: tuple[str, ...] = _exits("vpn-egress", 12)
TOR_EXITS: tuple[str, ...] = _exits("tor-exits", 10)
# Carrier-grade NAT (RFC 6598, 100.64.0.0/10): mobile carriers put many customers behind each one.
CGNAT_ADDRESSES: tuple[str, ...] = tuple(
    f"100.{64 + i % 8}.{(i * 37) % 256}.{1 + (i * 53) % 254}" for i in range(16)
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")

EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com", "example.org", "example.net", "mail.example", "post.example", "inbox.invalid",
)  # fmt: skip
# Domains where, as on some real webmail services, dots in the local part and +tags are ignored.
DOTLESS_DOMAINS: tuple[str, ...] = ("mail.example",)


def is_synthetic_domain(domain: str) -> bool:
    domain = domain.lower()
    return domain in {"example.com", "example.org", "example.net"} or domain.endswith(
        (".example", ".invalid", ".example.com", ".example.org", ".example.net")
    )


def random_ip(rng: random.Random, country: str) -> str:
    """An address inside one of the country's blocks, never a block's first or last /24's ends."""
    network = ipaddress.ip_network(rng.choice(ip_blocks()[country]))
    return str(network.network_address + rng.randrange(1, network.num_addresses - 1))


def ip_kind(ip: str) -> str:
    """'vpn', 'tor', 'cgnat' or 'home' (an ISP address leased to one household at a time)."""
    if ip in VPN_EXITS:
        return "vpn"
    if ip in TOR_EXITS:
        return "tor"
    if ipaddress.ip_address(ip) in CGNAT:
        return "cgnat"
    return "home"


_FALLBACK_PHONES = ("+447700900123", "+15555550123", "+61491570156")


@cache
def _phone_template(country: str) -> phonenumbers.PhoneNumber | None:
    return phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)


def phone_number(rng: random.Random, country: str) -> str:
    """An E.164 mobile number valid for the country: its example number with the last digits varied."""
    template = _phone_template(country)
    if template is not None:
        national = str(template.national_number)
        for _ in range(20):
            tail = "".join(str(rng.randrange(10)) for _ in range(4))
            candidate = phonenumbers.PhoneNumber(
                country_code=template.country_code, national_number=int(national[:-4] + tail)
            )
            if phonenumbers.is_valid_number(candidate):
                return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return rng.choice(_FALLBACK_PHONES)


def phone_as_written(rng: random.Random, e164: str, *, national: bool) -> str:
    """How a referral writes a number: E.164, international with spaces, or (where national is true) national.

    A national number only means something next to its country, so writers allow it only where the
    same record states the person's country; elsewhere the number keeps its country code.
    """
    parsed = phonenumbers.parse(e164)
    styles = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]
    if national:
        styles.append(phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, rng.choice(styles))


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def imei(rng: random.Random) -> str:
    body = "35" + "".join(str(rng.randrange(10)) for _ in range(12))
    return body + luhn_digit(body)


def btc_address(rng: random.Random) -> str:
    """A P2PKH address (version 0) over random bytes, with a valid base58check checksum."""
    payload = bytes([0]) + rng.getrandbits(160).to_bytes(20, "big")
    encoded: bytes = base58.b58encode_check(payload)
    return encoded.decode("ascii")


def eth_address(rng: random.Random) -> str:
    """Random 20 bytes with the EIP-55 mixed-case checksum."""
    return "0x" + eip55_checksum(rng.getrandbits(160).to_bytes(20, "big").hex())
