"""Small synthetic MISP events (invented people, example domains, documentation IP ranges)."""

from __future__ import annotations

import json
from typing import Any

from caseweave.intake.base import Example

EVENT_UUID = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def _attr(uuid: str, kind: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"uuid": uuid, "type": kind, "category": "Other", "value": value, **extra}


def _rel(uuid: str, relation: str, kind: str, value: str) -> dict[str, Any]:
    return {"uuid": uuid, "object_relation": relation, "type": kind, "value": value}


def one_person_event() -> dict[str, Any]:
    """Loose attributes about one person: every selector belongs to them. TLP:AMBER+STRICT."""
    return {
        "Event": {
            "uuid": EVENT_UUID,
            "info": "Referral 2026-0042: grooming contact via chat service",
            "date": "2026-03-01",
            "timestamp": "1772323200",
            "Tag": [{"name": "tlp:amber+strict"}, {"name": "caseweave:referral"}],
            "Attribute": [
                _attr("a0000000-0000-4000-8000-000000000001", "full-name", "Jordan Testperson"),
                _attr("a0000000-0000-4000-8000-000000000002", "email-src", "jordan.t@example.org"),
                _attr(
                    "a0000000-0000-4000-8000-000000000003",
                    "ip-src|port",
                    "198.51.100.23|51515",
                    first_seen="2026-02-27T21:04:00Z",
                    last_seen="2026-02-27T23:10:00Z",
                ),
                _attr("a0000000-0000-4000-8000-000000000004", "phone-number", "+44 7400 123456"),
                _attr(
                    "a0000000-0000-4000-8000-000000000005",
                    "btc",
                    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                ),
                _attr("a0000000-0000-4000-8000-000000000006", "md5", "0123456789abcdef0123456789abcdef"),
                _attr("a0000000-0000-4000-8000-000000000007", "text", "free notes are not read"),
            ],
        }
    }


def objects_event() -> dict[str, Any]:
    """A person object, their account, an ip-port object with first/last seen, a file. TLP:CLEAR."""
    person = "b0000000-0000-4000-8000-000000000001"
    account = "b0000000-0000-4000-8000-000000000002"
    return {
        "Event": {
            "uuid": "6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d",
            "info": "Referral 2026-0077: account sharing indecent images",
            "date": "2026-03-04",
            "Tag": [{"name": "tlp:clear"}],
            "Attribute": [],
            "Object": [
                {
                    "uuid": person,
                    "name": "person",
                    "Attribute": [
                        _rel("c0000000-0000-4000-8000-000000000001", "first-name", "first-name", "Casey"),
                        _rel("c0000000-0000-4000-8000-000000000002", "last-name", "last-name", "Examplesson"),
                        _rel(
                            "c0000000-0000-4000-8000-000000000003",
                            "date-of-birth",
                            "date-of-birth",
                            "1994-07-12",
                        ),
                        _rel("c0000000-0000-4000-8000-000000000004", "nationality", "nationality", "Ireland"),
                    ],
                    "ObjectReference": [{"referenced_uuid": account, "relationship_type": "owns"}],
                },
                {
                    "uuid": account,
                    "name": "user-account",
                    "Attribute": [
                        _rel("c0000000-0000-4000-8000-000000000005", "username", "text", "casey_ex"),
                        _rel(
                            "c0000000-0000-4000-8000-000000000006", "email", "email-src", "casey@example.net"
                        ),
                        _rel(
                            "c0000000-0000-4000-8000-000000000007",
                            "link",
                            "link",
                            "https://chat.example.com/u/casey_ex",
                        ),
                    ],
                },
                {
                    "uuid": "b0000000-0000-4000-8000-000000000003",
                    "name": "ip-port",
                    "Attribute": [
                        _rel("c0000000-0000-4000-8000-000000000008", "ip", "ip-dst", "203.0.113.77"),
                        _rel("c0000000-0000-4000-8000-000000000009", "dst-port", "port", "443"),
                        _rel(
                            "c0000000-0000-4000-8000-00000000000a",
                            "first-seen",
                            "datetime",
                            "2026-03-02T08:00:00Z",
                        ),
                        _rel(
                            "c0000000-0000-4000-8000-00000000000b",
                            "last-seen",
                            "datetime",
                            "2026-03-02T09:30:00Z",
                        ),
                    ],
                },
                {
                    "uuid": "b0000000-0000-4000-8000-000000000004",
                    "name": "file",
                    "Attribute": [
                        _rel(
                            "c0000000-0000-4000-8000-00000000000c", "filename", "filename", "upload_0193.jpg"
                        ),
                        _rel(
                            "c0000000-0000-4000-8000-00000000000d",
                            "md5",
                            "md5",
                            "fedcba9876543210fedcba9876543210",
                        ),
                        _rel("c0000000-0000-4000-8000-00000000000e", "sha256", "sha256", "ab" * 32),
                    ],
                },
            ],
        }
    }


def two_person_response() -> dict[str, Any]:
    """A REST search response with one event naming two people: the loose email is tied to neither."""
    return {
        "response": [
            {
                "Event": {
                    "uuid": "7b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
                    "info": "Referral 2026-0091: two adults in a sharing group",
                    "date": "2026-02-20",
                    "Tag": [{"name": "tlp:green"}],
                    "Attribute": [
                        _attr("d0000000-0000-4000-8000-000000000001", "email-dst", "group@example.com")
                    ],
                    "Object": [
                        {
                            "uuid": f"d0000000-0000-4000-8000-00000000001{n}",
                            "name": "person",
                            "Attribute": [
                                _rel(
                                    f"d0000000-0000-4000-8000-00000000002{n}", "full-name", "full-name", name
                                )
                            ],
                        }
                        for n, name in ((1, "Robin Placeholder"), (2, "Sam Fictional"))
                    ],
                }
            }
        ]
    }


def bad_values_event() -> dict[str, Any]:
    """A bad date of birth, a first_seen in the future, an email with no value."""
    return {
        "Event": {
            "uuid": "8c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
            "info": "Referral 2026-0100: values that cannot be read",
            "date": "2026-03-05",
            "Attribute": [
                _attr("e0000000-0000-4000-8000-000000000001", "full-name", "Alex Madeup"),
                _attr("e0000000-0000-4000-8000-000000000002", "date-of-birth", "31/02/1990"),
                _attr(
                    "e0000000-0000-4000-8000-000000000003",
                    "ip-dst",
                    "192.0.2.10",
                    first_seen="2099-01-01T00:00:00Z",
                ),
                _attr("e0000000-0000-4000-8000-000000000004", "email", ""),
                _attr("e0000000-0000-4000-8000-000000000005", "url", "https://files.example.org/x"),
            ],
        }
    }


def accounts_and_coins_event() -> dict[str, Any]:
    """An account whose platform is its template's `account-type`, and coin-address objects: an Ethereum
    address (MISP has no `eth` type) is read, a Dogecoin one is not (no wallet selector for it)."""

    def coin(n: int, address: str, symbol: str) -> dict[str, Any]:
        return {
            "uuid": f"d0000000-0000-4000-8000-00000000000{n}",
            "name": "coin-address",
            "Attribute": [
                _rel(f"d0000000-0000-4000-8000-0000000000{n}a", "address-crypto", "text", address),
                _rel(f"d0000000-0000-4000-8000-0000000000{n}b", "symbol", "text", symbol),
            ],
        }

    account = {
        "uuid": "d0000000-0000-4000-8000-000000000001",
        "name": "user-account",
        "Attribute": [
            _rel("d0000000-0000-4000-8000-00000000001a", "username", "text", "quiet_heron"),
            _rel("d0000000-0000-4000-8000-00000000001b", "account-type", "text", "twitter"),
        ],
    }
    return {
        "Event": {
            "uuid": "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a60",
            "info": "Referral 2026-0077: payments to a stream host",
            "Attribute": [],
            "Object": [
                account,
                # The EIP-55 test vector (a checksummed address) and a made-up Dogecoin address.
                coin(2, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "ETH"),
                coin(3, "DExampleDogeAddressxxxxxxxxxxxxxx1", "DOGE"),
            ],
        }
    }


def _dump(document: object) -> bytes:
    return json.dumps(document, indent=2).encode()


def examples() -> list[Example]:
    return [
        Example(
            "one person, loose attributes, tlp:amber+strict",
            _dump(one_person_event()),
            persons=1,
            sightings=4,
            media_hashes=1,
            selector_types=("email", "ip", "phone", "wallet"),
        ),
        Example(
            "person, user-account, ip-port with first/last seen, file",
            _dump(objects_event()),
            persons=1,
            sightings=4,
            media_hashes=2,
            selector_types=("email", "ip", "url", "username"),
        ),
        Example(
            "search response with two persons",
            _dump(two_person_response()),
            persons=2,
            sightings=1,
            selector_types=("email",),
        ),
        Example(
            "bad date of birth, future first_seen, missing value",
            _dump(bad_values_event()),
            persons=1,
            sightings=1,
            error_fields=("date-of-birth", "first_seen", "value"),
            selector_types=("url",),
        ),
        Example(
            "account-type platform, coin-address wallets",
            _dump(accounts_and_coins_event()),
            persons=1,  # the account: no person holds it, so it is a record of its own
            sightings=2,
            selector_types=("username", "wallet"),
        ),
        Example("truncated file", _dump(one_person_event())[:300], rejected=True),
        Example("JSON that is not a MISP event", b'{"type": "bundle", "objects": []}', rejected=True),
        Example("not JSON at all", b"Event,uuid\n1,2\n", rejected=True),
    ]
