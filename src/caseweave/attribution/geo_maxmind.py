"""A licensed MaxMind GeoIP2 / GeoLite2 Country or City database (.mmdb), read with maxminddb.

maxminddb is the reader the geoip2 package itself uses; the record's `country` (where the address is
used) answers, else its `registered_country` (where the block is registered: weaker, and said so).
The file's build_epoch is the data date.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import maxminddb

from caseweave.attribution.geo import GeoAnswer, GeoExample, GeoProvider
from caseweave.attribution.geo_bundled import valid_country
from caseweave.errors import Invalid

FIELD = "attribution_geoip_mmdb"
_KINDS = ("Country", "City", "Enterprise")  # database types that hold country records


class MaxMindProvider(GeoProvider):
    name: ClassVar[str] = "maxmind"
    description: ClassVar[str] = "a MaxMind GeoIP2/GeoLite2 Country or City .mmdb file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise Invalid(
                f"MaxMind database {str(self.path)!r} not found",
                field=FIELD,
                hint="give the path of a GeoIP2/GeoLite2 Country or City .mmdb file",
            )
        try:
            self._reader = maxminddb.open_database(str(self.path))
        except (maxminddb.InvalidDatabaseError, ValueError, OSError) as error:
            raise Invalid(
                f"{self.path.name} is not a MaxMind database: {error}",
                field=FIELD,
                hint="download the .mmdb again",
            ) from None
        meta = self._reader.metadata()
        self._type = str(meta.database_type)
        if not any(kind in self._type for kind in _KINDS):
            self._reader.close()
            raise Invalid(
                f"{self.path.name} is a {self._type} database, which holds no countries",
                field=FIELD,
                hint="use a GeoIP2/GeoLite2 Country or City database",
            )
        self._date = datetime.fromtimestamp(int(meta.build_epoch), UTC).date()

    @property
    def source(self) -> str:
        return f"{self._type} ({self.path.name})"

    @property
    def data_date(self) -> date | None:
        return self._date

    def _lookup(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> GeoAnswer:
        try:
            record, prefix = self._reader.get_with_prefix_len(address)
        except ValueError:  # an IPv6 address asked of an IPv4-only database
            return GeoAnswer(None, note="the database holds no IPv6 addresses")
        if not isinstance(record, dict):
            return GeoAnswer(None, note="not in the data")
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
        traits: Any = record.get("traits") or {}
        unreliable = bool(traits.get("is_anonymous_proxy") or traits.get("is_satellite_provider"))
        why = "anonymous proxy or satellite provider, per the data" if unreliable else ""
        country = valid_country(_iso(record.get("country")))
        if country is not None:
            return GeoAnswer(country, network, note=why, unreliable=unreliable)
        registered = valid_country(_iso(record.get("registered_country")))
        if registered is not None:
            note = "; ".join(filter(None, ("registered country only (no location)", why)))
            return GeoAnswer(registered, network, note=note, unreliable=unreliable)
        return GeoAnswer(None, network, note=why or "no country in the data")

    def close(self) -> None:
        self._reader.close()

    @classmethod
    def examples(cls) -> list[GeoExample]:
        # Against MaxMind's GeoIP2-Country-Test.mmdb (MaxMind-DB test-data); the contract test
        # writes a file holding the same networks (tests/support/mmdb.py).
        return [
            GeoExample("81.2.69.142", "GB"),
            GeoExample("81.2.69.160", "GB"),
            GeoExample("89.160.20.112", "SE"),
            GeoExample("216.160.83.56", "US"),
            GeoExample("2001:218::1", "JP"),
            GeoExample("::ffff:81.2.69.142", "GB"),
            GeoExample("1.1.1.1", None),
            GeoExample("10.0.0.1", None),
            GeoExample("999.0.0.1", invalid=True),
            GeoExample("81.2.69.142:443", invalid=True),
        ]


def _iso(node: Any) -> str:
    return str(node.get("iso_code") or "") if isinstance(node, dict) else ""
