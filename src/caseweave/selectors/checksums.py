"""Luhn (ISO/IEC 7812-1), shared by IMEIs and payment card numbers."""

from __future__ import annotations


def luhn_check_digit(payload: str) -> int:
    """The digit that, appended to payload (ASCII digits), makes it pass the Luhn check."""
    total = 0
    # From the right of the payload, every first digit is doubled (it becomes every second once appended).
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def luhn_valid(digits: str) -> bool:
    """True when digits (ASCII digits, at least two) end with their Luhn check digit."""
    return len(digits) >= 2 and luhn_check_digit(digits[:-1]) == int(digits[-1])


def ascii_digits(text: str) -> bool:
    """str.isdigit accepts other scripts' digits and superscripts; identifiers use 0-9 only."""
    return text.isascii() and text.isdigit()
