"""Imports every model so Base.metadata is complete (for migrations and model checks)."""

from caseweave.access.records import Release
from caseweave.attribution.models import Attribution, AttributionEvidence, SubjectRoute
from caseweave.audit.models import AuditEntry, AuditHead
from caseweave.auth.models import Token, User
from caseweave.dissemination.models import Package, PackageOutcome, PackageSubject
from caseweave.intake.models import (
    PersonRecord,
    QuarantinedRecord,
    RawChunk,
    RawFile,
    Referral,
    ReferralMediaHash,
    Sighting,
)
from caseweave.linkage.models import (
    Alert,
    Judgement,
    Link,
    LinkageModel,
    LinkageRun,
    Subject,
    SubjectEvent,
    SubjectMember,
    Warninglist,
    WarninglistEntry,
)
from caseweave.media.models import MediaBank, MediaBankEntry, MediaEntryHash, MediaHash, MediaMatch
from caseweave.notes.models import Note
from caseweave.operations.models import Agency, Membership, Operation
from caseweave.outcomes.models import OutcomeEvent
from caseweave.stats.models import ReleaseConsent
from caseweave.victims.models import Victim, VictimEvent, VictimLink

__all__ = [
    "Agency",
    "Alert",
    "Attribution",
    "AttributionEvidence",
    "AuditEntry",
    "AuditHead",
    "Judgement",
    "Link",
    "LinkageModel",
    "LinkageRun",
    "MediaBank",
    "MediaBankEntry",
    "MediaEntryHash",
    "MediaHash",
    "MediaMatch",
    "Membership",
    "Note",
    "Operation",
    "OutcomeEvent",
    "Package",
    "PackageOutcome",
    "PackageSubject",
    "PersonRecord",
    "QuarantinedRecord",
    "RawChunk",
    "RawFile",
    "Referral",
    "ReferralMediaHash",
    "Release",
    "ReleaseConsent",
    "Sighting",
    "Subject",
    "SubjectEvent",
    "SubjectMember",
    "SubjectRoute",
    "Token",
    "User",
    "Victim",
    "VictimEvent",
    "VictimLink",
    "Warninglist",
    "WarninglistEntry",
]
