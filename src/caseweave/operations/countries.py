"""ISO 3166-1 alpha-2 country codes."""

from __future__ import annotations

import pycountry

from caseweave.errors import Invalid


def normalise_country(code: str, field: str = "country") -> str:
    """Upper-cased alpha-2 code, or a clear error; 'UK' is accepted as the common alias of GB."""
    cleaned = code.strip().upper()
    if cleaned == "UK":
        cleaned = "GB"
    if len(cleaned) != 2 or pycountry.countries.get(alpha_2=cleaned) is None:
        raise Invalid(
            f"unknown country code {code!r}",
            field=field,
            hint="use an ISO 3166-1 alpha-2 code such as GB, CA, US, AU",
        )
    return cleaned


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country else code


def country_as_stated(text: str, field: str = "country") -> str:
    """Alpha-2 code for a country as referrals write it: a code (alpha-2 or -3) or an English name."""
    try:
        return normalise_country(text, field)
    except Invalid:
        pass
    try:
        country = pycountry.countries.lookup(text.strip())
    except LookupError:
        raise Invalid(
            f"unknown country {text!r}",
            field=field,
            hint="use an ISO 3166-1 code (GB, GBR) or the country's English name",
        ) from None
    return str(country.alpha_2)
