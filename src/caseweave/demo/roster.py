"""Who takes part in the demo operation. Agency names are invented; no real people appear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DemoAgency:
    code: str
    country: str
    kind: str
    role: str  # lead, partner or observer
    joined_after_days: int = 0

    @property
    def name(self) -> str:
        label = {
            "police": "Online Child Protection Unit",
            "hotline": "Child Safety Hotline",
            "customs": "Customs Digital Forensics",
        }.get(self.kind, "Liaison Desk")
        return f"{self.country} {label} (demo)"

    @property
    def contact_point(self) -> str:
        return f"duty-desk@{self.code.lower()}.demo.invalid"


OPERATION_NAME = "Operation Loom (demo)"
OPERATION_START = date.today() - timedelta(days=300)

_PARTNER_COUNTRIES = (
    *("CA", "US", "AU", "NZ", "IE", "NL", "BE", "DE", "FR", "ES", "PT", "IT", "SE", "NO", "DK", "FI", "PL"),
    *("CZ", "AT", "CH", "HU", "RO", "GR", "IL", "ZA", "BR", "MX", "AR", "IN", "PH", "JP", "KR", "SG", "TH"),
)

ROSTER: tuple[DemoAgency, ...] = (
    DemoAgency("GB-OCPU", "GB", "police", "lead"),
    DemoAgency("CA-HOTLINE", "CA", "hotline", "partner"),
    *(DemoAgency(f"{cc}-OCPU", cc, "police", "partner") for cc in _PARTNER_COUNTRIES),
    # Joined part-way, as a customs service did in the real case.
    DemoAgency("IE-CUSTOMS", "IE", "customs", "partner", joined_after_days=120),
    DemoAgency("NL-LIAISON", "NL", "other", "observer", joined_after_days=30),
)

# (username, agency code, roles): the lead's team, then the first partners' investigators.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("admin.gb", "GB-OCPU", ("platform_admin",)),
    ("coordinator.gb", "GB-OCPU", ("coordinator",)),
    ("analyst.gb", "GB-OCPU", ("analyst",)),
    ("auditor.gb", "GB-OCPU", ("auditor",)),
    ("analyst.ca-hotline", "CA-HOTLINE", ("analyst",)),
    *((f"investigator.{cc.lower()}", f"{cc}-OCPU", ("investigator",)) for cc in _PARTNER_COUNTRIES),
    ("investigator.ie-customs", "IE-CUSTOMS", ("investigator",)),
    ("observer.nl-liaison", "NL-LIAISON", ("analyst",)),
    # Coordinators of the partners that agree to the operation's figures being published.
    *((f"coordinator.{cc.lower()}", f"{cc}-OCPU", ("coordinator",)) for cc in ("CA", "US", "AU", "DE")),
)
