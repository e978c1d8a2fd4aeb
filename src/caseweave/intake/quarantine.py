"""Quarantined records: kept with their reasons, listed, exported for fixing, resolved by an amendment.

How a fixed record finds its way back to the record it fixes:
- Line formats (platform CSV / JSON Lines, chat JSON Lines): the export is a file of the same format
  holding just the open bad lines (a CSV keeps its header), each marked "referral 12 line 5"
  (quarantine_lines.py). The analyst fixes the lines and imports the file with --amends 12; a line
  that now imports without error resolves the records of the line its mark names. A file with no
  marks at all is taken as the corrected whole file: its line n fixes line n.
- XML/JSON formats (cybertip, misp, stix): a record is a path in one document, not a line, so the
  export is a worklist (JSON Lines of location, field, reason, raw) and the fix is the corrected whole
  file, the same report or event; a path without error in it resolves the records at that path.
When nothing is left open the original's status becomes "amended". A line an amendment still holds
bad stays open in both; fixed later through the amendment's own export, it is resolved in both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.policy import visible
from caseweave.access.records import Release
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.db.base import utcnow
from caseweave.db.bulk import chunks
from caseweave.errors import Conflict, Forbidden, Invalid, NotFound
from caseweave.intake import quarantine_lines as lines
from caseweave.intake.models import QuarantinedRecord, Referral
from caseweave.intake.records import Location, RecordError
from caseweave.intake.storage import read_raw
from caseweave.operations.models import Agency

LINE_FORMATS = frozenset({"platform", "chat"})
BATCH = 1000
RAW_CHARS = 4000


def place(location: Location) -> str:
    """Where a record sits in its file, without the file's name: the same place in a corrected copy."""
    return ":".join(
        part for part in (f"line {location.line}" if location.line else None, location.path) if part
    )


def store(
    session: Session, errors: Sequence[RecordError], common: dict[str, Any], stream: BinaryIO, fmt: str
) -> None:
    """Quarantine bad records; for line formats `raw` is the whole line, read again from the file."""
    texts: dict[int, str] = {}
    if fmt in LINE_FORMATS:
        wanted = {error.location.line for error in errors if error.location.line is not None}
        texts = {
            n: text.decode("utf-8", errors="replace")[:RAW_CHARS]
            for n, text in lines.raw_lines(lines.chunks(stream), wanted.__contains__)
        }
    rows = [
        {
            **common,
            "ref": place(error.location)[:200],
            "location": str(error.location)[:400],
            "line": error.location.line,
            "field": error.field[:100],
            "reason": error.reason,
            "raw": texts.get(error.location.line or 0, error.raw)[:RAW_CHARS],
        }
        for error in errors
    ]
    for batch in chunks(rows, BATCH):
        session.execute(insert(cast(Table, QuarantinedRecord.__table__)), batch)


def _referral(session: Session, actor: Actor, referral_id: int, field: str = "referral_id") -> Referral:
    referral = session.scalar(
        select(Referral).where(Referral.id == referral_id, visible(Referral, actor.viewer))
    )
    if referral is None:
        raise NotFound(f"referral {referral_id} not found", field=field)
    return referral


def _records(
    session: Session, actor: Actor, referral: Referral, *, open_only: bool
) -> Sequence[QuarantinedRecord]:
    query = select(QuarantinedRecord).where(
        QuarantinedRecord.referral_id == referral.id, visible(QuarantinedRecord, actor.viewer)
    )
    if open_only:
        query = query.where(QuarantinedRecord.resolved.is_(False))
    return session.scalars(query.order_by(QuarantinedRecord.id)).all()


def list_quarantined(session: Session, actor: Actor, referral_id: int) -> Sequence[QuarantinedRecord]:
    """A referral's quarantined records, open and resolved, as the actor may see them."""
    referral = _referral(session, actor, referral_id)
    records = _records(session, actor, referral, open_only=False)
    audit.record(
        session,
        actor,
        "quarantine.list",
        "quarantined_record",
        [record.id for record in records],
        operation_id=referral.operation_id,
        detail={"referral_id": referral.id},
    )
    return records


@dataclass(frozen=True)
class Export:
    referral_id: int
    records: int  # open quarantined records written
    suffix: str  # .csv or .jsonl
    worklist: bool  # True: a list to work through (fix the whole file); False: lines to fix and import


def export_quarantined(session: Session, actor: Actor, referral_id: int, out: BinaryIO) -> Export:
    """Write the open quarantined records so they can be fixed and imported with --amends."""
    referral = _referral(session, actor, referral_id)
    records = _records(session, actor, referral, open_only=True)
    if not records:
        raise Conflict(f"referral {referral.id} has no open quarantined records", field="referral_id")
    if referral.format in LINE_FORMATS:
        suffix = _export_lines(session, referral, {r.line for r in records if r.line is not None}, out)
    else:
        suffix = ".jsonl"
        for r in records:
            item = {"location": r.location, "field": r.field, "reason": r.reason, "raw": r.raw}
            out.write(json.dumps(item, ensure_ascii=False).encode() + b"\n")
    audit.record(
        session,
        actor,
        "quarantine.export",
        "quarantined_record",
        [record.id for record in records],
        operation_id=referral.operation_id,
        detail={"referral_id": referral.id},
    )
    return Export(referral.id, len(records), suffix, referral.format not in LINE_FORMATS)


def _export_lines(session: Session, referral: Referral, wanted: set[int], out: BinaryIO) -> str:
    first = lines.first_line(read_raw(session, referral.sha256))
    json_layout = referral.format == "chat" or lines.is_json_layout(referral.file_name, first and first[1])
    if first is not None and first[0] not in wanted:
        if not json_layout:
            out.write(lines.csv_header(first[1]) + b"\n")
        elif referral.format == "chat" and lines.is_server_line(first[1]):
            out.write(first[1] + b"\n")  # the server line names the platform every sighting is on
    for n, text in lines.raw_lines(read_raw(session, referral.sha256), wanted.__contains__):
        out.write(lines.marked(text, json_layout, referral.id, n) + b"\n")
    return ".jsonl" if json_layout else ".csv"


def amendment_target(
    session: Session, actor: Actor, referral_id: int, operation_id: int, sender_id: int
) -> Referral:
    """The referral an import amends: one the actor sees (else 404) and the sending agency's own."""
    if actor.user is None:
        raise Invalid(
            "an amendment is imported by a user of the sending agency",
            field="user",
            hint="add --user NAME (who can see the referral it amends)",
        )
    referral = _referral(session, actor, referral_id, field="amends")
    if referral.owner_agency_id != sender_id:
        raise Forbidden(
            f"referral {referral.id} was sent by another agency; only it may amend it", field="amends"
        )
    if referral.operation_id != operation_id:
        raise Invalid(f"referral {referral.id} belongs to another operation", field="amends")
    return referral


def inherited_releases(session: Session, original: Referral | None, tlp: TLP) -> list[str]:
    """An AMBER amendment of an AMBER referral goes to the agencies the referral was released to."""
    if original is None or tlp is not TLP.AMBER or original.tlp != TLP.AMBER.value:
        return []
    query = (
        select(Agency.code)
        .join(Release, Release.agency_id == Agency.id)
        .where(Release.record_kind == Referral.record_kind, Release.record_id == original.id)
        .order_by(Agency.code)
    )
    return list(session.scalars(query))


@dataclass
class Amendment:
    original_id: int
    resolved: dict[int, int] = field(default_factory=dict)  # referral id -> records resolved in it
    still_open: int = 0  # records of the original left open


def amend(
    session: Session, actor: Actor, original: Referral, amendment: Referral, stream: BinaryIO
) -> Amendment:
    """Record that `amendment` amends `original` and resolve what it fixes. Twice changes nothing."""
    _check_pair(original, amendment)
    whole = original.format not in LINE_FORMATS
    open_keys = set(_open(session, actor, original, whole).values())
    first = amendment.amends_referral_id is None
    if first and not open_keys:
        raise Conflict(
            f"referral {original.id} has no open quarantined records",
            field="amends",
            hint="import the file as a new referral, without --amends",
        )
    amendment.amends_referral_id = original.id
    bad = _bad_keys(session, actor, amendment, whole)
    held = open_keys - bad if whole else _held_lines(lines.chunks(stream), original.id, open_keys, bad)
    outcome = Amendment(original.id, _resolve(session, actor, original, amendment, held, whole))
    outcome.still_open = len(_open(session, actor, original, whole))
    if first or any(outcome.resolved.values()):
        audit.record(
            session,
            actor,
            "referral.amend",
            "referral",
            [original.id],
            operation_id=original.operation_id,
            detail={
                "amendment": amendment.id,
                "resolved": {str(k): v for k, v in outcome.resolved.items()},
                "open": outcome.still_open,
            },
        )
    return outcome


def _check_pair(original: Referral, amendment: Referral) -> None:
    if amendment.id == original.id:
        raise Conflict(
            f"this file is referral {original.id} itself", field="amends", hint="import the corrected file"
        )
    if amendment.owner_agency_id != original.owner_agency_id:
        raise Conflict("this file was already imported by another agency", field="amends")
    if amendment.amends_referral_id not in (None, original.id):
        raise Conflict(
            f"this file is already referral {amendment.id}, which amends referral "
            f"{amendment.amends_referral_id}",
            field="amends",
        )
    if amendment.format != original.format:
        raise Invalid(
            f"referral {original.id} is a {original.format} file; this one is {amendment.format}",
            field="amends",
            hint="an amendment has the format of the referral it amends",
        )
    own_id = original.external_id != original.sha256  # without one, the file's hash stood in for it
    if original.format not in LINE_FORMATS and own_id and amendment.external_id != original.external_id:
        raise Invalid(
            f"this file is {amendment.external_id!r}; referral {original.id} is {original.external_id!r}",
            field="amends",
            hint=f"a {original.format} referral is amended by its corrected whole file",
        )


def _key(whole: bool) -> Any:
    return QuarantinedRecord.ref if whole else QuarantinedRecord.line


def _open(session: Session, actor: Actor, referral: Referral, whole: bool) -> dict[int, Any]:
    """Open record id -> its place ('ref', whole-file formats) or line (line formats)."""
    rows = session.execute(
        select(QuarantinedRecord.id, _key(whole)).where(
            QuarantinedRecord.referral_id == referral.id,
            QuarantinedRecord.resolved.is_(False),
            visible(QuarantinedRecord, actor.viewer),
        )
    )
    return {row_id: key for row_id, key in rows if key is not None}


def _bad_keys(session: Session, actor: Actor, referral: Referral, whole: bool) -> set[Any]:
    """Where the amendment itself has quarantined records: those places are not fixed by it."""
    query = select(_key(whole)).where(
        QuarantinedRecord.referral_id == referral.id, visible(QuarantinedRecord, actor.viewer)
    )
    return set(session.scalars(query))


def _held_lines(blocks: Iterable[bytes], referral_id: int, wanted: set[int], bad: set[int]) -> set[int]:
    """Lines of `referral_id` the amendment holds without error: by mark, or (no marks) by number."""
    by_mark: set[int] = set()
    by_number: set[int] = set()
    marks = False
    for n, text in lines.raw_lines(blocks):
        if not text.strip():
            continue
        mark = lines.mark_of(text)
        if mark is None:
            if n in wanted and n not in bad:
                by_number.add(n)
            continue
        marks = True
        source, line = mark
        if source != referral_id:
            raise Invalid(
                f"line {n} was exported from referral {source}, not {referral_id}",
                field="amends",
                hint=f"import it with --amends {source}",
            )
        if line in wanted and n not in bad:
            by_mark.add(line)
    return by_mark if marks else by_number


def _resolve(
    session: Session, actor: Actor, original: Referral, amendment: Referral, held: set[Any], whole: bool
) -> dict[int, int]:
    """Resolve what the amendment fixes in `original`, then climb: if `original` amends a referral,
    the lines it fixes now were that referral's lines too."""
    resolved: dict[int, int] = {}
    referral: Referral | None = original
    keys = held
    now = utcnow()
    while referral is not None and keys and referral.id not in resolved:
        fixed = {row_id: key for row_id, key in _open(session, actor, referral, whole).items() if key in keys}
        for ids in chunks(fixed, BATCH):
            session.execute(
                update(QuarantinedRecord)
                .where(QuarantinedRecord.id.in_(ids))
                .values(resolved=True, resolved_by_referral_id=amendment.id, resolved_at=now)
                .execution_options(synchronize_session=False)
            )
        resolved[referral.id] = len(fixed)
        if fixed and not _open(session, actor, referral, whole):
            referral.status = "amended"
        if not fixed or referral.amends_referral_id is None:
            break
        parent = session.scalar(
            select(Referral).where(
                Referral.id == referral.amends_referral_id, visible(Referral, actor.viewer)
            )
        )
        if parent is not None and not whole:
            keys = _parent_lines(session, referral, set(fixed.values()), parent.id)
        referral = parent
    return resolved


def _parent_lines(session: Session, referral: Referral, fixed: set[int], parent_id: int) -> set[int]:
    """The parent's lines that `referral`'s lines `fixed` stood for (their marks, or the same numbers)."""
    by_mark: set[int] = set()
    marks = False
    for n, text in lines.raw_lines(read_raw(session, referral.sha256)):
        mark = lines.mark_of(text)
        if mark is not None:
            marks = True
            if n in fixed and mark[0] == parent_id:
                by_mark.add(mark[1])
    return by_mark if marks else fixed
