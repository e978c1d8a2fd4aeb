from __future__ import annotations

import pytest

from caseweave.selectors import InvalidSelector, normalise


def url(raw: str) -> str:
    return normalise("url", raw).value


def test_scheme_and_host_lowercased_path_and_query_kept() -> None:
    assert url("HTTP://WWW.Example.COM/A/B?X=Y&z=1#Top") == "http://www.example.com/A/B?X=Y&z=1"


def test_default_ports_dropped_others_kept() -> None:
    assert url("https://example.com:443/") == "https://example.com/"
    assert url("http://example.com:443/") == "http://example.com:443/"


def test_userinfo_is_kept_verbatim() -> None:
    # "http://bank.example@evil.example/" is a phishing pattern: the host is evil.example.
    assert url("http://Bank.Example@EVIL.example/") == "http://Bank.Example@evil.example/"


def test_bare_domain_and_onion_flags() -> None:
    onion = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
    assert normalise("url", "Example.COM.").flags == frozenset({"domain"})
    assert normalise("url", onion.upper()).flags == frozenset({"domain", "onion"})


@pytest.mark.parametrize(
    "raw", ["mailto://a@example.com", "http://", "http://intranet/", "1.2.3.4", "https://exa mple.com"]
)
def test_rejected(raw: str) -> None:
    with pytest.raises(InvalidSelector):
        url(raw)
