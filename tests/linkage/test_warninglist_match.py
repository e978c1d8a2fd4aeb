"""The matcher answers like a plain scan of the lists would, for every list type."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseweave.linkage.correlation import SightingWindow, nearest
from caseweave.linkage.warninglist_match import ListSpec, WarninglistMatcher


def spec(name: str, list_type: str, values: list[str], *types: str, category: str = "other") -> ListSpec:
    return ListSpec(name, list_type, category, types or ("ip",), tuple(values))


def test_cidr_blocks_match_their_whole_range_in_ipv4_and_ipv6() -> None:
    matcher = WarninglistMatcher(
        [spec("exits", "cidr", ["185.220.100.0/22", "192.0.2.77", "2a0b:f4c0::/32"])]
    )
    assert matcher.match("ip", "185.220.100.0") == "exits"
    assert matcher.match("ip", "185.220.103.255") == "exits"
    assert matcher.match("ip", "185.220.104.0") is None
    assert matcher.match("ip", "185.220.99.255") is None
    assert matcher.match("ip", "192.0.2.77") == "exits" and matcher.match("ip", "192.0.2.78") is None
    assert matcher.match("ip", "2a0b:f4c0:ffff::1") == "exits"
    assert matcher.match("ip", "2a0b:f4c1::1") is None
    assert matcher.match("email", "185.220.100.1") is None, "an IP list says nothing about e-mail"


def test_overlapping_lists_report_the_stronger_category() -> None:
    matcher = WarninglistMatcher(
        [
            spec("cloud", "cidr", ["104.16.0.0/12"], category="hosting"),
            spec("warp", "cidr", ["104.28.0.0/16"], category="vpn"),
        ]
    )
    assert matcher.match("ip", "104.28.3.4") == "warp"
    assert matcher.match("ip", "104.27.255.255") == "cloud"
    assert matcher.match("ip", "104.29.0.0") == "cloud"


@given(
    st.lists(
        st.tuples(st.integers(0, 2**16 - 1), st.integers(16, 32), st.sampled_from(["tor", "vpn", "junk"])),
        max_size=12,
    ),
    st.lists(st.integers(0, 2**16 - 1), min_size=1, max_size=20),
)
def test_cidr_lookup_equals_a_scan_of_the_blocks(
    blocks: list[tuple[int, int, str]], probes: list[int]
) -> None:
    # blocks and probes inside 10.0.0.0/16 so that they meet often
    nets = [ipaddress.ip_network((0x0A000000 | top, prefix), strict=False) for top, prefix, _ in blocks]
    lists = [spec(f"l{i}", "cidr", [str(net)], category=blocks[i][2]) for i, net in enumerate(nets)]
    matcher = WarninglistMatcher(lists)
    order = {"tor": 0, "vpn": 1, "junk": 4}
    for probe in probes:
        address = ipaddress.ip_address(0x0A000000 | probe)
        holders = sorted((order[blocks[i][2]], f"l{i}") for i, net in enumerate(nets) if address in net)
        assert matcher.match("ip", str(address)) == (holders[0][1] if holders else None)


def test_hostname_lists_match_the_domain_and_its_subdomains() -> None:
    matcher = WarninglistMatcher(
        [spec("throwaway", "hostname", ["mailinator.example", "*.drop.example"], "email", "url")]
    )
    assert matcher.match("email", "anyone@mailinator.example") == "throwaway"
    assert matcher.match("email", "anyone@eu.mailinator.example") == "throwaway"
    assert matcher.match("email", "anyone@notmailinator.example") is None
    assert matcher.match("url", "https://files.drop.example/x?y=1") == "throwaway"
    assert matcher.match("url", "drop.example") == "throwaway"
    assert matcher.match("url", "https://drop.example.org/") is None


def test_string_lists_compare_normalised_values() -> None:
    matcher = WarninglistMatcher(
        [
            spec("handles", "string", ["Admin", "@test"], "username"),
            spec("mails", "string", ["Test@Test.com"], "email"),
            spec("phones", "string", ["+44 1234 567890"], "phone"),
            spec("resolvers", "string", ["2606:4700:4700:0::1111"], "ip"),
        ]
    )
    assert matcher.match("username", "chatapp:admin") == "handles"
    assert matcher.match("username", "instagram:test") == "handles"
    assert matcher.match("username", "chatapp:admins") is None
    assert matcher.match("email", "test@test.com") == "mails"
    assert matcher.match("phone", "+441234567890") == "phones"
    assert matcher.match("ip", "2606:4700:4700::1111") == "resolvers"


def test_substring_and_regex_lists() -> None:
    matcher = WarninglistMatcher(
        [
            spec("senders", "substring", ["NoReply@", "mailer-daemon@"], "email"),
            spec("numbered", "regex", [r"/^guest\d+@/i", r"^temp-[0-9]{4}@"], "email"),
        ]
    )
    assert matcher.match("email", "noreply@shop.example") == "senders"
    assert matcher.match("email", "mailer-daemon@mx.example") == "senders"
    assert matcher.match("email", "guest42@site.example") == "numbered"
    assert matcher.match("email", "temp-1234@site.example") == "numbered"
    assert matcher.match("email", "temp-12@site.example") is None
    assert matcher.match("email", "reply@shop.example") is None


def windows(spans: list[tuple[int, int]], first_id: int) -> list[SightingWindow]:
    return [
        SightingWindow(first_id + i, 0, float(s), float(s + length), True)
        for i, (s, length) in enumerate(spans)
    ]


@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 500)), min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 500)), min_size=1, max_size=12),
)
def test_nearest_windows_equal_a_scan_of_all_pairs(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> None:
    side_a, side_b = windows(a, 1), windows(b, 1000)
    gap, id_a, id_b = nearest(side_a, side_b) or pytest.fail("two non-empty sides always have a nearest pair")
    scan = min(max(0.0, x.start - y.end, y.start - x.end) for x in side_a for y in side_b)
    assert gap == scan
    x, y = side_a[id_a - 1], side_b[id_b - 1000]
    assert max(0.0, x.start - y.end, y.start - x.end) == gap, "the ids returned are the pair at that gap"


def test_tolerance_is_measured_between_windows_not_their_starts() -> None:
    day = timedelta(days=1).total_seconds()
    long_session = [SightingWindow(1, 0, 0.0, 3 * day, True)]
    later = [SightingWindow(2, 0, 3 * day + 60, 3 * day + 60, True)]
    assert nearest(long_session, later) == (60.0, 1, 2)
