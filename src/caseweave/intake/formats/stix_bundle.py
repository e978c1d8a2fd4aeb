"""Reading one STIX 2.1 bundle (already decoded from JSON) into caseweave items."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caseweave.intake.formats.stix_map import (
    HASH_NAMES,
    PERSON_EXTRAS,
    ROLES,
    VALUE_SELECTORS,
    marking_label,
    validation_problem,
)
from caseweave.intake.formats_common import BadValue, parse_birth_date, parse_time, tlp_from_tags
from caseweave.intake.records import (
    Location,
    MediaHash,
    ParsedItem,
    PersonRecord,
    RecordError,
    ReferralHeader,
    Sighting,
)

_AMBIGUOUS = ""
# What an identity's free-text contact_information holds: e-mail addresses, and phone numbers (a run
# of at least seven digits, with spaces, dots, dashes or brackets between, perhaps after a +).
_EMAIL = re.compile(r"[^\s,;:<>()\[\]\"']+@[^\s,;:<>()\[\]\"']+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\(?\d(?:[\d\s().-]{5,}\d)")


def _phone_like(text: str) -> bool:
    """Seven digits or more, and not a date (2026-03-01)."""
    return sum(c.isdigit() for c in text) >= 7 and not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text)


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


@dataclass
class _Obj:
    index: int
    data: dict[str, Any]
    type: str
    id: str
    path: str


class BundleReader:
    def __init__(self, bundle: dict[str, Any], filename: str, content: bytes) -> None:
        self.bundle = bundle
        self.filename = filename
        self.content = content
        self.objects: list[_Obj] = []
        self.by_id: dict[str, _Obj] = {}
        self.persons: set[str] = set()
        self.ties: dict[str, str] = {}  # object id → identity id (or _AMBIGUOUS)
        self.windows: dict[str, tuple[datetime | None, datetime | None]] = {}
        # address id → the accounts observed-data show using it (network-traffic src_ref, one account
        # in the observation)
        self.used_by: dict[str, set[str]] = {}
        self.accounts: set[str] = set()  # user-accounts tied to no person: records of their own

    def _loc(self, path: str) -> Location:
        return Location(self.filename, path=path)

    def _error(self, obj: _Obj | None, path: str, field: str, reason: str, raw: str = "") -> RecordError:
        prefix = f"{obj.id}: " if obj is not None and obj.id else ""
        return RecordError(self._loc(path), field, prefix + reason, raw or (obj.id if obj else ""))

    def items(self) -> Iterator[ParsedItem]:
        entries = self.bundle.get("objects", [])
        if entries is None:
            entries = []
        problems = list(self._gather(entries))
        header, header_errors = self._header()
        yield header
        yield from header_errors
        yield from problems
        for obj in self.objects:
            yield from self._first_pass(obj)
        yield from self._unnamed_accounts()
        for obj in self.objects:
            yield from self._records(obj)

    # -- gathering ------------------------------------------------------------------------------

    def _gather(self, entries: list[Any]) -> Iterator[RecordError]:
        for index, data in enumerate(entries):
            path = f"$.objects[{index}]"
            if not isinstance(data, dict):
                yield RecordError(self._loc(path), "objects", "object is not a JSON object", repr(data)[:200])
                continue
            kind, ident = data.get("type"), data.get("id")
            if not isinstance(kind, str) or not kind:
                yield RecordError(self._loc(path), "type", "object has no type", repr(kind)[:200])
                continue
            if not isinstance(ident, str) or not ident:
                yield RecordError(self._loc(path), "id", f"{kind} object has no id", repr(ident)[:200])
                continue
            obj = _Obj(index, data, kind, ident, path)
            problem = validation_problem(data)
            if problem is not None:
                yield self._error(obj, path, problem[0], problem[1])
                continue
            self.objects.append(obj)
            self.by_id.setdefault(ident, obj)

    # -- the referral ---------------------------------------------------------------------------

    def _tlp(self, refs: object) -> str | None:
        labels: list[str] = []
        for ref in refs if isinstance(refs, list) else []:
            if not isinstance(ref, str):
                continue
            marking = self.by_id.get(ref)
            label = marking_label(marking.data if marking else {"id": ref})
            if label:
                labels.append(label)
        return tlp_from_tags(labels)

    def _header(self) -> tuple[ReferralHeader, list[RecordError]]:
        errors: list[RecordError] = []
        reports = [obj for obj in self.objects if obj.type in ("report", "grouping")]
        for extra in reports[1:]:
            errors.append(
                self._error(
                    extra,
                    extra.path,
                    extra.type,
                    f"only the first report or grouping ({reports[0].id}) "
                    "is the referral; this one's objects are still read",
                )
            )
        if not reports:
            ident = _text(self.bundle, "id") or hashlib.sha256(self.content).hexdigest()
            every = [ref for obj in self.objects for ref in _list(obj.data, "object_marking_refs")]
            return ReferralHeader(ident, f"STIX bundle {ident}", tlp=self._tlp(every)), errors
        report = reports[0]
        reported: datetime | None = None
        for key in ("published", "created"):
            try:
                reported = parse_time(report.data.get(key))
            except BadValue as exc:
                errors.append(self._error(report, report.path, key, str(exc)))
                continue
            if reported is not None:
                break
        return (
            ReferralHeader(
                report.id,
                _text(report.data, "name") or f"STIX {report.type} {report.id}",
                reported_at=reported,
                tlp=self._tlp(report.data.get("object_marking_refs")),
                summary=_text(report.data, "description") or "",
            ),
            errors,
        )

    # -- persons, ties, windows -----------------------------------------------------------------

    def _first_pass(self, obj: _Obj) -> Iterator[ParsedItem]:
        if obj.type == "identity" and obj.data.get("identity_class") == "individual":
            yield from self._person(obj)
        elif obj.type == "relationship":
            self._relationship(obj)
        elif obj.type == "observed-data":
            yield from self._observed(obj)

    def _person(self, obj: _Obj) -> Iterator[ParsedItem]:
        data = obj.data
        fields: dict[str, Any] = {}
        for key, name in PERSON_EXTRAS.items():
            value = _text(data, key)
            if value is not None:
                fields.setdefault(name, value)
        dob = data.get("x_date_of_birth")
        if dob is not None:
            try:
                if not isinstance(dob, str):
                    raise ValueError(f"{dob!r} is not a date (use YYYY-MM-DD)")
                fields["date_of_birth"] = parse_birth_date(dob)
            except ValueError as exc:
                yield self._error(obj, obj.path, "x_date_of_birth", str(exc))
        stated = data.get("roles")
        roles = [r.strip().lower() for r in stated if isinstance(r, str)] if isinstance(stated, list) else []
        role = _text(data, "x_role")
        if role:
            roles.insert(0, role.lower())
        self.persons.add(obj.id)
        yield PersonRecord(
            obj.id,
            self._loc(obj.path),
            full_name=_text(data, "name"),
            role=next((r for r in roles if r in ROLES), "suspect"),
            **fields,
        )
        contact = _text(data, "contact_information") or ""
        found = [("email", value) for value in _EMAIL.findall(contact)]
        found += [
            ("phone", value.strip())
            for value in _PHONE.findall(_EMAIL.sub(" ", contact))
            if _phone_like(value)
        ]
        for n, (selector_type, value) in enumerate(found):
            yield Sighting(
                f"{obj.id}/contact_information/{n}",
                self._loc(f"{obj.path}.contact_information"),
                selector_type,
                value,
                person_ref=obj.id,
                context="identity contact_information",
            )

    def _unnamed_accounts(self) -> Iterator[PersonRecord]:
        """A user-account no identity holds is a record of its own (most suspects are unnamed
        accounts); what belongs to it, or what it was seen using, is its."""
        for obj in self.objects:
            if obj.type == "user-account" and self._owner(obj.id) is None:
                self.accounts.add(obj.id)
                yield PersonRecord(
                    obj.id, self._loc(obj.path), full_name=_text(obj.data, "display_name"), kind="account"
                )

    def _tie(self, thing: str, person: str) -> None:
        if thing not in self.persons:
            self.ties[thing] = person if self.ties.get(thing, person) == person else _AMBIGUOUS

    def _relationship(self, obj: _Obj) -> None:
        source, target = obj.data.get("source_ref"), obj.data.get("target_ref")
        if not isinstance(source, str) or not isinstance(target, str):
            return
        if self._is_person(source) and not self._is_person(target):
            self._tie(target, source)
        elif self._is_person(target) and not self._is_person(source):
            self._tie(source, target)

    def _is_person(self, ident: str) -> bool:
        obj = self.by_id.get(ident)
        return obj is not None and obj.type == "identity" and obj.data.get("identity_class") == "individual"

    def _observed(self, obj: _Obj) -> Iterator[RecordError]:
        times: list[datetime | None] = []
        for key in ("first_observed", "last_observed"):
            try:
                times.append(parse_time(obj.data.get(key)))
            except BadValue as exc:
                yield self._error(obj, obj.path, key, str(exc))
                return
        start, end = times
        if start and end and end < start:
            yield self._error(obj, obj.path, "last_observed", "last_observed is before first_observed")
            return
        refs = [ref for ref in _list(obj.data, "object_refs") if isinstance(ref, str)]
        # The addresses an account's traffic came from (network-traffic src_ref, as a platform's login
        # record is written, or an address observed beside it) are its holder's, when the observation
        # shows that one account only.
        accounts = [ref for ref in refs if self._type_of(ref) == "user-account"]
        sources = [
            source
            for ref in refs
            if self._type_of(ref) == "network-traffic"
            and isinstance(source := self.by_id[ref].data.get("src_ref"), str)
        ]
        sources += [ref for ref in refs if self._type_of(ref) in ("ipv4-addr", "ipv6-addr")]
        if len(accounts) == 1:
            account = accounts[0]
            for source in sources:
                self.used_by.setdefault(source, set()).add(account)
        for ref in refs + sources:
            self._widen(ref, start, end)

    def _type_of(self, ident: str) -> str | None:
        obj = self.by_id.get(ident)
        return obj.type if obj is not None else None

    def _widen(self, ref: str, start: datetime | None, end: datetime | None) -> None:
        known = self.windows.get(ref)
        if known is not None:
            start_, end_ = known
            start = min(start, start_) if start and start_ else start or start_
            end = max(end, end_) if end and end_ else end or end_
        self.windows[ref] = (start, end)

    def _owner(self, ident: str, seen: frozenset[str] = frozenset()) -> str | None:
        """The party (person or unnamed account) a thing is tied to; None when none, or when the file
        gives it to two (a relationship to one, an observation beside another's account)."""
        if ident in seen:
            return None
        if ident in self.accounts or self._is_person(ident):
            return ident
        tied = self.ties.get(ident)
        if tied == _AMBIGUOUS:
            return None
        obj = self.by_id.get(ident)
        through = obj.data.get("belongs_to_ref") if obj else None
        # what it belongs to, else the accounts seen using it (an address in a login record)
        holders = [through] if isinstance(through, str) else sorted(self.used_by.get(ident, ()))
        owners = {owner for holder in holders if (owner := self._owner(holder, seen | {ident}))}
        if tied:
            owners.add(tied)
        return next(iter(owners)) if len(owners) == 1 else None

    # -- selectors and hashes -------------------------------------------------------------------

    def _records(self, obj: _Obj) -> Iterator[ParsedItem]:
        if obj.type in VALUE_SELECTORS:
            value = obj.data.get("value")
            if not isinstance(value, str) or not value.strip():
                yield self._error(obj, obj.path, "value", "missing value")
                return
            yield self._sighting(obj, obj.id, VALUE_SELECTORS[obj.type], value.strip())
        elif obj.type == "user-account":
            yield from self._account(obj)
        elif obj.type == "file":
            yield from self._hashes(obj)

    def _sighting(
        self, obj: _Obj, ref: str, selector_type: str, value: str, platform: str | None = None
    ) -> Sighting:
        start, end = self.windows.get(obj.id, (None, None))
        return Sighting(
            ref,
            self._loc(obj.path),
            selector_type,
            value,
            person_ref=self._owner(obj.id),
            platform=platform,
            observed_from=start,
            observed_to=end,
            context=obj.type,
        )

    def _account(self, obj: _Obj) -> Iterator[Sighting]:
        platform = _text(obj.data, "account_type") or _text(obj.data, "x_platform")
        wanted = (
            ("account_login", "username"),
            ("user_id", "username"),
            ("x_email", "email"),
            ("x_phone", "phone"),
        )
        seen: set[tuple[str, str]] = set()
        for key, selector_type in wanted:
            value = _text(obj.data, key)
            if value is None or (selector_type, value) in seen:
                continue
            ref = obj.id if not seen else f"{obj.id}/{key}"
            seen.add((selector_type, value))
            yield self._sighting(
                obj, ref, selector_type, value, platform if selector_type == "username" else None
            )

    def _hashes(self, obj: _Obj) -> Iterator[MediaHash]:
        hashes = obj.data.get("hashes")
        if not isinstance(hashes, dict):
            return
        first = True
        for key, value in hashes.items():
            algorithm = HASH_NAMES.get(key.strip().lower())
            if algorithm is None or not isinstance(value, str) or not value.strip():
                continue
            ref = obj.id if first else f"{obj.id}/hashes.{key}"
            first = False
            yield MediaHash(
                ref,
                self._loc(obj.path),
                algorithm,
                value.strip(),
                self._owner(obj.id),
                _text(obj.data, "name"),
            )
