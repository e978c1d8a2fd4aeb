"""The package document: one JSON object, written canonically so its sha256 identifies it.

Canonical form: keys sorted, no insignificant whitespace, UTF-8. The stored `body` is exactly these
bytes and the JSON export is the same file, so `sha256sum` of an exported package equals the hash
the database holds; verify() re-canonicalises a file before hashing, so a copy that was only
pretty-printed still verifies while any change to its content does not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caseweave.access.labels import TLP
from caseweave.dissemination.urgency import LABELS, LEVELS
from caseweave.operations.models import Agency, Operation

FORMAT = "caseweave.lead-package"
# 2: no "further_material" (it counted and named what the receiver may not see)
FORMAT_VERSION = 2
# what the agency is told, not when or as which version: equal content means nothing to send
CONTENT_KEYS = ("to", "tlp", "subjects")


def canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_of(document: Any) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


def content_sha256(document: dict[str, Any]) -> str:
    return sha256_of({key: document[key] for key in CONTENT_KEYS})


def strictest(labels: set[str], floor: TLP) -> TLP:
    parsed = [TLP.parse(label) for label in labels] + [floor]
    return max(parsed, key=lambda label: label.strictness)


def agency_part(agency: Agency) -> dict[str, str]:
    return {
        "code": agency.code,
        "name": agency.name,
        "country": agency.country,
        "contact_point": agency.contact_point,
    }


def reference_for(operation_id: int, agency_code: str, version: int) -> str:
    return f"PKG-{operation_id}-{agency_code}-V{version}".upper()


@dataclass(frozen=True)
class Issue:
    """When and by whom, which version, and what it follows."""

    version: int
    issued_at: datetime
    issued_by: str
    deadline: datetime
    deadline_hours: float
    previous: dict[str, Any] | None  # {"reference", "sha256"} of the version it replaces


def content(agency: Agency, tlp: TLP, subjects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "to": agency_part(agency),
        "tlp": tlp.value,
        "subjects": subjects,
    }


def build(
    operation: Operation,
    agency: Agency,
    issue: Issue,
    what: dict[str, Any],
    floor: TLP,
    changes: dict[str, Any] | None,
) -> dict[str, Any]:
    subjects: list[dict[str, Any]] = what["subjects"]
    levels = [s["urgency"] for s in subjects]
    urgency = min(levels, key=LEVELS.index, default="routine")
    lead = operation.lead_agency
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "reference": reference_for(operation.id, agency.code, issue.version),
        "version": issue.version,
        "previous": issue.previous,
        "issued_at": issue.issued_at.isoformat(),
        "issued_by": issue.issued_by,
        "operation": {"id": operation.id, "name": operation.name},
        "from": agency_part(lead),
        **what,
        "tlp_rule": f"the strictest label of the records shown, and never below {floor.value}",
        "urgency": urgency,
        "urgency_label": LABELS[urgency],
        "deadline": issue.deadline.isoformat(),
        "deadline_rule": f"acknowledge within {issue.deadline_hours:g} hours ({LABELS[urgency]})",
        "summary": {
            "subjects": len(subjects),
            **{level: levels.count(level) for level in LEVELS},
            "records": sum(len(s["persons"]) for s in subjects),
            "selectors": sum(len(s["selectors"]) for s in subjects),
            "media_hashes_listed": sum(int(s["media"]["hashes_listed"]) for s in subjects),
        },
        "changes": changes,
        "handling": (
            f"TLP:{what['tlp']}. Prepared for {agency.code} by the coordinator of {operation.name} "
            f"({lead.code}). Other agencies may hold further material: request it via the coordinator "
            f"({lead.contact_point}); "
            "report the outcome for each subject in caseweave. Media content is never included."
        ),
    }
