"""Device identifiers: IMEIs (15 digits, Luhn) and mobile advertising IDs (IDFA/GAID, UUIDs)."""

from __future__ import annotations

import re
import uuid

from caseweave.selectors.base import Normalised, SelectorExample, SelectorType
from caseweave.selectors.checksums import ascii_digits, luhn_check_digit, luhn_valid

_UUID_BODY = r"[0-9a-fA-F]{8}(?:-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}"
_UUID = re.compile(rf"\{{{_UUID_BODY}\}}|{_UUID_BODY}")  # bare, or in braces as Windows tools print it
_SEPARATORS = re.compile(r"[ \-]")


class DeviceSelector(SelectorType):
    name = "device"

    def _parse(self, text: str, *, platform: str | None, region: str | None) -> Normalised:
        if _UUID.fullmatch(text):
            return self._advertising_id(text)
        digits = _SEPARATORS.sub("", text)
        if ascii_digits(digits):
            return self._imei(digits, text)
        raise self._invalid(
            f"{text!r} is not a device identifier",
            hint="expected an IMEI (15 digits) or an advertising ID (UUID, e.g. IDFA or GAID)",
        )

    def _advertising_id(self, text: str) -> Normalised:
        value = uuid.UUID(text.strip("{}"))
        if value.int == 0:
            raise self._invalid(
                f"advertising ID {text!r} is all zeros",
                hint="devices report it when the user opted out of tracking; it names no device",
            )
        return Normalised(str(value), frozenset({"advertising_id"}))

    def _imei(self, digits: str, text: str) -> Normalised:
        if len(digits) == 14:
            raise self._invalid(
                f"IMEI {text!r} has 14 digits, without its check digit",
                hint=f"with the Luhn check digit it would be {digits}{luhn_check_digit(digits)}; confirm it",
            )
        if len(digits) == 16:
            raise self._invalid(
                f"{text!r} has 16 digits: an IMEISV, with a software version instead of a check digit",
                hint="give the 15-digit IMEI (the device's label or *#06#)",
            )
        if len(digits) != 15:
            raise self._invalid(f"IMEI {text!r} has {len(digits)} digits; an IMEI has 15")
        if not luhn_valid(digits):
            raise self._invalid(f"IMEI {digits} fails its Luhn check", hint="a digit is probably mistyped")
        if int(digits[:14]) == 0:
            raise self._invalid(f"IMEI {digits} is the all-zero placeholder, not a device")
        return Normalised(digits, frozenset({"imei"}))

    @classmethod
    def examples(cls) -> list[SelectorExample]:
        return [
            SelectorExample("490154203237518", "490154203237518", flags=frozenset({"imei"})),
            SelectorExample("49-015420-323751-8", "490154203237518", flags=frozenset({"imei"})),
            SelectorExample("35 209900 176148 1", "352099001761481", flags=frozenset({"imei"})),
            SelectorExample(
                "6D92078A-8246-4BA4-AE5B-76104861E7DC",
                "6d92078a-8246-4ba4-ae5b-76104861e7dc",
                flags=frozenset({"advertising_id"}),
            ),
            SelectorExample(
                "38400000-8cf0-11bd-b23e-10b96e40000d",
                "38400000-8cf0-11bd-b23e-10b96e40000d",
                flags=frozenset({"advertising_id"}),
            ),
            SelectorExample("490154203237519", None),
            SelectorExample("49015420323751", None),
            SelectorExample("4901542032375180", None),
            SelectorExample("00000000-0000-0000-0000-000000000000", None),
            SelectorExample("not-a-device", None),
        ]
