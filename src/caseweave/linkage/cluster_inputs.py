"""What re-clustering reads about a scope: the links from its records, the active judgements on
them, and the subjects its records belong to now.

An incremental run reads them for the scope it knows while the model still scores on another
thread (this one would wait idle), then `widened` reads only what the model's links changed: the
seeds' probabilistic links, replaced meanwhile, and whatever the records those links reached add.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.db.bulk import chunks
from caseweave.intake.models import PersonRecord
from caseweave.linkage.clustering import JudgedPair
from caseweave.linkage.models import Judgement, Link, Subject, SubjectMember

BATCH = 5000  # ids per IN list
_LINK_COLUMNS = (
    Link.id,
    Link.a_id,
    Link.b_id,
    Link.kind,
    Link.selector_type,
    Link.value,
    Link.gap_seconds,
    Link.match_weight,
    Link.evidence,
)


class _LinkRow(NamedTuple):  # _LINK_COLUMNS, for links known without reading them
    id: Hashable
    a_id: int
    b_id: int
    kind: str
    selector_type: str | None
    value: str | None
    gap_seconds: int | None
    match_weight: float | None
    evidence: str | None


@dataclass
class Inputs:
    scope: set[int]  # the records read for
    links: dict[Hashable, Any]  # link id -> row (_LINK_COLUMNS) of each link from a scope record
    judged: dict[int, JudgedPair]  # judgement id -> the active judgements from a scope record
    previous: dict[int, str]  # record -> public id of its subject now
    ages: dict[str, int]  # public id -> subject id (lower: older)


def read(session: Session, records: Iterable[int]) -> Inputs:
    inputs = Inputs(set(), {}, {}, {}, {})
    _add(session, inputs, sorted(set(records)))
    return inputs


def widened(
    session: Session,
    inputs: Inputs,
    records: Iterable[int],
    seeds: Collection[int],
    model_links: Iterable[tuple[int, int, float, str]] | None,
) -> Inputs:
    """`inputs`, read for part of `records` before the seeds' probabilistic links were replaced by
    `model_links` (a_id, b_id, match weight, evidence; None: not replaced), made what
    `read(records)` gives now."""
    seeds = set(seeds)
    _add(session, inputs, sorted(set(records) - inputs.scope))
    if model_links is None:
        return inputs
    for link_id, row in list(inputs.links.items()):
        if row.kind == "probabilistic" and (row.a_id in seeds or row.b_id in seeds):
            del inputs.links[link_id]  # read before they were replaced, or as model_links give them
    for a_id, b_id, weight, label in model_links:  # stored this run: the same rows, without a read
        key = ("model", a_id, b_id)
        inputs.links[key] = _LinkRow(key, a_id, b_id, "probabilistic", None, None, None, weight, label)
    return inputs


def _add(session: Session, inputs: Inputs, records: list[int]) -> None:
    """Read the links, judgements and subjects of records not read before."""
    inputs.scope.update(records)
    for part in chunks(records, BATCH):
        inputs.links.update(
            (row.id, row) for row in session.execute(select(*_LINK_COLUMNS).where(Link.a_id.in_(part)))
        )
        for judgement in session.scalars(
            select(Judgement).where(Judgement.a_id.in_(part), Judgement.active.is_(True))
        ):
            inputs.judged[judgement.id] = JudgedPair(
                judgement.a_id,
                judgement.b_id,
                judgement.verdict,  # type: ignore[arg-type]
                judgement.id,
            )
        for record_id, public_id, subject_id in session.execute(
            select(SubjectMember.person_record_id, Subject.public_id, Subject.id)
            .join(Subject, Subject.id == SubjectMember.subject_id)
            .where(SubjectMember.person_record_id.in_(part))
        ):
            inputs.previous[record_id] = public_id
            inputs.ages[public_id] = subject_id


def born(session: Session, records: Iterable[int]) -> dict[int, date]:
    """record -> its stated date of birth, for those of `records` that state one."""
    out: dict[int, date] = {}
    for part in chunks(sorted(set(records)), BATCH):
        rows = session.execute(
            select(PersonRecord.id, PersonRecord.date_of_birth).where(
                PersonRecord.id.in_(part), PersonRecord.date_of_birth.is_not(None)
            )
        )
        out.update((record, stated) for record, stated in rows if stated is not None)
    return out
