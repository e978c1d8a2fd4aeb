"""Imports every model so Base.metadata is complete (for migrations and model checks)."""

from caseweave.access.records import Release
from caseweave.audit.models import AuditEntry, AuditHead
from caseweave.auth.models import Token, User
from caseweave.intake.models import (
    PersonRecord,
    QuarantinedRecord,
    RawChunk,
    RawFile,
    Referral,
    ReferralMediaHash,
    Sighting,
)
from caseweave.notes.models import Note
from caseweave.operations.models import Agency, Membership, Operation

__all__ = [
    "Agency",
    "AuditEntry",
    "AuditHead",
    "Membership",
    "Note",
    "Operation",
    "PersonRecord",
    "QuarantinedRecord",
    "RawChunk",
    "RawFile",
    "Referral",
    "ReferralMediaHash",
    "Release",
    "Sighting",
    "Token",
    "User",
]
