"""Platform namespaces ("instagram:alice") and the hygiene rules for free-form handles and ids."""

from __future__ import annotations

import re
import unicodedata

from caseweave.selectors.base import InvalidSelector

_PLATFORM = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MAX_HANDLE = 256


def normalise_platform(platform: str | None, *, field: str) -> str:
    """The platform key, lowercased; required wherever an id only means something on one platform."""
    key = (platform or "").strip().lower()
    if not key:
        raise InvalidSelector(
            f"a {field} selector needs the platform it belongs to",
            field="platform",
            hint="pass platform=, e.g. 'instagram' or 'discord'",
        )
    if not _PLATFORM.fullmatch(key):
        raise InvalidSelector(
            f"platform {platform!r} is not a platform key",
            field="platform",
            hint="use letters, digits, '.', '_' or '-', e.g. 'instagram'",
        )
    return key


def check_handle(handle: str, *, field: str, what: str) -> None:
    """Reject what no platform id contains: whitespace, control/invisible characters, huge values."""
    if not handle:
        raise InvalidSelector(f"empty {what}", field=field)
    if len(handle) > MAX_HANDLE:
        raise InvalidSelector(f"{what} is {len(handle)} characters long (at most {MAX_HANDLE})", field=field)
    for char in handle:
        category = unicodedata.category(char)
        if char.isspace() or category.startswith("Z"):
            raise InvalidSelector(f"{what} {handle!r} contains whitespace", field=field)
        # Cc control, Cf invisible format (zero-width space/joiner), Cs/Co/Cn: no place in an id.
        if category.startswith("C"):
            raise InvalidSelector(
                f"{what} {handle!r} contains control or invisible character U+{ord(char):04X}", field=field
            )
