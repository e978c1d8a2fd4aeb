"""The package document in words and tables, shared by the HTML and PDF renderings so both say the
same thing. Works on the issued JSON only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from caseweave.dissemination.urgency import LABELS

# TLP 2.0: the label's colour on a black background
TLP_COLOURS = {
    "RED": "#FF2B2B",
    "AMBER": "#FFC000",
    "AMBER+STRICT": "#FFC000",
    "GREEN": "#33FF00",
    "CLEAR": "#FFFFFF",
}
URGENCY_COLOURS = {"immediate": "#B00020", "high": "#C55A00", "routine": "#3C5A78"}


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    urgency: str | None = None
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def when(text: str | None, *, time: bool = True) -> str:
    if not text:
        return "—"
    moment = datetime.fromisoformat(text)
    return moment.strftime("%Y-%m-%d %H:%M UTC" if time else "%Y-%m-%d")


def shares(distribution: Mapping[str, float]) -> str:
    return ", ".join(f"{cc} {share:.0%}" for cc, share in distribution.items()) or "—"


def title(body: Mapping[str, Any]) -> str:
    return f"Lead package {body['reference']}"


def header(body: Mapping[str, Any], sha256: str) -> list[tuple[str, str]]:
    to, sender = body["to"], body["from"]
    summary = body["summary"]
    return [
        ("To", f"{to['name']} ({to['code']}, {to['country']}) — {to['contact_point']}"),
        ("From", f"{sender['name']} ({sender['code']}), coordinator of {body['operation']['name']}"),
        (
            "Version",
            f"{body['version']}"
            + (f", replaces {body['previous']['reference']}" if body["previous"] else ""),
        ),
        ("Issued", f"{when(body['issued_at'])} by {body['issued_by']}"),
        ("Urgency", f"{body['urgency']}: {body['urgency_label']}"),
        ("Acknowledge by", f"{when(body['deadline'])} ({body['deadline_rule']})"),
        ("Label", f"TLP:{body['tlp']} — {body['tlp_rule']}"),
        (
            "Contents",
            f"{summary['subjects']} subject(s): {summary['immediate']} immediate, {summary['high']} high, "
            f"{summary['routine']} routine; {summary['records']} record(s), "
            f"{summary['selectors']} selector(s), {summary['media_hashes_listed']} media hash(es) listed "
            "(never content)",
        ),
        ("sha256 of the JSON", sha256),
    ]


def change_lines(body: Mapping[str, Any]) -> list[str]:
    changes = body.get("changes")
    if not changes:
        return []
    lines = [f"Since {changes['since']}: {changes['summary']}."]
    if changes["subjects_added"]:
        lines.append("Added: " + ", ".join(changes["subjects_added"]))
    lines.extend(f"Removed {item['subject']}: {item['why']}" for item in changes["subjects_removed"])
    for item in changes["subjects_changed"]:
        parts = [
            *(f"new selector {s}" for s in item.get("new_selectors", [])),
            *(f"selector no longer held {s}" for s in item.get("removed_selectors", [])),
            *(f"new sightings of {s}" for s in item.get("new_sightings_of", [])),
            *(
                f"{key.replace('_', ' ')}: {item[key]}"
                for key in ("attribution", "urgency", "media")
                if key in item
            ),
            f"{item['new_records']} new record(s)" if "new_records" in item else "",
            ("new referral(s): " + ", ".join(item["new_referrals"])) if "new_referrals" in item else "",
            item.get("details", ""),
        ]
        lines.append(f"Changed {item['subject']}: " + "; ".join(p for p in parts if p))
    return lines


def subject_section(subject: Mapping[str, Any]) -> Section:
    level = subject["urgency"]
    section = Section(f"{subject['subject']} — {LABELS[level]}", level)
    section.lines.extend(subject["urgency_reasons"])
    if subject["roles"]:
        section.lines.append("Roles in the records shown: " + ", ".join(subject["roles"]))
    section.lines.extend(_attribution_lines(subject))
    route = subject["route"]
    section.lines.append(
        f"Routed to you ({route['method']}) by {route['decided_by']} on {when(route['decided_at'])}"
        + (f": {route['note']}" if route["note"] else "")
    )
    if subject["linked_on"]:
        section.lines.append("Records linked on: " + ", ".join(subject["linked_on"]))
    media = subject["media"]
    matched = media["matched_known_material"]
    section.lines.append(
        f"Media: {media['hashes_listed']} hash(es) listed in the referrals shown; matches against known "
        f"material: {matched if matched is not None else media['matching']}"
    )
    attribution = subject["attribution"]
    if attribution and attribution["evidence"]:
        section.tables.append(
            Table(
                "Attribution evidence you may see",
                ["clue", "value", "country", "weight", "observed", "note"],
                [
                    [e["kind"], e["value"], e["country"] or "—", f"{e['weight']:g}", _window(e), e["note"]]
                    for e in attribution["evidence"]
                ],
            )
        )
    if subject["persons"]:
        section.tables.append(
            Table(
                "Person records",
                ["record", "held by", "role", "name", "born", "address", "country", "TLP"],
                [
                    [
                        str(p["record"]),
                        p["held_by"],
                        p["role"],
                        p["name"] or "—",
                        p["date_of_birth"] or "—",
                        p["address"] or "—",
                        p["country"] or "—",
                        p["tlp"],
                    ]
                    for p in subject["persons"]
                ],
            )
        )
    if subject["selectors"]:
        section.tables.append(
            Table(
                "Selectors and when they were observed",
                ["type", "value", "first seen", "last seen", "seen on", "windows"],
                [_selector_row(s) for s in subject["selectors"]],
            )
        )
    if subject["referrals"]:
        section.tables.append(
            Table(
                "Referrals",
                ["held by", "format", "reference", "title", "received", "TLP"],
                [
                    [
                        r["held_by"],
                        r["format"],
                        r["external_id"],
                        r["title"],
                        when(r["received_at"], time=False),
                        r["tlp"],
                    ]
                    for r in subject["referrals"]
                ],
            )
        )
    return section


def _attribution_lines(subject: Mapping[str, Any]) -> list[str]:
    attribution = subject["attribution"]
    if not attribution:
        return ["Attribution: none stored"]
    date = attribution["provider_data_date"] or "an unknown date"
    lines = [
        f"Attribution: {attribution['status']}, {attribution['country'] or 'no country'} with confidence "
        f"{attribution['confidence']:.2f} ({shares(attribution['distribution'])}); computed "
        f"{when(attribution['computed_at'])}",
        f"IP geolocation by {attribution['provider']}, data of {date} "
        "(a location is a lead: blocks change hands)",
    ]
    return lines


def _window(item: Mapping[str, Any]) -> str:
    start, end = item.get("observed_from"), item.get("observed_to")
    if not start and not end:
        return "—"
    if start == end or not end:
        return when(start)
    return f"{when(start)} – {when(end)}"


def _selector_row(selector: Mapping[str, Any]) -> list[str]:
    windows = []
    for w in selector["windows"]:
        span = _window({"observed_from": w["from"], "observed_to": w["to"]})
        extra = ", ".join(str(x) for x in (f"port {w['port']}" if w["port"] else None, w["context"]) if x)
        windows.append(span + (f" ({extra})" if extra else ""))
    if selector["windows_total"] > len(selector["windows"]):
        windows.append(f"… {selector['windows_total'] - len(selector['windows'])} more (ask the coordinator)")
    seen_on = ", ".join(selector["platforms"] + selector["contexts"]) or "—"
    if selector["possible_proxy"]:
        seen_on += " (possible proxy)"
    return [
        selector["type"],
        selector["value"],
        when(selector["first_seen"]),
        when(selector["last_seen"]),
        seen_on,
        "\n".join(windows) or "—",
    ]
