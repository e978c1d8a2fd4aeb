from __future__ import annotations

import pytest

from caseweave.selectors import InvalidSelector, normalise


def email(raw: str) -> str:
    return normalise("email", raw).value


def test_gmail_folds_dots_and_tags() -> None:
    assert email("J.O.H.N+news@gmail.com") == "john@gmail.com"
    assert email("john@googlemail.com") == "john@gmail.com"


def test_dots_are_kept_outside_gmail() -> None:
    assert email("j.o.h.n@example.com") == "j.o.h.n@example.com"
    assert email("j.o.h.n@outlook.com") == "j.o.h.n@outlook.com"
    # A Google Workspace domain is not gmail.com: its administrator decides, so nothing is folded.
    assert email("j.o.h.n+x@company.example") == "j.o.h.n+x@company.example"


@pytest.mark.parametrize(
    "domain", ["outlook.com", "hotmail.com", "protonmail.com", "fastmail.com", "icloud.com"]
)
def test_plus_tag_folds_only_at_providers_that_ignore_it(domain: str) -> None:
    assert email(f"a.b+tag@{domain}") == f"a.b@{domain}"


def test_plus_tag_is_kept_elsewhere() -> None:
    assert email("a.b+tag@example.org") == "a.b+tag@example.org"


def test_case_folded_and_idna() -> None:
    assert email("ÄNNE@MÜNCHEN.example") == "änne@xn--mnchen-3ya.example"


def test_domain_is_not_casefolded_before_idna() -> None:
    # IDNA 2008 keeps ß: straße.example and strasse.example are different domains.
    assert email("a@straße.example") == "a@xn--strae-oqa.example"


@pytest.mark.parametrize(
    "raw",
    [
        "@example.com",
        "a@",
        "a@b@",
        ".a@example.com",
        "a.@example.com",
        "a.+tag@outlook.com",
        '"a b"@example.com',
    ],
)
def test_rejected(raw: str) -> None:
    with pytest.raises(InvalidSelector):
        email(raw)
