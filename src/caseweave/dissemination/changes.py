"""What changed between two versions of an agency's package: subjects added and removed (and why),
and for each subject in both, new or dropped selectors, new sightings, attribution, urgency, records
and referrals. Computed from the two documents alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def describe_attribution(attribution: Mapping[str, Any] | None) -> str:
    if not attribution:
        return "not attributed"
    country = attribution.get("country") or "no country"
    return f"{attribution['status']} {country} {float(attribution['confidence']):.2f}"


def diff(
    previous: Mapping[str, Any], content: Mapping[str, Any], why_removed: Mapping[str, str]
) -> dict[str, Any]:
    """`content` is the new version's content part (document.content): to, tlp, subjects."""
    subjects: list[dict[str, Any]] = content["subjects"]
    before = {s["subject"]: s for s in previous["subjects"]}
    after = {s["subject"]: s for s in subjects}
    added = sorted(set(after) - set(before))
    removed = [
        {"subject": public_id, "why": why_removed.get(public_id, "no longer routed to your agency")}
        for public_id in sorted(set(before) - set(after))
    ]
    changed = [
        change
        for public_id in sorted(set(before) & set(after))
        if (change := _subject_change(before[public_id], after[public_id])) is not None
    ]
    label = f"label TLP:{previous['tlp']} → TLP:{content['tlp']}" if previous["tlp"] != content["tlp"] else ""
    parts = [
        f"{len(added)} subject(s) added" if added else "",
        f"{len(removed)} removed" if removed else "",
        f"{len(changed)} changed" if changed else "",
        label,
    ]
    return {
        "since": previous["reference"],
        "since_version": previous["version"],
        "summary": ", ".join(p for p in parts if p) or "details changed",
        "label": label or None,
        "subjects_added": added,
        "subjects_removed": removed,
        "subjects_changed": changed,
    }


def _selectors(subject: Mapping[str, Any]) -> dict[str, int]:
    return {f"{s['type']}:{s['value']}": int(s["sightings"]) for s in subject["selectors"]}


def _subject_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any] | None:
    if old == new:
        return None
    old_selectors, new_selectors = _selectors(old), _selectors(new)
    change: dict[str, Any] = {"subject": new["subject"]}
    if added := sorted(set(new_selectors) - set(old_selectors)):
        change["new_selectors"] = added
    if dropped := sorted(set(old_selectors) - set(new_selectors)):
        change["removed_selectors"] = dropped
    more = sorted(k for k in set(old_selectors) & set(new_selectors) if new_selectors[k] > old_selectors[k])
    if more:
        change["new_sightings_of"] = more
    was, now = describe_attribution(old.get("attribution")), describe_attribution(new.get("attribution"))
    if was != now:
        change["attribution"] = f"{was} → {now}"
    if old["urgency"] != new["urgency"]:
        change["urgency"] = f"{old['urgency']} → {new['urgency']}"
    old_records = {p["record"] for p in old["persons"]}
    if new_records := [p["record"] for p in new["persons"] if p["record"] not in old_records]:
        change["new_records"] = len(new_records)
    old_referrals = {r["id"] for r in old["referrals"]}
    if new_referrals := [r["external_id"] for r in new["referrals"] if r["id"] not in old_referrals]:
        change["new_referrals"] = new_referrals
    if old["media"] != new["media"]:
        change["media"] = (
            f"media hashes listed {old['media']['hashes_listed']} → {new['media']['hashes_listed']}"
        )
    if len(change) == 1:
        change["details"] = "details changed (route, person details or observation windows)"
    return change
