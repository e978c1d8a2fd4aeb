"""Read what the operation holds about its subjects and turn it into clues (evidence.py).

This is the system computing over every record of a subject, whoever owns it: what a viewer is
shown is filtered later, per evidence row (views.py). Two queries per 500 subjects (sightings of
IP, phone and e-mail selectors; person records), each address located once per run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from caseweave.attribution.evidence import (
    Clue,
    SightingGroup,
    email_clue,
    ip_clue,
    phone_clue,
    statement_clues,
)
from caseweave.attribution.geo import GeoAnswer, GeoProvider
from caseweave.attribution.weights import Weights
from caseweave.db.bulk import chunks
from caseweave.intake.models import PersonRecord, Referral, Sighting
from caseweave.linkage.correlation import EXCLUDED_IP_FLAGS
from caseweave.linkage.models import SubjectMember, Warninglist
from caseweave.linkage.warninglist_match import WarninglistMatcher

SELECTOR_TYPES = ("ip", "phone", "email")
NOT_EVIDENCE_ROLES = ("reporter",)  # a platform's staff member who filed the report
_BATCH = 500


class Collector:
    """Clues per subject, with the run's caches: geolocation and warning-list answers by value."""

    def __init__(
        self, session: Session, geo: GeoProvider, matcher: WarninglistMatcher, weights: Weights
    ) -> None:
        self.session, self.geo, self.matcher, self.weights = session, geo, matcher, weights
        self.data_date: date | None = geo.data_date
        self._located: dict[str, GeoAnswer] = {}
        self._warned: dict[tuple[str, str], str | None] = {}
        rows = session.execute(select(Warninglist.name, Warninglist.category))
        self._categories = {name: category for name, category in rows}

    def clues(self, subject_ids: Sequence[int]) -> dict[int, list[Clue]]:
        found: dict[int, list[Clue]] = {subject_id: [] for subject_id in subject_ids}
        for batch in chunks(subject_ids, _BATCH):
            for subject_id, clue in self._statements(batch):
                found[subject_id].append(clue)
            for subject_id, group in self._groups(batch):
                selector_clue = self._selector_clue(group)
                if selector_clue is not None:
                    found[subject_id].append(selector_clue)
        return found

    def _statements(self, batch: Sequence[int]) -> Iterator[tuple[int, Clue]]:
        columns = (
            SubjectMember.subject_id,
            PersonRecord.id,
            PersonRecord.referral_id,
            Referral.format,
            PersonRecord.country,
            PersonRecord.address,
        )
        rows = self.session.execute(
            _members(columns, batch)
            .join(Referral, Referral.id == PersonRecord.referral_id)
            .order_by(PersonRecord.id)
        )
        for subject_id, record_id, referral_id, fmt, country, address in rows:
            for clue in statement_clues(record_id, referral_id, fmt, country, address, self.weights):
                yield subject_id, clue

    def _groups(self, batch: Sequence[int]) -> Iterator[tuple[int, SightingGroup]]:
        columns = (
            SubjectMember.subject_id,
            Sighting.person_record_id,
            Sighting.id,
            Sighting.selector_type,
            Sighting.value,
            Sighting.raw_value,
            Sighting.flags,
            Sighting.possible_proxy,
            Sighting.observed_from,
            Sighting.observed_to,
        )
        rows = self.session.execute(
            _members(columns, batch)
            .join(Sighting, Sighting.person_record_id == PersonRecord.id)
            .where(Sighting.selector_type.in_(SELECTOR_TYPES))
            .order_by(Sighting.id)
        )
        groups: dict[tuple[int, int, str, str], SightingGroup] = {}
        for subject_id, record_id, sighting_id, kind, value, raw, flags, proxy, start, end in rows:
            key = (subject_id, record_id, kind, value)
            group = groups.get(key)
            if group is None:
                group = groups[key] = SightingGroup(record_id, kind, value)
            group.add(sighting_id, raw, list(flags or ()), bool(proxy), start, end)
        for (subject_id, *_), group in groups.items():
            yield subject_id, group

    def _selector_clue(self, group: SightingGroup) -> Clue | None:
        warning = self._warning(group.selector_type, group.value)
        if group.selector_type == "phone":
            return phone_clue(group, warning, self.weights)
        if group.selector_type == "email":
            return email_clue(group, warning, self.weights)
        answer = None
        if warning is None and not group.flags & EXCLUDED_IP_FLAGS:
            answer = self._located.get(group.value)
            if answer is None:
                answer = self._located[group.value] = self.geo.lookup(group.value)
        return ip_clue(group, answer, warning, self.weights, self.data_date)

    def _warning(self, selector_type: str, value: str) -> str | None:
        key = (selector_type, value)
        if key not in self._warned:
            name = self.matcher.match(selector_type, value)
            category = self._categories.get(name) if name else None
            self._warned[key] = f"{name!r} ({category})" if name and category else name
        return self._warned[key]


def _members(columns: tuple[Any, ...], subject_ids: Sequence[int]) -> Select[Any]:
    """The given columns over the person records of the given subjects (reporters left out)."""
    return (
        select(*columns)
        .select_from(PersonRecord)
        .join(SubjectMember, SubjectMember.person_record_id == PersonRecord.id)
        .where(SubjectMember.subject_id.in_(subject_ids), PersonRecord.role.not_in(NOT_EVIDENCE_ROLES))
    )
