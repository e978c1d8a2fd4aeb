"""What each MISP attribute type and object relation means to caseweave."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from caseweave.bounds import ascii_int
from caseweave.intake.records import RecordError


@dataclass(frozen=True)
class Selector:
    selector_type: str
    platform: str | None = None
    composite_port: bool = False  # value is "ip|port"


@dataclass(frozen=True)
class Hash:
    algorithm: str
    with_file_name: bool = False  # value is "filename|hash"


@dataclass(frozen=True)
class PersonField:
    name: str  # full_name, given_name, family_name, date_of_birth, country, address, role


Meaning = Selector | Hash | PersonField

BY_TYPE: dict[str, Meaning] = {
    "email": Selector("email"),
    "email-src": Selector("email"),
    "email-dst": Selector("email"),
    "whois-registrant-email": Selector("email"),
    "ip-src": Selector("ip"),
    "ip-dst": Selector("ip"),
    "ip-src|port": Selector("ip", composite_port=True),
    "ip-dst|port": Selector("ip", composite_port=True),
    "phone-number": Selector("phone"),
    "whois-registrant-phone": Selector("phone"),
    "url": Selector("url"),
    "link": Selector("url"),
    "uri": Selector("url"),
    "domain": Selector("url"),
    "hostname": Selector("url"),
    "btc": Selector("wallet"),
    "xmr": Selector("wallet"),
    "eth": Selector("wallet"),
    "dash": Selector("wallet"),
    "github-username": Selector("username", platform="github"),
    "twitter-id": Selector("username", platform="twitter"),
    "jabber-id": Selector("username", platform="jabber"),
    "md5": Hash("md5"),
    "sha1": Hash("sha1"),
    "sha256": Hash("sha256"),
    "pdq": Hash("pdq"),
    "filename|md5": Hash("md5", with_file_name=True),
    "filename|sha1": Hash("sha1", with_file_name=True),
    "filename|sha256": Hash("sha256", with_file_name=True),
    "filename|pdq": Hash("pdq", with_file_name=True),
    "first-name": PersonField("given_name"),
    "last-name": PersonField("family_name"),
    "full-name": PersonField("full_name"),
    "date-of-birth": PersonField("date_of_birth"),
}

PERSON_TYPES = frozenset(t for t, m in BY_TYPE.items() if isinstance(m, PersonField))

# Relations that say what an attribute is, whatever its type (a `text` username, say).
BY_OBJECT_RELATION: dict[str, dict[str, Meaning]] = {
    "person": {
        "first-name": PersonField("given_name"),
        "last-name": PersonField("family_name"),
        "full-name": PersonField("full_name"),
        "date-of-birth": PersonField("date_of_birth"),
        "nationality": PersonField("country"),
        "country": PersonField("country"),
        "address": PersonField("address"),
        "role": PersonField("role"),
    },
    "user-account": {
        "username": Selector("username"),
        "user-id": Selector("username"),
        "email": Selector("email"),
        "link": Selector("url"),
    },
    "email": {
        "from": Selector("email"),
        "to": Selector("email"),
        "cc": Selector("email"),
        "bcc": Selector("email"),
        "reply-to": Selector("email"),
        "return-path": Selector("email"),
    },
    "ip-port": {
        "ip": Selector("ip"),
        "ip-src": Selector("ip"),
        "ip-dst": Selector("ip"),
        "hostname": Selector("url"),
        "domain": Selector("url"),
    },
    # MISP's `phone` object: the handset and its line (msisdn: the number; imei: the handset)
    "phone": {"msisdn": Selector("phone"), "imei": Selector("device")},
    "file": {"md5": Hash("md5"), "sha1": Hash("sha1"), "sha256": Hash("sha256"), "pdq": Hash("pdq")},
    # MISP has no `eth` attribute type: other coins' addresses are `text` in a coin-address object.
    "coin-address": {"address": Selector("wallet"), "address-crypto": Selector("wallet")},
}
# Coins the wallet selector reads; an address-crypto with another `symbol` (DOGE, SOL, …) is not read.
WALLET_SYMBOLS = frozenset({"BTC", "ETH"})

ANY_OBJECT_RELATION: dict[str, Meaning] = {
    "username": Selector("username"),
    "phone-number": Selector("phone"),
}

ROLES = frozenset({"suspect", "victim", "reporter", "unknown"})


def meaning(attr_type: str, relation: str | None, object_name: str | None) -> Meaning | None:
    """What an attribute is: by its object relation first, then by its type; None: not read."""
    if object_name is not None and relation is not None:
        found = BY_OBJECT_RELATION.get(object_name, {}).get(relation) or ANY_OBJECT_RELATION.get(relation)
        if found is not None:
            return found
    if object_name is not None and isinstance(BY_TYPE.get(attr_type), PersonField):
        return (
            None  # a name inside some other object (a registrant, a sender) is not a person of the referral
        )
    return BY_TYPE.get(attr_type)


def party_kind(object_name: str) -> str | None:
    """The record kind an object stands for when nothing ties it to a person; None: not a party."""
    if object_name == "person":
        return "person"
    if object_name in ("user-account", "github-user") or object_name.endswith("-account"):
        return "account"
    if object_name == "phone":
        return "phone"
    return None


def object_platform(name: str, attributes: list[dict[str, Any]]) -> str | None:
    """The service a user-account (or `<platform>-account`) object is on."""
    if name.endswith("-account") and name != "user-account":
        return name.removesuffix("-account")
    if name == "github-user":
        return "github"
    link: str | None = None
    for attr in attributes:
        relation, value = attr.get("object_relation"), attr.get("value")
        if not isinstance(value, str) or not value.strip():
            continue
        if relation in ("platform", "account-type"):  # account-type: the template's name for it
            return value.strip()
        if relation == "link" and link is None:
            link = value.strip()
    if link:
        try:
            return urlsplit(link).hostname or None
        except ValueError:
            return None
    return None


def text_of(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass
class MispObject:
    data: dict[str, Any]
    path: str
    ref: str
    name: str
    attrs: list[MispAttribute] = field(default_factory=list)


@dataclass
class MispAttribute:
    data: dict[str, Any]
    path: str
    ref: str
    type: str
    relation: str | None
    obj: MispObject | None


@dataclass
class Window:
    start: datetime | None = None
    end: datetime | None = None
    error: RecordError | None = None


class WindowError(Exception):
    def __init__(self, error: RecordError) -> None:
        super().__init__(error.reason)
        self.error = error


class Groups:
    """Union-find over uuids; a group is `linked` once a MISP object reference joined it."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.linked: set[str] = set()

    def find(self, item: str) -> str:
        root = item
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while item != root:
            self.parent[item], item = root, self.parent.get(item, root)
        return root

    def join(self, first: str, second: str, linked: bool = False) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[b] = a
            if b in self.linked:
                self.linked.add(a)
        if linked:
            self.linked.add(a)

    def is_linked(self, item: str) -> bool:
        return self.find(item) in self.linked


def readable_coin(obj: MispObject) -> bool:
    """Whether a coin-address object's `symbol` (if it states one) is a coin the wallet selector reads."""
    symbols = [text_of(a.data, "value") for a in obj.attrs if a.relation == "symbol"]
    return all((symbol or "").upper() in WALLET_SYMBOLS for symbol in symbols)


def object_port(obj: MispObject, relation: str | None) -> int | None:
    """The port an ip-port object gives its IP: dst-port (src-port for an ip-src relation)."""
    wanted = ["src-port", "dst-port"] if relation == "ip-src" else ["dst-port", "src-port"]
    for name in wanted:
        for attr in obj.attrs:
            value = attr.data.get("value")
            if attr.relation != name or isinstance(value, bool):
                continue
            # ascii_int: "٣" is decimal to str, and str() of a 5,000-digit number raises
            port = (
                value
                if isinstance(value, int)
                else ascii_int(value, 65535)
                if isinstance(value, str)
                else None
            )
            if port is not None and 0 <= port <= 65535:
                return port
    return None
