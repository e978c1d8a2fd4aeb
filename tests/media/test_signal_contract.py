"""Every signal type honours its own documented examples, and the registry knows every type."""

from __future__ import annotations

import pytest

from caseweave.errors import Invalid
from caseweave.media.signals import SIGNAL_TYPES, SignalExample, hamming, signal_type

CASES = [
    pytest.param(name, example, id=f"{name}-{index}-{'valid' if example.expected else 'invalid'}")
    for name, plugin in SIGNAL_TYPES.items()
    for index, example in enumerate(plugin.examples())
]


def test_registry_names_and_declarations() -> None:
    assert set(SIGNAL_TYPES) == {"md5", "sha1", "sha256", "pdq"}
    for name, plugin in SIGNAL_TYPES.items():
        assert plugin.name == name
        assert plugin.index in ("exact", "hamming")
        assert plugin.bits % 8 == 0
    assert {n: p.bits for n, p in SIGNAL_TYPES.items()} == {
        "md5": 128,
        "sha1": 160,
        "sha256": 256,
        "pdq": 256,
    }
    assert SIGNAL_TYPES["pdq"].index == "hamming"


@pytest.mark.parametrize("name", sorted(SIGNAL_TYPES))
def test_each_type_documents_enough_examples(name: str) -> None:
    examples = SIGNAL_TYPES[name].examples()
    assert sum(e.expected is not None for e in examples) >= 3
    assert sum(e.expected is None for e in examples) >= 3


@pytest.mark.parametrize(("name", "example"), CASES)
def test_example(name: str, example: SignalExample) -> None:
    plugin = signal_type(name)
    if example.expected is None:
        with pytest.raises(Invalid) as caught:
            plugin.normalise(example.raw)
        assert caught.value.message and caught.value.field == name
        return
    assert plugin.normalise(example.raw) == example.expected
    assert plugin.normalise(example.expected) == example.expected  # idempotent


def test_corrupt_short_pdq_names_the_md5_mix_up() -> None:
    with pytest.raises(Invalid) as caught:
        signal_type("pdq").normalise("d41d8cd98f00b204e9800998ecf8427e")
    assert "64" in caught.value.message and caught.value.hint and "md5" in caught.value.hint


def test_unknown_type_is_invalid() -> None:
    with pytest.raises(Invalid):
        signal_type("photodna")
    assert signal_type(" PDQ ") is SIGNAL_TYPES["pdq"]


def test_hamming() -> None:
    assert hamming("0f", "00") == 4
    assert hamming("f" * 64, "0" * 64) == 256
    with pytest.raises(Invalid):
        hamming("00", "000")
