"""Each kind of clue gets its documented weight, and scoring turns clues into a distribution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from caseweave.attribution.evidence import (
    Clue,
    SightingGroup,
    address_country,
    email_clue,
    ip_block,
    ip_clue,
    phone_clue,
    statement_clues,
)
from caseweave.attribution.geo import GeoAnswer
from caseweave.attribution.scoring import score
from caseweave.attribution.weights import Weights
from caseweave.config import Settings

W = Weights()
DATA = date(2024, 6, 18)
FRESH = datetime(2024, 5, 1, tzinfo=UTC)


def group(
    kind: str,
    value: str,
    *,
    raw: str | None = None,
    flags: tuple[str, ...] = (),
    proxy: bool = False,
    at: datetime | None = FRESH,
) -> SightingGroup:
    found = SightingGroup(7, kind, value)
    found.add(70, raw or value, list(flags), proxy, at, at)
    return found


def clue(key: str, country: str | None, weight: float) -> Clue:
    return Clue(1, "ip", key, key, country, weight, weight)


def test_the_defaults_are_the_settings_defaults() -> None:
    assert Weights.from_settings(Settings()) == W
    assert Weights.from_params(W.as_params() | {"retired_knob": 1}) == W


def test_an_ip_counts_its_weight_less_for_proxies_and_stale_data() -> None:
    gb = GeoAnswer("GB", "81.2.64.0/18")
    plain = ip_clue(group("ip", "81.2.69.142", flags=("ipv4",)), gb, None, W, DATA)
    assert (plain.country, plain.weight, plain.source_key, plain.note) == ("GB", 1.0, "ip:81.2.69.0/24", "")
    proxy = ip_clue(group("ip", "81.2.69.142", proxy=True), gb, None, W, DATA)
    assert proxy.weight == 0.25 and "possible proxy ×0.25" in proxy.note
    old = ip_clue(group("ip", "81.2.69.142", at=datetime(2026, 2, 1, tzinfo=UTC)), gb, None, W, DATA)
    assert old.weight == 0.5 and "593 days from the data's date ×0.5" in old.note
    both = ip_clue(
        group("ip", "81.2.69.142", proxy=True, at=datetime(2020, 1, 1, tzinfo=UTC)), gb, None, W, DATA
    )
    assert both.weight == 0.125
    undated = ip_clue(group("ip", "81.2.69.142", at=None), gb, None, W, DATA)
    assert undated.weight == 1.0


def test_warning_listed_special_and_unlocated_addresses_count_for_nothing() -> None:
    gb = GeoAnswer("GB")
    tor = ip_clue(group("ip", "185.220.101.1"), None, "'tor-exits' (tor)", W, DATA)
    assert (tor.country, tor.weight) == (None, 0.0) and "warning list 'tor-exits' (tor)" in tor.note
    cgnat = ip_clue(group("ip", "100.64.0.1", flags=("ipv4", "cgnat")), gb, None, W, DATA)
    assert cgnat.weight == 0.0 and "special range (cgnat)" in cgnat.note
    unknown = ip_clue(group("ip", "1.2.3.4"), GeoAnswer(None, note="not in the data"), None, W, DATA)
    assert (unknown.country, unknown.weight, unknown.note) == (None, 0.0, "not located (not in the data)")
    relay = ip_clue(
        group("ip", "1.2.3.4"), GeoAnswer("BT", unreliable=True, note="anonymous proxy"), None, W, DATA
    )
    assert relay.weight == 0.0 and relay.country == "BT"
    assert ip_block("2a02:8010:1:2::1") == "2a02:8010:1::/48"


def test_phones_count_by_how_they_were_written() -> None:
    international = phone_clue(
        group("phone", "+447400123456", raw="+44 7400 123456", flags=("cc:GB",)), None, W
    )
    assert international is not None and (international.country, international.weight) == ("GB", 2.0)
    national = phone_clue(group("phone", "+447400123456", raw="07400 123456", flags=("cc:GB",)), None, W)
    assert national is not None and national.weight == 1.0 and "national format" in national.note
    global_service = phone_clue(group("phone", "+80012345678", flags=("cc:001",)), None, W)
    assert global_service is not None and global_service.weight == 0.0
    junk = phone_clue(group("phone", "+447400123456", flags=("cc:GB",)), "'junk-phones' (junk)", W)
    assert junk is not None and junk.weight == 0.0
    assert phone_clue(group("phone", "+447400123456"), None, W) is None  # stored before flags were kept


@pytest.mark.parametrize(
    ("address", "country", "weight"),
    [
        ("someone@web.de", "DE", 0.3),
        ("someone@yahoo.co.uk", "GB", 0.3),
        ("someone@startup.io", None, 0.0),
        ("someone@mail.me", None, 0.0),
    ],
)
def test_country_code_domains_are_weak_and_generic_ones_count_nothing(
    address: str, country: str | None, weight: float
) -> None:
    found = email_clue(group("email", address), None, W)
    assert found is not None and (found.country, found.weight) == (country, weight)
    assert found.source_key == f"email:{address.partition('@')[2]}"


def test_generic_tlds_are_no_clue_at_all() -> None:
    assert email_clue(group("email", "someone@example.com"), None, W) is None
    assert email_clue(group("email", "someone@example.eu"), None, W) is None


def test_who_states_the_country_decides_its_weight() -> None:
    (agency,) = statement_clues(3, 9, "misp", "CA", None, W)
    assert (agency.kind, agency.weight, agency.source_key) == ("stated_country", 3.0, "stated_country:9:CA")
    (platform,) = statement_clues(3, 9, "cybertip", "CA", "1 Main St, Toronto, Canada", W)
    assert (platform.kind, platform.weight) == ("platform_country", 2.0)
    (address,) = statement_clues(3, 9, "stix", None, "1 Main St, Toronto, Canada", W)
    assert (address.kind, address.country, address.weight) == ("address", "CA", 1.5)
    assert statement_clues(3, 9, "stix", None, "1 Main St, Portland, OR", W) == []


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("10 Downing St, London, UK", "GB"),
        ("Damrak 1\nAmsterdam\nNetherlands", "NL"),
        ("Calle 5, Madrid, ESP", "ES"),
        ("12 Elm St, Springfield, IL", None),
        ("Testville", None),
        (None, None),
    ],
)
def test_a_country_is_read_only_from_the_end_of_an_address(address: str | None, country: str | None) -> None:
    assert address_country(address) == country


def test_the_same_fact_counts_once_and_confidence_leaves_room_for_unknown() -> None:
    clues = [
        clue("ip:81.2.69.0/24", "GB", 1.0),
        clue("ip:81.2.69.0/24", "GB", 0.25),
        clue("phone:+44", "GB", 2.0),
        clue("ip:24.48.0.0/24", "CA", 1.0),
        clue("ip:185.220.101.0/24", None, 0.0),
    ]
    result = score(clues, W)
    assert result.status == "attributed" and result.top_country == "GB"
    assert result.weights == {"GB": 3.0, "CA": 1.0} and result.total_weight == 4.0
    assert result.distribution == {"GB": 0.75, "CA": 0.25}
    assert result.confidence == 0.6  # 3 / (4 + prior 1)
    assert result.counted == frozenset({0, 2, 3}) and result.runner_up == "CA"


def test_close_countries_are_contested_weak_ones_low_and_none_no_evidence() -> None:
    assert score([clue("a", "GB", 2.0), clue("b", "IE", 2.0)], W).status == "contested"
    assert score([clue("a", "GB", 2.2), clue("b", "IE", 2.0)], W).status == "contested"  # gap 0.05 < 0.15
    assert score([clue("a", "GB", 3.0), clue("b", "IE", 2.0)], W).status == "attributed"  # gap 0.2
    wider = replace(W, contested_margin=0.25)
    assert score([clue("a", "GB", 3.0), clue("b", "IE", 2.0)], wider).status == "contested"
    weak = score([clue("email:web.de", "DE", 0.3)], W)
    assert (weak.status, weak.top_country, weak.confidence) == ("low_confidence", "DE", 0.2308)
    nothing = score([clue("ip:x", None, 0.0)], W)
    assert (nothing.status, nothing.top_country, nothing.confidence, nothing.distribution) == (
        "no_evidence",
        None,
        0.0,
        {},
    )
