"""Bulk returns from an agency: one CSV, one transaction. Any bad line refuses the whole file with every
error named (line, field, reason); a line already held (same facts) is skipped, so the same file twice
adds nothing.

Columns (header required; order free): subject, kind, date, country, counts, offence, plea, sentence,
indeterminate, note. Only subject, kind and date are required.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from caseweave.access.labels import TLP
from caseweave.access.service import require_case_writer, visible_operation
from caseweave.actor import Actor
from caseweave.bounds import ascii_int
from caseweave.errors import CaseweaveError, Invalid
from caseweave.outcomes.service import OutcomeIn, add_outcome

COLUMNS = (
    "subject",
    "kind",
    "date",
    "country",
    "counts",
    "offence",
    "plea",
    "sentence",
    "indeterminate",
    "note",
)
REQUIRED = ("subject", "kind", "date")
TRUE = {"1", "true", "yes", "y"}


@dataclass
class LineError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason}"


@dataclass
class ImportResult:
    added: list[int] = field(default_factory=list)  # outcome ids
    skipped: list[int] = field(default_factory=list)  # line numbers already held


def import_csv(
    session: Session, actor: Actor, operation_id: int, text: str, name: str, tlp: TLP = TLP.AMBER
) -> ImportResult:
    require_case_writer(session, actor, visible_operation(session, actor, operation_id))
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise Invalid(
            f"{name} line 1: missing column(s) {', '.join(missing)}",
            field="header",
            hint="columns: " + ", ".join(COLUMNS),
        )
    reader.fieldnames = header
    result, errors = ImportResult(), []
    for row in reader:
        line = reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            data = _parse(cells, line, tlp)
            event = add_outcome(
                session,
                actor,
                operation_id,
                data,
                source="csv",
                source_ref=f"{name} line {line}",
                duplicate="skip",
            )
        except _LineInvalid as bad:
            errors.append(bad.error)
            continue
        except CaseweaveError as bad:
            if bad.code != "invalid" and bad.code != "not_found":
                raise  # forbidden, missing operation: the whole file, not one line
            errors.append(LineError(line, bad.field or "", bad.message))
            continue
        (result.added.append(event.id) if event is not None else result.skipped.append(line))
    if errors:
        raise Invalid(
            f"{name}: {len(errors)} bad line(s), nothing imported: " + "; ".join(str(e) for e in errors),
            field=f"line {errors[0].line}",
            hint="fix the lines and import the whole file again",
        )
    return result


class _LineInvalid(Exception):
    def __init__(self, error: LineError) -> None:
        super().__init__(str(error))
        self.error = error


def _parse(cells: dict[str, str], line: int, tlp: TLP) -> OutcomeIn:
    for column in REQUIRED:
        if not cells.get(column):
            raise _LineInvalid(LineError(line, column, "missing"))
    try:
        on = date.fromisoformat(cells["date"])
    except ValueError:
        raise _LineInvalid(LineError(line, "date", f"{cells['date']!r} is not a date (YYYY-MM-DD)")) from None
    counts = None
    if cells.get("counts"):
        counts = ascii_int(cells["counts"], 1_000_000)
        if counts is None:
            raise _LineInvalid(LineError(line, "counts", f"{cells['counts']!r} is not a whole number"))
    return OutcomeIn(
        subject=cells["subject"],
        kind=cells["kind"],
        occurred_on=on,
        country=cells.get("country") or None,
        counts=counts,
        offence=cells.get("offence") or None,
        plea=cells.get("plea") or None,
        sentence=cells.get("sentence") or None,
        indeterminate=cells.get("indeterminate", "").lower() in TRUE,
        note=cells.get("note", ""),
        tlp=tlp,
    )
