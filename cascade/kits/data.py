"""What one session's kit shows, gathered once through the insights selectors."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.text import slugify

from cascade.kits import words
from cascade.models import Cascade, CascadeSession
from insights import selectors, view_selectors
from insights.selectors import DriverInsight, UnitInsight
from insights.views import TOP_THEMES, theme_names
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
QUOTE_CHARS = 400
COMMENT_CHARS = 220


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
    return words.clip(text, QUOTE_CHARS)


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
                            comment=words.clip(c.latest_comment or "", COMMENT_CHARS),
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
