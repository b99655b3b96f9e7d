"""Reads the insights pages need beyond ``insights.selectors``: waves, access, verbatims.

Kept apart from ``insights.selectors`` (the statistics layer) so the two can grow
independently; everything here is scoped to one organisation and raises 404 for
objects of another.
"""

from __future__ import annotations

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404

from accounts.models import Organisation
from insights.models import ResponseAnalysis
from org.models import Unit
from research.models import Response, ResponseStatus, Wave, WaveStatus

VERBATIM_PAGE_SIZE = 50


def insight_waves(organisation: Organisation) -> list[Wave]:
    """Return the organisation's waves that can carry results (open or closed), newest first."""
    return list(
        Wave.objects.for_organisation(organisation)
        .exclude(status=WaveStatus.DRAFT)
        .order_by("-period_start", "-created_at", "-pk")
    )


def default_wave(waves: list[Wave]) -> Wave | None:
    """Return the latest closed wave, else the latest open one (``waves`` newest first)."""
    for wave in waves:
        if wave.status == WaveStatus.CLOSED:
            return wave
    return waves[0] if waves else None


def chosen_wave(organisation: Organisation, raw: str | None) -> tuple[Wave | None, list[Wave]]:
    """Return the wave asked for by id (404 for another organisation's), or the default."""
    waves = insight_waves(organisation)
    if raw:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            raise Http404 from None
        for wave in waves:
            if wave.pk == pk:
                return wave, waves
        raise Http404
    return default_wave(waves), waves


def waves_up_to(waves: list[Wave], wave: Wave) -> list[Wave]:
    """Return ``wave`` and the waves before it, oldest first (``waves`` newest first)."""
    index = next(i for i, w in enumerate(waves) if w.pk == wave.pk)
    return list(reversed(waves[index:]))


def previous_wave(waves: list[Wave], wave: Wave) -> Wave | None:
    """Return the wave before ``wave`` in ``waves`` (newest first), if any."""
    index = next(i for i, w in enumerate(waves) if w.pk == wave.pk)
    return waves[index + 1] if index + 1 < len(waves) else None


def top_unit(organisation: Organisation) -> Unit | None:
    """Return the organisation's root unit (the whole organisation)."""
    return Unit.objects.for_organisation(organisation).filter(depth=1).order_by("path").first()


def unit_children(unit: Unit) -> list[Unit]:
    """Return the unit's direct children in tree order."""
    return list(Unit.objects.filter(organisation_id=unit.organisation_id, depth=unit.depth + 1,
                                    path__startswith=unit.path).order_by("name", "path"))


def unit_ancestors(unit: Unit) -> list[Unit]:
    """Return the unit's ancestors, top first (for the breadcrumb)."""
    steplen = Unit.steplen
    paths = [unit.path[:i] for i in range(steplen, len(unit.path), steplen)]
    return list(Unit.objects.filter(organisation_id=unit.organisation_id, path__in=paths)
                .order_by("depth"))


def access_analysis_by_response_id(organisation: Organisation, pk) -> ResponseAnalysis:
    """Return the analysis of the organisation's response ``pk`` or raise 404."""
    analysis = (ResponseAnalysis.objects.for_organisation(organisation)
                .select_related("response", "unit").filter(response_id=pk).first())
    if analysis is None:
        raise Http404
    return analysis


def _group_filter(group: str) -> Q:
    if group == "promoter":
        return Q(response__nps__gte=9)
    if group == "passive":
        return Q(response__nps__gte=7, response__nps__lte=8)
    return Q(response__nps__lte=6)


def verbatim_list(organisation: Organisation, *, wave: Wave, hidden_units: frozenset,
                  hide_unitless: bool = False, unit: Unit | None = None,
                  theme: str | None = None, sentiment: str | None = None,
                  group: str | None = None, language: str | None = None,
                  q: str | None = None, voice: bool = False) -> QuerySet:
    """Return the wave's analysed comments, newest first, filtered.

    ``hidden_units`` are units whose own responses may not be shown (under the
    anonymity threshold, or hidden to protect another); their comments are left out,
    as are comments without a unit when ``hide_unitless``. ``unit`` includes its
    subtree; ``theme`` is a taxonomy key; ``sentiment`` "positive", "neutral" or
    "negative" (as ``insights.text.sentiment_label``); ``group`` an NPS group.
    """
    from insights.text.sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE

    analyses = (
        ResponseAnalysis.objects.for_organisation(organisation)
        .filter(wave=wave)
        .exclude(unit_id__in=[pk for pk in hidden_units if pk is not None])
        .select_related("response", "response__customer", "unit")
    )
    if hide_unitless:
        analyses = analyses.exclude(unit__isnull=True)
    if unit is not None:
        analyses = analyses.filter(unit__path__startswith=unit.path)
    if theme:
        # The themes are a JSON list of keys; a quoted key is a plain text match on both
        # databases (JSON "contains" is not available on SQLite).
        analyses = analyses.filter(themes__icontains=f'"{theme}"')
    if sentiment == "positive":
        analyses = analyses.filter(sentiment__gt=POSITIVE_ABOVE)
    elif sentiment == "negative":
        analyses = analyses.filter(sentiment__lt=NEGATIVE_BELOW)
    elif sentiment == "neutral":
        analyses = analyses.filter(sentiment__gte=NEGATIVE_BELOW, sentiment__lte=POSITIVE_ABOVE)
    if group:
        analyses = analyses.filter(_group_filter(group))
    if language:
        analyses = analyses.filter(language=language)
    if q:
        analyses = analyses.filter(Q(response__comment__icontains=q)
                                   | Q(response__improvement__icontains=q))
    if voice:
        analyses = analyses.filter(is_voice=True)
    return analyses.order_by("-response__submitted_at", "-response_id")


def wave_suppression(wave: Wave):
    """Return the wave's ``Suppression`` (hidden units and hidden own blocks).

    Reuses the statistics layer's computation so the verbatim browser hides exactly
    what the figures hide. (``insights.selectors`` keeps it private; a public
    ``wave_suppression`` there would replace this.)
    """
    from insights import selectors

    return selectors._figures(wave).suppression


def hidden_comment_units(wave: Wave, top: Unit | None) -> tuple[frozenset, bool]:
    """Return the units whose own comments may not be shown, and whether comments
    without a unit (counted on the top unit's own block) are hidden too."""
    suppression = wave_suppression(wave)
    hidden = frozenset(suppression.hidden_own | suppression.hidden)
    return hidden, top is None or top.pk in hidden


def team_customers(wave: Wave, team: Unit) -> QuerySet:
    """Return the team's customers who responded in the wave (``customer_groups``),
    ordered for "who to talk to first": detractors, then passives, then promoters,
    newest response first within each group."""
    from insights.selectors import customer_groups

    latest_at = (Response.objects.filter(wave=wave, status=ResponseStatus.SUBMITTED,
                                         customer_id=OuterRef("pk"))
                 .order_by("-submitted_at", "-pk").values("submitted_at")[:1])
    rank = Case(When(nps_group="detractor", then=Value(0)),
                When(nps_group="passive", then=Value(1)),
                When(nps_group="promoter", then=Value(2)), default=Value(3),
                output_field=IntegerField())
    return (customer_groups(wave, team)
            .annotate(group_rank=rank, latest_at=Subquery(latest_at))
            .order_by("group_rank", F("latest_at").desc(nulls_last=True), "name", "pk"))


def uncovered_comments(organisation: Organisation, *, wave: Wave, hidden_units: frozenset,
                       hide_unitless: bool, limit: int) -> list[str]:
    """Return up to ``limit`` open answers of the wave that matched no theme when they
    were last analysed (the input of ``suggest_themes``), leaving out hidden units."""
    analyses = (ResponseAnalysis.objects.for_organisation(organisation)
                .filter(wave=wave, themes=[])
                .exclude(unit_id__in=[pk for pk in hidden_units if pk is not None]))
    if hide_unitless:
        analyses = analyses.exclude(unit__isnull=True)
    rows = analyses.order_by("response_id").values_list("response__comment",
                                                        "response__improvement")[:limit]
    return [comment or improvement for comment, improvement in rows if comment or improvement]
