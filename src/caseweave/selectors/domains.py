"""Domain names as e-mail and URL selectors hold them: lowercase IDNA ASCII (UTS #46 mapping)."""

from __future__ import annotations

import re

import idna

from caseweave.selectors.base import InvalidSelector

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def normalise_domain(host: str, *, field: str) -> str:
    """host as lowercase ASCII (xn-- labels for non-ASCII); at least two labels, TLD not numeric."""
    # One trailing dot is the fully-qualified spelling of the same name.
    name = host[:-1] if host.endswith(".") else host
    if not name:
        raise InvalidSelector("empty domain name", field=field)
    try:
        ascii_name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
    except (UnicodeError, ValueError) as error:  # idna.IDNAError is a UnicodeError
        raise InvalidSelector(f"domain {host!r} is not a valid IDNA name: {error}", field=field) from error
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise InvalidSelector(
            f"domain {host!r} has a single label",
            field=field,
            hint="give the full domain name, e.g. example.com",
        )
    if any(not _LABEL.fullmatch(label) for label in labels):
        raise InvalidSelector(
            f"domain {host!r} has a label that is not letters, digits and hyphens", field=field
        )
    if labels[-1].isdigit():
        raise InvalidSelector(f"{host!r} is an IP address, not a domain name", field=field)
    return ascii_name
