"""Every GeoProvider against its own examples: the bundled GeoLite2 data, and a MaxMind .mmdb
written by tests/support/mmdb.py with the networks of MaxMind's own test database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caseweave.attribution.geo import PROVIDERS, GeoProvider, open_provider, provider_name
from caseweave.attribution.geo_bundled import BundledProvider
from caseweave.attribution.geo_maxmind import MaxMindProvider
from caseweave.config import Settings
from caseweave.errors import Invalid
from tests.support.geo_contract import GeoProviderContract
from tests.support.mmdb import country_record, country_test_database, write_mmdb


class TestBundled(GeoProviderContract):
    provider_class = BundledProvider

    @pytest.fixture
    def provider(self) -> GeoProvider:
        return BundledProvider()


class TestMaxMind(GeoProviderContract):
    provider_class = MaxMindProvider

    @pytest.fixture
    def provider(self, tmp_path: Path) -> Iterator[GeoProvider]:
        provider = MaxMindProvider(country_test_database(tmp_path / "GeoIP2-Country-Test.mmdb"))
        yield provider
        provider.close()


def test_every_registered_provider_has_a_contract_test() -> None:
    assert {TestBundled.provider_class.name, TestMaxMind.provider_class.name} == set(PROVIDERS)


def test_the_bundled_data_says_what_it_is_and_when_it_was_built() -> None:
    provider = BundledProvider()
    assert "GeoLite2-Country" in provider.source and "geoip2fast" in provider.source
    assert provider.data_date is not None and provider.data_date.year >= 2024


def test_maxmind_states_the_file_its_type_and_build_date(tmp_path: Path) -> None:
    path = country_test_database(tmp_path / "GeoLite2-Country.mmdb", database_type="GeoLite2-Country")
    provider = MaxMindProvider(path)
    try:
        assert provider.source == "GeoLite2-Country (GeoLite2-Country.mmdb)"
        assert provider.stated() == (
            "IP geolocation by maxmind: GeoLite2-Country (GeoLite2-Country.mmdb), data of 2024-06-18"
        )
    finally:
        provider.close()


def test_maxmind_registered_country_and_proxy_traits_are_said(tmp_path: Path) -> None:
    networks = {
        "81.2.69.0/24": country_record("GB", "GB"),
        "67.43.156.0/24": country_record(None, "BT", is_anonymous_proxy=True),
        "89.160.20.0/24": country_record(None, "SE"),
        "216.160.83.0/24": country_record("US", "US", is_satellite_provider=True),
    }
    provider = MaxMindProvider(write_mmdb(tmp_path / "c.mmdb", networks))
    try:
        assert provider.lookup("81.2.69.1").network == "81.2.69.0/24"
        proxy = provider.lookup("67.43.156.1")
        assert proxy.unreliable and "anonymous proxy" in proxy.note
        registered = provider.lookup("89.160.20.1")
        assert registered.country == "SE" and "registered country only" in registered.note
        assert not registered.unreliable
        assert provider.lookup("216.160.83.1").unreliable
    finally:
        provider.close()


def test_a_missing_corrupt_or_wrong_kind_of_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="not found") as missing:
        MaxMindProvider(tmp_path / "nope.mmdb")
    assert missing.value.field == "attribution_geoip_mmdb"
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"this is not a database")
    with pytest.raises(Invalid, match="not a MaxMind database"):
        MaxMindProvider(junk)
    asn = write_mmdb(
        tmp_path / "asn.mmdb",
        {"81.2.69.0/24": {"autonomous_system_number": 2856}},
        database_type="GeoLite2-ASN",
    )
    with pytest.raises(Invalid, match="GeoLite2-ASN database, which holds no countries"):
        MaxMindProvider(asn)


def test_settings_choose_the_provider(tmp_path: Path) -> None:
    assert provider_name(Settings()) == "geoip2fast"
    path = country_test_database(tmp_path / "c.mmdb")
    chosen = Settings(attribution_geoip_mmdb=str(path))
    assert provider_name(chosen) == "maxmind"
    provider = open_provider(chosen)
    try:
        assert provider.lookup("89.160.20.112").country == "SE"
    finally:
        provider.close()
    assert provider_name(
        Settings(attribution_geoip_mmdb=str(path), attribution_geoip_provider="geoip2fast")
    ) == ("geoip2fast")
    with pytest.raises(Invalid, match="unknown IP geolocation provider 'ipinfo'"):
        provider_name(Settings(attribution_geoip_provider="ipinfo"))
    with pytest.raises(Invalid, match=r"needs a \.mmdb file"):
        open_provider(Settings(attribution_geoip_provider="maxmind"))
