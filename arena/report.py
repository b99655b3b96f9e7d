"""The arena report as PDF: who took part, what was said per round, and what it became.

Built with ReportLab's flowables from ``selectors.report_of`` so the same figures
could feed another format; the strings follow the active language (Dutch by default).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

from arena.selectors import report_of

BRAND = colors.HexColor("#1f5fa8")


def _styles():
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], alignment=TA_LEFT, textColor=BRAND),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], textColor=BRAND, spaceBefore=10),
        "h3": ParagraphStyle("h3", parent=base["Heading3"], spaceBefore=6),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontSize=9.5, leading=12.5),
        "small": ParagraphStyle("s", parent=base["BodyText"], fontSize=8.5, leading=11,
                                textColor=colors.HexColor("#4b5563")),
    }


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(rows: list[list], widths: list[float], styles) -> Table:
    data = [[_p(cell, styles["small"] if i == 0 else styles["body"]) for cell in row]
            for i, row in enumerate(rows)]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dbe3")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def arena_report_pdf(arena) -> bytes:
    """Return the arena's report as PDF bytes."""
    report = report_of(arena)
    s = _styles()
    story = [
        _p(_("Customer arena report"), s["small"]),
        _p(arena.title, s["title"]),
        _p(" · ".join(x for x in [timezone.localtime(arena.starts_at).strftime("%d-%m-%Y %H:%M"),
                                   arena.place, _("Moderator") + ": " + report.moderator] if x), s["body"]),
    ]
    if arena.topic:
        story.append(_p(arena.topic, s["body"]))

    story.append(_p(_("Participants"), s["h2"]))
    story.append(_table([[_("Customer"), _("Organisation"), _("Invitation")]]
                        + [[c.name, c.customer, c.rsvp] for c in report.customers] or [["—", "", ""]],
                        [60, 70, 40], s))
    story.append(Spacer(1, 4 * mm))
    story.append(_table([[_("Employee"), _("Place")]]
                        + [[e.name, e.role] for e in report.staff], [90, 80], s))

    for round_ in report.rounds:
        story.append(_p(round_.label, s["h2"]))
        if not round_.statements:
            story.append(_p(_("No statements in this round."), s["small"]))
        else:
            story.append(_table([[_("Statement"), _("Customer"), _("Kind"), "+/−", _("Theme")]]
                                + [[st.text, st.customer, st.kind, st.sentiment, st.theme]
                                   for st in round_.statements], [85, 35, 22, 10, 23], s))

    story.append(_p(_("Questions of the employees"), s["h2"]))
    if report.questions:
        story.append(_table([[_("Question"), _("Asked by"), _("Upvotes"), _("Status")]]
                            + [[q.text, q.by, str(q.upvotes), q.status] for q in report.questions],
                            [95, 40, 15, 25], s))
    else:
        story.append(_p(_("No questions."), s["small"]))

    story.append(_p(_("Improvement points"), s["h2"]))
    if report.groups:
        for g in report.groups:
            block = [_p(f"{g.title} — {_('votes')}: {g.votes}"
                        + (f" — {_('owner')}: {g.owner}" if g.owner else "")
                        + (f" — {g.reference}" if g.reference else ""), s["h3"])]
            block += [_p(f"• {st}", s["body"]) for st in g.statements]
            story.append(KeepTogether(block))
    else:
        story.append(_p(_("No improvement points were grouped in this arena."), s["small"]))

    story.append(_p(_("Improvement actions"), s["h2"]))
    if report.actions:
        story.append(_table([[_("Action"), _("Owner"), _("Due date"), _("Improvement point")]]
                            + [[a.title, a.owner, a.due, a.group] for a in report.actions],
                            [70, 40, 25, 40], s))
    else:
        story.append(_p(_("No actions confirmed."), s["small"]))

    story.append(_p(_("What employees will contribute"), s["h2"]))
    story += [_p(f"{c.by}: {c.text}", s["body"]) for c in report.commitments] or \
        [_p(_("No commitments recorded."), s["small"])]
    story.append(_p(_("What went well"), s["h2"]))
    story += [_p(f"{c.by}: {c.text}", s["body"]) for c in report.evaluations] or \
        [_p(_("No evaluations recorded."), s["small"])]

    buffer = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#6b7280"))
        canvas.drawString(18 * mm, 10 * mm, f"Outside-In · {arena.organisation.name} · {arena.title}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=18 * mm, title=arena.title,
                            author="Outside-In", subject=_("Customer arena report"))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
