"""Fill the demo operation with a synthetic operation's referrals, each sent by the agency it names."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseweave.actor import Actor
from caseweave.demo.roster import ROSTER
from caseweave.intake.models import Referral
from caseweave.intake.service import import_referral
from caseweave.operations.models import Operation

_COUNTRY_IN_NAME = re.compile(r"_([A-Z]{2})(?:_\d+)?\.")
LEAD = ROSTER[0].code
SENDERS = {agency.country: agency.code for agency in ROSTER if agency.kind == "police"}


@dataclass
class DemoImport:
    referrals: int = 0
    persons: int = 0
    accounts: int = 0  # records of unnamed online accounts (and phone lines)
    sightings: int = 0
    quarantined: int = 0
    by_format: dict[str, int] = field(default_factory=dict)


def sender_for(file_name: str) -> str:
    """The tip-off comes from the Canadian hotline, a partner's files from its unit, others from the lead."""
    if file_name.startswith("tipoff_CA"):
        return "CA-HOTLINE"
    match = _COUNTRY_IN_NAME.search(file_name)
    return SENDERS.get(match.group(1), LEAD) if match else LEAD


def import_folder(
    session: Session, operator: Actor, operation: Operation, folder: Path, on_file: Callable[[str], None]
) -> DemoImport:
    result = DemoImport()
    for path in sorted(folder.iterdir()):
        if path.name == "truth.json" or not path.is_file():
            continue
        on_file(path.name)
        with path.open("rb") as stream:
            outcome = import_referral(
                session, operator, operation.id, stream, path.name, agency=sender_for(path.name), partial=True
            )
        result.referrals += 1
        result.persons += outcome.counts.get("persons", 0)
        result.accounts += outcome.counts.get("accounts", 0) + outcome.counts.get("phone_lines", 0)
        result.sightings += outcome.counts.get("sightings", 0)
        result.quarantined += outcome.counts.get("quarantined", 0)
        result.by_format[outcome.referral.format] = result.by_format.get(outcome.referral.format, 0) + 1
    return result


def has_referrals(session: Session, operation: Operation) -> bool:
    query = select(func.count()).select_from(Referral).where(Referral.operation_id == operation.id)
    return bool(session.scalar(query))
