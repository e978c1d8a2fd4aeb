"""Reading one MISP event (already decoded from JSON) into caseweave items."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from caseweave.intake.formats.misp_map import (
    PERSON_TYPES,
    ROLES,
    Groups,
    Hash,
    MispAttribute,
    MispObject,
    PersonField,
    Selector,
    Window,
    WindowError,
    meaning,
    object_platform,
    object_port,
    party_kind,
    readable_coin,
    text_of,
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

_AMBIGUOUS = ""  # a uuid tied to more than one person: attached to none
# How one account refers to another of the same holder (MISP's relationship types); "contacted" and the
# like join two holders, and each stays a record of its own.
SAME_HOLDER = frozenset({"uses", "owns", "alias-of", "is-alias-of", "same-as", "belongs-to"})


class EventReader:
    """One event = one referral. `base` is the JSON path of the event object (e.g. "$.Event")."""

    def __init__(self, event: dict[str, Any], filename: str, base: str, content: bytes) -> None:
        self.event = event
        self.filename = filename
        self.base = base
        self.content = content
        self.loose: list[MispAttribute] = []
        self.objects: list[MispObject] = []
        self.person_of: dict[str, str] = {}  # attribute/object uuid (or ref) → PersonRecord.ref
        self.persons: list[str] = []
        self.references: list[tuple[str, str, str]] = []  # (object ref, referenced uuid, relationship)

    def _loc(self, path: str) -> Location:
        return Location(self.filename, path=path)

    def _error(self, path: str, field_name: str, reason: str, raw: object = "") -> RecordError:
        return RecordError(
            self._loc(path), field_name, reason, raw if isinstance(raw, str) else repr(raw)[:200]
        )

    def items(self) -> Iterator[ParsedItem]:
        header, errors = self._header()
        yield header
        yield from errors
        yield from self._collect()
        yield from self._persons()
        yield from self._links()
        windows: dict[str, Window] = {}
        for attr in self._all_attrs():
            yield from self._record(attr, windows)

    def _all_attrs(self) -> Iterator[MispAttribute]:
        yield from self.loose
        for obj in self.objects:
            yield from obj.attrs

    # -- the referral ---------------------------------------------------------------------------

    def _header(self) -> tuple[ReferralHeader, list[RecordError]]:
        errors: list[RecordError] = []
        # An event saved before MISP gave it a uuid (PyMISP writes such files) is still an event: the
        # file's sha256 is a stable id, and the same file imported twice is found by it.
        uuid = text_of(self.event, "uuid") or hashlib.sha256(self.content).hexdigest()
        reported: datetime | None = None
        for key in ("date", "timestamp"):
            value = self.event.get(key)
            if value is None or value == "":
                continue
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                errors.append(self._error(self.base, key, "not a date", value))
                continue
            try:
                reported = parse_time(value)
            except BadValue as exc:
                errors.append(self._error(self.base, key, str(exc), value))
                continue
            break
        tags = self.event.get("Tag", [])
        names: list[str] = []
        if isinstance(tags, list):
            for tag in tags:
                if isinstance(tag, dict) and isinstance(tag.get("name"), str):
                    names.append(tag["name"])
                elif isinstance(tag, str):
                    names.append(tag)
        else:
            errors.append(self._error(self.base, "Tag", "Tag is not a list", tags))
        title = text_of(self.event, "info") or f"MISP event {uuid}"
        return ReferralHeader(uuid, title, reported_at=reported, tlp=tlp_from_tags(names)), errors

    # -- gathering ------------------------------------------------------------------------------

    def _attr(self, data: object, path: str, obj: MispObject | None) -> MispAttribute | RecordError:
        if not isinstance(data, dict):
            return self._error(path, "Attribute", "attribute is not a JSON object", data)
        kind = data.get("type")
        if not isinstance(kind, str):
            return self._error(path, "type", "attribute has no type", kind)
        relation = data.get("object_relation")
        ref = text_of(data, "uuid") or path
        return MispAttribute(data, path, ref, kind, relation if isinstance(relation, str) else None, obj)

    def _list(self, data: dict[str, Any], key: str, path: str) -> Iterator[tuple[int, object] | RecordError]:
        entries = data.get(key, [])
        if entries is None:
            return
        if not isinstance(entries, list):
            yield self._error(path, key, f"{key} is not a list", entries)
            return
        yield from enumerate(entries)

    def _collect(self) -> Iterator[RecordError]:
        for entry in self._list(self.event, "Attribute", self.base):
            if isinstance(entry, RecordError):
                yield entry
                continue
            index, data = entry
            attr = self._attr(data, f"{self.base}.Attribute[{index}]", None)
            if isinstance(attr, RecordError):
                yield attr
            elif attr.data.get("deleted") is not True:
                self.loose.append(attr)
        for entry in self._list(self.event, "Object", self.base):
            if isinstance(entry, RecordError):
                yield entry
                continue
            index, data = entry
            path = f"{self.base}.Object[{index}]"
            if not isinstance(data, dict) or not isinstance(data.get("name"), str):
                yield self._error(path, "Object", "object is not a JSON object with a name", data)
                continue
            if data.get("deleted") is True:
                continue
            obj = MispObject(data, path, text_of(data, "uuid") or path, data["name"])
            for sub in self._list(data, "Attribute", path):
                if isinstance(sub, RecordError):
                    yield sub
                    continue
                attr = self._attr(sub[1], f"{path}.Attribute[{sub[0]}]", obj)
                if isinstance(attr, RecordError):
                    yield attr
                elif attr.data.get("deleted") is not True:
                    obj.attrs.append(attr)
            self.objects.append(obj)

    # -- persons --------------------------------------------------------------------------------

    def _person_fields(self, attrs: list[MispAttribute]) -> tuple[dict[str, Any], list[RecordError]]:
        fields: dict[str, Any] = {}
        errors: list[RecordError] = []
        for attr in attrs:
            what = meaning(attr.type, attr.relation, attr.obj.name if attr.obj else None)
            if not isinstance(what, PersonField):
                continue
            value = attr.data.get("value")
            label = attr.relation or attr.type
            if not isinstance(value, str) or not value.strip():
                errors.append(self._error(attr.path, label, "missing value", value))
                continue
            if what.name == "date_of_birth":
                try:
                    fields[what.name] = parse_birth_date(value)
                except ValueError as exc:
                    errors.append(self._error(attr.path, label, str(exc), value))
            elif what.name == "role":
                if value.strip().lower() in ROLES:
                    fields["role"] = value.strip().lower()
            else:
                fields.setdefault(what.name, value.strip())
        return fields, errors

    def _person(self, ref: str, path: str, fields: dict[str, Any]) -> PersonRecord:
        self.persons.append(ref)
        dob = fields.get("date_of_birth")
        return PersonRecord(
            ref,
            self._loc(path),
            full_name=fields.get("full_name"),
            given_name=fields.get("given_name"),
            family_name=fields.get("family_name"),
            date_of_birth=dob if isinstance(dob, date) else None,
            address=fields.get("address"),
            country=fields.get("country"),
            role=fields.get("role", "suspect"),
        )

    def _persons(self) -> Iterator[PersonRecord | RecordError]:
        loose = [a for a in self.loose if a.type in PERSON_TYPES]
        if loose:
            seen: dict[str, object] = {}
            clash = False
            for attr in loose:
                value = attr.data.get("value")
                clash = clash or (attr.type in seen and seen[attr.type] != value)
                seen.setdefault(attr.type, value)
            groups = [[a] for a in loose] if clash else [loose]
            for group in groups:
                fields, errors = self._person_fields(group)
                yield from errors
                yield self._person(group[0].ref, group[0].path, fields)
                for attr in group:
                    self.person_of[attr.ref] = group[0].ref
        for obj in self.objects:
            if obj.name != "person":
                continue
            fields, errors = self._person_fields(obj.attrs)
            yield from errors
            yield self._person(obj.ref, obj.path, fields)
            self.person_of[obj.ref] = obj.ref
            for attr in obj.attrs:
                self.person_of[attr.ref] = obj.ref

    def _links(self) -> Iterator[RecordError | PersonRecord]:
        """Tie selectors to persons through MISP object references and object membership.

        Things connected (object ↔ its attributes, object → referenced uuid) form groups. A group
        holding exactly one person belongs to that person; in a group with several, only things a
        person references directly (or that reference a person) are theirs. Things in no reference
        group belong to the event's only person, when it has exactly one.
        """
        persons = set(self.persons)
        groups = Groups()
        ties: dict[str, str] = {}

        def tie(thing: str, person: str) -> None:
            if thing not in persons:
                ties[thing] = person if ties.get(thing, person) == person else _AMBIGUOUS

        for thing, person in self.person_of.items():
            groups.join(thing, person)
        for obj in self.objects:
            for attr in obj.attrs:
                groups.join(obj.ref, attr.ref)
            for entry in self._list(obj.data, "ObjectReference", obj.path):
                if isinstance(entry, RecordError):
                    yield entry
                    continue
                reference = entry[1] if isinstance(entry[1], dict) else {}
                target = reference.get("referenced_uuid")
                if not isinstance(target, str) or not target:
                    continue
                groups.join(obj.ref, target, linked=True)
                relationship = reference.get("relationship_type")
                self.references.append(
                    (obj.ref, target, relationship if isinstance(relationship, str) else "")
                )
                source = self.person_of.get(obj.ref) if obj.name == "person" else None
                if source is not None:
                    tie(target, source)
                elif self.person_of.get(target) in persons:
                    tie(obj.ref, self.person_of[target])
        self.person_of.update(ties)
        self._give_by_group(groups, persons, self.persons[0] if len(self.persons) == 1 else None)
        yield from self._unnamed_parties(groups)

    def _give_by_group(self, groups: Groups, parties: set[str], only: str | None) -> None:
        """Each thing no party holds yet goes to the one party in its reference group; a thing in no
        reference group (an unlinked one) goes to `only`, the event's one party, if it has one."""
        in_group: dict[str, set[str]] = {}
        for party in parties:
            in_group.setdefault(groups.find(party), set()).add(party)
        for attr in self._all_attrs():
            for ref in (attr.ref, attr.obj.ref if attr.obj else None):
                if ref is None or ref in self.person_of:
                    continue
                root = groups.find(ref)
                owners = in_group.get(root, set())
                if len(owners) == 1:
                    self.person_of[ref] = next(iter(owners))
                elif not owners and only is not None and not groups.is_linked(root):
                    self.person_of[ref] = only

    def _unnamed_parties(self, groups: Groups) -> Iterator[PersonRecord]:
        """Accounts and phones tied to no person are records of their own, holding their selectors.

        Most suspects here are unnamed: a chat-room handle, an account in a tip-off. Such a party holds
        its own attributes and what it references (or what references it); an account it `uses` /
        `owns` / is an `alias-of` is the same holder's. A reference group holding one such party and no
        person is that party's; when the event names no person and has exactly one such party,
        everything in no reference group is its.
        """
        candidates = {
            obj.ref: obj
            for obj in self.objects
            if party_kind(obj.name) not in (None, "person") and not self.person_of.get(obj.ref)
        }
        if not candidates:
            return
        holders = Groups()
        for source, target, relationship in self.references:
            if source in candidates and target in candidates and relationship.lower() in SAME_HOLDER:
                holders.join(source, target)
        parties = [obj for ref, obj in candidates.items() if holders.find(ref) == ref]
        for obj in parties:
            names = (text_of(a.data, "value") for a in obj.attrs if a.relation == "display-name")
            yield PersonRecord(
                obj.ref,
                self._loc(obj.path),
                full_name=next((name for name in names if name), None),
                kind=party_kind(obj.name) or "account",
            )
        for ref, obj in candidates.items():
            self.person_of[ref] = holders.find(ref)
            for attr in obj.attrs:
                if not self.person_of.get(attr.ref):
                    self.person_of[attr.ref] = holders.find(ref)
        claims: dict[str, str] = {}
        for source, target, _ in self.references:
            for thing, party in ((target, source), (source, target)):
                if party in candidates and thing not in candidates and thing not in self.person_of:
                    holder = holders.find(party)
                    claims[thing] = holder if claims.get(thing, holder) == holder else _AMBIGUOUS
        self.person_of.update(claims)
        only = parties[0].ref if len(parties) == 1 and not self.persons else None
        self._give_by_group(groups, {obj.ref for obj in parties}, only)

    def _owner(self, attr: MispAttribute) -> str | None:
        for key in (attr.ref, attr.obj.ref if attr.obj else None):
            if key is not None and key in self.person_of:
                return self.person_of[key] or None
        return None

    # -- selectors and hashes -------------------------------------------------------------------

    def _time(self, data: dict[str, Any], key: str, path: str) -> datetime | None:
        value = data.get(key)
        if value is not None and (not isinstance(value, (str, int, float)) or isinstance(value, bool)):
            raise WindowError(self._error(path, key, "not a date and time", value))
        try:
            return parse_time(value)
        except BadValue as exc:
            raise WindowError(self._error(path, key, str(exc), value)) from None

    def _object_window(self, obj: MispObject) -> Window:
        try:
            start = self._time(obj.data, "first_seen", obj.path)
            end = self._time(obj.data, "last_seen", obj.path)
            for attr in obj.attrs:
                if attr.relation == "first-seen" and start is None:
                    start = self._time({"first-seen": attr.data.get("value")}, "first-seen", attr.path)
                if attr.relation == "last-seen" and end is None:
                    end = self._time({"last-seen": attr.data.get("value")}, "last-seen", attr.path)
        except WindowError as exc:
            return Window(error=exc.error)
        if start and end and end < start:
            return Window(error=self._error(obj.path, "last_seen", "last seen is before first seen"))
        return Window(start, end)

    def _record(self, attr: MispAttribute, windows: dict[str, Window]) -> Iterator[ParsedItem]:
        obj = attr.obj
        what = meaning(attr.type, attr.relation, obj.name if obj else None)
        if what is None or isinstance(what, PersonField):
            return
        value = attr.data.get("value")
        label = "value"
        if not isinstance(value, str) or not value.strip():
            yield self._error(attr.path, label, "missing value" if not value else "value is not text", value)
            return
        value = value.strip()
        if obj is not None and attr.relation == "address-crypto" and not readable_coin(obj):
            return
        if isinstance(what, Hash):
            file_name: str | None = None
            if what.with_file_name:
                if "|" not in value:
                    yield self._error(attr.path, label, f"expected 'filename|{what.algorithm}'", value)
                    return
                file_name, value = (part.strip() for part in value.rsplit("|", 1))
            elif obj is not None:
                names = (text_of(a.data, "value") for a in obj.attrs if a.relation == "filename")
                file_name = next((name for name in names if name), None)
            if not value:
                yield self._error(attr.path, label, "missing hash", attr.data.get("value"))
                return
            yield MediaHash(
                attr.ref, self._loc(attr.path), what.algorithm, value, self._owner(attr), file_name
            )
            return
        yield from self._sighting(attr, what, value, windows)

    def _sighting(
        self, attr: MispAttribute, what: Selector, value: str, windows: dict[str, Window]
    ) -> Iterator[ParsedItem]:
        obj = attr.obj
        port: int | None = None
        if what.composite_port:
            host, _, port_text = value.rpartition("|")
            if not host or not port_text.strip().isdecimal() or not 0 <= int(port_text) <= 65535:
                yield self._error(attr.path, "value", "expected 'ip|port' with a port 0-65535", value)
                return
            value, port = host.strip(), int(port_text)
        elif obj is not None and obj.name == "ip-port" and what.selector_type == "ip":
            port = object_port(obj, attr.relation)
        try:
            start = self._time(attr.data, "first_seen", attr.path)
            end = self._time(attr.data, "last_seen", attr.path)
        except WindowError as exc:
            yield exc.error
            return
        if obj is not None and (start is None or end is None):
            window = windows.get(obj.ref)
            if window is None:
                window = windows[obj.ref] = self._object_window(obj)
                if window.error is not None:
                    yield window.error
            if window.error is not None:
                return
            start, end = start or window.start, end or window.end
        if start and end and end < start:
            yield self._error(
                attr.path, "last_seen", "last seen is before first seen", attr.data.get("last_seen")
            )
            return
        platform = what.platform
        if platform is None and obj is not None and what.selector_type == "username":
            platform = object_platform(obj.name, [a.data for a in obj.attrs])
        context = f"{obj.name}/{attr.relation}" if obj is not None else attr.type
        yield Sighting(
            attr.ref,
            self._loc(attr.path),
            what.selector_type,
            value,
            person_ref=self._owner(attr),
            platform=platform,
            port=port,
            observed_from=start,
            observed_to=end,
            context=context,
        )
