from __future__ import annotations

import pytest

from caseweave.selectors import InvalidSelector, normalise
from caseweave.selectors.wallet import eip55_checksum

# From EIP-55's own test cases.
EIP55 = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55)
def test_eip55_vectors(address: str) -> None:
    assert "0x" + eip55_checksum(address[2:].lower()) == address
    assert normalise("wallet", address).value == address.lower()


@pytest.mark.parametrize("address", EIP55)
def test_eip55_mixed_case_with_one_flipped_letter_fails(address: str) -> None:
    index = next(i for i, char in enumerate(address) if i > 1 and char.isalpha())
    flipped = address[:index] + address[index].swapcase() + address[index + 1 :]
    with pytest.raises(InvalidSelector, match="EIP-55"):
        normalise("wallet", flipped)


@pytest.mark.parametrize(
    "address",
    [  # BIP-173 / BIP-350 valid mainnet vectors
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "BC1SW50QGDZ25J",
        "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    ],
)
def test_segwit_vectors(address: str) -> None:
    result = normalise("wallet", address)
    assert result.value == address.lower()
    assert "btc" in result.flags


def test_version_0_needs_bech32_and_later_versions_bech32m() -> None:
    assert "bech32" in normalise("wallet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").flags
    assert (
        "bech32m"
        in normalise("wallet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0").flags
    )
    with pytest.raises(InvalidSelector, match="bech32m checksum, but witness version 0 needs bech32"):
        normalise("wallet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh")
    with pytest.raises(InvalidSelector, match="bech32 checksum, but witness version 1 needs bech32m"):
        normalise("wallet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd")


@pytest.mark.parametrize(
    "address",
    [  # BIP-350 invalid vectors: bad version, program lengths, padding, alphabet, empty data, mixed case
        "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
        "bc1pw5dgrnzv",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
        "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
        "bc1gmk9yu",
        "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    ],
)
def test_segwit_invalid_vectors(address: str) -> None:
    with pytest.raises(InvalidSelector):
        normalise("wallet", address)


def test_base58_keeps_case_and_checks_checksum() -> None:
    assert (
        normalise("wallet", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2").value
        == "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
    )
    with pytest.raises(InvalidSelector, match="checksum"):
        normalise("wallet", "1bvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
