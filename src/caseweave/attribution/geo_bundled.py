"""The default GeoProvider: the GeoLite2 country data bundled with geoip2fast, offline.

geoip2fast keeps its tables in module globals, so the IPv4+IPv6 file is loaded once per process
(a quarter of a second) and shared. The data includes GeoLite2 data created by MaxMind (CC BY-SA 4.0).
"""

from __future__ import annotations

import ipaddress
import re
import threading
from datetime import date
from typing import Any, ClassVar

import pycountry

from caseweave.attribution.geo import GeoAnswer, GeoExample, GeoProvider

DATA_FILE = "geoip2fast-ipv6.dat.gz"  # IPv4 and IPv6; the package's default file is IPv4 only
_DATED = re.compile(r"(?P<name>[A-Za-z0-9-]+?)-en-(?P<date>\d{8})")
_lock = threading.Lock()
_loaded: Any = None


def _engine() -> Any:
    global _loaded
    with _lock:
        if _loaded is None:
            from geoip2fast import GeoIP2Fast

            _loaded = GeoIP2Fast(geoip2fast_data_file=DATA_FILE)
        return _loaded


def valid_country(code: str) -> str | None:
    """The code if it is an ISO 3166 alpha-2 country; providers also use '--', 'EU', 'AP' and ''."""
    code = (code or "").strip().upper()
    return code if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None else None


class BundledProvider(GeoProvider):
    name: ClassVar[str] = "geoip2fast"
    description: ClassVar[str] = "GeoLite2 country data bundled with geoip2fast (offline)"

    def __init__(self) -> None:
        self._geo = _engine()
        info = str(self._geo.source_info)  # e.g. "MAXMIND:GeoLite2-Country-IPv4IPv6-en-20240618"
        match = _DATED.search(info)
        from geoip2fast import __version__

        self._date = (
            date(int(match["date"][:4]), int(match["date"][4:6]), int(match["date"][6:])) if match else None
        )
        data = match["name"] if match else info
        self._source = f"{data} via geoip2fast {__version__}"

    @property
    def source(self) -> str:
        return self._source

    @property
    def data_date(self) -> date | None:
        return self._date

    def _lookup(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> GeoAnswer:
        result = self._geo.lookup(str(address))
        country = valid_country(result.country_code)
        if country is None:
            return GeoAnswer(None, result.cidr or None, note=str(result.country_name or "not in the data"))
        return GeoAnswer(country, result.cidr or None)

    @classmethod
    def examples(cls) -> list[GeoExample]:
        # Addresses whose blocks have stayed with one national ISP for years (BT, Vidéotron, Eir,
        # Orange, Deutsche Telekom, Google's IPv6); MaxMind's own test address 81.2.69.142 is BT's.
        return [
            GeoExample("81.2.69.142", "GB"),
            GeoExample("24.48.0.1", "CA"),
            GeoExample("86.40.0.1", "IE"),
            GeoExample("90.0.0.1", "FR"),
            GeoExample("91.0.0.1", "DE"),
            GeoExample("2a02:8010::1", "GB"),
            GeoExample("::ffff:24.48.0.1", "CA"),
            GeoExample("10.1.2.3", None),
            GeoExample("2001:db8::1", None),
            GeoExample("256.1.1.1", invalid=True),
            GeoExample("host.example", invalid=True),
            GeoExample("", invalid=True),
        ]
