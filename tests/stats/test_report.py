"""The stats HTML report, built from Figures / PublicFigures made by hand (no database)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pytest

from caseweave.stats.figures import (
    MEASURES,
    Counts,
    DisclosureRules,
    Figures,
    PublicCell,
    PublicFigures,
)
from caseweave.stats.report import write_report

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def _counts(seed: int) -> Counts:
    return {m: (seed * 7 + i * 3) % 50 + seed for i, m in enumerate(MEASURES)}


def _figures(countries: list[str], months: list[str] = MONTHS) -> Figures:
    by_country = {c: _counts(i + 1) for i, c in enumerate(countries)}
    totals = {m: sum(v[m] for v in by_country.values()) for m in MEASURES}
    # spread each total over the months, the remainder in the last month, so both sides add up
    by_month: dict[str, Counts] = {k: {} for k in months}
    for m in MEASURES:
        share = totals[m] // len(months)
        for k in months:
            by_month[k][m] = share
        by_month[months[-1]][m] += totals[m] - share * len(months)
    return Figures(
        operation_id=1,
        operation_name="Operation Kite & Co",
        started_on=date(2025, 1, 6),
        as_of=date(2025, 12, 31),
        generated_at=datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
        viewer="user:analyst.gb (GB-NCA)",
        countries=by_country,
        months=by_month,
        totals=totals,
    )


def _shown(value: int) -> PublicCell:
    return PublicCell("shown", value, f"about {value}")


SUPPRESSED = PublicCell("suppressed", None, "suppressed")
NOT_DISCLOSED = PublicCell("not_disclosed", None, "not disclosed")


def _public() -> PublicFigures:
    row = {m: _shown(45) for m in MEASURES}
    months = {k: {m: _shown(15) for m in MEASURES} for k in MONTHS[:3]}
    months["2025-02"] = {**months["2025-02"], "arrests": SUPPRESSED}
    return PublicFigures(
        operation_name="Operation Kite",
        started_on=date(2025, 1, 6),
        as_of=date(2025, 3, 31),
        rules=DisclosureRules(),
        consenting=("DE", "GB"),
        countries={
            "GB": dict(row),
            "DE": {**row, "arrests": _shown(20)},
            "MT": {m: SUPPRESSED for m in MEASURES},
            "XQ": {m: NOT_DISCLOSED for m in MEASURES},
        },
        months=months,
        totals={m: _shown(135) for m in MEASURES},
        notes=("Malta's figures are suppressed: fewer than 10.", "Figures are rounded to the nearest 5."),
    )


class _Page(HTMLParser):
    """Collects tags, attributes, table cell texts and SVG text labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.cells: list[str] = []
        self.svg_text: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "svg":
            self.svg_text.append([])
        if tag not in {"meta", "path", "use", "br"}:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not self.stack or not data.strip():
            return
        if self.stack[-1] in {"td", "th"}:
            self.cells.append(data.strip())
        elif self.stack[-1] == "text" and "svg" in self.stack:
            self.svg_text[-1].append(data.strip())


def _parse(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    return text, page


def _assert_offline(text: str, page: _Page) -> None:
    assert not [t for t, _ in page.tags if t in {"script", "link", "img", "iframe", "object", "embed"}]
    without_xmlns = re.sub(r'xmlns(:\w+)?="[^"]*"', "", text)
    assert "http" not in without_xmlns
    assert "@import" not in text and "url(" not in re.sub(r"url\(#[\w.-]+\)", "", text)
    ids = [a["id"] for _, a in page.tags if a.get("id")]
    assert len(ids) == len(set(ids)), "element ids are unique across both charts"


def test_internal_report(tmp_path: Path) -> None:
    figures = _figures(["GB", "DE", "NL"])
    out = write_report(tmp_path / "deep" / "er" / "report.html", figures=figures)
    assert out == tmp_path / "deep" / "er" / "report.html"
    text, page = _parse(out)
    _assert_offline(text, page)
    assert "INTERNAL — TLP:AMBER — as seen by user:analyst.gb (GB-NCA) under need-to-know" in text
    assert "figures as of 2025-12-31, since 2025-01-06" in text
    assert "Operation Kite &amp; Co" in text
    svgs = [a for t, a in page.tags if t == "svg"]
    assert len(svgs) == 2
    assert all(a.get("role") == "img" and a.get("aria-label") for a in svgs)
    assert [t for t, _ in page.tags].count("title") == 3  # the page's and one per chart
    # each country row and the Total row carry their values in MEASURES order
    for name, counts in [*figures.countries.items(), ("Total", figures.totals)]:
        i = page.cells.index(name)
        assert page.cells[i + 1 : i + 1 + len(MEASURES)] == [str(counts[m]) for m in MEASURES]
    i = page.cells.index("2025-12")
    assert page.cells[i + 1 : i + 1 + len(MEASURES)] == [str(figures.months["2025-12"][m]) for m in MEASURES]
    assert any('scope="row"' in line for line in text.splitlines())
    assert {"GB", "DE", "NL"} <= set(page.svg_text[1])  # per-country chart labels
    assert "2025-01" in page.svg_text[0]
    assert "not drawn" not in text


def test_many_countries_fold_into_others_and_stay_small(tmp_path: Path) -> None:
    countries = [f"C{i:02d}" for i in range(40)]
    out = write_report(tmp_path / "r.html", figures=_figures(countries))
    text, page = _parse(out)
    _assert_offline(text, page)
    labels = page.svg_text[1]
    assert "others (25 countries)" in labels
    assert sum(1 for label in labels if re.fullmatch(r"C\d\d", label)) == 15
    assert "C39" in labels  # the largest by subjects investigated come first
    assert len(out.read_bytes()) < 400_000


def test_public_report_hides_cells(tmp_path: Path) -> None:
    public = _public()
    out = write_report(tmp_path / "public.html", public=public)
    text, page = _parse(out)
    _assert_offline(text, page)
    assert "PUBLIC RELEASE — TLP:CLEAR" in text
    assert "TLP:AMBER" not in text
    assert "Malta&#x27;s figures are suppressed: fewer than 10." in text
    assert len([t for t, _ in page.tags if t == "svg"]) == 2
    i = page.cells.index("MT")
    assert page.cells[i + 1 : i + 1 + len(MEASURES)] == ["suppressed"] * len(MEASURES)
    i = page.cells.index("XQ")
    assert page.cells[i + 1 : i + 1 + len(MEASURES)] == ["not disclosed"] * len(MEASURES)
    i = page.cells.index("DE")
    assert page.cells[i + 1 + MEASURES.index("arrests")] == "about 20"
    assert page.cells[page.cells.index("Total") + 1] == "about 135"
    country_labels = page.svg_text[1]
    assert {"GB", "DE"} <= set(country_labels)
    assert "MT" not in country_labels and "XQ" not in country_labels
    # per country: MT and XQ hide 2 values each; over time: one suppressed arrest month
    assert "4 values are not drawn: 2 not disclosed, 2 suppressed (see the table)." in text
    assert "1 value is not drawn: 1 suppressed (see the table)." in text
    assert 'class="hidden">suppressed<' in text


def test_strings_are_escaped(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    dollars = "A$x$ & 'B' \"C\""  # no mathtext, quotes and ampersand kept as text
    figures = _figures(["GB", evil, dollars])
    figures = replace(figures, operation_name=evil, viewer=evil)
    out = write_report(tmp_path / "r.html", figures=figures)
    text, page = _parse(out)
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert not [t for t, _ in page.tags if t == "script"]
    assert evil in page.cells
    assert evil in page.svg_text[1]
    assert dollars in page.cells and dollars in page.svg_text[1]


def test_global_matplotlib_settings_untouched(tmp_path: Path) -> None:
    before = dict(matplotlib.rcParams)
    write_report(tmp_path / "r.html", figures=_figures(["GB"]))
    assert dict(matplotlib.rcParams) == before


def test_both_or_neither_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_report(tmp_path / "r.html")
    with pytest.raises(ValueError):
        write_report(tmp_path / "r.html", figures=_figures(["GB"]), public=_public())
    assert not (tmp_path / "r.html").exists()
