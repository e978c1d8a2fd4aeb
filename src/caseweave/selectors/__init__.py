"""Selectors: identifiers seen in referrals (e-mail, phone, IP, wallet…), normalised so that equal
values mean the same identifier across agencies. One module per type; SELECTOR_TYPES is the registry."""

from __future__ import annotations

from caseweave.selectors.base import InvalidSelector, Normalised, SelectorExample, SelectorType
from caseweave.selectors.device import DeviceSelector
from caseweave.selectors.email import EmailSelector
from caseweave.selectors.ip import IpSelector
from caseweave.selectors.payment import PaymentSelector
from caseweave.selectors.phone import PhoneSelector
from caseweave.selectors.url import UrlSelector
from caseweave.selectors.username import UsernameSelector
from caseweave.selectors.wallet import WalletSelector

SELECTOR_TYPES: dict[str, SelectorType] = {
    selector.name: selector
    for selector in (
        EmailSelector(),
        UsernameSelector(),
        PhoneSelector(),
        IpSelector(),
        DeviceSelector(),
        PaymentSelector(),
        WalletSelector(),
        UrlSelector(),
    )
}


def normalise(
    selector_type: str, raw: str, *, platform: str | None = None, region: str | None = None
) -> Normalised:
    """The normalised selector, or InvalidSelector saying why raw is not one (or the type is unknown)."""
    selector = SELECTOR_TYPES.get(selector_type)
    if selector is None:
        known = ", ".join(sorted(SELECTOR_TYPES))
        raise InvalidSelector(
            f"unknown selector type {selector_type!r}", field="selector_type", hint=f"known types: {known}"
        )
    return selector.normalise(raw, platform=platform, region=region)


__all__ = [
    "SELECTOR_TYPES",
    "InvalidSelector",
    "Normalised",
    "SelectorExample",
    "SelectorType",
    "normalise",
]
