"""A package as a PDF a person can print: A4 landscape, the TLP label and reference on every page.

ReportLab (pure Python, no system libraries). The standard PDF fonts carry only the Windows-1252
characters, so any other character is written as its code point (\\u0416) rather than dropped: a
username in another script must stay exact. The JSON export holds every value as sent.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from html import escape
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from caseweave.dissemination import presentation as p

PAGE = landscape(A4)
MARGIN = 14 * mm
# relative widths of the columns that hold long text; the others get 1
WIDE = {"value": 2.2, "windows": 2.8, "address": 2.2, "title": 2.6, "note": 2.6, "name": 1.6, "observed": 2.0}

_styles = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9, leading=11)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7.5, leading=9)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontSize=15, leading=18)
H2 = ParagraphStyle(
    "h2", parent=_styles["Heading2"], fontSize=11.5, leading=14, spaceBefore=8, keepWithNext=1
)
H3 = ParagraphStyle("h3", parent=_styles["Heading3"], fontSize=9, leading=11, spaceBefore=4, keepWithNext=1)


def safe(text: str) -> str:
    """Escaped for ReportLab's markup, and every character the standard fonts lack spelled out."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(f"\\u{ord(ch):04x}")
    return escape("".join(out), quote=False).replace("\n", "<br/>")


def render_pdf(body: Mapping[str, Any], sha256: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 4 * mm,
        title=p.title(body),
        author=str(body["from"]["code"]),
        subject=f"TLP:{body['tlp']} lead package for {body['to']['code']}",
        creator="caseweave",
    )
    marks = _PageMarks(str(body["tlp"]), str(body["reference"]), sha256)
    doc.build(_story(body, sha256, doc.width), onFirstPage=marks, onLaterPages=marks)
    return buffer.getvalue()


class _PageMarks:
    """The TLP label top left and bottom right of every page, with the reference and page number."""

    def __init__(self, tlp: str, reference: str, sha256: str) -> None:
        self.tlp, self.reference, self.sha256 = tlp, reference, sha256

    def _label(self, canvas: Canvas, x: float, y: float) -> None:
        text = f"TLP:{self.tlp}"
        width = canvas.stringWidth(text, "Helvetica-Bold", 10) + 6 * mm
        canvas.setFillColor(colors.black)
        canvas.rect(x, y - 1.5 * mm, width, 6 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor(p.TLP_COLOURS.get(self.tlp, "#FFFFFF")))
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(x + 3 * mm, y, text)

    def __call__(self, canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        width, height = PAGE
        self._label(canvas, MARGIN, height - MARGIN)
        canvas.setFillColor(colors.black)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(width - MARGIN, height - MARGIN, f"{self.reference} — page {doc.page}")
        canvas.drawString(MARGIN, MARGIN - 2 * mm, f"sha256 of the JSON: {self.sha256}")
        label_width = canvas.stringWidth(f"TLP:{self.tlp}", "Helvetica-Bold", 10) + 6 * mm
        self._label(canvas, width - MARGIN - label_width, MARGIN - 2 * mm)
        canvas.restoreState()


def _story(body: Mapping[str, Any], sha256: str, width: float) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(safe(p.title(body)), H1)]
    header = [[Paragraph(safe(k), HEAD), Paragraph(safe(v), CELL)] for k, v in p.header(body, sha256)]
    story.append(_grid(header, [width * 0.18, width * 0.82], head=False))
    if changes := p.change_lines(body):
        story.append(Paragraph("What changed", H2))
        story.extend(Paragraph("• " + safe(line), BODY) for line in changes)
    if not body["subjects"]:
        story.append(Paragraph("No subject is routed to your agency any more; see what changed.", BODY))
    for subject in body["subjects"]:
        section = p.subject_section(subject)
        colour = p.URGENCY_COLOURS[section.urgency or "routine"]
        story.append(Paragraph(f'<font color="{colour}">{safe(section.title)}</font>', H2))
        story.extend(Paragraph(safe(line), BODY) for line in section.lines)
        for table in section.tables:
            story.append(Paragraph(safe(table.title), H3))
            story.append(_table(table, width))
    story.extend([Spacer(1, 4 * mm), Paragraph(safe(str(body["handling"])), BODY)])
    return story


def _table(table: p.Table, width: float) -> PdfTable:
    weights = [WIDE.get(column, 1.0) for column in table.columns]
    widths = [width * w / sum(weights) for w in weights]
    rows = [[Paragraph(safe(c), HEAD) for c in table.columns]]
    rows.extend([Paragraph(safe(cell), CELL) for cell in row] for row in table.rows)
    return _grid(rows, widths, head=True)


def _grid(rows: list[list[Paragraph]], widths: list[float], *, head: bool) -> PdfTable:
    # splitInRow: a row taller than a page (a selector seen 100 times) continues on the next page
    grid = PdfTable(rows, colWidths=widths, repeatRows=1 if head else 0, splitInRow=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if head:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6")))
    grid.setStyle(TableStyle(style))
    return grid
