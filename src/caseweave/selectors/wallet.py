"""Cryptocurrency wallets: Bitcoin (base58check, bech32/bech32m) and Ethereum (EIP-55)."""

from __future__ import annotations

import re

import base58

from caseweave.selectors.base import Normalised, SelectorExample, SelectorType
from caseweave.selectors.bech32 import Encoding, SegwitError, decode_segwit

_ETH = re.compile(r"0[xX](?P<hex>[0-9a-fA-F]{40})")
_BASE58_VERSIONS = {0x00: "p2pkh", 0x05: "p2sh"}  # mainnet; testnet uses 0x6f / 0xc4
_BASE58_TESTNET = {0x6F, 0xC4}


def eip55_checksum(hex_address: str) -> str:
    """The EIP-55 mixed-case spelling of 40 hex digits: upper case where keccak-256 of them is >= 8."""
    # imported here: most commands never see an Ethereum address, and pycryptodome's keccak (cffi,
    # pycparser) costs ~20 ms at start-up
    from Crypto.Hash import keccak

    lowered = hex_address.lower()
    digest = keccak.new(digest_bits=256, data=lowered.encode("ascii")).hexdigest()
    return "".join(
        char.upper() if int(nibble, 16) >= 8 else char
        for char, nibble in zip(lowered, digest[:40], strict=True)
    )


class WalletSelector(SelectorType):
    name = "wallet"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        eth = _ETH.fullmatch(text)
        if eth:
            return self._ethereum(eth["hex"], text)
        if text[:3].lower() in ("bc1", "tb1"):
            return self._segwit(text)
        if 25 <= len(text) <= 35 and text[0] in "123mn":  # base58check P2PKH/P2SH lengths
            return self._base58(text)
        raise self._invalid(
            f"{text!r} is not a Bitcoin or Ethereum address",
            hint="expected 1…/3… or bc1… (Bitcoin) or 0x followed by 40 hex digits (Ethereum)",
        )

    def _ethereum(self, hex_digits: str, text: str) -> Normalised:
        mixed = hex_digits != hex_digits.lower() and hex_digits != hex_digits.upper()
        # All-lower or all-upper carries no checksum; mixed case is a checksum and must match.
        if mixed and eip55_checksum(hex_digits) != hex_digits:
            raise self._invalid(
                f"Ethereum address {text} fails its EIP-55 mixed-case checksum",
                hint="a character is probably mistyped; copy the address again",
            )
        return Normalised("0x" + hex_digits.lower(), frozenset({"eth"}))

    def _segwit(self, text: str) -> Normalised:
        try:
            address = decode_segwit(text)
        except SegwitError as error:
            raise self._invalid(f"Bitcoin address {text} {error}") from error
        if address.hrp != "bc":
            raise self._invalid(
                f"{text} is a Bitcoin testnet address",
                hint="testnet coins have no value; only mainnet is accepted",
            )
        kind = "bech32" if address.encoding is Encoding.BECH32 else "bech32m"
        return Normalised(text.lower(), frozenset({"btc", "segwit", kind}))

    def _base58(self, text: str) -> Normalised:
        try:
            payload: bytes = base58.b58decode_check(text)
        except ValueError as error:  # bad alphabet or checksum; UnicodeEncodeError is a ValueError
            raise self._invalid(f"Bitcoin address {text} fails its base58check checksum") from error
        if len(payload) != 21:
            raise self._invalid(f"Bitcoin address {text} decodes to {len(payload)} bytes (21 expected)")
        version = payload[0]
        if version in _BASE58_TESTNET:
            raise self._invalid(
                f"{text} is a Bitcoin testnet address",
                hint="testnet coins have no value; only mainnet is accepted",
            )
        if version not in _BASE58_VERSIONS:
            raise self._invalid(f"{text} has base58 version byte {version:#04x}, not a Bitcoin address")
        return Normalised(text, frozenset({"btc", "base58", _BASE58_VERSIONS[version]}))

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        btc, eth = frozenset({"btc"}), frozenset({"eth"})
        return [
            # Bitcoin genesis block address and the Bitcoin wiki's P2SH example.
            SelectorExample(
                "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", flags=btc
            ),
            SelectorExample(
                "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", flags=btc
            ),
            # BIP-173 and BIP-350 test vectors.
            SelectorExample(
                "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                flags=btc | {"bech32"},
            ),
            SelectorExample(
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
                flags=btc | {"bech32m"},
            ),
            # EIP-55 test vectors: checksummed, all upper case, all lower case.
            SelectorExample(
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
                flags=eth,
            ),
            SelectorExample(
                "0x52908400098527886E0F7030069857D2E4169EE7",
                "0x52908400098527886e0f7030069857d2e4169ee7",
                flags=eth,
            ),
            SelectorExample(
                "0xde709f2102306220921060314715629080e2fb77",
                "0xde709f2102306220921060314715629080e2fb77",
                flags=eth,
            ),
            SelectorExample("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", None),
            SelectorExample("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed", None),  # one letter's case changed
            SelectorExample("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", None),  # v0 with a bech32m checksum
            SelectorExample(
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", None
            ),  # v1, bech32
            SelectorExample(
                "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", None
            ),  # testnet
            SelectorExample("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea", None),
        ]
