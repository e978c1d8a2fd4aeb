"""Payment selectors: IBANs (ISO 13616, mod 97), card numbers (Luhn) and platform account ids."""

from __future__ import annotations

import re

from caseweave.selectors.base import Normalised, SelectorExample, SelectorType
from caseweave.selectors.checksums import ascii_digits, luhn_valid
from caseweave.selectors.namespace import check_handle, normalise_platform

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_SEPARATORS = re.compile(r"[ \-]")


def iban_valid(iban: str) -> bool:
    """ISO 7064 mod 97-10 over the IBAN with its first four characters moved to the end."""
    if iban[2:4] in ("00", "01", "99"):  # never issued: 01 and 98 would both pass the arithmetic
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


class PaymentSelector(SelectorType):
    name = "payment"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        compact = _SEPARATORS.sub("", text)
        if compact.isascii() and _IBAN_SHAPE.fullmatch(compact.upper()):
            # An IBAN's shape is distinctive enough that a failed check means a typo, never an account id.
            iban = compact.upper()
            if not iban_valid(iban):
                raise self._invalid(
                    f"IBAN {iban} fails its mod-97 check", hint="a character is probably mistyped"
                )
            return Normalised(iban, frozenset({"iban"}))
        # A Luhn-valid 13-19 digit number is read as a card even with a platform: the platform may be
        # the processor it was used on. Numeric account ids that fail Luhn stay accounts.
        if ascii_digits(compact) and 13 <= len(compact) <= 19:
            if luhn_valid(compact):
                return Normalised(compact, frozenset({"card"}))
            if platform is None:
                raise self._invalid(
                    f"card number {compact} fails its Luhn check",
                    hint="a digit is probably mistyped; for a numeric platform account id pass platform=",
                )
        if platform is None:
            raise self._invalid(
                f"{text!r} is neither an IBAN nor a card number",
                hint="for an account on a payment platform pass platform=, e.g. 'paypal' or 'cashapp'",
            )
        key = normalise_platform(platform, field=self.name)
        check_handle(text, field=self.name, what="payment account id")
        return Normalised(f"{key}:{text}", frozenset({"account"}))

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        return [
            SelectorExample(
                "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", flags=frozenset({"iban"})
            ),
            SelectorExample("de89370400440532013000", "DE89370400440532013000", flags=frozenset({"iban"})),
            SelectorExample("4111 1111 1111 1111", "4111111111111111", flags=frozenset({"card"})),
            SelectorExample("5555-5555-5555-4444", "5555555555554444", flags=frozenset({"card"})),
            SelectorExample("378282246310005", "378282246310005", flags=frozenset({"card"})),
            SelectorExample(
                "$Example_Tag", "cashapp:$Example_Tag", platform="CashApp", flags=frozenset({"account"})
            ),
            SelectorExample("4111111111111112", "bank-x:4111111111111112", platform="bank-x"),
            SelectorExample("GB82 WEST 1234 5698 7654 33", None),
            SelectorExample("GB82 WEST 1234 5698 7654 33", None, platform="bank-x"),
            SelectorExample("4111 1111 1111 1112", None),
            SelectorExample("some-account", None),
            SelectorExample("two words", None, platform="paypal"),
        ]
