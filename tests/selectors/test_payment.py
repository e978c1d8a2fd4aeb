from __future__ import annotations

import pytest

from caseweave.selectors import InvalidSelector, normalise


def test_iban_is_compact_uppercase() -> None:
    assert normalise("payment", "gb82 west 1234 5698 7654 32").value == "GB82WEST12345698765432"


def test_iban_check_digits_01_are_rejected() -> None:
    # 01 and 98 are congruent mod 97, so the arithmetic alone would accept this one.
    with pytest.raises(InvalidSelector):
        normalise("payment", "GB01WEST12345698765432")


def test_card_luhn() -> None:
    assert normalise("payment", "4111-1111-1111-1111").flags == frozenset({"card"})
    with pytest.raises(InvalidSelector, match="Luhn"):
        normalise("payment", "4111111111111121")


def test_platform_account_keeps_its_case() -> None:
    result = normalise("payment", "$Tag", platform="CashApp")
    assert (result.value, result.flags) == ("cashapp:$Tag", frozenset({"account"}))


def test_without_platform_an_unknown_value_is_invalid_with_hint() -> None:
    with pytest.raises(InvalidSelector) as caught:
        normalise("payment", "acct_12345")
    assert caught.value.hint
