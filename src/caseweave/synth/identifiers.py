"""Countries, synthetic IP ranges and checksum-valid identifiers (phones, IMEIs, wallets, e-mail domains).

SYNTHETIC: the per-country /16 blocks below are invented for this generator. They are public-looking
(not private, reserved, documentation or CGNAT space) so that parsers treat them like real addresses,
but nothing is ever contacted and they say nothing about any real network or its users.
"""

from __future__ import annotations

import ipaddress
import random
from functools import cache

import base58
import phonenumbers
from Crypto.Hash import keccak

# GB leads; CA sent the tip-off; then the Five Eyes partners, then the others.
COUNTRIES: tuple[str, ...] = (
    "GB", "CA", "US", "AU", "NZ", "IE", "DE", "FR", "NL", "ES", "IT", "SE", "NO", "DK", "FI", "PL", "CZ",
    "UA", "PT", "BE", "AT", "CH", "RO", "BG", "HR", "SK", "BR", "MX", "AR", "JP", "KR", "PH", "ZA", "IN",
    "SG", "IS", "CL", "CO", "RS",
)  # fmt: skip

_FIRST_OCTETS = (
    31, 37, 46, 62, 77, 78, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 109, 141,
    145, 151, 176, 178, 188, 194, 195, 212, 213, 217, 24, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74,
    75, 76, 96, 97, 98, 99, 101, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123,
    124, 125, 41, 105, 196, 197, 200, 201, 177, 179, 181, 186, 187, 189, 190, 191,
)  # fmt: skip


def _blocks() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for index, country in enumerate(COUNTRIES):
        blocks = tuple(
            f"{_FIRST_OCTETS[(3 * index + k) % len(_FIRST_OCTETS)]}.{(37 * index + 71 * k + 11) % 240 + 8}"
            + ".0.0/16"
            for k in range(3)
        )
        table[country] = blocks
    return table


# SYNTHETIC country → three /16 blocks (see module docstring).
IP_BLOCKS: dict[str, tuple[str, ...]] = _blocks()
# SYNTHETIC shared exits: commercial VPN endpoints and Tor exit relays, each used by many subjects.
VPN_EXITS: tuple[str, ...] = tuple(f"45.83.{17 + i * 3}.{20 + i * 7}" for i in range(12))
TOR_EXITS: tuple[str, ...] = tuple(f"171.25.{193 + i % 3}.{30 + i * 11}" for i in range(10))
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
    network = ipaddress.ip_network(rng.choice(IP_BLOCKS[country]))
    return str(network.network_address + rng.randrange(256, 65280))


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
    hex_addr = rng.getrandbits(160).to_bytes(20, "big").hex()
    digest = keccak.new(digest_bits=256, data=hex_addr.encode("ascii")).hexdigest()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex_addr)
    )
