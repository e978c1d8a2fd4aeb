from __future__ import annotations

import pytest

from caseweave.selectors import InvalidSelector, normalise


def test_imei_luhn() -> None:
    assert normalise("device", "490154203237518").flags == frozenset({"imei"})
    with pytest.raises(InvalidSelector, match="IMEI 490154203237519 fails its Luhn check"):
        normalise("device", "490154203237519")


def test_fourteen_digit_imei_hint_gives_the_check_digit() -> None:
    with pytest.raises(InvalidSelector) as caught:
        normalise("device", "49015420323751")
    assert caught.value.hint is not None
    assert "490154203237518" in caught.value.hint


def test_advertising_id_is_canonical_lowercase_uuid() -> None:
    result = normalise("device", "{6D92078A82464BA4AE5B76104861E7DC}")
    assert result.value == "6d92078a-8246-4ba4-ae5b-76104861e7dc"
    assert "advertising_id" in result.flags


def test_opt_out_advertising_id_is_rejected_with_reason() -> None:
    with pytest.raises(InvalidSelector) as caught:
        normalise("device", "00000000-0000-0000-0000-000000000000")
    assert caught.value.hint is not None
    assert "opted out" in caught.value.hint


def test_other_scripts_digits_are_not_an_imei() -> None:
    with pytest.raises(InvalidSelector):
        normalise("device", "٤٩٠١٥٤٢٠٣٢٣٧٥١٨")  # Arabic-Indic digits
