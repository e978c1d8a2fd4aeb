"""Keep a match run as a referral of format "media-match", owned by the agency that ran it.

Its parts are the seized files' hashes (referral_media_hashes), the bank entries they matched
(media_matches: an entry the agency may not see is stored too, and shown only through the access
policy, so a later release shows it without a re-run), one person record for the holder of the device,
and one "media_series" sighting per series matched, tied to that person: the linkage correlates them
like any selector, so two subjects holding the same rare series are linked as evidence (a series held
by more than `link_max_persons_per_value` records is reported as over-correlating instead).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.config import Settings
from caseweave.db.base import utcnow
from caseweave.db.bulk import bulk_insert
from caseweave.intake.models import PersonRecord, Referral, ReferralMediaHash, Sighting
from caseweave.intake.storage import store_raw
from caseweave.linkage.on_import import link_after_import
from caseweave.media.models import MediaMatch
from caseweave.operations.models import Agency, Operation

if TYPE_CHECKING:
    from caseweave.media.matching import FileResult

FORMAT = "media-match"
SERIES = "media_series"  # the selector type of a matched series
HOLDER_REF = "holder"


def series_value(series: str) -> str:
    """A series name as the linkage compares it: case and spacing folded."""
    return " ".join(series.split()).casefold()[:400]


def store_run(
    session: Session,
    actor: Actor,
    settings: Settings,
    operation: Operation,
    owner: Agency,
    tlp: TLP,
    file_name: str,
    data: bytes,
    sha256: str,
    holder: str | None,
    files: Sequence[FileResult],
) -> tuple[int, bool, str | None]:
    """(referral id, created, what linking said); the same hash set twice stores nothing new."""
    existing = session.scalar(
        select(Referral.id).where(Referral.operation_id == operation.id, Referral.sha256 == sha256)
    )
    if existing is not None:
        return existing, False, None
    store_raw(session, io.BytesIO(data), sha256, len(data))
    counts: dict[str, Any] = {"files": len(files)}
    for f in files:
        counts[f.status] = counts.get(f.status, 0) + 1
    referral = Referral(
        operation_id=operation.id,
        owner_agency_id=owner.id,
        created_by_user_id=actor.user.id if actor.user else None,
        tlp=tlp.value,
        format=FORMAT,
        file_name=file_name[:400],
        sha256=sha256,
        external_id=sha256,
        title=f"media match: {file_name}"[:400],
        summary="hash set of seized media matched against the operation's banks",
        received_at=utcnow(),
        status="imported",
        counts=counts,
    )
    session.add(referral)
    session.flush()
    common = {
        "operation_id": operation.id,
        "owner_agency_id": owner.id,
        "tlp": tlp.value,
        "created_by_user_id": referral.created_by_user_id,
        "referral_id": referral.id,
        "created_at": utcnow(),
    }
    person = PersonRecord(
        **common, ref=HOLDER_REF, location=file_name[:400], full_name=holder, role="suspect"
    )
    session.add(person)
    session.flush()
    bulk_insert(
        session,
        ReferralMediaHash.__table__,  # type: ignore[arg-type]
        [
            {**common, "ref": f.ref, "location": file_name[:400], "person_ref": HOLDER_REF}
            | {"algorithm": algorithm, "value": value, "file_name": f.file_name}
            for f in files
            for algorithm, value in sorted(f.hashes.items())
        ],
    )
    matches = [
        {**common, "ref": f.ref, "location": file_name[:400], "file_name": f.file_name}
        | {"entry_id": entry_id, "algorithm": algorithm, "distance": distance}
        for f in files
        for entry_id, algorithm, distance in [
            *((m.entry_id, m.algorithm, m.distance) for m in f.matches),
            *f.hidden_matches,
        ]
    ]
    bulk_insert(session, MediaMatch.__table__, matches)  # type: ignore[arg-type]
    series: dict[str, tuple[str, str]] = {}  # folded value → (raw, first file's ref)
    for f in files:
        for m in f.matches:
            if m.series:
                series.setdefault(series_value(m.series), (m.series, f.ref))
    for value, (raw, ref) in sorted(series.items()):
        session.add(
            Sighting(
                **common,
                ref=ref,
                location=file_name[:400],
                person_ref=HOLDER_REF,
                person_record_id=person.id,
                selector_type=SERIES,
                value=value,
                raw_value=raw[:400],
                flags=[],
                context="media match",
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "media.match",
        "referral",
        [referral.id],
        operation_id=operation.id,
        detail={"sha256": sha256, "matches": len(matches), "series": len(series), **counts},
    )
    run = link_after_import(session, actor, settings, referral)
    linked = run if isinstance(run, str) else f"linkage run {run.run_id}: {run.alerts_new} new alert(s)"
    return referral.id, True, linked
