"""Clues to a subject's country, one per value per person record, each with its weight and why.

Pure functions over what the database holds (collect.py reads it): IP addresses through the
GeoProvider, phone numbers (the country libphonenumber gave them at import, flag "cc:XX"), e-mail
domains under country-code TLDs, and countries or addresses that referrals state. A clue that
counts for nothing is still returned, with weight 0 and the reason, so the explanation is complete.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import date, datetime

import pycountry

from caseweave.attribution.geo import GeoAnswer
from caseweave.attribution.weights import Weights
from caseweave.errors import Invalid
from caseweave.linkage.correlation import EXCLUDED_IP_FLAGS
from caseweave.operations.countries import country_as_stated

KINDS = ("stated_country", "platform_country", "address", "phone", "ip", "email")
# Formats in which a platform (not an investigator) states the country of its user.
PLATFORM_FORMATS = frozenset({"cybertip", "platform", "chat"})
# Country-code TLDs sold worldwide as generic names: they say nothing of where the holder lives.
_GENERIC = "ac ad ai am as bz cc cd cf co fm ga gg gl gq gy im io la ly me ml mu nu sh so st tk to tv vc ws"
GENERIC_CCTLDS = frozenset(_GENERIC.split())
TLD_COUNTRY = {"uk": "GB"}  # the one ccTLD that differs from its ISO code


@dataclass
class Clue:
    person_record_id: int
    kind: str
    value: str
    source_key: str  # the same fact seen twice has the same key and counts once
    country: str | None
    base_weight: float
    weight: float
    note: str = ""
    sighting_id: int | None = None
    sightings: int = 1
    observed_from: datetime | None = None
    observed_to: datetime | None = None


@dataclass
class SightingGroup:
    """The sightings of one normalised value in one person record."""

    person_record_id: int
    selector_type: str
    value: str
    sighting_ids: list[int] = field(default_factory=list)
    raw_values: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    possible_proxy: bool = False
    observed_from: datetime | None = None
    observed_to: datetime | None = None

    def add(
        self,
        sighting_id: int,
        raw_value: str,
        flags: list[str],
        proxy: bool,
        start: datetime | None,
        end: datetime | None,
    ) -> None:
        self.sighting_ids.append(sighting_id)
        self.raw_values.add(raw_value)
        self.flags.update(flags)
        self.possible_proxy = self.possible_proxy or proxy
        starts = [t for t in (self.observed_from, start, end) if t is not None]
        ends = [t for t in (self.observed_to, end, start) if t is not None]
        self.observed_from = min(starts) if starts else None
        self.observed_to = max(ends) if ends else None

    def clue(self, kind: str, key: str, country: str | None, base: float, weight: float, note: str) -> Clue:
        return Clue(
            person_record_id=self.person_record_id,
            kind=kind,
            value=self.value,
            source_key=key,
            country=country,
            base_weight=base,
            weight=round(weight, 6),
            note=note,
            sighting_id=min(self.sighting_ids) if self.sighting_ids else None,
            sightings=len(self.sighting_ids),
            observed_from=self.observed_from,
            observed_to=self.observed_to,
        )


def ip_block(value: str) -> str:
    """The block an address stands for: /24 (IPv4) or /48 (IPv6), one pool of one provider."""
    address = ipaddress.ip_address(value)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def ip_clue(
    group: SightingGroup,
    answer: GeoAnswer | None,
    warning: str | None,
    weights: Weights,
    data_date: date | None,
) -> Clue:
    """answer: the provider's (None where not asked: special range or warning list)."""
    key, base = f"ip:{ip_block(group.value)}", weights.ip
    special = sorted(group.flags & EXCLUDED_IP_FLAGS)
    if special:
        return group.clue("ip", key, None, base, 0.0, f"special range ({special[0]}): counts for nothing")
    if warning:
        return group.clue("ip", key, None, base, 0.0, f"on warning list {warning}: counts for nothing")
    if answer is None or answer.country is None:
        why = answer.note if answer and answer.note else "not in the data"
        return group.clue("ip", key, None, base, 0.0, f"not located ({why})")
    if answer.unreliable:
        return group.clue("ip", key, answer.country, base, 0.0, f"{answer.note}: counts for nothing")
    weight, notes = base, [answer.note] if answer.note else []
    if group.possible_proxy:
        weight *= weights.proxy_factor
        notes.append(f"possible proxy ×{weights.proxy_factor:g}")
    seen = group.observed_to or group.observed_from
    if seen is not None and data_date is not None:
        days = abs((seen.date() - data_date).days)
        if days > weights.stale_days:
            weight *= weights.stale_factor
            notes.append(f"seen {seen.date()}, {days} days from the data's date ×{weights.stale_factor:g}")
    return group.clue("ip", key, answer.country, base, weight, "; ".join(notes))


def phone_clue(group: SightingGroup, warning: str | None, weights: Weights) -> Clue | None:
    code = next((flag[3:] for flag in sorted(group.flags) if flag.startswith("cc:")), None)
    if code is None:
        return None
    key, base = f"phone:{group.value}", weights.phone
    if warning:
        return group.clue("phone", key, None, base, 0.0, f"on warning list {warning}: counts for nothing")
    if code == "001" or pycountry.countries.get(alpha_2=code) is None:
        return group.clue("phone", key, None, base, 0.0, "non-geographic number: counts for nothing")
    international = any(raw.strip().startswith(("+", "00")) for raw in group.raw_values)
    if international:
        return group.clue("phone", key, code, base, base, "")
    factor = weights.phone_national_factor
    note = f"national format, country assumed from the referral ×{factor:g}"
    return group.clue("phone", key, code, base, base * factor, note)


def cctld_country(email: str) -> str | None:
    """The country an address's ccTLD names (uk → GB); None for a generic TLD (.com, .org …)."""
    tld = email.rpartition("@")[2].lower().rpartition(".")[2]
    country = TLD_COUNTRY.get(tld) or (tld.upper() if len(tld) == 2 else None)
    return country if country and pycountry.countries.get(alpha_2=country) is not None else None


def email_clue(group: SightingGroup, warning: str | None, weights: Weights) -> Clue | None:
    domain = group.value.rpartition("@")[2].lower()
    tld = domain.rpartition(".")[2]
    country = cctld_country(domain)
    if country is None:
        return None  # a generic TLD (.com, .org …) or none that names a country
    key, base = f"email:{domain}", weights.email_cctld
    if warning:
        return group.clue("email", key, None, base, 0.0, f"on warning list {warning}: counts for nothing")
    if tld in GENERIC_CCTLDS:
        return group.clue("email", key, None, base, 0.0, f".{tld} is sold worldwide: counts for nothing")
    return group.clue("email", key, country, base, base, f"domain {domain}")


def statement_clues(
    person_record_id: int,
    referral_id: int,
    referral_format: str,
    country: str | None,
    address: str | None,
    weights: Weights,
) -> list[Clue]:
    """The country a referral states for the person, else one read from the end of the address."""
    if country:
        platform = referral_format in PLATFORM_FORMATS
        kind = "platform_country" if platform else "stated_country"
        weight = weights.platform_country if platform else weights.stated_country
        who = "the platform" if platform else "the referral"
        key = f"{kind}:{referral_id}:{country}"
        return [Clue(person_record_id, kind, country, key, country, weight, weight, f"stated by {who}")]
    found = address_country(address)
    if found is None or address is None:
        return []
    key = f"address:{referral_id}:{found}"
    weight = weights.address
    return [
        Clue(person_record_id, "address", address[:400], key, found, weight, weight, "end of the address")
    ]


def address_country(address: str | None) -> str | None:
    """The country named by the last part of an address ("…, Toronto, Canada"), if one is.

    Two-letter endings other than UK are not read: "Portland, OR" is a state, not a country code.
    """
    if not address:
        return None
    last = address.replace("\n", ",").rsplit(",", 1)[-1].strip().rstrip(".")
    if len(last) < 3 and last.upper() != "UK":
        return None
    try:
        return country_as_stated(last)
    except Invalid:
        return None
