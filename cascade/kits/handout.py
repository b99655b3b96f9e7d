"""The participants' handout of one session: A4 PDF in the house style (``reports.pdf``)
with the dashboards' own SVG charts, drawn through svglib (the "one chart path").

svglib rather than redrawing with ReportLab graphics: the handout then shows the very
charts of the pages, and a change to a chart shows up in both at once.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from cascade.kits import words
from cascade.kits.data import KitData, Quote
from insights import charts
from insights.selectors import UnitInsight
from insights.views import GROUP_NAMES, QUADRANT_NAMES
from org.models import Level

FONT, FONT_BOLD = "KitSans", "KitSans-Bold"
#: Characters the fallback font lacks, replaced rather than printed as empty boxes.
_FALLBACKS = {"↑": "", "↓": "", "→": "", "★": "*", "☆": "*"}
_font_lock = threading.Lock()


@functools.cache
def _fonts() -> frozenset[int]:
    """Register a Unicode sans font for the handout and its charts; return its characters.

    DejaVu Sans where the system has it (it has every glyph the charts use), else the
    Bitstream Vera that ReportLab ships (it lacks the arrows, which are then left out).
    ReportLab's built-in Helvetica cannot print the charts' real minus sign.
    """
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from svglib.svglib import register_font

    bundled = Path(reportlab.__file__).parent / "fonts"
    candidates = [(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                   Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
                  (bundled / "Vera.ttf", bundled / "VeraBd.ttf")]
    regular, bold = next((r, b) for r, b in candidates if r.exists() and b.exists())
    with _font_lock:
        pdfmetrics.registerFont(TTFont(FONT, str(regular)))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                      boldItalic=FONT_BOLD)
        register_font(FONT, str(regular), rlgFontName=FONT)
        for weight in ("bold", "600", "700"):
            register_font(FONT, str(bold), weight=weight, rlgFontName=FONT_BOLD)
    face = pdfmetrics.getFont(FONT).face
    return frozenset(face.charToGlyph)


def _printable(text: str) -> str:
    """Return ``text`` with characters the font cannot print replaced or left out."""
    known = _fonts()
    if all(ord(c) in known or c in "\n\t" for c in text):
        return text
    return "".join(c if ord(c) in known or c in "\n\t" else _FALLBACKS.get(c, "")
                   for c in text)


def _svg(svg: str, width: float):
    """Turn one of the dashboards' SVG charts into a ReportLab drawing ``width`` points wide."""
    from lxml import etree
    from svglib.svglib import SvgRenderer

    text = _printable(str(svg)).replace(f"font-family=\"{charts.FONT}\"", f'font-family="{FONT}"')
    root = etree.fromstring(text.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False))
    drawing = SvgRenderer("").render(root)
    scale = width / drawing.width
    drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
    drawing.scale(scale, scale)
    return drawing


def _styles():
    """The house style (``reports.pdf``) in a font that prints every character we use."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    from reports.pdf import BRAND, styles

    _fonts()
    house = styles()
    ink, muted = colors.HexColor(charts.INK), colors.HexColor(charts.MUTED)

    def derived(name: str, parent: str, bold: bool = False, **extra) -> ParagraphStyle:
        return ParagraphStyle(name, parent=house[parent], fontName=FONT_BOLD if bold else FONT,
                              **extra)

    return {
        "kicker": derived("kicker", "small"),
        "title": derived("title", "title", bold=True, fontSize=22, leading=27, spaceBefore=2,
                         spaceAfter=4),
        # A heading never ends a page: it stays with what follows.
        "h2": derived("h2", "h2", bold=True, spaceBefore=12, keepWithNext=1),
        "h3": derived("h3", "h3", bold=True, keepWithNext=1),
        "body": derived("body", "body"),
        "small": derived("small", "small"),
        "quote": derived("quote", "body", leftIndent=10, spaceBefore=4),
        "quotemeta": derived("quotemeta", "small", fontSize=8, leading=10.5, leftIndent=10),
        "stat": derived("stat", "body", bold=True, fontSize=30, leading=34, textColor=BRAND),
        "statlabel": derived("statlabel", "small"),
        "cell": derived("cell", "body", fontSize=8.5, leading=10.5, textColor=ink),
        "cellhead": derived("cellhead", "small", bold=True, fontSize=8, leading=10,
                            textColor=muted),
    }


def _p(text: str, style):
    from reportlab.platypus import Paragraph

    return Paragraph(escape(_printable(str(text))).replace("\n", "<br/>"), style)


def _pdf_kpis(data: KitData, s, width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    insight = data.insight
    if data.parent is None:  # the top unit: how many answered, as on the strategic page
        last = (_("Responses"), str(insight.responses), data.wave)
    else:
        last = (_("Compared with the level above"),
                words.num(data.parent.nps) if not data.parent.suppressed else "–",
                words.parent_text(data))
    cells = [
        [_p(_("NPS"), s["statlabel"]), _p(_("Since the previous wave"), s["statlabel"]),
         _p(_("Promoters · passives · detractors"), s["statlabel"]), _p(last[0], s["statlabel"])],
        [_p(words.num(insight.nps), s["stat"]), _p(words.change_figure(insight), s["stat"]),
         _p(words.pct(insight.promoters, insight.n), s["stat"]), _p(last[1], s["stat"])],
        [_p(words.interval(insight) + f" · n = {insight.n}", s["small"]),
         _p(words.change_detail(insight), s["small"]), _p(words.mix_text(insight), s["small"]),
         _p(last[2], s["small"])],
    ]
    table = Table(cells, colWidths=[width / 4] * 4)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f3f6fa")),
        ("LINEAFTER", (0, 0), (-2, -1), 3, colors.white),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, 0), 6), ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
    ]))
    return table


def _nps_row(insight: UnitInsight, label: str) -> charts.NpsRow:
    return charts.NpsRow(label=label, nps=insight.nps, ci_low=insight.ci_low,
                         ci_high=insight.ci_high, n=insight.n or 0,
                         promoters=insight.promoters or 0, passives=insight.passives or 0,
                         detractors=insight.detractors or 0, hidden=insight.suppressed)


def _pdf_charts(data: KitData, width: float):
    """The mix and trend charts side by side, as on the dashboards."""
    from reportlab.platypus import Table, TableStyle

    rows = [_nps_row(data.insight, data.unit_name)]
    if data.parent is not None:
        rows.append(_nps_row(data.parent, data.parent_name or ""))
    mix = charts.nps_mix_chart(rows, title=_("Promoters, passives and detractors"),
                               hidden_text=words.too_few(),
                               labels=(str(GROUP_NAMES["promoter"]), str(GROUP_NAMES["passive"]),
                                       str(GROUP_NAMES["detractor"])))
    trend = charts.nps_trend_chart(
        [charts.TrendPoint(label=p.wave, nps=p.nps, ci_low=p.ci_low, ci_high=p.ci_high)
         for p in data.trend],
        title=_("Trend"), empty_text=words.too_few(), decimal_mark=words.decimal_mark())
    half = (width - 12) / 2
    table = Table([[_svg(mix, half), _svg(trend, half)]], colWidths=[half + 6, half + 6])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _side_by_side(left: list, right, width: float, share: float):
    """Lay ``left`` (flowables) and ``right`` (one flowable) out in two columns."""
    from reportlab.platypus import Table, TableStyle

    table = Table([[left, right]], colWidths=[width * share, width * (1 - share)])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (0, -1), 10)]))
    return table


def _pdf_table(rows: list[list[str]], widths: list[float], s, *, wrap: set[int], header_colour=None):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    # Paragraphs wrap but cost ~0.5 ms each; short cells stay plain strings.
    data = [[_p(cell, s["cellhead"]) for cell in rows[0]]]
    data += [[_p(cell, s["cell"]) if column in wrap else _printable(cell)
              for column, cell in enumerate(row)] for row in rows[1:]]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 1), (-1, -1), FONT, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), header_colour or colors.HexColor("#eef2f7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dbe3")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _pdf_quote(quote: Quote, s) -> list:
    return [_p(f"“{quote.text}”", s["quote"]), _p(words.quote_meta(quote), s["quotemeta"])]


def session_pdf(data: KitData) -> bytes:
    """Render the participants' handout of one session (A4, the dashboards' charts)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer

    from reports.pdf import document

    s = _styles()
    width = A4[0] - 36 * mm
    story = [_p(words.kicker(data), s["kicker"]), _p(data.unit_name, s["title"])]
    if len(data.unit_names) > 1:
        story.append(_p(" / ".join(data.unit_names[:-1]), s["body"]))
    story.append(_p(_("Research wave: %(wave)s") % {"wave": data.wave}, s["body"]))
    if words.when(data):
        story.append(_p(words.when(data), s["small"]))
    story.append(Spacer(1, 5 * mm))

    if data.suppressed:
        story += [_p(words.too_few(), s["h2"]),
                  _p(_("Fewer customers responded for this unit than the anonymity threshold "
                       "(%(threshold)s) allows to show, so its figures, comments and customers "
                       "stay hidden.") % {"threshold": data.threshold}, s["body"])]
        if data.parent is not None:
            story.append(_p(_("Compared with the level above") + ": " + words.parent_text(data),
                            s["body"]))
    else:
        story += [_pdf_kpis(data, s, width), Spacer(1, 4 * mm), _pdf_charts(data, width)]
        if data.children:
            title = (_("NPS per business unit or region, with 95% interval")
                     if data.level == Level.STRATEGIC else _("NPS per team, with 95% interval"))
            chart = charts.nps_interval_chart(
                [_nps_row(c, c.name) for c in data.children], title=title,
                hidden_text=words.too_few(), value_text=_("NPS {nps} (n = {n})"),
                decimal_mark=words.decimal_mark())
            story += [KeepTogether([_p(title, s["h2"]), _svg(chart, width * 0.6)])]

        story.append(_p(_("Strengths and improvement points"), s["h2"]))
        if data.drivers:
            lists = []
            for quadrant, items in (("strength", data.strengths),
                                    ("improvement", data.improvement_points)):
                lists.append(_p(QUADRANT_NAMES[quadrant], s["h3"]))
                lists += [_p("• " + words.driver_line(d), s["body"]) for d in items] or [
                    _p("–", s["small"])]
            lists += [Spacer(1, 3 * mm),
                      _p(_("Importance is a driver's share of the explained NPS; based on %(n)s "
                           "complete responses.") % {"n": data.driver_n}, s["small"])]
            chart = charts.driver_quadrant_chart(
                [charts.DriverPoint(label=d.name, importance=d.share, performance=d.mean,
                                    quadrant=d.quadrant) for d in data.drivers if d.mean is not None],
                title=_("Drivers: importance and performance"),
                quadrant_names={k: str(v) for k, v in QUADRANT_NAMES.items()},
                importance_label=_("Importance"), performance_label=_("Performance (mean score)"),
                empty_text=_("Too few complete responses for a driver analysis"),
                decimal_mark=words.decimal_mark())
            story.append(_side_by_side(lists, _svg(chart, width * 0.52), width, 0.46))
        else:
            story.append(_p(_("Too few complete responses for a driver analysis"), s["small"]))

        heading = _p(_("What customers write about most"), s["h2"])
        if data.themes:
            chart = charts.theme_bar_chart(
                [charts.ThemeBar(label=t.name, count=t.count, sentiment=t.sentiment)
                 for t in data.themes],
                title=_("What customers write about most"),
                legend=(_("Positive"), _("Neutral"), _("Negative")),
                caption=_("Number of comments · mean sentiment (−1 to +1)"),
                empty_text=_("No themes with enough comments"), decimal_mark=words.decimal_mark())
            story.append(KeepTogether([heading, _svg(chart, width * 0.6)]))
            for theme in data.themes:
                if not theme.quotes:
                    continue
                block = [_p(words.theme_line(theme), s["h3"])]
                for quote in theme.quotes:
                    block += _pdf_quote(quote, s)
                story.append(KeepTogether(block))
        else:
            story += [heading, _p(_("No themes with enough comments"), s["small"])]

        if data.voice:
            story.append(_p(_("Voice of the customer"), s["h2"]))
            if not data.voice_marked:
                story.append(_p(_("No quotes were marked as voice of the customer; these are the "
                                  "most outspoken comments."), s["small"]))
            for quote in data.voice:
                story.append(KeepTogether(_pdf_quote(quote, s)))

        if data.customers is not None:
            story.append(_p(_("Who to talk to first"), s["h2"]))
            if not data.customers:
                story.append(_p(_("None of this team’s customers responded in this wave."),
                                s["small"]))
            else:
                story.append(_p(_("Detractors first, then passives, then promoters; the newest "
                                  "response first."), s["small"]))
                if data.customers_total > len(data.customers):
                    story.append(_p(_("The first %(shown)s of %(total)s customers.")
                                    % {"shown": len(data.customers),
                                       "total": data.customers_total}, s["small"]))
                for group in ("detractor", "passive", "promoter", ""):
                    members = [c for c in data.customers if c.group == group]
                    if not members:
                        continue
                    name = GROUP_NAMES.get(group, _("No score"))
                    story.append(_p(f"{name} ({len(members)})", s["h3"]))
                    rows = [[_("Customer"), _("Score"), _("Change"), _("Comment"), _("Account owner")]]
                    rows += [[words.clip(c.name, 30), "" if c.score is None else str(c.score),
                              words.trend_text(c), c.comment, words.clip(c.owner, 22)] for c in members]
                    story.append(_pdf_table(rows, [w * mm for w in (48, 12, 18, 70, 26)], s,
                                            wrap={3}))

    story.append(_p(_("Questions for this session"), s["h2"]))
    story += [_p("• " + q, s["body"]) for q in words.questions(data.level)]

    return document(story, title=_printable(f"{data.unit_name} · {data.wave}"),
                    subject=words.kicker(data),
                    footer=" · ".join(["Outside-In", data.organisation, data.unit_name, data.wave]))
