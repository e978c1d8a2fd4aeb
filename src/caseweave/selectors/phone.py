"""Phone numbers in E.164, parsed with libphonenumber's metadata (the phonenumbers package)."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from caseweave.selectors.base import InvalidSelector, Normalised, SelectorExample, SelectorType

_WHY_IMPOSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: "its country calling code does not exist",
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.TOO_LONG: "it is too long",
    ValidationResult.INVALID_LENGTH: "no number in that country has this length",
}


def _default_region(region: str | None) -> str | None:
    """The sending agency's country (ISO 3166 alpha-2), used for numbers written in national format."""
    if region is None or not region.strip():
        return None
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidSelector(
            f"region {region!r} is not a country with a telephone numbering plan",
            field="region",
            hint="use the ISO 3166 alpha-2 code of the sending agency, e.g. GB",
        )
    return code


class PhoneSelector(SelectorType):
    name = "phone"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        default = _default_region(region)
        # "00" is the international prefix almost everywhere; the default region's own prefix
        # (e.g. 011 in the US) is understood by phonenumbers itself.
        candidate = "+" + text[2:] if text.startswith("00") else text
        try:
            number = phonenumbers.parse(candidate, default)
        except NumberParseException as error:
            if error.error_type == NumberParseException.INVALID_COUNTRY_CODE and default is None:
                raise self._invalid(
                    f"phone number {text!r} has no country code and no region was given",
                    hint="write it as +<country code>… or pass region= (the sending agency's country)",
                ) from error
            raise self._invalid(f"{text!r} is not a phone number: {error}") from error
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
            why = _WHY_IMPOSSIBLE.get(reason, "it is not a possible number")
            raise self._invalid(f"phone number {text!r} is not possible: {why}")
        if not phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            raise self._invalid(
                f"phone number {text!r} ({e164}) is not valid: no allocated number range matches it",
                hint="check the digits; a national number needs region= set to its country",
            )
        value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        country = phonenumbers.region_code_for_number(number)  # "001" for non-geographic ranges
        flags = {f"cc:{country}"}
        if number.extension:
            flags.add("extension")  # E.164 has no extension; the flag says one was dropped
        return Normalised(value, frozenset(flags))

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        return [
            # libphonenumber's own example numbers: synthetic, yet in allocated ranges.
            SelectorExample("+44 7400 123456", "+447400123456", flags=frozenset({"cc:GB"})),
            SelectorExample("07400 123456", "+447400123456", region="GB", flags=frozenset({"cc:GB"})),
            SelectorExample("0044 20 7946 0958", "+442079460958", flags=frozenset({"cc:GB"})),
            SelectorExample("(201) 555-0123", "+12015550123", region="us", flags=frozenset({"cc:US"})),
            SelectorExample("011 49 30 901820", "+4930901820", region="US", flags=frozenset({"cc:DE"})),
            SelectorExample("+61 2 9876 5432", "+61298765432", region="GB", flags=frozenset({"cc:AU"})),
            SelectorExample("07400 123456", None),
            SelectorExample("07700 900123", None, region="GB"),  # Ofcom's drama range: never allocated
            SelectorExample("+44 12", None),
            SelectorExample("+44 0000 000000", None),
            SelectorExample("call me maybe", None),
            SelectorExample("07400 123456", None, region="XX"),
        ]
