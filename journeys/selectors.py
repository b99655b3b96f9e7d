"""Reads of customer journeys, always scoped to one organisation, and the evidence laid
on each touchpoint from the three sources.

How evidence finds a touchpoint:

* **Survey comments** (``insights.models.ResponseAnalysis``) of one research wave whose
  themes include a theme key mapped to the touchpoint (``Touchpoint.themes``). As in the
  insights verbatim browser, comments of units under the organisation's anonymity
  threshold (or hidden to protect another unit) are left out of the quotes *and* the
  counts, and a comment is shown with its unit, score, sentiment and date, never with
  the customer's name.
* **Arena statements** (``live.models.Room.state["statements"]`` of the organisation's
  arenas): a statement matches a touchpoint when its theme tag, compared
  case-insensitively and without surrounding spaces, equals the touchpoint's name, one
  of its mapped theme keys, or the Dutch or English name of one of its mapped themes.
* **Safari notes**: visits with status "done" tagged with the touchpoint
  (``safari.models.Visit.touchpoints``), with what went well, what went wrong, the
  advice and the quotes.

Survey evidence comes from one wave at a time (the one the insights pages open with,
or the one chosen); arena statements and safari visits count whenever they were made.

Quotes are shown only to those who may read them at their source (``Visibility``):
survey comments with ``view_insights``, arena statements with ``view_arena_reports``,
safari notes with ``view_safaris``; everyone who sees a journey sees the counts.
The figures are computed by ``journeys.figures``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from operator import or_

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils.translation import get_language

from accounts.models import Organisation
from accounts.permissions import Capability, role_can
from journeys import figures
from journeys.models import Journey, Stage, Touchpoint

MAP_QUOTES = 3  # survey quotes per touchpoint on the map
MAP_SURVEY_ROWS = 600  # most survey comments read for the map's quotes in one query
DETAIL_QUOTES = 40  # survey quotes on a touchpoint's own page
POINT_QUOTES = 20  # most quotes per source copied into an improvement point


# --- Access ----------------------------------------------------------------------------------

def journey_list(organisation: Organisation) -> list[Journey]:
    """Return the organisation's journeys with their stage and touchpoint counts."""
    return list(Journey.objects.for_organisation(organisation)
                .annotate(stage_count=Count("stages", distinct=True),
                          touchpoint_count=Count("stages__touchpoints", distinct=True))
                .order_by("name", "pk"))


def access_journey_by_id(organisation: Organisation, pk) -> Journey:
    journey = Journey.objects.for_organisation(organisation).filter(pk=pk).first()
    if journey is None:
        raise Http404
    return journey


def access_stage_by_id(organisation: Organisation, pk) -> Stage:
    stage = (Stage.objects.filter(journey__organisation=organisation, pk=pk)
             .select_related("journey").first())
    if stage is None:
        raise Http404
    return stage


def access_touchpoint_by_id(organisation: Organisation, pk) -> Touchpoint:
    touchpoint = (Touchpoint.objects.for_organisation(organisation).filter(pk=pk)
                  .select_related("stage__journey", "unit").first())
    if touchpoint is None:
        raise Http404
    return touchpoint


# --- The theme taxonomy ----------------------------------------------------------------------

@dataclass(frozen=True)
class ThemeName:
    key: str
    name: str  # in the current language
    names: tuple[str, ...]  # every name it goes by (key, Dutch, English)


def taxonomy_themes(organisation: Organisation) -> dict[str, ThemeName]:
    """Return the themes of the organisation's taxonomy by key, in taxonomy order."""
    from insights.services import taxonomy_document

    english = (get_language() or "nl").startswith("en")
    themes = {}
    for theme in taxonomy_document(organisation).get("themes", []):
        key = theme.get("key")
        if not key:
            continue
        nl, en = theme.get("name") or key, theme.get("name_en") or ""
        themes[key] = ThemeName(key, en if english and en else nl,
                                tuple(n for n in (key, nl, en) if n))
    return themes


def _match_names(touchpoint: Touchpoint, themes: dict[str, ThemeName]) -> frozenset[str]:
    names = {touchpoint.name}
    for key in touchpoint.themes:
        names |= set(themes[key].names) if key in themes else {key}
    return frozenset(n.strip().lower() for n in names if n.strip())


# --- Evidence --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Visibility:
    """Which sources' quotes a viewer may read (the counts are for everyone)."""

    survey: bool = False
    arena: bool = False
    safari: bool = False

    @classmethod
    def of_role(cls, role: str) -> Visibility:
        return cls(survey=role_can(role, Capability.VIEW_INSIGHTS),
                   arena=role_can(role, Capability.VIEW_ARENA_REPORTS),
                   safari=role_can(role, Capability.VIEW_SAFARIS))

    @classmethod
    def everything(cls) -> Visibility:
        return cls(True, True, True)


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence as a page shows it (never with a survey customer's name)."""

    source: str  # "survey", "arena" or "safari"
    sentiment: str  # "positive", "negative" or "neutral"
    text: str
    label: str  # where it comes from: a unit, an arena, a safari round
    when: date | None = None
    score: int | None = None
    contact_id: int | None = None  # arena and safari only: who said it
    object_id: int | None = None  # the response, arena or visit
    notes: tuple[tuple[str, str], ...] = ()  # safari: (kind, text), kind in SAFARI_NOTES


SAFARI_NOTES = ("went_well", "went_wrong", "advice", "quote")


@dataclass
class TouchpointEvidence:
    """A touchpoint with its figures, the quotes its viewer may read, and its points."""

    touchpoint: Touchpoint
    number: int
    tally: figures.Tally
    items: list[EvidenceItem] = field(default_factory=list)
    points: list = field(default_factory=list)
    theme_names: list[str] = field(default_factory=list)

    def of(self, source: str) -> list[EvidenceItem]:
        return [item for item in self.items if item.source == source]

    @property
    def survey_items(self) -> list[EvidenceItem]:
        return self.of("survey")

    @property
    def arena_items(self) -> list[EvidenceItem]:
        return self.of("arena")

    @property
    def safari_items(self) -> list[EvidenceItem]:
        return self.of("safari")


def _sentiment_of(score: float) -> str:
    from insights.text.sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE

    if score > POSITIVE_ABOVE:
        return figures.POSITIVE
    if score < NEGATIVE_BELOW:
        return figures.NEGATIVE
    return figures.NEUTRAL


def _survey(organisation: Organisation, touchpoints: Sequence[Touchpoint], wave, *,
            quotes: int, rows: int, with_quotes: bool, only_negative: bool = False
            ) -> tuple[dict[int, list], dict[int, list[EvidenceItem]]]:
    """Return survey counts ``{touchpoint: [(source, sentiment, n)]}`` and quotes.

    Counts come from one GROUP BY over the themes column (a few hundred distinct
    combinations at most), quotes from one bounded query, newest first.
    """
    from insights.models import ResponseAnalysis
    from insights.text.sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE
    from insights.view_selectors import hidden_comment_units, top_unit

    keys = {key for tp in touchpoints for key in tp.themes}
    if wave is None or not keys:
        return {}, {}
    wave.organisation = organisation  # spare the suppression a query for the threshold
    hidden, hide_unitless = hidden_comment_units(wave, top_unit(organisation))
    analyses = (ResponseAnalysis.objects.for_organisation(organisation).filter(wave=wave)
                .exclude(unit_id__in=[pk for pk in hidden if pk is not None])
                # A quoted key is a plain text match on both databases (as the verbatims).
                .filter(reduce(or_, (Q(themes__icontains=f'"{key}"') for key in sorted(keys)))))
    if hide_unitless:
        analyses = analyses.exclude(unit__isnull=True)
    wanted = {tp.pk: set(tp.themes) for tp in touchpoints}
    counts: dict[int, list] = defaultdict(list)
    grouped = (analyses.order_by().values("themes").annotate(
        n=Count("pk"), pos=Count("pk", filter=Q(sentiment__gt=POSITIVE_ABOVE)),
        neg=Count("pk", filter=Q(sentiment__lt=NEGATIVE_BELOW))))
    for row in grouped:
        themes = set(row["themes"] or [])
        for pk, mapped in wanted.items():
            if themes & mapped:
                counts[pk] += [("survey", figures.POSITIVE, row["pos"]),
                               ("survey", figures.NEGATIVE, row["neg"]),
                               ("survey", figures.NEUTRAL, row["n"] - row["pos"] - row["neg"])]
    items: dict[int, list[EvidenceItem]] = defaultdict(list)
    if not with_quotes:
        return counts, items
    if only_negative:
        analyses = analyses.filter(sentiment__lt=NEGATIVE_BELOW)
    analyses = (analyses.exclude(response__comment="", response__improvement="")
                .select_related("response", "unit")
                .order_by("-response__submitted_at", "-response_id")[:rows])
    top_name = organisation.name
    for analysis in analyses:
        response = analysis.response
        text = response.comment or response.improvement
        themes = set(analysis.themes or [])
        for pk, mapped in wanted.items():
            if themes & mapped and len(items[pk]) < quotes:
                items[pk].append(EvidenceItem(
                    "survey", _sentiment_of(analysis.sentiment), text,
                    analysis.unit.name if analysis.unit else top_name,
                    response.submitted_at.date() if response.submitted_at else None,
                    response.nps, None, response.pk))
    return counts, items


def _arena(organisation: Organisation, touchpoints: Sequence[Touchpoint],
           themes: dict[str, ThemeName]) -> dict[int, list[EvidenceItem]]:
    """Return the arena statements matching each touchpoint (see the module docstring)."""
    from arena.models import Arena

    match = {tp.pk: _match_names(tp, themes) for tp in touchpoints}
    items: dict[int, list[EvidenceItem]] = defaultdict(list)
    if not match:
        return items
    arenas = (Arena.objects.filter(organisation=organisation).select_related("room")
              .only("pk", "title", "starts_at", "room__state").order_by("-starts_at", "-pk"))
    for arena in arenas:
        statements = (arena.room.state or {}).get("statements", {})
        for statement in sorted(statements.values(), key=lambda s: int(s.get("id", 0))):
            tag = (statement.get("theme") or "").strip().lower()
            if not tag:
                continue
            sentiment = statement.get("sentiment") or figures.NEUTRAL
            for pk, names in match.items():
                if tag in names:
                    items[pk].append(EvidenceItem(
                        "arena", sentiment, statement.get("text", ""), arena.title,
                        arena.starts_at.date() if arena.starts_at else None, None,
                        statement.get("customer"), arena.pk))
    return items


def _safari(organisation: Organisation, touchpoints: Sequence[Touchpoint]
            ) -> dict[int, list[EvidenceItem]]:
    """Return the reported safari visits tagged with each touchpoint, newest first."""
    from safari.models import Visit, VisitStatus

    items: dict[int, list[EvidenceItem]] = defaultdict(list)
    if not touchpoints:
        return items
    links = (Visit.touchpoints.through.objects
             .filter(touchpoint_id__in=[tp.pk for tp in touchpoints],
                     visit__organisation=organisation, visit__status=VisitStatus.DONE)
             .select_related("visit__round")
             .order_by("-visit__reported_at", "-visit_id"))
    for link in links:
        visit = link.visit
        notes = [(kind, getattr(visit, kind).strip()) for kind in ("went_well", "went_wrong", "advice")]
        notes += [("quote", line.strip()) for line in visit.quotes.splitlines()]
        notes = tuple((kind, text) for kind, text in notes if text)
        when = (visit.reported_at or visit.planned_at)
        items[link.touchpoint_id].append(EvidenceItem(
            "safari", figures.visit_sentiment(visit.went_well, visit.went_wrong),
            visit.went_wrong.strip() or visit.went_well.strip(), visit.round.name,
            when.date() if when else None, None, visit.contact_id, visit.pk, notes))
    return items


def _points(touchpoints: Sequence[Touchpoint]) -> dict[int, list]:
    """Return the improvement points whose evidence links each touchpoint (one query)."""
    from improvements.models import Evidence

    points: dict[int, list] = defaultdict(list)
    if not touchpoints:
        return points
    links = (Evidence.objects.filter(content_type=ContentType.objects.get_for_model(Touchpoint),
                                     object_id__in=[tp.pk for tp in touchpoints])
             .select_related("point").order_by("point__number"))
    for link in links:
        if link.point not in points[link.object_id]:
            points[link.object_id].append(link.point)
    return points


def evidence_for(organisation: Organisation, touchpoints: Sequence[Touchpoint], *, wave,
                 visibility: Visibility, quotes: int = MAP_QUOTES, rows: int = MAP_SURVEY_ROWS,
                 themes: dict[str, ThemeName] | None = None) -> list[TouchpointEvidence]:
    """Return each touchpoint (in the given order) with its evidence, figures and points.

    A fixed number of queries however many touchpoints: the wave's suppression, one
    GROUP BY and one bounded read of survey comments, the arenas, the safari links and
    the points.
    """
    themes = taxonomy_themes(organisation) if themes is None else themes
    survey_counts, survey_items = _survey(organisation, touchpoints, wave, quotes=quotes,
                                          rows=rows, with_quotes=visibility.survey)
    arena_items = _arena(organisation, touchpoints, themes)
    safari_items = _safari(organisation, touchpoints)
    points = _points(touchpoints)
    result = []
    for number, tp in enumerate(touchpoints, start=1):
        arena, safari = arena_items.get(tp.pk, []), safari_items.get(tp.pk, [])
        tally = figures.tally([*survey_counts.get(tp.pk, []),
                               *(("arena", item.sentiment, 1) for item in arena),
                               *(("safari", item.sentiment, 1) for item in safari)])
        shown = [*survey_items.get(tp.pk, []), *(arena if visibility.arena else []),
                 *(safari if visibility.safari else [])]
        result.append(TouchpointEvidence(
            tp, number, tally, shown, points.get(tp.pk, []),
            [themes[key].name if key in themes else key for key in tp.themes]))
    return result


def negative_evidence(touchpoint: Touchpoint, *, wave) -> list[EvidenceItem]:
    """Return the touchpoint's negative evidence for an improvement point: negative survey
    comments (anonymity respected), negative arena statements and what went wrong on
    safari visits; at most ``POINT_QUOTES`` per source."""
    organisation = touchpoint.organisation
    themes = taxonomy_themes(organisation)
    _counts, survey = _survey(organisation, [touchpoint], wave, quotes=POINT_QUOTES,
                              rows=POINT_QUOTES, with_quotes=True, only_negative=True)
    arena = [item for item in _arena(organisation, [touchpoint], themes).get(touchpoint.pk, [])
             if item.sentiment == figures.NEGATIVE][:POINT_QUOTES]
    safari = []
    for item in _safari(organisation, [touchpoint]).get(touchpoint.pk, []):
        wrong = [text for kind, text in item.notes if kind == "went_wrong"]
        if wrong:
            safari.append(EvidenceItem("safari", figures.NEGATIVE, wrong[0], item.label, item.when,
                                       None, item.contact_id, item.object_id))
    return [*survey.get(touchpoint.pk, []), *arena, *safari[:POINT_QUOTES]]


# --- The journey map -------------------------------------------------------------------------

@dataclass
class StageColumn:
    stage: Stage
    touchpoints: list[TouchpointEvidence]
    first: bool
    last: bool


@dataclass
class JourneyMap:
    """A journey as its map shows it: stages with their touchpoints' evidence, the curve."""

    journey: Journey
    wave: object
    columns: list[StageColumn]
    curve: figures.CurveLayout
    total: figures.Tally

    @property
    def touchpoints(self) -> list[TouchpointEvidence]:
        return [tp for column in self.columns for tp in column.touchpoints]


def journey_map(journey: Journey, *, wave, visibility: Visibility) -> JourneyMap:
    """Return the journey's map: stages in order, each touchpoint with its evidence."""
    organisation = journey.organisation
    stages = list(journey.stages.order_by("position", "pk").prefetch_related(
        Prefetch("touchpoints", queryset=Touchpoint.objects.select_related("unit")
                 .order_by("position", "pk"))))
    touchpoints = [tp for stage in stages for tp in stage.touchpoints.all()]
    evidence = evidence_for(organisation, touchpoints, wave=wave, visibility=visibility)
    by_pk = {ev.touchpoint.pk: ev for ev in evidence}
    columns = [StageColumn(stage, [by_pk[tp.pk] for tp in stage.touchpoints.all()],
                           i == 0, i == len(stages) - 1) for i, stage in enumerate(stages)]
    stage_index = {stage.pk: i for i, stage in enumerate(stages)}
    curve = figures.curve_layout(
        [figures.CurveInput(ev.touchpoint.name, ev.tally.net, ev.touchpoint.moment_of_truth,
                            stage_index[ev.touchpoint.stage_id]) for ev in evidence],
        [stage.name for stage in stages])
    total = reduce(lambda a, b: a + b, (ev.tally for ev in evidence), figures.Tally())
    return JourneyMap(journey, wave, columns, curve, total)


def survey_wave(organisation: Organisation, raw: str | None):
    """Return the research wave whose comments are laid on the map (``?wave=``, else the
    one the insights pages open with) and the waves to choose from."""
    from insights.view_selectors import chosen_wave

    return chosen_wave(organisation, raw)
