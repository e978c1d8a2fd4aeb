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
