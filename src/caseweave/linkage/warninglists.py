"""Warning lists: values that must never link two people (Tor exits, VPN and hosting ranges, CGNAT,
junk such as "admin" or "test@test.com"), in MISP warninglist JSON.

Files are read with errors naming the file and the JSON field; lists are stored by name (loading a
list again replaces its entries and records its new version); loading, disabling and enabling are
admin actions and audited. The bundled lists in warninglist_data/ are loaded on the first linkage run
(`ensure_bundled`) or by `caseweave warninglist load-bundled`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from caseweave.access.admin import require_platform_admin
from caseweave.actor import Actor
from caseweave.audit import service as audit
from caseweave.bounds import ascii_int
from caseweave.db.base import utcnow
from caseweave.db.bulk import bulk_insert
from caseweave.errors import Invalid, NotFound
from caseweave.linkage.models import Warninglist, WarninglistEntry
from caseweave.linkage.warninglist_match import (
    CATEGORY_ORDER,
    ListSpec,
    WarninglistMatcher,
    compile_regex,
    network,
)
from caseweave.selectors import SELECTOR_TYPES

LIST_TYPES = ("cidr", "string", "hostname", "substring", "regex")
CATEGORIES = CATEGORY_ORDER
BUNDLED = "bundled"
_MAX_VALUE = 400  # warninglist_entries.value

# MISP attribute types → our selector types. A hostname/domain list applies to URL hosts; an
# e-mail attribute on a hostname list means the address's domain (disposable-mail lists).
MISP_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "ip"), ("ip",)),
    "domain|ip": ("ip", "url"),
    **dict.fromkeys(
        ("email", "email-src", "email-dst", "email-reply-to", "target-email", "whois-registrant-email"),
        ("email",),
    ),
    **dict.fromkeys(("hostname", "domain", "hostname|port", "url", "uri", "link"), ("url",)),
    **dict.fromkeys(("phone-number", "whois-registrant-phone"), ("phone",)),
    **dict.fromkeys(("target-user", "github-username"), ("username",)),
    **dict.fromkeys(("btc", "xmr", "dash"), ("wallet",)),
    **dict.fromkeys(("iban", "bank-account-nr", "cc-number"), ("payment",)),
}
# First match wins, on the list's name and description.
_CATEGORY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cgnat", re.compile(r"cgnat|carrier[- ]grade|rfc ?6598|shared address space")),
    ("tor", re.compile(r"\btor\b")),
    ("vpn", re.compile(r"\bvpn|private relay|\bproxy|\bproxies")),
    ("hosting", re.compile(r"hosting|cloud|data ?cent(er|re)|\baws\b|azure|\bvps\b|\bcdn\b")),
    ("junk", re.compile(r"junk|placeholder|dummy|false[- ]positive")),
)


@dataclass(frozen=True)
class ParsedList:
    spec: ListSpec
    description: str
    version: str
    ignored_attributes: tuple[str, ...]  # MISP attribute types with no selector type of ours


@dataclass(frozen=True)
class LoadOutcome:
    warninglist: Warninglist
    previous_version: str | None  # None: the list is new
    ignored_attributes: tuple[str, ...]


def categorise(name: str, description: str) -> str:
    text = f"{name} {description}".lower()
    return next((category for category, words in _CATEGORY_WORDS if words.search(text)), "other")


def parse_warninglist(data: bytes | str, source: str, *, category: str | None = None) -> ParsedList:
    """One MISP warninglist; Invalid names the file (source) and the field for anything wrong."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Invalid(f"{source}: not JSON: {error}", field="(file)") from None
    if not isinstance(document, dict):
        raise Invalid(f"{source}: a warninglist is a JSON object", field="(file)")
    name = _text(document, "name", source)
    description = _text(document, "description", source, required=False)
    version = document.get("version")
    if not isinstance(version, (int, str)) or isinstance(version, bool) or str(version).strip() == "":
        raise Invalid(f"{source}: version must be a number or text", field="version")
    list_type = document.get("type", "string")  # MISP's default when a list omits it
    if list_type not in LIST_TYPES:
        raise Invalid(
            f"{source}: unknown list type {list_type!r}",
            field="type",
            hint=f"use one of {', '.join(LIST_TYPES)}",
        )
    selector_types, ignored = _selector_types(document.get("matching_attributes"), source)
    values = _values(document.get("list"), list_type, source)
    if category is not None and category not in CATEGORIES:
        raise Invalid(
            f"unknown category {category!r}", field="category", hint=f"use one of {', '.join(CATEGORIES)}"
        )
    spec = ListSpec(
        name=name,
        list_type=list_type,
        category=category or categorise(name, description),
        selector_types=selector_types,
        values=values,
    )
    return ParsedList(spec, description, str(version).strip(), ignored)


def read_warninglist(path: Path, *, category: str | None = None) -> ParsedList:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise Invalid(f"{path}: cannot read: {error.strerror}", field="path") from None
    return parse_warninglist(data, str(path), category=category)


def _text(document: dict[str, Any], key: str, source: str, *, required: bool = True) -> str:
    value = document.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"{source}: {key} must be {'non-empty ' if required else ''}text", field=key)
    if key == "name" and len(value.strip()) > 200:
        raise Invalid(f"{source}: name is longer than 200 characters", field=key)
    return value.strip()


def _selector_types(attributes: object, source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Our selector types for MISP matching_attributes (missing: every type, as in MISP)."""
    if attributes is None:
        return tuple(SELECTOR_TYPES), ()
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        raise Invalid(f"{source}: matching_attributes must be a list of text", field="matching_attributes")
    found: list[str] = []
    ignored: list[str] = []
    for attribute in attributes:
        mapped = (attribute,) if attribute in SELECTOR_TYPES else MISP_ATTRIBUTES.get(attribute)
        if mapped is None:
            ignored.append(attribute)
        found.extend(t for t in mapped or () if t not in found)
    return tuple(found), tuple(ignored)


def _values(items: object, list_type: str, source: str) -> tuple[str, ...]:
    if not isinstance(items, list):
        raise Invalid(f"{source}: list must be a JSON array of values", field="list")
    values: dict[str, None] = {}  # ordered and without repeats
    for i, item in enumerate(items):
        where = f"list[{i}]"
        if not isinstance(item, str):
            raise Invalid(f"{source}: {where} is {type(item).__name__}, not text", field=where)
        value = item.strip()
        if not value:
            continue
        if len(value) > _MAX_VALUE:
            raise Invalid(f"{source}: {where} is longer than {_MAX_VALUE} characters", field=where)
        _check(value, list_type, source, where)
        values[value] = None
    return tuple(values)


def _check(value: str, list_type: str, source: str, where: str) -> None:
    if list_type == "cidr":
        try:
            network(value)
        except ValueError as error:
            raise Invalid(
                f"{source}: {value!r} is not an IP address or CIDR block: {error}", field=where
            ) from None
    elif list_type == "regex":
        try:
            compile_regex(value)
        except re.error as error:
            raise Invalid(f"{source}: {value!r} is not a regular expression: {error}", field=where) from None


def _store(
    session: Session, actor: Actor, parsed: ParsedList, source: str, *, automatic: bool
) -> LoadOutcome:
    spec = parsed.spec
    row = session.scalar(select(Warninglist).where(Warninglist.name == spec.name))
    previous = None if row is None else row.version
    if row is None:
        row = Warninglist(name=spec.name, enabled=True)
        session.add(row)
    else:
        session.execute(delete(WarninglistEntry).where(WarninglistEntry.warninglist_id == row.id))
    row.description = parsed.description
    row.list_type = spec.list_type
    row.category = spec.category
    row.selector_types = list(spec.selector_types)
    row.version = parsed.version[:40]
    row.source = source[-400:]
    row.loaded_at = utcnow()
    session.flush()
    entries = WarninglistEntry.metadata.tables[WarninglistEntry.__tablename__]
    bulk_insert(session, entries, [{"warninglist_id": row.id, "value": v} for v in spec.values])
    audit.record(
        session,
        actor,
        "warninglist.load",
        "warninglist",
        [row.id],
        detail={
            "name": row.name,
            "version": row.version,
            "previous_version": previous,
            "entries": len(spec.values),
            "source": row.source,
            "automatic": automatic,
        },
    )
    return LoadOutcome(row, previous, parsed.ignored_attributes)


def load_files(
    session: Session, actor: Actor, paths: Sequence[Path], *, category: str | None = None
) -> list[LoadOutcome]:
    """Load MISP warninglist files, all or none: every file is read and checked before any is stored."""
    require_platform_admin(actor, "load or change warning lists")
    parsed = [(read_warninglist(path, category=category), str(path)) for path in paths]
    return [_store(session, actor, p, source, automatic=False) for p, source in parsed]


def bundled_lists() -> list[ParsedList]:
    folder = resources.files("caseweave.linkage") / "warninglist_data"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    return [parse_warninglist(f.read_bytes(), f"{BUNDLED}:{f.name}") for f in files]


def load_bundled(session: Session, actor: Actor) -> list[LoadOutcome]:
    """(Re)load every bundled list; a list an admin disabled stays disabled."""
    require_platform_admin(actor, "load or change warning lists")
    return [_store(session, actor, p, BUNDLED, automatic=False) for p in bundled_lists()]


def ensure_bundled(session: Session, actor: Actor) -> list[LoadOutcome]:
    """Load bundled lists that are missing or older than the shipped ones, for any actor running linkage.

    Shipped defaults, not an admin's choice, so no admin is needed; the entry says "automatic".
    A disabled list stays disabled; one replaced by a file of the same name is left alone."""
    stored = {row.name: row for row in session.scalars(select(Warninglist))}
    outcomes = []
    for parsed in bundled_lists():
        row = stored.get(parsed.spec.name)
        if row is None or (row.source == BUNDLED and row.version != parsed.version):
            outcomes.append(_store(session, actor, parsed, BUNDLED, automatic=True))
    return outcomes


def list_warninglists(session: Session) -> list[tuple[Warninglist, int]]:
    """Every list with its number of entries, by category then name."""
    query = select(WarninglistEntry.warninglist_id, func.count()).group_by(WarninglistEntry.warninglist_id)
    counts = {list_id: entries for list_id, entries in session.execute(query)}
    rows = session.scalars(select(Warninglist)).all()
    rows_sorted = sorted(rows, key=lambda r: (_category_rank(r.category), r.name))
    return [(row, counts.get(row.id, 0)) for row in rows_sorted]


def set_enabled(session: Session, actor: Actor, ref: str, enabled: bool) -> Warninglist:
    """Disable (or enable again) a list by name or id; audited."""
    require_platform_admin(actor, "load or change warning lists")
    row = session.scalar(select(Warninglist).where(Warninglist.name == ref))
    number = ascii_int(ref)
    if row is None and number is not None:
        row = session.get(Warninglist, number)
    if row is None:
        raise NotFound(
            f"warning list {ref!r} not found", field="name", hint="see `caseweave warninglist list`"
        )
    if row.enabled != enabled:
        row.enabled = enabled
        audit.record(
            session,
            actor,
            "warninglist.enable" if enabled else "warninglist.disable",
            "warninglist",
            [row.id],
            detail={"name": row.name},
        )
    return row


def build_matcher(session: Session) -> WarninglistMatcher:
    """A matcher over every enabled list, read in one query; build it once per linkage run."""
    lists = session.scalars(select(Warninglist).where(Warninglist.enabled.is_(True))).all()
    values: dict[int, list[str]] = {row.id: [] for row in lists}
    entries = session.execute(
        select(WarninglistEntry.warninglist_id, WarninglistEntry.value)
        .join(Warninglist, Warninglist.id == WarninglistEntry.warninglist_id)
        .where(Warninglist.enabled.is_(True))
    )
    for list_id, value in entries:
        values[list_id].append(value)
    return WarninglistMatcher(
        ListSpec(r.name, r.list_type, r.category, tuple(r.selector_types), tuple(values[r.id])) for r in lists
    )


def _category_rank(category: str) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)
