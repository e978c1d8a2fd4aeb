"""Store a parser's items as rows, in batches, through the engine's bulk path.

Two things make million-line files fast and right:
- normalisations repeat (one login IP a thousand times), so each distinct value is normalised once
  per import (`SelectorCache`);
- a phone number in national format means something only in its country, so its default region is
  the country the file states for the person it belongs to, then the sending agency's country.
  Phones whose person is not yet known wait (a bounded list) until the person arrives or the file ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy import Table
from sqlalchemy.orm import Session

from caseweave.db.bulk import bulk_insert
from caseweave.intake.models import PersonRecord, ReferralMediaHash, Sighting
from caseweave.intake.records import RECORD_KINDS, MediaHash, ParsedItem, RecordError
from caseweave.intake.records import PersonRecord as ParsedPerson
from caseweave.intake.records import Sighting as ParsedSighting
from caseweave.intake.rows import media_row, person_row, sighting_row
from caseweave.selectors import InvalidSelector, Normalised, normalise

BATCH = 5000
WAITING_PHONES = 50_000  # past this many, waiting phones are stored with what is known by then


class SelectorCache:
    """normalise() with its answers (and refusals) remembered; cleared when full to keep memory flat."""

    def __init__(self, limit: int = 200_000) -> None:
        self._limit = limit
        self._answers: dict[tuple[str, str, str | None, str | None], Normalised | InvalidSelector] = {}

    def normalise(
        self, selector_type: str, raw: str, *, platform: str | None, region: str | None
    ) -> Normalised:
        key = (selector_type, raw, platform, region)
        answer = self._answers.get(key)
        if answer is None:
            try:
                answer = normalise(selector_type, raw, platform=platform, region=region)
            except InvalidSelector as refusal:
                answer = refusal
            if len(self._answers) >= self._limit:
                self._answers.clear()
            self._answers[key] = answer
        if isinstance(answer, InvalidSelector):
            raise answer
        return answer


class ItemStore:
    """Turns parsed items into rows and inserts them; collects the records that could not be used."""

    TABLES: ClassVar[dict[type[Any], str | None]] = {
        PersonRecord: None,  # counted by kind (RECORD_KINDS) as each row is taken
        Sighting: "sightings",
        ReferralMediaHash: "media_hashes",
    }

    def __init__(self, session: Session, common: dict[str, Any], sender_country: str) -> None:
        self._session, self._common, self._sender_country = session, common, sender_country
        self._cache = SelectorCache()
        self._person_countries: dict[str, str | None] = {}
        self._waiting: list[ParsedSighting] = []
        self._buffers: dict[type[Any], list[dict[str, Any]]] = {model: [] for model in self.TABLES}
        tables = (name for name in self.TABLES.values() if name is not None)
        self.counts = dict.fromkeys(("persons", "accounts", *tables), 0)
        self.errors: list[RecordError] = []

    def store(self, items: Iterable[ParsedItem]) -> None:
        for item in items:
            if isinstance(item, RecordError):
                self.errors.append(item)
            elif isinstance(item, ParsedPerson):
                row = person_row(item, self._common)
                if not isinstance(row, RecordError):
                    self._person_countries[item.ref] = row["country"]
                    key = RECORD_KINDS[item.kind]
                    self.counts[key] = self.counts.get(key, 0) + 1
                self._add(PersonRecord, row)
            elif isinstance(item, ParsedSighting):
                self._sighting(item)
            elif isinstance(item, MediaHash):
                self._add(ReferralMediaHash, media_row(item, self._common))
        self._store_waiting()
        for model in self._buffers:
            self._flush(model)

    def _sighting(self, item: ParsedSighting) -> None:
        person = item.person_ref
        if item.selector_type == "phone" and person is not None and person not in self._person_countries:
            self._waiting.append(item)
            if len(self._waiting) >= WAITING_PHONES:
                self._store_waiting()
            return
        self._add(Sighting, sighting_row(item, self._common, self._regions(person), self._cache.normalise))

    def _store_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for item in waiting:
            row = sighting_row(item, self._common, self._regions(item.person_ref), self._cache.normalise)
            self._add(Sighting, row)

    def _regions(self, person_ref: str | None) -> tuple[str, ...]:
        """Default regions to try for national-format phones: the person's stated country first."""
        stated = self._person_countries.get(person_ref) if person_ref is not None else None
        if stated and stated != self._sender_country:
            return (stated, self._sender_country)
        return (self._sender_country,)

    def _add(self, model: type[Any], row: dict[str, Any] | RecordError) -> None:
        if isinstance(row, RecordError):
            self.errors.append(row)
            return
        buffer = self._buffers[model]
        buffer.append(row)
        if len(buffer) >= BATCH:
            self._flush(model)

    def _flush(self, model: type[Any]) -> None:
        buffer = self._buffers[model]
        if buffer:
            table: Table = model.__table__
            bulk_insert(self._session, table, buffer)
            key = self.TABLES[model]
            if key is not None:
                self.counts[key] += len(buffer)
            buffer.clear()
