"""Property tests: any text either normalises or raises InvalidSelector (nothing else), and
normalising a normalised value gives it back unchanged."""

from __future__ import annotations

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseweave.selectors import SELECTOR_TYPES, InvalidSelector, Normalised, normalise
from caseweave.selectors.checksums import luhn_check_digit
from caseweave.selectors.wallet import eip55_checksum

# Characters that reach the parsers' interesting branches far more often than random Unicode does.
_SYMBOLS = st.text(alphabet="0123456789abcdefxABCDEFX:.-_@+[]/%?#{} \u200bßİＡ", max_size=60)


def _luhn(payload: str) -> str:
    return payload + str(luhn_check_digit(payload))


_PLAUSIBLE: dict[str, st.SearchStrategy[str]] = {
    "email": st.from_regex(
        r"[A-Za-z0-9][A-Za-z0-9._+-]{0,15}@(gmail|googlemail|outlook|example|xn--bcher-kva)\.(com|ORG)",
        fullmatch=True,
    ),
    "username": st.from_regex(r"@?[A-Za-zÀ-ÿ0-9_.:#ﬁ]{1,20}", fullmatch=True),
    "phone": st.from_regex(
        r"(\+44 ?|0044|0)7[0-9]{3} ?[0-9]{6}|\+1 ?[2-9][0-9]{2} ?[2-9][0-9]{6}", fullmatch=True
    ),
    "ip": st.one_of(
        st.ip_addresses().map(str),
        st.builds("{}:{}".format, st.ip_addresses(v=4), st.integers(0, 70000)),
        st.builds("[{}]:{}".format, st.ip_addresses(v=6), st.integers(0, 70000)),
    ),
    "device": st.one_of(
        st.uuids().map(lambda value: str(value).upper()),
        st.from_regex(r"[0-9]{14}", fullmatch=True).map(_luhn),
    ),
    "payment": st.one_of(
        st.from_regex(r"[0-9]{12,18}", fullmatch=True).map(_luhn),
        st.from_regex(r"[A-Za-z$][A-Za-z0-9_.-]{0,20}", fullmatch=True),
    ),
    "wallet": st.one_of(
        st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + eip55_checksum(raw.hex())),
        st.builds(
            lambda version, raw: base58.b58encode_check(bytes([version]) + raw).decode("ascii"),
            st.sampled_from([0x00, 0x05, 0x6F]),
            st.binary(min_size=20, max_size=20),
        ),
    ),
    "url": st.from_regex(
        r"(HTTP|https|ftp)://[A-Za-z0-9-]{1,10}\.(com|ORG)(:[0-9]{1,5})?(/[A-Za-z0-9/._~%-]{0,10})?(\?[a-z=&]{0,8})?(#[a-z]*)?",
        fullmatch=True,
    ),
}
_PLATFORMS = st.sampled_from([None, "instagram", " PayPal ", "bad platform"])
_REGIONS = st.sampled_from([None, "GB", "us", "ZZ"])


def _again(name: str, result: Normalised, platform: str | None, region: str | None) -> str:
    """Normalise the value again; namespaced values ("platform:id") go back in without their namespace."""
    value = result.value
    if name == "username" or "account" in result.flags:
        value = value.split(":", 1)[1]
    return normalise(name, value, platform=platform, region=region).value


@pytest.mark.parametrize("name", sorted(SELECTOR_TYPES))
@settings(max_examples=150, deadline=None)
@given(data=st.data(), platform=_PLATFORMS, region=_REGIONS)
def test_only_invalid_selector_and_idempotent(
    name: str, data: st.DataObject, platform: str | None, region: str | None
) -> None:
    raw = data.draw(st.one_of(st.text(max_size=80), _SYMBOLS, _PLAUSIBLE[name]), label="raw")
    try:
        result = normalise(name, raw, platform=platform, region=region)
    except InvalidSelector as error:
        assert error.message
        return
    assert result.value
    assert result.value == result.value.strip()
    assert _again(name, result, platform, region) == result.value
