"""The stats report: one self-contained HTML page of an operation's figures, tables and charts.

Internal figures and public figures go through one path: internal counts become cells that are all
shown, public cells are used as they are. The page writes only the cells' own text and the object's
own fields; nothing is summed or recomputed from them for display. It opens offline: inline SVG
charts, one <style> block, no scripts, fonts or images.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from caseweave.stats.figures import LABELS, MEASURES, Counts, Figures, PublicCell, PublicFigures

if TYPE_CHECKING:
    from caseweave.stats.charts import Grid

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:70rem;
 padding:0 1rem;color:#1b1b1b;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem}
.label{display:inline-block;font-weight:bold;padding:.2rem .5rem;border-radius:.2rem}
.internal{background:#ffc000;color:#000}.public{background:#fff;border:1px solid #000}
.wrap{overflow-x:auto}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem}td{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f0f0f0;vertical-align:bottom}tfoot th,tfoot td{font-weight:bold;background:#f7f7f7}
th[scope=row]{text-align:left}td.hidden{color:#666;font-style:italic}
caption{text-align:left;font-weight:bold;padding:.3rem 0}
svg.chart{width:100%;height:auto;max-width:60rem}svg.chart *{stroke-linejoin:round;stroke-linecap:butt}
.note{color:#444;font-size:.9rem}
"""


@dataclass(frozen=True)
class _Page:
    operation_name: str
    since: str
    as_of: str
    label: str
    label_class: str
    lines: tuple[str, ...]  # plain text under the label
    notes: tuple[str, ...]
    countries: Grid
    months: Grid
    totals: Mapping[str, PublicCell]


def write_report(path: Path, figures: Figures | None = None, public: PublicFigures | None = None) -> Path:
    """Write the HTML report of `figures` (internal) or `public` (a release), exactly one, to `path`."""
    if figures is not None and public is None:
        page = _internal(figures)
    elif public is not None and figures is None:
        page = _public(public)
    else:
        raise ValueError("write_report takes exactly one of figures (internal) or public")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_render(page), encoding="utf-8")
    return path


def _internal(figures: Figures) -> _Page:
    def cells(counts: Counts) -> dict[str, PublicCell]:
        return {m: PublicCell("shown", counts[m], str(counts[m])) for m in MEASURES}

    return _Page(
        operation_name=figures.operation_name,
        since=figures.started_on.isoformat(),
        as_of=figures.as_of.isoformat(),
        label=f"INTERNAL — TLP:AMBER — as seen by {figures.viewer} under need-to-know",
        label_class="internal",
        lines=(f"Generated at {figures.generated_at.isoformat(timespec='seconds')}.",),
        notes=(),
        countries={c: cells(v) for c, v in sorted(figures.countries.items())},
        months={k: cells(v) for k, v in sorted(figures.months.items())},
        totals=cells(figures.totals),
    )


def _public(public: PublicFigures) -> _Page:
    rules = public.rules
    return _Page(
        operation_name=public.operation_name,
        since=public.started_on.isoformat(),
        as_of=public.as_of.isoformat(),
        label="PUBLIC RELEASE — TLP:CLEAR",
        label_class="public",
        lines=(
            f"Counts below {rules.threshold} are suppressed; shown counts are rounded to a multiple of "
            f"{rules.base}.",
            "Countries releasing figures: " + (", ".join(public.consenting) or "none") + ".",
        ),
        notes=public.notes,
        countries=dict(sorted(public.countries.items())),
        months=dict(sorted(public.months.items())),
        totals=public.totals,
    )


def _render(page: _Page) -> str:
    # matplotlib takes a third of a second to import: only when a report is drawn, not per command
    from caseweave.stats.charts import over_time_svg, per_country_svg

    over_time, over_time_note = over_time_svg(page.months, "over-time")
    per_country, per_country_note = per_country_svg(page.countries, "per-country")
    title = escape(page.operation_name)
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} — figures as of {escape(page.as_of)}</title>",
        f"<style>{_CSS}</style>\n</head>\n<body>",
        f"<header>\n<h1>{title}</h1>",
        f"<p>figures as of {escape(page.as_of)}, since {escape(page.since)}</p>",
        f'<p class="label {page.label_class}">{escape(page.label)}</p>',
        *(f"<p>{escape(line)}</p>" for line in page.lines),
        "</header>\n<main>",
        "<h2>Per country</h2>",
        _table(page.countries, page.totals, "country", "Figures per country"),
        *(
            ["<h3>Notes</h3>\n<ul>", *(f"<li>{escape(n)}</li>" for n in page.notes), "</ul>"]
            if page.notes
            else []
        ),
        "<h2>Per month</h2>",
        _table(page.months, page.totals, "month", "Figures per month"),
        "<h2>Over time</h2>",
        _figure(over_time, over_time_note),
        "<h2>Per country, largest first</h2>",
        _figure(per_country, per_country_note),
        "</main>\n</body>\n</html>\n",
    ]
    return "\n".join(parts)


def _table(rows: Grid, totals: Mapping[str, PublicCell], key: str, caption: str) -> str:
    head = "".join(f'<th scope="col">{escape(LABELS[m])}</th>' for m in MEASURES)
    body = "\n".join(
        f'<tr><th scope="row">{escape(name)}</th>{_cells(cells)}</tr>' for name, cells in rows.items()
    )
    return (
        f'<div class="wrap"><table>\n<caption>{escape(caption)}</caption>\n'
        f'<thead><tr><th scope="col">{escape(key)}</th>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n'
        f'<tfoot><tr><th scope="row">Total</th>{_cells(totals)}</tr></tfoot>\n</table></div>'
    )


def _cells(cells: Mapping[str, PublicCell]) -> str:
    out = []
    for m in MEASURES:
        cell = cells[m]
        css = "" if cell.status == "shown" else ' class="hidden"'
        out.append(f"<td{css}>{escape(cell.text)}</td>")
    return "".join(out)


def _figure(svg: str, note: str) -> str:
    caption = f'\n<figcaption class="note">{escape(note)}</figcaption>' if note else ""
    return f"<figure>\n{svg}{caption}\n</figure>"
