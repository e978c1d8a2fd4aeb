"""Turn parsed items into table rows: normalise selectors and countries, or say why not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from caseweave.errors import Invalid
from caseweave.intake.records import MediaHash, PersonRecord, RecordError, Sighting
from caseweave.operations.countries import country_as_stated
from caseweave.selectors import Normalised, normalise


class Normaliser(Protocol):
    def __call__(
        self, selector_type: str, raw: str, *, platform: str | None, region: str | None
    ) -> Normalised: ...


HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}


def person_row(item: PersonRecord, common: dict[str, Any]) -> dict[str, Any] | RecordError:
    country = None
    if item.country:
        try:
            country = country_as_stated(item.country)
        except Invalid as error:
            return RecordError(item.location, "country", error.message, item.country)
    return {
        **common,
        "ref": item.ref,
        "location": str(item.location)[:400],
        "full_name": item.full_name,
        "given_name": item.given_name,
        "family_name": item.family_name,
        "date_of_birth": item.date_of_birth,
        "address": item.address,
        "country": country,
        "role": item.role,
        "kind": item.kind,
    }


def sighting_row(
    item: Sighting, common: dict[str, Any], regions: Sequence[str], normaliser: Normaliser = normalise
) -> dict[str, Any] | RecordError:
    """regions: default regions for national-format phones, tried in order (the first refusal is told)."""
    tries: Sequence[str | None] = (regions if item.selector_type == "phone" else regions[:1]) or (None,)
    refusals: list[Invalid] = []
    for region in tries:
        try:
            normalised = normaliser(item.selector_type, item.raw_value, platform=item.platform, region=region)
            break
        except Invalid as error:
            refusals.append(error)
    else:
        return RecordError(item.location, item.selector_type, refusals[0].message, item.raw_value[:200])
    if item.observed_from and item.observed_to and item.observed_to < item.observed_from:
        return RecordError(item.location, "observed_to", "the window ends before it starts", item.raw_value)
    return {
        **common,
        "ref": item.ref,
        "location": str(item.location)[:400],
        "person_ref": item.person_ref,
        "selector_type": item.selector_type,
        "value": normalised.value[:400],
        "raw_value": item.raw_value[:400],
        "flags": sorted(normalised.flags),
        "platform": item.platform,
        "port": item.port if item.port is not None else normalised.port,
        "observed_from": item.observed_from,
        "observed_to": item.observed_to,
        "context": item.context,
        "possible_proxy": item.possible_proxy,
    }


def media_row(item: MediaHash, common: dict[str, Any]) -> dict[str, Any] | RecordError:
    algorithm = item.algorithm.lower().replace("-", "")
    value = item.value.strip().lower()
    if algorithm not in HASH_LENGTHS:
        return RecordError(
            item.location, "algorithm", f"unknown hash algorithm {item.algorithm!r}", item.value
        )
    if len(value) != HASH_LENGTHS[algorithm] or any(ch not in "0123456789abcdef" for ch in value):
        return RecordError(
            item.location,
            algorithm,
            f"{item.value[:80]!r} is not a {algorithm} hash ({HASH_LENGTHS[algorithm]} hex digits)",
            item.value[:200],
        )
    return {
        **common,
        "ref": item.ref,
        "location": str(item.location)[:400],
        "person_ref": item.person_ref,
        "algorithm": algorithm,
        "value": value,
        "file_name": item.file_name,
    }
