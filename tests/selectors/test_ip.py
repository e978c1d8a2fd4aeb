from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseweave.selectors import InvalidSelector, normalise
from caseweave.selectors.ip import _RANGES


def test_ipv4_mapped_ipv6_becomes_ipv4() -> None:
    result = normalise("ip", "[::FFFF:198.51.100.7]:5060")
    assert (result.value, result.port) == ("198.51.100.7", 5060)
    assert "documentation" in result.flags


def test_port_is_kept_apart() -> None:
    assert normalise("ip", "203.0.113.5:443").port == 443
    assert normalise("ip", "203.0.113.5").port is None


def test_ipv6_is_compressed_lowercase() -> None:
    assert normalise("ip", "2001:0DB8:0000:0000:0000:0000:0000:0001").value == "2001:db8::1"


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("100.64.0.1", "cgnat"),
        ("100.127.255.254", "cgnat"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("fd00::1", "private"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("ff02::1", "multicast"),
    ],
)
def test_flags(raw: str, flag: str) -> None:
    assert flag in normalise("ip", raw).flags


def test_cgnat_boundaries() -> None:
    assert "cgnat" not in normalise("ip", "100.63.255.255").flags
    assert "cgnat" not in normalise("ip", "100.128.0.0").flags
    assert "private" not in normalise("ip", "100.64.0.1").flags


def test_public_address_has_no_special_flags() -> None:
    assert normalise("ip", "8.8.8.8").flags == frozenset({"ipv4"})


@pytest.mark.parametrize("raw", ["1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:http", "[::1]:99999", "1.2.3"])
def test_rejected(raw: str) -> None:
    with pytest.raises(InvalidSelector):
        normalise("ip", raw)


@given(number=st.integers(min_value=0, max_value=2**32 - 1))
def test_dotted_quad_fast_path_agrees_with_ipaddress(number: int) -> None:
    """Plain a.b.c.d skips ipaddress for speed; value and flags must be what ipaddress's networks say."""
    address = ipaddress.IPv4Address(number)
    expected = {"ipv4"} | {
        flag
        for flag, cidrs in _RANGES.items()
        for cidr in cidrs
        if ipaddress.ip_network(cidr).version == 4 and address in ipaddress.ip_network(cidr)
    }
    result = normalise("ip", str(address))
    assert (result.value, set(result.flags)) == (str(address), expected)
