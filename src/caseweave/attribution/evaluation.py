"""Attribution against ground truth: how many subjects are allocated a country, and how many of
those rightly, beside the naive rule "phone country, else IP geolocation, else e-mail ccTLD".

A subject's true country is the country of the true person most of its scored records belong to;
a subject with no record in the truth is not scored. Allocated means status "attributed" (the
subjects routed to an agency); contested, low-confidence and no-evidence subjects wait for a
coordinator and count as not allocated. Operator-only, as linkage scoring is: it reads every
record across need-to-know (only the figures leave the machine).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseweave.access.service import visible_operation
from caseweave.actor import Actor
from caseweave.attribution.evidence import GENERIC_CCTLDS, cctld_country
from caseweave.attribution.geo import GeoProvider
from caseweave.attribution.models import Attribution
from caseweave.audit import service as audit
from caseweave.errors import Invalid
from caseweave.intake.models import Sighting
from caseweave.linkage.evaluation import RecordKey, truth_csv
from caseweave.linkage.export import SCORING, operator_only
from caseweave.linkage.models import Subject, SubjectMember


@dataclass(frozen=True)
class AttributionScore:
    subjects: int  # subjects with a true country
    allocated: int  # of those, allocated a country
    right: int  # of those, the true one

    @property
    def coverage(self) -> float:
        return self.allocated / self.subjects if self.subjects else 0.0

    @property
    def accuracy(self) -> float:
        return self.right / self.allocated if self.allocated else 0.0


def truth_countries(path: Path) -> dict[str, str]:
    """True person → country: from a truth.json of `caseweave synth operation`, or from a truth CSV
    (`record_ref,entity_id,country`, as `caseweave eval linkage` reads it, with a country column)."""
    if path.suffix.lower() == ".csv":
        return _countries_csv(path)
    try:
        people = json.loads(path.read_text(encoding="utf-8"))["subjects"]
        return {str(person["id"]): str(person["country"]) for person in people}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Invalid(
            f"{path}: no subjects with countries in it ({error})",
            field="truth",
            hint="a truth.json of `caseweave synth operation`, or a CSV: record_ref,entity_id,country[,file]",
        ) from None


def _countries_csv(path: Path) -> dict[str, str]:
    countries: dict[str, str] = {}
    with truth_csv(path) as rows:
        if "country" not in (rows.fieldnames or ()):
            raise Invalid(f"{path}: line 1: scoring attribution needs a country column", field="country")
        for row in rows:
            entity, country = (row.get("entity_id") or "").strip(), (row.get("country") or "").strip()
            if not (len(country) == 2 and country.isascii() and country.isalpha()):
                raise Invalid(
                    f"{path}: line {rows.line_num}: country {country!r} is not an ISO 3166 alpha-2 code",
                    field="country",
                )
            if countries.setdefault(entity, country.upper()) != country.upper():
                raise Invalid(
                    f"{path}: line {rows.line_num}: entity {entity!r} is given two countries "
                    f"({countries[entity]} and {country.upper()})",
                    field="country",
                )
    return countries


def true_country_by_subject(
    predicted: Mapping[RecordKey, str], truth: Mapping[RecordKey, str], country_of: Mapping[str, str]
) -> dict[str, str]:
    """Subject → the country of the true person most of its records belong to (ties: the first)."""
    people: dict[str, Counter[str]] = defaultdict(Counter)
    for key, subject in predicted.items():
        person = truth.get(key)
        if person is not None and person in country_of:
            people[subject][person] += 1
    return {subject: country_of[counts.most_common(1)[0][0]] for subject, counts in people.items()}


def score(chosen: Mapping[str, str | None], true_country: Mapping[str, str]) -> AttributionScore:
    allocated = [(subject, chosen.get(subject)) for subject in true_country if chosen.get(subject)]
    right = sum(country == true_country[subject] for subject, country in allocated)
    return AttributionScore(len(true_country), len(allocated), right)


def allocated(session: Session, actor: Actor, operation_id: int) -> dict[str, str | None]:
    """Every active subject → the country it is attributed to (None: not allocated)."""
    operator_only(actor, SCORING)
    operation = visible_operation(session, actor, operation_id)
    rows = session.execute(
        select(Subject.public_id, Attribution.status, Attribution.top_country)
        .join(Attribution, (Attribution.subject_id == Subject.id) & Attribution.current.is_(True))
        .where(Subject.operation_id == operation.id, Subject.status == "active")
    )
    audit.record(
        session, actor, "attribution.evaluate", "operation", [operation.id], operation_id=operation.id
    )
    return {public_id: country if status == "attributed" else None for public_id, status, country in rows}


def naive(session: Session, actor: Actor, operation_id: int, geo: GeoProvider) -> dict[str, str | None]:
    """Every active subject → the naive rule's country: the commonest country of its phones, else
    of its IP addresses' geolocation, else of its e-mail domains' ccTLDs (None: none of them)."""
    operator_only(actor, SCORING)
    operation = visible_operation(session, actor, operation_id)
    rows = session.execute(
        select(Subject.public_id, Sighting.selector_type, Sighting.value, Sighting.flags)
        .join(SubjectMember, SubjectMember.subject_id == Subject.id)
        .join(Sighting, Sighting.person_record_id == SubjectMember.person_record_id)
        .where(Subject.operation_id == operation.id, Subject.status == "active")
        .where(Sighting.selector_type.in_(("phone", "ip", "email")))
    )
    clues: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for subject, kind, value, flags in rows:
        country = _country(kind, value, flags or [], geo)
        if country:
            clues[subject][kind].append(country)
    audit.record(
        session,
        actor,
        "attribution.evaluate",
        "operation",
        [operation.id],
        operation_id=operation.id,
        detail={"rule": "naive"},
    )
    return {
        subject: _first_commonest(clues[subject][k] for k in ("phone", "ip", "email")) for subject in clues
    }


def _country(kind: str, value: str, flags: Iterable[str], geo: GeoProvider) -> str | None:
    if kind == "phone":
        return next((flag[3:] for flag in flags if flag.startswith("cc:") and flag[3:].isalpha()), None)
    if kind == "ip":
        return geo.lookup(value).country
    return None if value.rpartition(".")[2].lower() in GENERIC_CCTLDS else cctld_country(value)


def _first_commonest(groups: Iterable[list[str]]) -> str | None:
    for countries in groups:
        if countries:
            return Counter(countries).most_common(1)[0][0]
    return None
