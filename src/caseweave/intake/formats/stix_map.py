"""STIX 2.1 vocabulary caseweave reads: TLP markings, selector-bearing SCOs, hash names, validation."""

from __future__ import annotations

from typing import Any

TLP_2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP_MARKING_IDS: dict[str, str] = {
    # TLP 1.0, predefined by STIX 2.1
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "tlp:white",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "tlp:green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "tlp:amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "tlp:red",
    # TLP 2.0, published by OASIS with the tlp-2.0 extension definition
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "tlp:clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "tlp:green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "tlp:amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "tlp:amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "tlp:red",
}

VALUE_SELECTORS: dict[str, str] = {
    "email-addr": "email",
    "ipv4-addr": "ip",
    "ipv6-addr": "ip",
    "url": "url",
    "domain-name": "url",
    "x-phone-number": "phone",
    "phone-number": "phone",
}

HASH_NAMES: dict[str, str] = {
    "md5": "md5",
    "sha-1": "sha1",
    "sha1": "sha1",
    "sha-256": "sha256",
    "sha256": "sha256",
    "pdq": "pdq",
    "x_pdq": "pdq",
}

# Properties an individual identity may carry as custom fields → PersonRecord fields.
PERSON_EXTRAS: dict[str, str] = {
    "x_given_name": "given_name",
    "x_first_name": "given_name",
    "x_family_name": "family_name",
    "x_last_name": "family_name",
    "x_country": "country",
    "x_nationality": "country",
    "x_address": "address",
}

ROLES = frozenset({"suspect", "victim", "reporter", "unknown"})


def marking_label(marking: dict[str, Any]) -> str | None:
    """The `tlp:*` label a marking-definition object states, by id, TLP 2.0 extension or TLP 1.0 body."""
    known = TLP_MARKING_IDS.get(str(marking.get("id")))
    if known:
        return known
    extensions = marking.get("extensions")
    if isinstance(extensions, dict):
        tlp2 = extensions.get(TLP_2_EXTENSION)
        if isinstance(tlp2, dict) and isinstance(tlp2.get("tlp_2_0"), str):
            return "tlp:" + str(tlp2["tlp_2_0"]).strip().lower()
    definition = marking.get("definition")
    if marking.get("definition_type") == "tlp" and isinstance(definition, dict):
        level = definition.get("tlp")
        if isinstance(level, str):
            return "tlp:" + level.strip().lower()
    name = marking.get("name")
    if isinstance(name, str) and name.strip().lower().startswith("tlp:"):
        return name.strip().lower()
    return None


def validation_problem(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(field, reason) when stix2 refuses the object as STIX 2.1; None when it is acceptable."""
    check = obj
    owner = obj.get("belongs_to_ref")
    if isinstance(owner, str) and owner.startswith("identity--"):
        # Common in practice though STIX wants a user-account there: read it, don't refuse the object.
        check = {key: value for key, value in obj.items() if key != "belongs_to_ref"}
    # imported here: most commands never parse STIX, and stix2 costs ~150 ms at start-up
    import stix2

    try:
        stix2.parse(check, allow_custom=True, version="2.1")
    except Exception as exc:  # stix2 raises many kinds; any of them means "this object is malformed"
        prop = getattr(exc, "prop_name", None)
        props = getattr(exc, "properties", None)
        if not isinstance(prop, str):
            prop = str(props[0]) if isinstance(props, (list, tuple)) and props else "object"
        reason = getattr(exc, "reason", None)
        return prop, str(reason if isinstance(reason, str) else exc)[:300]
    return None
