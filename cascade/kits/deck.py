"""The consultant's deck of one session: PPTX on blank 16:9 slides, native charts.

Native charts (python-pptx) rather than pictures: a consultant can restyle and edit them.
Colours are the dashboards' (``insights.charts``). Text boxes and table cells are
written as XML strings; python-pptx's element-by-element API took most of a deck's time.
"""

from __future__ import annotations

import io
import math
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cascade.kits import words
from cascade.kits.data import KitData, Quote
from insights import charts
from insights.views import GROUP_NAMES, QUADRANT_NAMES
from org.models import Level

DECK_CUSTOMERS_PER_SLIDE = 10
DECK_SLIDES_PER_GROUP = 1


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour.lstrip("#"))


class _Deck:
    """A 16:9 deck on blank slides, with the dashboards' colours."""

    def __init__(self, data: KitData):
        from pptx import Presentation
        from pptx.util import Inches

        self.data = data
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(13.333), Inches(7.5)
        self.blank = self.prs.slide_layouts[6]
        self.footer = " · ".join([data.organisation, data.unit_name, data.wave])

    def slide(self, title: str, *, notes: str = ""):
        slide = self.prs.slides.add_slide(self.blank)
        self.text(slide, 0.6, 0.25, 12.1, 0.35, [(words.kicker(self.data), 12, False, charts.MUTED)])
        self.text(slide, 0.6, 0.55, 12.1, 0.9, [(title, 28, True, charts.BRAND)])
        self.text(slide, 0.6, 7.0, 12.1, 0.3, [(self.footer, 10, False, charts.MUTED)])
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        return slide

    def text(self, slide, x: float, y: float, w: float, h: float,
             paragraphs: list[tuple[str, int, bool, str]], *, bullets: bool = False):
        from pptx.util import Inches

        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        _text_body(box._element, paragraphs, bullets=bullets, shape=True)
        return box

    def chart(self, slide, kind, chart_data, x: float, y: float, w: float, h: float):
        from pptx.util import Inches, Pt

        frame = slide.shapes.add_chart(kind, Inches(x), Inches(y), Inches(w), Inches(h), chart_data)
        chart = frame.chart
        chart.font.size = Pt(12)
        chart.font.color.rgb = _rgb(charts.INK)
        return chart

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


_P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _run_xml(text: str, size: float, bold: bool, colour: str | None) -> str:
    fill = f'<a:solidFill><a:srgbClr val="{colour.lstrip("#").upper()}"/></a:solidFill>' if colour else ""
    return (f'<a:r><a:rPr lang="{escape(get_language() or settings.LANGUAGE_CODE)}" '
            f'sz="{round(size * 100)}" b="{int(bold)}" dirty="0">{fill}</a:rPr>'
            f"<a:t>{escape(text)}</a:t></a:r>")


def _text_body(element, paragraphs: list[tuple[str, float, bool, str | None]], *,
               bullets: bool = False, shape: bool = False) -> None:
    """Replace the text of a text box (``shape``) or table cell with ``paragraphs``.

    Written as one XML string: python-pptx's element-by-element API took most of a
    deck's time (about 5 ms a text box)."""
    from pptx.oxml import parse_xml

    spacing = '<a:pPr><a:spcAft><a:spcPts val="800"/></a:spcAft></a:pPr>' if bullets else ""
    body = "".join(f"<a:p>{spacing}{_run_xml(('• ' if bullets else '') + text, size, bold, colour)}"
                   "</a:p>" for text, size, bold, colour in paragraphs) or "<a:p/>"
    tag = "p:txBody" if shape else "a:txBody"
    head = '<a:bodyPr wrap="square" rtlCol="0"><a:spAutoFit/></a:bodyPr>' if shape else "<a:bodyPr/>"
    new = parse_xml(f'<{tag} xmlns:a="{_A_NS}" xmlns:p="{_P_NS}">{head}<a:lstStyle/>{body}</{tag}>')
    old = element.find(f"{{{_P_NS if shape else _A_NS}}}txBody")
    if old is None:
        element.insert(0, new)
    else:
        element.replace(old, new)


def _fill(target, colour: str) -> None:
    target.format.fill.solid()
    target.format.fill.fore_color.rgb = _rgb(colour)


def _deck_title(deck: _Deck, data: KitData) -> None:
    slide = deck.prs.slides.add_slide(deck.blank)
    deck.text(slide, 0.8, 1.6, 11.7, 0.5, [(words.kicker(data), 18, False, charts.MUTED)])
    deck.text(slide, 0.8, 2.2, 11.7, 1.6, [(data.unit_name, 44, True, charts.BRAND)])
    lines = [(" / ".join(data.unit_names[:-1]) or data.organisation, 18, False, charts.INK),
             (_("Research wave: %(wave)s") % {"wave": data.wave}, 18, False, charts.INK)]
    if words.when(data):
        lines.append((words.when(data), 16, False, charts.MUTED))
    deck.text(slide, 0.8, 4.0, 11.7, 1.8, lines)
    slide.notes_slide.notes_text_frame.text = _(
        "In this session you voice the customer: first let the participants guess, then show "
        "what customers answered (inside-out versus outside-in).")


def _deck_guess(deck: _Deck, data: KitData, question: str) -> None:
    slide = deck.slide(_("Guess first"), notes=_(
        "Let every participant write down a guess before you show the next slide."))
    deck.text(slide, 0.8, 2.6, 11.7, 2.0, [(question, 32, True, charts.INK)])


def _deck_nps(deck: _Deck, data: KitData) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION

    insight = data.insight
    slide = deck.slide(_("Net Promoter Score"), notes=words.parent_text(data))
    deck.text(slide, 0.6, 1.6, 4.6, 1.3, [(words.num(insight.nps), 80, True, charts.BRAND)])
    lines = [(words.interval(insight) + f" · n = {insight.n}", 16, False, charts.INK),
             (words.mix_text(insight), 16, False, charts.INK),
             (_("Since the previous wave") + ": " + words.change_text(insight), 16, False, charts.INK)]
    if data.parent is not None:
        lines.append((_("Compared with the level above") + ": " + words.parent_text(data), 16, True,
                      charts.INK))
    deck.text(slide, 0.6, 3.0, 4.6, 3.8, lines, bullets=True)
    rows = [(data.unit_name, insight)]
    if data.parent is not None and not data.parent.suppressed and data.parent.n:
        rows.append((data.parent_name or "", data.parent))
    chart_data = CategoryChartData(number_format='0"%"')
    chart_data.categories = [name for name, _i in rows]
    for label, attribute in ((GROUP_NAMES["detractor"], "detractors"),
                             (GROUP_NAMES["passive"], "passives"),
                             (GROUP_NAMES["promoter"], "promoters")):
        chart_data.add_series(str(label), [round(100 * getattr(i, attribute) / i.n) for _n, i in rows])
    chart = deck.chart(slide, XL_CHART_TYPE.BAR_STACKED_100, chart_data, 5.5, 1.6, 7.3, 5.0)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.TOP
    chart.legend.include_in_layout = False
    chart.category_axis.reverse_order = True
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    plot.data_labels.number_format = '0"%"'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.color.rgb = _rgb("#ffffff")
    plot.data_labels.font.bold = True
    for series, colour in zip(plot.series, (charts.DETRACTOR, charts.PASSIVE, charts.PROMOTER),
                              strict=True):
        _fill(series, colour)


def _axis_range(values: list[float]) -> tuple[float, float]:
    lo = max(-100.0, (min(values) - 5) // 10 * 10)
    hi = min(100.0, -((-(max(values) + 5)) // 10) * 10)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo, hi


def _deck_trend(deck: _Deck, data: KitData) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import (
        XL_CHART_TYPE,
        XL_LEGEND_POSITION,
        XL_MARKER_STYLE,
        XL_TICK_LABEL_POSITION,
    )
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.util import Pt

    known = [p for p in data.trend if p.nps is not None]
    slide = deck.slide(_("Trend"))
    if not known:
        deck.text(slide, 0.8, 2.5, 11.7, 1.0, [(words.too_few(), 24, False, charts.MUTED)])
        return
    chart_data = CategoryChartData(number_format="0")
    chart_data.categories = [p.wave for p in data.trend]
    chart_data.add_series(_("NPS"), [p.nps for p in data.trend])
    chart_data.add_series(_("95% interval, low"), [p.ci_low for p in data.trend])
    chart_data.add_series(_("95% interval, high"), [p.ci_high for p in data.trend])
    chart = deck.chart(slide, XL_CHART_TYPE.LINE_MARKERS, chart_data, 0.6, 1.5, 12.1, 5.3)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    values = [v for p in known for v in (p.nps, p.ci_low, p.ci_high) if v is not None]
    lo, hi = _axis_range(values)
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = lo, hi
    chart.value_axis.major_gridlines.format.line.color.rgb = _rgb(charts.GRID)
    main, low, high = chart.plots[0].series
    main.format.line.color.rgb = _rgb(charts.BRAND)
    main.format.line.width = Pt(3)
    main.marker.style = XL_MARKER_STYLE.CIRCLE
    main.marker.size = 10
    _fill(main.marker, charts.BRAND)
    main.smooth = False
    main.data_labels.show_value = True
    main.data_labels.number_format = "0"
    main.data_labels.number_format_is_linked = False
    main.data_labels.font.bold = True
    for series in (low, high):
        series.smooth = False
        series.format.line.color.rgb = _rgb("#8fb3dc")
        series.format.line.width = Pt(1.5)
        series.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
        series.marker.style = XL_MARKER_STYLE.NONE


def _deck_children(deck: _Deck, data: KitData) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_TICK_LABEL_POSITION

    rows = [c for c in data.children]
    if not rows:
        return
    title = (_("NPS per business unit or region, with 95% interval")
             if data.level == Level.STRATEGIC else _("NPS per team, with 95% interval"))
    hidden = [c.name for c in rows if c.suppressed or c.nps is None]
    shown = [c for c in rows if not (c.suppressed or c.nps is None)]
    slide = deck.slide(title.split(",")[0])
    if hidden:
        deck.text(slide, 0.6, 6.45, 12.1, 0.5, [(words.too_few() + ": " + ", ".join(hidden), 12, False,
                                                 charts.MUTED)])
    if not shown:
        return
    chart_data = CategoryChartData(number_format="0")
    chart_data.categories = [c.name for c in shown]
    chart_data.add_series(_("NPS"), [c.nps for c in shown])
    chart = deck.chart(slide, XL_CHART_TYPE.BAR_CLUSTERED, chart_data, 0.6, 1.5, 12.1, 4.9)
    chart.has_legend = False
    chart.category_axis.reverse_order = True
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = _axis_range(
        [v for c in shown for v in (c.nps, c.ci_low, c.ci_high) if v is not None])
    chart.value_axis.major_gridlines.format.line.color.rgb = _rgb(charts.GRID)
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.has_data_labels = True
    plot.data_labels.number_format = "0"
    plot.data_labels.number_format_is_linked = False
    series = plot.series[0]
    series.invert_if_negative = False
    for index, child in enumerate(shown):
        colour = (charts.PROMOTER if child.nps > 0 else charts.DETRACTOR if child.nps < 0
                  else charts.PASSIVE)
        _fill(series.points[index], colour)


def _deck_drivers(deck: _Deck, data: KitData) -> None:
    from pptx.chart.data import XyChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
    from pptx.util import Pt

    slide = deck.slide(_("Strengths and improvement points"), notes=_(
        "Strengths matter to customers and score well; improvement points matter and score "
        "below the others. Importance is each driver's share of the explained NPS."))
    points = [d for d in data.drivers if d.mean is not None]
    if not points:
        deck.text(slide, 0.6, 2.0, 12.1, 1.0, [(_("Too few complete responses for a driver analysis"),
                                                20, False, charts.MUTED)])
        return
    y = 1.5
    for quadrant, items, colour in (("strength", data.strengths, charts.PROMOTER),
                                    ("improvement", data.improvement_points, charts.DETRACTOR)):
        deck.text(slide, 0.6, y, 5.0, 0.5, [(str(QUADRANT_NAMES[quadrant]), 22, True, colour)])
        lines = [(words.driver_line(d), 15, False, charts.INK) for d in items] or [
            ("–", 15, False, charts.MUTED)]
        deck.text(slide, 0.6, y + 0.55, 5.0, 2.0, lines, bullets=True)
        y += 2.6
    chart_data = XyChartData()
    order = [q for q in ("strength", "improvement", "maintain", "monitor")
             if any(d.quadrant == q for d in points)]
    # The longest series first: LibreOffice drops the series after a shorter first one.
    grouped = {q: [d for d in points if d.quadrant == q] for q in order}
    order.sort(key=lambda q: -len(grouped[q]))
    for quadrant in order:
        series = chart_data.add_series(str(QUADRANT_NAMES.get(quadrant, quadrant)),
                                       number_format="0.0")
        for d in grouped[quadrant]:
            series.add_data_point(d.mean, d.share)
    chart = deck.chart(slide, XL_CHART_TYPE.XY_SCATTER, chart_data, 5.8, 1.5, 7.0, 5.3)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = _("Importance") + " (%)"
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = _("Performance (mean score)")
    chart.value_axis.major_gridlines.format.line.color.rgb = _rgb(charts.GRID)
    means = [d.mean for d in points]
    spread = max(max(means) - min(means), 0.5)
    chart.category_axis.minimum_scale = math.floor(10 * (min(means) - 0.15 * spread)) / 10
    chart.category_axis.maximum_scale = math.ceil(10 * (max(means) + 0.15 * spread)) / 10
    chart.value_axis.minimum_scale = 0
    chart.value_axis.maximum_scale = 5 * math.ceil((max(d.share for d in points) + 2) / 5)
    for series, quadrant in zip(chart.plots[0].series, order, strict=True):
        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.size = 12
        _fill(series.marker, charts.QUADRANT_COLOURS.get(quadrant, charts.BRAND))
        series.marker.format.line.color.rgb = _rgb("#ffffff")
        series.format.line.fill.background()  # points only, no connecting line
        for index, driver in enumerate(grouped[quadrant]):
            label = series.points[index].data_label
            label.text_frame.text = driver.name
            label.position = XL_LABEL_POSITION.RIGHT
            label.text_frame.paragraphs[0].runs[0].font.size = Pt(11)


def _deck_themes(deck: _Deck, data: KitData) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE

    slide = deck.slide(_("What customers write about most"))
    deck.text(slide, 0.6, 6.5, 12.1, 0.4, [(_("Number of comments per theme; the colour is the "
                                              "mean sentiment (green positive, grey neutral, red "
                                              "negative)."), 12, False, charts.MUTED)])
    if not data.themes:
        deck.text(slide, 0.6, 2.0, 12.1, 1.0, [(_("No themes with enough comments"), 20, False,
                                                charts.MUTED)])
        return
    chart_data = CategoryChartData(number_format="0")
    chart_data.categories = [t.name for t in data.themes]
    chart_data.add_series(_("Comments"), [t.count for t in data.themes])
    chart = deck.chart(slide, XL_CHART_TYPE.BAR_CLUSTERED, chart_data, 0.6, 1.5, 12.1, 4.9)
    chart.has_legend = False
    chart.category_axis.reverse_order = True
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False
    plot = chart.plots[0]
    plot.gap_width = 40
    plot.has_data_labels = True
    series = plot.series[0]
    for index, theme in enumerate(data.themes):
        _fill(series.points[index], charts.sentiment_colour(theme.sentiment))


def _deck_quotes(deck: _Deck, title: str, quotes: list[Quote], notes: str = "") -> None:
    slide = deck.slide(title, notes=notes)
    lines = []
    for quote in quotes:
        lines.append((f"“{quote.text}”", 16, False, charts.INK))
        lines.append((words.quote_meta(quote), 11, False, charts.MUTED))
    deck.text(slide, 0.8, 1.5, 11.7, 5.4, lines)


def _deck_theme_quotes(deck: _Deck, data: KitData) -> None:
    themes = [t for t in data.themes if t.quotes]
    for start in range(0, len(themes), 3):
        slide = deck.slide(_("Themes in the customers' own words"))
        lines = []
        for theme in themes[start:start + 3]:
            lines.append((words.theme_line(theme), 18, True, charts.sentiment_colour(theme.sentiment)))
            for quote in theme.quotes:
                lines.append((f"“{words.clip(quote.text, 200)}” ({words.quote_meta(quote)})", 13, False,
                              charts.INK))
        deck.text(slide, 0.8, 1.5, 11.7, 5.4, lines)




def _deck_customers(deck: _Deck, data: KitData) -> None:
    from pptx.util import Inches

    customers = data.customers or ()
    if not customers:
        slide = deck.slide(_("Who to talk to first"))
        deck.text(slide, 0.6, 2.0, 12.1, 1.0, [(_("None of this team’s customers responded in this wave."),
                                                20, False, charts.MUTED)])
        return
    headers = [_("Customer"), _("Score"), _("Change"), _("Comment"), _("Account owner")]
    widths = [2.8, 0.8, 1.3, 5.4, 1.8]
    for group in ("detractor", "passive", "promoter"):
        members = [c for c in customers if c.group == group]
        if not members:
            continue
        pages = [members[i:i + DECK_CUSTOMERS_PER_SLIDE]
                 for i in range(0, len(members), DECK_CUSTOMERS_PER_SLIDE)][:DECK_SLIDES_PER_GROUP]
        for page_number, page in enumerate(pages):
            title = f"{_('Who to talk to first')}: {GROUP_NAMES[group]} ({len(members)})"
            slide = deck.slide(title)
            table = slide.shapes.add_table(len(page) + 1, len(headers), Inches(0.6), Inches(1.5),
                                           Inches(sum(widths)), Inches(0.4 * (len(page) + 1))).table
            for column, width in enumerate(widths):
                table.columns[column].width = Inches(width)
            rows = [headers] + [[c.name, "" if c.score is None else str(c.score), words.trend_text(c),
                                 words.clip(c.comment, 75), words.clip(c.owner, 22)] for c in page]
            for row, values in enumerate(rows):
                for column, value in enumerate(values):
                    _text_body(table.cell(row, column)._tc, [(value, 11, row == 0, None)])
            last = page_number == len(pages) - 1
            rest = len(members) - sum(len(p) for p in pages)
            if last and rest > 0:
                deck.text(slide, 0.6, 6.6, 12.1, 0.4, [(_("and %(count)s more: see the handout")
                                                        % {"count": rest}, 12, False, charts.MUTED)])


def _deck_questions(deck: _Deck, data: KitData) -> None:
    outcome = {Level.STRATEGIC: _("Outcome: the improvement route"),
               Level.TACTICAL: _("Outcome: our follow-up"),
               Level.OPERATIONAL: _("Outcome: the customer conversations we will hold")}
    slide = deck.slide(outcome.get(data.level, _("Outcome")))
    deck.text(slide, 0.8, 1.7, 11.7, 4.8, [(q, 24, False, charts.INK) for q in words.questions(data.level)],
              bullets=True)


def session_pptx(data: KitData) -> bytes:
    """Render the consultant's deck of one session (native, editable charts)."""
    deck = _Deck(data)
    _deck_title(deck, data)
    if data.suppressed:
        slide = deck.slide(_("Net Promoter Score"))
        deck.text(slide, 0.8, 2.0, 11.7, 3.0, [
            (words.too_few(), 32, True, charts.MUTED),
            (_("Fewer customers responded for this unit than the anonymity threshold "
               "(%(threshold)s) allows to show, so its figures, comments and customers stay "
               "hidden.") % {"threshold": data.threshold}, 16, False, charts.INK),
            (_("Compared with the level above") + ": " + (words.parent_text(data) or "–"), 16, False,
             charts.INK)])
        _deck_questions(deck, data)
        return deck.save()
    _deck_guess(deck, data, _("What NPS do you think our customers give %(unit)s?")
                % {"unit": data.unit_name})
    _deck_nps(deck, data)
    _deck_trend(deck, data)
    _deck_children(deck, data)
    _deck_guess(deck, data, _("What do you think matters most to our customers, and where do "
                              "we fall short?"))
    _deck_drivers(deck, data)
    _deck_themes(deck, data)
    _deck_theme_quotes(deck, data)
    if data.voice:
        _deck_quotes(deck, _("Voice of the customer"), list(data.voice), notes=_(
            "Read these aloud: in this session you are the voice of the customer."))
    if data.customers is not None:
        _deck_customers(deck, data)
    _deck_questions(deck, data)
    return deck.save()
