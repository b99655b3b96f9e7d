"""The house style of our PDF documents (ReportLab): styles, paragraphs, tables, a footer.

Every document is A4 with the brand colour for headings and a footer naming the
organisation and the page; text is always escaped, so user input cannot inject markup.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

BRAND = colors.HexColor("#1f5fa8")


def styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], alignment=TA_LEFT, textColor=BRAND),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], textColor=BRAND, spaceBefore=10),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], spaceBefore=6),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontSize=9.5, leading=12.5),
        "small": ParagraphStyle("s", parent=base["BodyText"], fontSize=8.5, leading=11,
                                textColor=colors.HexColor("#4b5563")),
    }


def para(text, style) -> Paragraph:
    """Return ``text`` as a paragraph, escaped, with line breaks kept."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def table(rows: list[list], widths_mm: list[float], style: dict[str, ParagraphStyle]) -> Table:
    """Return a table whose first row is the header; every cell is an escaped paragraph."""
    data = [[para(cell, style["small"] if i == 0 else style["body"]) for cell in row]
            for i, row in enumerate(rows)]
    result = Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=1)
    result.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dbe3")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return result


def document(story: list, *, title: str, subject: str, footer: str) -> bytes:
    """Lay ``story`` out on A4 pages with the footer and page number; return the PDF."""
    buffer = io.BytesIO()

    def draw_footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#6b7280"))
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=18 * mm, title=title,
                            author="Outside-In", subject=subject)
    doc.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()
