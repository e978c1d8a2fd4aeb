"""The weights and thresholds of attribution, read from Settings (CASEWEAVE_ATTRIBUTION_*).

| clue | weight (default) | why |
|---|---|---|
| country an agency's referral states (MISP, STIX) | 3.0 | an investigator wrote it down |
| country a platform states for its user (CyberTip, return, chat) | 2.0 | the user's own or billing address |
| country at the end of a stated postal address | 1.5 | read from free text, only where no country is stated |
| phone number with its country code | 2.0 | numbers are bought and topped up locally |
| … written in national format | × 0.5 | its country was assumed at import from the referral |
| IP address block (/24, /48) located by the GeoProvider | 1.0 | a lead: blocks move, people travel |
| … flagged possibleProxy by the source | × 0.25 | may be a relay, not the person |
| … seen more than 365 days from the data's date | × 0.5 | the block may have changed hands |
| … on a warning list (Tor, VPN, hosting, CGNAT …) or in a special range | 0 | a service, not the person |
| e-mail domain under a country-code TLD | 0.3 | anyone registers one; .io, .me … count 0 |

Confidence = weight of the top country / (all counted weight + prior 1.0), so one weak clue never
looks certain. Contested: the top two shares are closer than 0.15. Below confidence 0.3: review.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from caseweave.config import Settings


@dataclass(frozen=True)
class Weights:
    ip: float = 1.0
    proxy_factor: float = 0.25
    stale_days: int = 365
    stale_factor: float = 0.5
    phone: float = 2.0
    phone_national_factor: float = 0.5
    email_cctld: float = 0.3
    stated_country: float = 3.0
    platform_country: float = 2.0
    address: float = 1.5
    prior: float = 1.0
    contested_margin: float = 0.15
    min_confidence: float = 0.3

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            ip=settings.attribution_weight_ip,
            proxy_factor=settings.attribution_proxy_factor,
            stale_days=settings.attribution_ip_stale_days,
            stale_factor=settings.attribution_ip_stale_factor,
            phone=settings.attribution_weight_phone,
            phone_national_factor=settings.attribution_phone_national_factor,
            email_cctld=settings.attribution_weight_email_cctld,
            stated_country=settings.attribution_weight_stated_country,
            platform_country=settings.attribution_weight_platform_country,
            address=settings.attribution_weight_address,
            prior=settings.attribution_prior_weight,
            contested_margin=settings.attribution_contested_margin,
            min_confidence=settings.attribution_min_confidence,
        )

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Weights:
        """The weights a stored attribution was computed with (unknown keys ignored)."""
        known = {name: params[name] for name in cls.__dataclass_fields__ if name in params}
        return cls(**known)

    def as_params(self) -> dict[str, Any]:
        return asdict(self)
