"""Small synthetic STIX 2.1 bundles (invented people, example domains, documentation IP ranges)."""

from __future__ import annotations

import json
from typing import Any

from caseweave.intake.base import Example
from caseweave.intake.formats.stix_map import TLP_2_EXTENSION

AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP1_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
T0 = "2026-03-01T10:00:00.000Z"


def sid(kind: str, n: int) -> str:
    """A deterministic, valid STIX id for examples: kind--00000000-0000-4000-8000-<n>."""
    return f"{kind}--00000000-0000-4000-8000-{n:012d}"


def sdo(kind: str, n: int, **props: Any) -> dict[str, Any]:
    return {"type": kind, "spec_version": "2.1", "id": sid(kind, n), "created": T0, "modified": T0, **props}


def sco(kind: str, n: int, **props: Any) -> dict[str, Any]:
    return {"type": kind, "spec_version": "2.1", "id": sid(kind, n), **props}


def bundle(n: int, *objects: Any) -> dict[str, Any]:
    return {"type": "bundle", "id": sid("bundle", n), "objects": list(objects)}


def rel(n: int, source: str, target: str, kind: str = "related-to") -> dict[str, Any]:
    return sdo("relationship", n, relationship_type=kind, source_ref=source, target_ref=target)


AMBER_STRICT_DEFINITION: dict[str, Any] = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": AMBER_STRICT,
    "created": "2022-10-01T00:00:00.000Z",
    "name": "TLP:AMBER+STRICT",
    "extensions": {TLP_2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}},
}


def report_bundle() -> dict[str, Any]:
    """A report (TLP:AMBER+STRICT) about one person, tied by belongs_to_ref and a relationship."""
    person = sid("identity", 1)
    ip = sid("ipv4-addr", 1)
    return bundle(
        1,
        AMBER_STRICT_DEFINITION,
        sdo(
            "report",
            1,
            name="Referral 2026-0150: livestream grooming",
            published="2026-03-01T12:00:00Z",
            report_types=["threat-report"],
            object_marking_refs=[AMBER_STRICT],
            object_refs=[person, ip],
        ),
        sdo(
            "identity",
            1,
            name="Morgan Sample",
            identity_class="individual",
            x_date_of_birth="1991-02-03",
            x_country="New Zealand",
        ),
        sco("email-addr", 1, value="morgan.s@example.org", belongs_to_ref=person),
        sco(
            "user-account",
            1,
            account_login="morgan_s",
            account_type="chat.example.com",
            x_phone="+44 7400 123458",
            belongs_to_ref=person,
        ),
        sco("ipv4-addr", 1, value="198.51.100.44"),
        rel(1, person, ip, "uses"),
        sdo(
            "observed-data",
            1,
            first_observed="2026-02-27T20:00:00Z",
            last_observed="2026-02-27T22:15:00Z",
            number_observed=1,
            object_refs=[ip],
        ),
        sco("url", 1, value="https://stream.example.net/live/8841"),
        sco(
            "file",
            1,
            name="frame_0001.png",
            hashes={"MD5": "0123456789abcdef0123456789abcdef", "SHA-256": "cd" * 32},
        ),
    )


def grouping_bundle() -> dict[str, Any]:
    """A grouping (TLP:CLEAR, by id only) naming two people; the IPv6 address is tied to neither."""
    first, second = sid("identity", 2), sid("identity", 3)
    phone, domain = sid("x-phone-number", 1), sid("domain-name", 1)
    return bundle(
        2,
        sdo(
            "grouping",
            1,
            name="Referral 2026-0160: payment trail",
            context="suspicious-activity",
            object_marking_refs=[CLEAR],
            object_refs=[first, second],
        ),
        sdo("identity", 2, name="Riley Invented", identity_class="individual", roles=["suspect"]),
        sdo("identity", 3, name="Quinn Notreal", identity_class="individual"),
        {"type": "x-phone-number", "id": phone, "value": "+1 202 555 0147"},
        sco("domain-name", 1, value="pay.example.com"),
        sco("ipv6-addr", 1, value="2001:db8::17"),
        rel(2, first, phone),
        rel(3, domain, second, "attributed-to"),
    )


def bare_bundle() -> dict[str, Any]:
    """No report: the bundle id is the referral; TLP 1.0 amber on the object."""
    return bundle(3, sco("email-addr", 3, value="tips@example.com", object_marking_refs=[TLP1_AMBER]))


def bad_values_bundle() -> dict[str, Any]:
    """A malformed identity, an address with no value, a future birth date, a future observation."""
    email = sid("email-addr", 4)
    return bundle(
        4,
        sdo(
            "report",
            4,
            name="Referral 2026-0170: values that cannot be read",
            published=T0,
            object_refs=[email],
        ),
        {**sdo("identity", 4, name="Broken Record", identity_class="individual"), "created": "yesterday"},
        sdo(
            "identity",
            5,
            name="Jamie Hypothetical",
            identity_class="individual",
            x_date_of_birth="2090-01-01",
        ),
        sco("ipv4-addr", 4),
        sdo(
            "observed-data",
            4,
            first_observed="2099-01-01T00:00:00Z",
            last_observed="2099-01-02T00:00:00Z",
            number_observed=1,
            object_refs=[email],
        ),
        sco("email-addr", 4, value="jamie.h@example.org"),
    )


def _dump(document: object) -> bytes:
    return json.dumps(document, indent=2).encode()


def examples() -> list[Example]:
    return [
        Example(
            "report with one person, belongs_to_ref, relationship, observed-data, tlp:amber+strict",
            _dump(report_bundle()),
            persons=1,
            sightings=5,
            media_hashes=2,
            selector_types=("email", "ip", "phone", "url", "username"),
        ),
        Example(
            "grouping with two persons, tlp:clear",
            _dump(grouping_bundle()),
            persons=2,
            sightings=3,
            selector_types=("ip", "phone", "url"),
        ),
        Example("bundle without a report", _dump(bare_bundle()), sightings=1, selector_types=("email",)),
        Example(
            "malformed identity, missing value, future birth date and observation",
            _dump(bad_values_bundle()),
            persons=1,
            sightings=1,
            error_fields=("created", "value", "x_date_of_birth", "first_observed"),
            selector_types=("email",),
        ),
        Example("truncated file", _dump(report_bundle())[:400], rejected=True),
        Example(  # OASIS's examples are written so
            "a lone STIX object, read as a bundle of one",
            json.dumps(sco("email-addr", 9, value="lone@example.org")).encode(),
            sightings=1,
            selector_types=("email",),
        ),
        Example(
            "STIX 2.0 bundle",
            b'{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", '
            b'"spec_version": "2.0", "objects": []}',
            rejected=True,
        ),
        Example("not JSON at all", b'"type": "bundle"\x00\xff', rejected=True),
    ]
