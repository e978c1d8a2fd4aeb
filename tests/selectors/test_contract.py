"""Every selector type honours its own documented examples, and the registry knows every type."""

from __future__ import annotations

import pytest

from caseweave.errors import Invalid
from caseweave.selectors import SELECTOR_TYPES, InvalidSelector, SelectorExample, normalise

EXPECTED_TYPES = {"email", "username", "phone", "ip", "device", "payment", "wallet", "url"}

CASES = [
    pytest.param(name, example, id=f"{name}-{index}-{'valid' if example.expected else 'invalid'}")
    for name, selector in SELECTOR_TYPES.items()
    for index, example in enumerate(selector.examples())
]


def test_registry_names_are_the_parsers_selector_types() -> None:
    assert set(SELECTOR_TYPES) == EXPECTED_TYPES
    assert all(selector.name == name for name, selector in SELECTOR_TYPES.items())


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_each_type_documents_enough_examples(name: str) -> None:
    examples = SELECTOR_TYPES[name].examples()
    assert sum(example.expected is not None for example in examples) >= 5
    assert sum(example.expected is None for example in examples) >= 3


@pytest.mark.parametrize(("name", "example"), CASES)
def test_example(name: str, example: SelectorExample) -> None:
    if example.expected is None:
        with pytest.raises(InvalidSelector) as caught:
            normalise(name, example.raw, platform=example.platform, region=example.region)
        assert caught.value.message  # always says why
        return
    result = normalise(name, example.raw, platform=example.platform, region=example.region)
    assert result.value == example.expected
    assert example.flags <= result.flags


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_empty_is_invalid(name: str, raw: str) -> None:
    with pytest.raises(InvalidSelector, match="empty"):
        normalise(name, raw, platform="instagram", region="GB")


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(InvalidSelector) as caught:
        normalise("fax", "123")
    assert caught.value.field == "selector_type"
    assert caught.value.hint is not None
    assert all(name in caught.value.hint for name in EXPECTED_TYPES)


def test_invalid_selector_is_the_projects_invalid_error() -> None:
    error = InvalidSelector("IMEI 1 fails its Luhn check", field="device")
    assert isinstance(error, Invalid)
    assert error.as_dict()["code"] == "invalid"
