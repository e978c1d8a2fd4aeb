"""The GeoProvider plugin: an IP address to a country, stating its data and the data's date.

Geolocation of an address is only a lead: the block may have moved to another customer or country
since the data was built, so every answer carries the provider, its source and its date. Each
provider gives examples(); tests/attribution/test_geo_contract.py runs every provider against its own.
"""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from caseweave.config import Settings
from caseweave.errors import Invalid

SETTING = "attribution_geoip_provider"


@dataclass(frozen=True)
class GeoAnswer:
    """country: ISO 3166 alpha-2, or None where the data holds no country for the address."""

    country: str | None
    network: str | None = None  # the block the answer holds for, where the data says
    note: str = ""  # e.g. "registered country (no location)", "anonymous proxy per the provider"
    unreliable: bool = False  # the provider itself says the location means nothing (proxy, satellite)


@dataclass(frozen=True)
class GeoExample:
    """An address and the country the provider must give (None: none); invalid ones must raise Invalid."""

    address: str
    country: str | None = None
    invalid: bool = False


class GeoProvider(ABC):
    name: ClassVar[str]
    description: ClassVar[str]

    @property
    @abstractmethod
    def source(self) -> str:
        """What data answers: e.g. "GeoLite2-Country-IPv4IPv6 via geoip2fast 1.2.2"."""

    @property
    @abstractmethod
    def data_date(self) -> date | None:
        """When the data was built (None only where the data does not say)."""

    @abstractmethod
    def _lookup(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> GeoAnswer:
        """The answer for a parsed address."""

    @classmethod
    @abstractmethod
    def examples(cls) -> list[GeoExample]:
        """At least three located addresses, one unknown and two invalid inputs."""

    def lookup(self, address: str) -> GeoAnswer:
        """The country of an address as selectors.ip normalises it (no port, no brackets)."""
        try:
            parsed = ipaddress.ip_address(address.strip())
        except ValueError:
            raise Invalid(f"{address!r} is not an IP address", field="ip") from None
        if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        return self._lookup(parsed)

    def close(self) -> None:  # noqa: B027  (most providers hold nothing to release)
        """Release open files; the default holds none."""

    def stated(self) -> str:
        """One line for every answer: who located the addresses, with what, as of when."""
        when = self.data_date.isoformat() if self.data_date else "an unknown date"
        return f"IP geolocation by {self.name}: {self.source}, data of {when}"


ProviderFactory = Callable[[Settings], GeoProvider]


def _bundled(settings: Settings) -> GeoProvider:
    from caseweave.attribution.geo_bundled import BundledProvider

    return BundledProvider()


def _maxmind(settings: Settings) -> GeoProvider:
    from caseweave.attribution.geo_maxmind import MaxMindProvider

    if not settings.attribution_geoip_mmdb:
        raise Invalid(
            "the maxmind provider needs a .mmdb file",
            field="attribution_geoip_mmdb",
            hint="set CASEWEAVE_ATTRIBUTION_GEOIP_MMDB to a GeoIP2/GeoLite2 Country or City file",
        )
    return MaxMindProvider(settings.attribution_geoip_mmdb)


# Imported lazily: the bundled data takes a quarter of a second and ~100 MB to load.
PROVIDERS: dict[str, ProviderFactory] = {"geoip2fast": _bundled, "maxmind": _maxmind}


def provider_name(settings: Settings) -> str:
    chosen = settings.attribution_geoip_provider.strip().lower()
    if chosen == "auto":
        return "maxmind" if settings.attribution_geoip_mmdb else "geoip2fast"
    if chosen not in PROVIDERS:
        raise Invalid(
            f"unknown IP geolocation provider {settings.attribution_geoip_provider!r}",
            field=SETTING,
            hint=f"use auto or one of {', '.join(PROVIDERS)}",
        )
    return chosen


def open_provider(settings: Settings) -> GeoProvider:
    """The provider the settings choose; close() it when done."""
    return PROVIDERS[provider_name(settings)](settings)
