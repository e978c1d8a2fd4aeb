"""The two charts of the stats report, as inline SVG text made with matplotlib's object API.

Charts draw only cells whose status is "shown"; every other cell is left out and counted in the note
returned beside the SVG. Internal figures come in as cells too (all shown), so both reports share one
path. No value is written as text on a chart: the tables carry the numbers.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

import matplotlib
import matplotlib.style
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from caseweave.stats.figures import LABELS, PublicCell

Grid = Mapping[str, Mapping[str, PublicCell]]  # row (country or month) → measure → cell

OVER_TIME: tuple[str, ...] = ("arrests", "charges", "prosecutions", "convictions", "children_safeguarded")
CUMULATIVE = "subjects_investigated"
PER_COUNTRY: tuple[str, ...] = ("subjects_investigated", "arrests")
TOP = 15

_WHY = {"suppressed": "suppressed", "not_disclosed": "not disclosed"}


def hidden_note(cells: Iterable[PublicCell], extra: str = "") -> str:
    """The line under a chart, e.g. "3 values are not drawn: 1 not disclosed, 2 suppressed (see the
    table).", or "" when every value is drawn."""
    counts: dict[str, int] = {}
    for cell in cells:
        if cell.status != "shown":
            counts[cell.status] = counts.get(cell.status, 0) + 1
    if not counts:
        return ""
    total = sum(counts.values())
    parts = ", ".join(f"{n} {_WHY.get(status, status)}" for status, n in sorted(counts.items()))
    noun = "value is" if total == 1 else "values are"
    return f"{total} {noun} not drawn: {parts} (see the table).{extra}"


def over_time_svg(months: Grid, chart_id: str) -> tuple[str, str]:
    """Grouped monthly bars of OVER_TIME with a cumulative line of subjects investigated."""
    with _style(chart_id):
        return _over_time(months, chart_id)


def per_country_svg(countries: Grid, chart_id: str) -> tuple[str, str]:
    """Horizontal bars of PER_COUNTRY for the TOP countries by those measures, the rest folded."""
    with _style(chart_id):
        return _per_country(countries, chart_id)


@contextmanager
def _style(chart_id: str) -> Iterator[None]:
    """Matplotlib's default style plus ours, for the length of one chart: whatever the process set
    globally does not leak in, and nothing leaks out."""
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {"svg.fonttype": "none", "svg.hashsalt": chart_id, "text.parse_math": False, "font.size": 9}
        ),
    ):
        yield


def _over_time(months: Grid, chart_id: str) -> tuple[str, str]:
    keys = list(months)
    fig = Figure(figsize=(9, 4.6), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(OVER_TIME)
    for i, measure in enumerate(OVER_TIME):
        xs = [x for x, k in enumerate(keys) if months[k][measure].status == "shown"]
        heights = [_value(months[keys[x]][measure]) for x in xs]
        offset = (i - (len(OVER_TIME) - 1) / 2) * width
        ax.bar([x + offset for x in xs], heights, width, label=LABELS[measure])
    ax.set_ylabel("per month")
    ax.set_xticks(range(len(keys)), keys, rotation=0 if len(keys) <= 12 else 60, fontsize=8)
    running, cumulative = 0, []
    for k in keys:  # the line stops at the first month not shown: a sum past it would be wrong
        cell = months[k][CUMULATIVE]
        if cell.status != "shown":
            break
        running += _value(cell)
        cumulative.append(running)
    twin = ax.twinx()
    twin.plot(
        range(len(cumulative)),
        cumulative,
        color="black",
        marker="o",
        markersize=3,
        label=f"{LABELS[CUMULATIVE]} (cumulative)",
    )
    twin.set_ylabel("cumulative")
    twin.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    handles2, labels2 = twin.get_legend_handles_labels()
    fig.legend(handles + handles2, labels + labels2, loc="outside lower center", ncols=3, frameon=False)
    stop = " The cumulative line stops at the first month not shown." if len(cumulative) < len(keys) else ""
    span = f"from {keys[0]} to {keys[-1]}" if keys else "(no months)"
    description = (
        f"Bar chart of monthly {', '.join(LABELS[m] for m in OVER_TIME)} {span}, with a line for "
        f"cumulative {LABELS[CUMULATIVE]}. The values are in the per-month table."
    )
    cells = [months[k][m] for k in keys for m in (*OVER_TIME, CUMULATIVE)]
    return to_svg(fig, chart_id, description), hidden_note(cells, stop)


def _per_country(countries: Grid, chart_id: str) -> tuple[str, str]:
    drawn = [c for c in countries if any(countries[c][m].status == "shown" for m in PER_COUNTRY)]
    drawn.sort(key=lambda c: (*(-_shown_or(countries[c][m], -1) for m in PER_COUNTRY), c))
    rows: list[tuple[str, list[int | None]]] = [
        (c, [_shown_or_none(countries[c][m]) for m in PER_COUNTRY]) for c in drawn[:TOP]
    ]
    rest = drawn[TOP:]
    if rest:
        folded: list[int | None] = [sum(_shown_or(countries[c][m], 0) for c in rest) for m in PER_COUNTRY]
        rows.append((f"others ({len(rest)} countries)", folded))
    fig = Figure(figsize=(9, 1.7 + 0.32 * max(len(rows), 1)), layout="constrained")
    ax = fig.add_subplot()
    height = 0.8 / len(PER_COUNTRY)
    for i, measure in enumerate(PER_COUNTRY):
        ys = [y for y, (_, values) in enumerate(rows) if values[i] is not None]
        widths = [rows[y][1][i] or 0 for y in ys]
        ax.barh(
            [y + (i - (len(PER_COUNTRY) - 1) / 2) * height for y in ys], widths, height, label=LABELS[measure]
        )
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel("count")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    if not rows:
        ax.text(0.5, 0.5, "no values to draw", transform=ax.transAxes, ha="center")
    description = (
        f"Horizontal bar chart of {' and '.join(LABELS[m] for m in PER_COUNTRY)} per country, "
        "largest first"
        + (f", the top {TOP} countries and the others folded into one bar" if rest else "")
        + ". The values are in the per-country table."
    )
    cells = [countries[c][m] for c in countries for m in PER_COUNTRY]
    return to_svg(fig, chart_id, description), hidden_note(cells)


def to_svg(fig: Figure, chart_id: str, description: str) -> str:
    """The figure (drawn under _style) as an <svg> element ready to inline: ids prefixed with
    chart_id (unique in the page), scalable, with a <title> and aria-label holding `description`."""
    buffer = io.StringIO()
    FigureCanvasSVG(fig)
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'<style type="text/css">[^<]*</style>', "", svg, count=1)  # moved to the page's CSS

    def prefix(tag: re.Match[str]) -> str:
        text = re.sub(r'\bid="', f'id="{chart_id}-', tag.group(0))
        return re.sub(r'(href="#|url\(#)', rf"\g<1>{chart_id}-", text)

    svg = re.sub(r"<[^>]*>", prefix, svg)  # tags only: text content never holds a bare "<"
    label = html.escape(description)
    svg = re.sub(r' width="[^"]*" height="[^"]*"', "", svg, count=1)
    head_end = svg.index(">")
    return (
        f'{svg[:head_end]} class="chart" role="img" aria-label="{label}">'
        f"\n <title>{label}</title>{svg[head_end + 1 :]}"
    )


def _value(cell: PublicCell) -> int:
    return cell.value if cell.value is not None else 0


def _shown_or(cell: PublicCell, default: int) -> int:
    return cell.value if cell.status == "shown" and cell.value is not None else default


def _shown_or_none(cell: PublicCell) -> int | None:
    return cell.value if cell.status == "shown" else None
