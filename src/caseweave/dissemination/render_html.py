"""A package as one self-contained HTML page (no scripts, no external files) that prints well.

Every value from the document is escaped: referrals carry text written by suspects and platforms.
The TLP label stands at the top and the bottom of the page, as TLP 2.0 asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from caseweave.dissemination import presentation as p

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; font-size: 10.5pt; margin: 2em; color: #111; }
.tlp { background: #000; font-weight: bold; padding: 0.3em 0.6em; display: inline-block; }
h1 { font-size: 16pt; margin: 0.6em 0 0.3em; } h2 { font-size: 13pt; margin: 1.4em 0 0.4em; }
h3 { font-size: 10.5pt; margin: 0.9em 0 0.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.3em 0 0.6em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.4em; text-align: left; vertical-align: top; }
th { background: #eee; } td.pre { white-space: pre-line; }
dl.header { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; }
dl.header dt { font-weight: bold; } dl.header dd { margin: 0; word-break: break-all; }
.urgency { color: #fff; padding: 0.1em 0.4em; border-radius: 0.2em; font-size: 9pt; }
section.subject { border-top: 2px solid #333; margin-top: 1.2em; page-break-inside: avoid; }
.note { color: #444; }
@media print { body { margin: 0; } section.subject { page-break-inside: auto; } }
"""


def _tlp(label: str) -> str:
    colour = p.TLP_COLOURS.get(label, "#FFFFFF")
    return f'<span class="tlp" style="color: {colour}">TLP:{escape(label)}</span>'


def _table(table: p.Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f'<td class="pre">{escape(cell)}</td>' for cell in row) + "</tr>"
        for row in table.rows
    )
    return f"<h3>{escape(table.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _lines(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>" if lines else ""


def _section(section: p.Section) -> str:
    level = section.urgency or "routine"
    badge = f'<span class="urgency" style="background: {p.URGENCY_COLOURS[level]}">{escape(level)}</span>'
    tables = "".join(_table(t) for t in section.tables)
    heading = f"<h2>{escape(section.title)} {badge}</h2>"
    return f'<section class="subject">{heading}{_lines(section.lines)}{tables}</section>'


def render_html(body: Mapping[str, Any], sha256: str) -> str:
    header = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in p.header(body, sha256))
    changes = p.change_lines(body)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(p.title(body))}</title>',
        f"<style>{_STYLE}</style></head><body>",
        f"<header>{_tlp(body['tlp'])}</header>",
        f"<h1>{escape(p.title(body))}</h1>",
        f'<dl class="header">{header}</dl>',
    ]
    if changes:
        parts.append(f"<h2>What changed</h2>{_lines(changes)}")
    if not body["subjects"]:
        parts.append('<p class="note">No subject is routed to your agency any more; see what changed.</p>')
    parts.extend(_section(p.subject_section(subject)) for subject in body["subjects"])
    parts.append(f'<footer><p class="note">{escape(body["handling"])}</p>{_tlp(body["tlp"])}</footer>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
