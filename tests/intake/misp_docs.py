"""MISP events for tests: an event from attributes and objects, and reading one with the importer."""

from __future__ import annotations

from typing import Any

from caseweave.intake.formats.misp import MispImporter
from caseweave.intake.records import MediaHash, ParsedItem, Sighting
from tests.support.importer_contract import read

IMPORTER = MispImporter()


def parse(content: bytes | dict[str, Any]) -> list[ParsedItem]:
    return read(IMPORTER, content, "referral.json")


def event(*attributes: Any, objects: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": "0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b",
        "info": "test",
        "date": "2026-01-05",
    }
    body.update(fields)
    body["Attribute"] = list(attributes)
    if objects is not None:
        body["Object"] = objects
    return {"Event": body}


def attr(uuid: str, kind: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"uuid": uuid, "type": kind, "value": value, **extra}


def obj(
    uuid: str,
    name: str,
    *rels: tuple[str, str, str, str],
    refs: tuple[str, ...] = (),
    relationship: str = "uses",
) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "Attribute": [{"uuid": u, "object_relation": r, "type": t, "value": v} for u, r, t, v in rels],
        "ObjectReference": [{"referenced_uuid": ref, "relationship_type": relationship} for ref in refs],
    }


def by_ref(items: list[ParsedItem]) -> dict[str, Sighting | MediaHash]:
    return {item.ref: item for item in items if isinstance(item, (Sighting, MediaHash))}
