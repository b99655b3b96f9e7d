"""Session kits of the 1-2-3-spel: a PPTX deck for the consultant and a PDF handout.

``session_kit_data`` gathers what one session shows, for its own unit, through the
insights selectors the dashboards use (so the anonymity threshold hides exactly what
the dashboards hide); ``session_pptx`` and ``session_pdf`` render it in the active
language. The deck uses native PowerPoint charts, so a consultant can restyle or edit
them; the handout draws the dashboards' own SVG charts (``insights.charts``) through
svglib, so the paper shows the very charts of the pages (the "one chart path").

A suppressed unit (fewer responses than the threshold, or hidden to protect another)
gets a kit that says "too few responses" and shows none of its figures, comments or
customers; only the level above it is given for reference, as on the team page.
"""

from __future__ import annotations

import datetime
import functools
import io
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cascade.models import Cascade, CascadeSession
from insights import charts, selectors, view_selectors
from insights.selectors import DriverInsight, UnitInsight
from insights.text.sentiment import sentiment_label
from insights.views import GROUP_NAMES, QUADRANT_NAMES, TOP_THEMES, theme_names
from org.models import Level, Unit

#: Themes that get customer quotes, and how many quotes each.
QUOTE_THEMES = 5
QUOTES_PER_THEME = 2
#: Voice-of-the-customer quotes on their own page.
VOICE_QUOTES = 6
#: Strengths and improvement points listed (the dashboards show three of each).
TOP_DRIVERS = 3
#: Customers listed in the handout; the deck shows the first of each group.
MAX_CUSTOMERS = 400
DECK_CUSTOMERS_PER_SLIDE = 10
DECK_SLIDES_PER_GROUP = 1
QUOTE_CHARS = 400
COMMENT_CHARS = 220

LEVEL_NUMBERS = {Level.STRATEGIC: 1, Level.TACTICAL: 2, Level.OPERATIONAL: 3}


# --- Data ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    """A customer's own words (comment, else the improvement they suggested)."""

    text: str
    nps: int | None
    voice: bool
    themes: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        if self.nps is None:
            return ""
        return "promoter" if self.nps >= 9 else "passive" if self.nps >= 7 else "detractor"


@dataclass(frozen=True)
class KitTheme:
    """A theme of the unit's comments, with a few quotes that mention it."""

    key: str
    name: str
    count: int
    share: float | None
    sentiment: float
    nps: float | None
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class KitCustomer:
    """One of the team's customers who responded, as on the team page."""

    name: str
    number: str
    group: str  # promoter, passive, detractor or "" (no score)
    score: int | None
    previous: int | None
    trend: int | None
    comment: str
    owner: str


@dataclass(frozen=True)
class TrendPoint:
    """The unit's NPS in one wave; ``nps`` None where it was suppressed or empty."""

    wave: str
    nps: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class KitData:
    """Everything one session's kit shows, gathered once; rendering reads only this."""

    organisation: str
    wave: str
    wave_id: int
    session_id: int
    level: str
    unit_id: int
    unit_names: tuple[str, ...]  # from the top unit down to this one
    facilitator: str
    scheduled_at: datetime.datetime | None
    place: str
    threshold: int
    insight: UnitInsight
    parent_name: str | None
    parent: UnitInsight | None
    children: tuple[UnitInsight, ...]
    trend: tuple[TrendPoint, ...]
    drivers: tuple[DriverInsight, ...]
    driver_n: int | None
    strengths: tuple[DriverInsight, ...]
    improvement_points: tuple[DriverInsight, ...]
    themes: tuple[KitTheme, ...]
    voice: tuple[Quote, ...]
    voice_marked: bool  # the quotes were marked as voice of the customer (else: picked)
    customers: tuple[KitCustomer, ...] | None  # operational sessions only
    customers_total: int = 0

    @property
    def unit_name(self) -> str:
        return self.unit_names[-1]

    @property
    def suppressed(self) -> bool:
        return self.insight.suppressed

    @property
    def file_stem(self) -> str:
        return unit_file_stem(self.unit_names)


def unit_file_stem(names: Iterable[str]) -> str:
    """Name a kit by its unit path: ``01-top/02-business-unit/03-team`` (depth, slug)."""
    return "/".join(f"{depth:02d}-{slugify(name) or 'unit'}" for depth, name in enumerate(names, 1))


def _unit_names(unit: Unit) -> tuple[str, ...]:
    ancestors = view_selectors.unit_ancestors(unit)
    return (*[a.name for a in ancestors], unit.name)


def _quote_text(comment: str | None, improvement: str | None) -> str:
    text = (comment or "").strip() or (improvement or "").strip()
    return _clip(text, QUOTE_CHARS)


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Comment:
    response_id: int
    text: str
    nps: int | None
    voice: bool
    sentiment: float
    themes: tuple[str, ...]
    submitted_at: datetime.datetime | None


def _comments(analyses) -> list[_Comment]:
    """Read the unit's visible comments in one query, newest first."""
    rows = analyses.values_list("response_id", "response__comment", "response__improvement",
                                "response__nps", "is_voice", "sentiment", "themes",
                                "response__submitted_at")
    out = []
    for pk, comment, improvement, nps, voice, sentiment, themes, submitted_at in rows:
        text = _quote_text(comment, improvement)
        if text:
            out.append(_Comment(pk, text, nps, voice, sentiment or 0.0, tuple(themes or ()),
                                submitted_at))
    return out


def _pick(comments: Iterable[_Comment], names: dict[str, str], limit: int,
          used: set) -> list[Quote]:
    """Take up to ``limit`` quotes not ``used`` yet (by response, and by text: the same
    words from two customers are shown once)."""
    out = []
    for c in comments:
        if c.response_id in used or c.text in used:
            continue
        used.update((c.response_id, c.text))
        out.append(Quote(text=c.text, nps=c.nps, voice=c.voice,
                         themes=tuple(names.get(k, k) for k in c.themes)))
        if len(out) >= limit:
            break
    return out


def session_kit_data(session: CascadeSession) -> KitData:
    """Gather one session's kit from its unit's insights in the cascade's wave."""
    cascade = session.cascade
    wave = cascade.wave
    organisation = cascade.organisation
    unit = session.unit
    everything = selectors.unit_insights(wave)
    by_id = {i.unit_id: i for i in everything}
    insight = by_id[unit.pk]
    parent = by_id.get(insight.parent_id) if insight.parent_id else None
    shown = not insight.suppressed
    children = ()
    if session.level != Level.OPERATIONAL:
        children = tuple(i for i in everything if i.parent_id == unit.pk)

    waves = view_selectors.insight_waves(organisation)
    history = (view_selectors.waves_up_to(waves, wave) if any(w.pk == wave.pk for w in waves)
               else [wave])
    trend = []
    for earlier in history:
        point = insight if earlier.pk == wave.pk else selectors.unit_insight(earlier, unit)
        trend.append(TrendPoint(wave=earlier.name, nps=point.nps, ci_low=point.ci_low,
                                ci_high=point.ci_high))

    analysis = selectors.unit_drivers(wave, unit) if shown else None
    drivers = tuple(analysis.drivers) if analysis else ()

    def top(quadrant: str) -> tuple[DriverInsight, ...]:
        found = [d for d in drivers if d.quadrant == quadrant]
        return tuple(sorted(found, key=lambda d: -d.importance)[:TOP_DRIVERS])

    names = theme_names(organisation)
    themes: list[KitTheme] = []
    voice: list[Quote] = []
    voice_marked = False
    customers = None
    customers_total = 0
    if shown:
        top_unit = view_selectors.top_unit(organisation)
        hidden, hide_unitless = view_selectors.hidden_comment_units(wave, top_unit)

        # The top unit's comments include those without a unit (anonymous waves), as on
        # the strategic page's verbatims; ``hide_unitless`` hides them where it must.
        comments = _comments(view_selectors.verbatim_list(
            organisation, wave=wave, hidden_units=hidden, hide_unitless=hide_unitless,
            unit=None if unit.depth == 1 else unit))
        used: set = set()
        voice = _pick((c for c in comments if c.voice), names, VOICE_QUOTES, used)
        voice_marked = bool(voice)
        if not voice:
            # Nothing marked yet: the most outspoken comments, negative and positive.
            half = VOICE_QUOTES // 2
            by_sentiment = sorted(comments, key=lambda c: (c.sentiment, -c.response_id))
            voice = (_pick(by_sentiment, names, half, used)
                     + _pick(reversed(by_sentiment), names, half, used))
        for index, theme in enumerate(selectors.unit_themes(wave, unit)[:TOP_THEMES]):
            quotes = ()
            if index < QUOTE_THEMES:
                # Marked quotes first, then the newest (``comments`` is newest first).
                mentioning = sorted((c for c in comments if theme.key in c.themes),
                                    key=lambda c: not c.voice)
                quotes = tuple(_pick(mentioning, names, QUOTES_PER_THEME, used))
            themes.append(KitTheme(key=theme.key, name=names.get(theme.key, theme.name),
                                   count=theme.count, share=theme.share,
                                   sentiment=theme.sentiment, nps=theme.nps, quotes=quotes))
        if session.level == Level.OPERATIONAL:
            found = view_selectors.team_customers(wave, unit)
            rows = list(found[:MAX_CUSTOMERS + 1])
            customers_total = len(rows) if len(rows) <= MAX_CUSTOMERS else found.count()
            customers = tuple(
                KitCustomer(name=c.name, number=c.customer_number, group=c.nps_group,
                            score=c.latest_nps, previous=c.previous_nps, trend=c.trend,
                            comment=_clip(c.latest_comment or "", COMMENT_CHARS),
                            owner=c.account_owner.user.name if c.account_owner_id else "")
                for c in rows[:MAX_CUSTOMERS])
    elif session.level == Level.OPERATIONAL:
        customers = ()

    facilitator = ""
    if session.facilitator_id:
        facilitator = session.facilitator.user.name
    return KitData(
        organisation=organisation.name, wave=wave.name, wave_id=wave.pk, session_id=session.pk,
        level=session.level, unit_id=unit.pk, unit_names=_unit_names(unit),
        facilitator=facilitator, scheduled_at=session.scheduled_at, place=session.place,
        threshold=max(1, int(organisation.anonymity_threshold)), insight=insight,
        parent_name=parent.name if parent else None, parent=parent, children=children,
        trend=tuple(trend), drivers=drivers, driver_n=analysis.n if analysis else None,
        strengths=top("strength"), improvement_points=top("improvement"), themes=tuple(themes),
        voice=tuple(voice), voice_marked=voice_marked, customers=customers,
        customers_total=customers_total,
    )


def cascade_sessions(cascade: Cascade) -> list[CascadeSession]:
    """Return the cascade's sessions in unit-path order, ready for ``session_kit_data``."""
    return list(cascade.sessions.select_related("cascade__wave__organisation",
                                                "cascade__organisation", "unit",
                                                "facilitator__user")
                .order_by("unit__path"))


# --- Words and numbers in the active language -------------------------------------------------

def _decimal_mark() -> str:
    return "," if (get_language() or settings.LANGUAGE_CODE).startswith("nl") else "."


def _num(value: float | None, decimals: int = 0, *, signed: bool = False) -> str:
    return charts.number(value, decimals, decimal_mark=_decimal_mark(), signed=signed)


def _pct(part: int | None, total: int | None) -> str:
    if not total or part is None:
        return "–"
    return f"{round(100 * part / total)}%"


def _too_few() -> str:
    return _("Too few responses to show")


def _level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else level


def _kicker(data: KitData) -> str:
    return _("1-2-3 session · level %(number)s, %(level)s") % {
        "number": LEVEL_NUMBERS.get(data.level, "?"), "level": _level_label(data.level).lower()}


def _when(data: KitData) -> str:
    parts = []
    if data.scheduled_at:
        parts.append(timezone.localtime(data.scheduled_at).strftime("%d-%m-%Y %H:%M"))
    if data.place:
        parts.append(data.place)
    if data.facilitator:
        parts.append(_("Facilitator: %(name)s") % {"name": data.facilitator})
    return " · ".join(parts)


def _interval(insight: UnitInsight) -> str:
    return _("95%% interval %(low)s to %(high)s") % {"low": _num(insight.ci_low),
                                                     "high": _num(insight.ci_high)}


def _change_figure(insight: UnitInsight) -> str:
    if insight.change_significant and insight.change is not None:
        return _num(insight.change, signed=True)
    return "=" if insight.previous_nps is not None else "–"


def _change_detail(insight: UnitInsight) -> str:
    if insight.suppressed:
        return _too_few()
    if insight.change_significant and insight.change is not None:
        return _("Significant change (was %(previous)s)") % {"previous": _num(insight.previous_nps)}
    if insight.previous_nps is not None:
        return _("No significant change (was %(previous)s)") % {"previous": _num(insight.previous_nps)}
    return _("No earlier figure to compare with")


def _change_text(insight: UnitInsight) -> str:
    figure = _change_figure(insight)
    detail = _change_detail(insight)
    return detail if figure == "–" else f"{figure} · {detail}"


def _mix_text(insight: UnitInsight) -> str:
    return _("%(promoters)s promoters, %(passives)s passives, %(detractors)s detractors") % {
        "promoters": _pct(insight.promoters, insight.n), "passives": _pct(insight.passives, insight.n),
        "detractors": _pct(insight.detractors, insight.n)}


def _parent_text(data: KitData) -> str:
    """Compare the unit's NPS with the level above: "Particulier: NPS 23 (this unit +5)"."""
    parent = data.parent
    if parent is None:
        return ""
    if parent.suppressed or parent.nps is None:
        return f"{data.parent_name}: {_too_few()}"
    text = _("%(name)s: NPS %(nps)s") % {"name": data.parent_name, "nps": _num(parent.nps)}
    if not data.suppressed and data.insight.nps is not None:
        text += " · " + _("this unit %(difference)s points") % {
            "difference": _num(data.insight.nps - parent.nps, signed=True)}
    return text


def _driver_line(driver: DriverInsight) -> str:
    return _("%(name)s: %(share)s%% of the explained NPS, mean score %(mean)s") % {
        "name": driver.name, "share": _num(driver.share), "mean": _num(driver.mean, 1)}


def _quote_meta(quote: Quote) -> str:
    parts = []
    if quote.nps is not None:
        parts.append(_("score %(score)s") % {"score": quote.nps})
    if quote.group:
        parts.append(_group_one(quote.group))
    if quote.voice:
        parts.append(_("Voice of the customer"))
    return " · ".join(parts)


def _group_one(group: str) -> str:
    return {"promoter": _("promoter"), "passive": _("passive"),
            "detractor": _("detractor")}.get(group, "")


def _trend_text(customer: KitCustomer) -> str:
    if customer.trend is None:
        return ""
    if customer.trend > 0:
        return f"+{customer.trend}"
    if customer.trend < 0:
        return _num(customer.trend)
    return "="


def _questions(level: str) -> list[str]:
    """The questions a session of this level answers (the 1-2-3-spel's outcome per level)."""
    if level == Level.STRATEGIC:
        return [_("Which improvement route do we set for the whole organisation?"),
                _("What is our long-term vision on customer experience?"),
                _("How do we review the route's progress as a fixed item on our agenda?")]
    if level == Level.TACTICAL:
        return [_("What do these results mean for our business unit or region?"),
                _("Which follow-up do we choose, and who owns it?"),
                _("How do we coach our teams, and what do we report to the board and MT?")]
    return [_("Which customers do we call first, and who calls them?"),
            _("What do we ask them, and what do we offer?"),
            _("What will each of us contribute to the improvement route?")]


# --- PPTX --------------------------------------------------------------------------------------

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
        self.text(slide, 0.6, 0.25, 12.1, 0.35, [(_kicker(self.data), 12, False, charts.MUTED)])
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
    deck.text(slide, 0.8, 1.6, 11.7, 0.5, [(_kicker(data), 18, False, charts.MUTED)])
    deck.text(slide, 0.8, 2.2, 11.7, 1.6, [(data.unit_name, 44, True, charts.BRAND)])
    lines = [(" / ".join(data.unit_names[:-1]) or data.organisation, 18, False, charts.INK),
             (_("Research wave: %(wave)s") % {"wave": data.wave}, 18, False, charts.INK)]
    if _when(data):
        lines.append((_when(data), 16, False, charts.MUTED))
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
    slide = deck.slide(_("Net Promoter Score"), notes=_parent_text(data))
    deck.text(slide, 0.6, 1.6, 4.6, 1.3, [(_num(insight.nps), 80, True, charts.BRAND)])
    lines = [(_interval(insight) + f" · n = {insight.n}", 16, False, charts.INK),
             (_mix_text(insight), 16, False, charts.INK),
             (_("Since the previous wave") + ": " + _change_text(insight), 16, False, charts.INK)]
    if data.parent is not None:
        lines.append((_("Compared with the level above") + ": " + _parent_text(data), 16, True,
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
        deck.text(slide, 0.8, 2.5, 11.7, 1.0, [(_too_few(), 24, False, charts.MUTED)])
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
        deck.text(slide, 0.6, 6.45, 12.1, 0.5, [(_too_few() + ": " + ", ".join(hidden), 12, False,
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
        lines = [(_driver_line(d), 15, False, charts.INK) for d in items] or [
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
        lines.append((_quote_meta(quote), 11, False, charts.MUTED))
    deck.text(slide, 0.8, 1.5, 11.7, 5.4, lines)


def _deck_theme_quotes(deck: _Deck, data: KitData) -> None:
    themes = [t for t in data.themes if t.quotes]
    for start in range(0, len(themes), 3):
        slide = deck.slide(_("Themes in the customers' own words"))
        lines = []
        for theme in themes[start:start + 3]:
            lines.append((_theme_line(theme), 18, True, charts.sentiment_colour(theme.sentiment)))
            for quote in theme.quotes:
                lines.append((f"“{_clip(quote.text, 200)}” ({_quote_meta(quote)})", 13, False,
                              charts.INK))
        deck.text(slide, 0.8, 1.5, 11.7, 5.4, lines)


def _theme_line(theme: KitTheme) -> str:
    return " · ".join([theme.name, _("%(count)s comments") % {"count": theme.count},
                       _sentiment_word(theme.sentiment)])


def _sentiment_word(value: float) -> str:
    return {"positive": _("positive"), "negative": _("negative")}.get(sentiment_label(value),
                                                                     _("neutral"))


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
            rows = [headers] + [[c.name, "" if c.score is None else str(c.score), _trend_text(c),
                                 _clip(c.comment, 75), _clip(c.owner, 22)] for c in page]
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
    deck.text(slide, 0.8, 1.7, 11.7, 4.8, [(q, 24, False, charts.INK) for q in _questions(data.level)],
              bullets=True)


def session_pptx(data: KitData) -> bytes:
    """Render the consultant's deck of one session (native, editable charts)."""
    deck = _Deck(data)
    _deck_title(deck, data)
    if data.suppressed:
        slide = deck.slide(_("Net Promoter Score"))
        deck.text(slide, 0.8, 2.0, 11.7, 3.0, [
            (_too_few(), 32, True, charts.MUTED),
            (_("Fewer customers responded for this unit than the anonymity threshold "
               "(%(threshold)s) allows to show, so its figures, comments and customers stay "
               "hidden.") % {"threshold": data.threshold}, 16, False, charts.INK),
            (_("Compared with the level above") + ": " + (_parent_text(data) or "–"), 16, False,
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


# --- PDF -----------------------------------------------------------------------------------------

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
        "h2": derived("h2", "h2", bold=True, spaceBefore=12),
        "h3": derived("h3", "h3", bold=True),
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
                _num(data.parent.nps) if not data.parent.suppressed else "–",
                _parent_text(data))
    cells = [
        [_p(_("NPS"), s["statlabel"]), _p(_("Since the previous wave"), s["statlabel"]),
         _p(_("Promoters · passives · detractors"), s["statlabel"]), _p(last[0], s["statlabel"])],
        [_p(_num(insight.nps), s["stat"]), _p(_change_figure(insight), s["stat"]),
         _p(_pct(insight.promoters, insight.n), s["stat"]), _p(last[1], s["stat"])],
        [_p(_interval(insight) + f" · n = {insight.n}", s["small"]),
         _p(_change_detail(insight), s["small"]), _p(_mix_text(insight), s["small"]),
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
                               hidden_text=_too_few(),
                               labels=(str(GROUP_NAMES["promoter"]), str(GROUP_NAMES["passive"]),
                                       str(GROUP_NAMES["detractor"])))
    trend = charts.nps_trend_chart(
        [charts.TrendPoint(label=p.wave, nps=p.nps, ci_low=p.ci_low, ci_high=p.ci_high)
         for p in data.trend],
        title=_("Trend"), empty_text=_too_few(), decimal_mark=_decimal_mark())
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
    return [_p(f"“{quote.text}”", s["quote"]), _p(_quote_meta(quote), s["quotemeta"])]


def session_pdf(data: KitData) -> bytes:
    """Render the participants' handout of one session (A4, the dashboards' charts)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer

    from reports.pdf import document

    s = _styles()
    width = A4[0] - 36 * mm
    story = [_p(_kicker(data), s["kicker"]), _p(data.unit_name, s["title"])]
    if len(data.unit_names) > 1:
        story.append(_p(" / ".join(data.unit_names[:-1]), s["body"]))
    story.append(_p(_("Research wave: %(wave)s") % {"wave": data.wave}, s["body"]))
    if _when(data):
        story.append(_p(_when(data), s["small"]))
    story.append(Spacer(1, 5 * mm))

    if data.suppressed:
        story += [_p(_too_few(), s["h2"]),
                  _p(_("Fewer customers responded for this unit than the anonymity threshold "
                       "(%(threshold)s) allows to show, so its figures, comments and customers "
                       "stay hidden.") % {"threshold": data.threshold}, s["body"])]
        if data.parent is not None:
            story.append(_p(_("Compared with the level above") + ": " + _parent_text(data),
                            s["body"]))
    else:
        story += [_pdf_kpis(data, s, width), Spacer(1, 4 * mm), _pdf_charts(data, width)]
        if data.children:
            title = (_("NPS per business unit or region, with 95% interval")
                     if data.level == Level.STRATEGIC else _("NPS per team, with 95% interval"))
            chart = charts.nps_interval_chart(
                [_nps_row(c, c.name) for c in data.children], title=title,
                hidden_text=_too_few(), value_text=_("NPS {nps} (n = {n})"),
                decimal_mark=_decimal_mark())
            story += [KeepTogether([_p(title, s["h2"]), _svg(chart, width * 0.6)])]

        story.append(_p(_("Strengths and improvement points"), s["h2"]))
        if data.drivers:
            lists = []
            for quadrant, items in (("strength", data.strengths),
                                    ("improvement", data.improvement_points)):
                lists.append(_p(QUADRANT_NAMES[quadrant], s["h3"]))
                lists += [_p("• " + _driver_line(d), s["body"]) for d in items] or [
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
                decimal_mark=_decimal_mark())
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
                empty_text=_("No themes with enough comments"), decimal_mark=_decimal_mark())
            story.append(KeepTogether([heading, _svg(chart, width * 0.6)]))
            for theme in data.themes:
                if not theme.quotes:
                    continue
                block = [_p(_theme_line(theme), s["h3"])]
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
                    rows += [[_clip(c.name, 30), "" if c.score is None else str(c.score),
                              _trend_text(c), c.comment, _clip(c.owner, 22)] for c in members]
                    story.append(_pdf_table(rows, [w * mm for w in (48, 12, 18, 70, 26)], s,
                                            wrap={3}))

    story.append(_p(_("Questions for this session"), s["h2"]))
    story += [_p("• " + q, s["body"]) for q in _questions(data.level)]

    return document(story, title=_printable(f"{data.unit_name} · {data.wave}"),
                    subject=_kicker(data),
                    footer=" · ".join(["Outside-In", data.organisation, data.unit_name, data.wave]))


# --- Every session of a cascade ------------------------------------------------------------------

def kit_paths(sessions: list[CascadeSession]) -> dict[int, str]:
    """Return each session's file stem by unit path, unique within the cascade."""
    units = {u.path: u.name for u in Unit.objects.filter(
        organisation_id=sessions[0].cascade.organisation_id).only("path", "name")} if sessions else {}
    step = Unit.steplen
    stems: dict[int, str] = {}
    for session in sessions:
        path = session.unit.path
        names = [units.get(path[:i], "") for i in range(step, len(path) + 1, step)]
        stems[session.pk] = unit_file_stem(names)
    seen: dict[str, int] = {}
    for session in sessions:
        seen[stems[session.pk]] = seen.get(stems[session.pk], 0) + 1
    for session in sessions:
        if seen[stems[session.pk]] > 1:  # two units of one parent with the same name
            stems[session.pk] += f"-{session.unit_id}"
    return stems


def cascade_kits_write(cascade: Cascade, write: Callable[[str, bytes], None], *,
                       progress: Callable[[int, int], None] | None = None) -> int:
    """Render every session's deck and handout and hand each file to ``write(name, bytes)``;
    ``progress(done, total)`` follows each session. Return the number of sessions."""
    sessions = cascade_sessions(cascade)
    stems = kit_paths(sessions)
    total = len(sessions)
    if progress is not None:
        progress(0, total)
    for done, session in enumerate(sessions, start=1):
        data = session_kit_data(session)
        write(f"{stems[session.pk]}.pptx", session_pptx(data))
        write(f"{stems[session.pk]}.pdf", session_pdf(data))
        if progress is not None:
            progress(done, total)
    return total
