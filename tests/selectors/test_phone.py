from __future__ import annotations

import pytest

from caseweave.selectors import InvalidSelector, normalise


def test_region_is_the_default_for_national_numbers() -> None:
    assert normalise("phone", "07400 123456", region="GB").value == "+447400123456"
    assert normalise("phone", "(201) 555-0123", region="US").value == "+12015550123"


def test_international_numbers_ignore_the_region() -> None:
    result = normalise("phone", "+44 7400 123456", region="US")
    assert result.value == "+447400123456"
    assert "cc:GB" in result.flags


def test_double_zero_prefix_is_international_even_from_the_us() -> None:
    assert normalise("phone", "0044 7400 123456", region="US").value == "+447400123456"


def test_national_number_without_region_is_explained() -> None:
    with pytest.raises(InvalidSelector, match="no region") as caught:
        normalise("phone", "07400 123456")
    assert caught.value.hint


def test_possible_but_unallocated_number_is_rejected() -> None:
    with pytest.raises(InvalidSelector, match="not valid"):
        normalise("phone", "+44 7700 900123")  # Ofcom's drama range


def test_bad_region_is_blamed_on_the_region() -> None:
    with pytest.raises(InvalidSelector) as caught:
        normalise("phone", "07400 123456", region="Britain")
    assert caught.value.field == "region"
