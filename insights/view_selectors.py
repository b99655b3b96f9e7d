"""Reads the insights pages need beyond ``insights.selectors``: waves, access, verbatims,
suppression of comments, customers by owner, segment values and theme suggestions.

Kept apart from ``insights.selectors`` (the statistics layer) so the two can grow
independently; everything here is scoped to one organisation and raises 404 for
objects of another.
"""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache
from django.db.models import (
    Case,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.http import Http404

from accounts.models import Membership, Organisation
from insights.models import ResponseAnalysis, UnitWaveAggregate
from insights.services import counted_responses
from insights.suppression import Suppression, UnitCount, suppress_tree
from org.models import Customer, Unit
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


def wave_suppression(wave: Wave) -> Suppression:
    """Return the wave's ``Suppression`` (hidden units and hidden own blocks).

    Computed as the statistics layer does (``insights.selectors``): each unit's own
    response count from the stored aggregates (responses without a unit count on the
    top unit), summed over subtrees, through ``insights.suppression.suppress_tree``
    with the organisation's threshold, so the verbatim browser hides exactly what the
    figures hide (``test_wave_suppression_matches_the_figures`` holds the two together).
    Reads two small tables: the units and one count per aggregate row.
    """
    units = sorted(Unit.objects.filter(organisation_id=wave.organisation_id)
                   .values_list("pk", "path"), key=lambda row: row[1])
    if not units:
        return Suppression()
    index = {pk: i for i, (pk, _path) in enumerate(units)}
    by_path = {path: pk for pk, path in units}
    step = Unit.steplen
    parents = [by_path.get(path[:-step]) if len(path) > step else None for _pk, path in units]
    top = next((i for i, parent in enumerate(parents) if parent is None), None)
    own = [0] * len(units)
    for unit_id, count in (UnitWaveAggregate.objects.filter(wave=wave).order_by()
                           .values_list("unit_id", "n_responses")):
        i = index.get(unit_id) if unit_id is not None else top
        if i is not None:
            own[i] += count
    total = [0] * len(units)
    for i in range(len(units) - 1, -1, -1):  # children come after their parent in path order
        total[i] += own[i]
        if parents[i] is not None:
            total[index[parents[i]]] += total[i]
    threshold = max(1, int(wave.organisation.anonymity_threshold))
    return suppress_tree((UnitCount(pk, parents[i], total[i], own[i])
                          for i, (pk, _path) in enumerate(units)), threshold=threshold)


def hidden_comment_units(wave: Wave, top: Unit | None) -> tuple[frozenset, bool]:
    """Return the units whose own comments may not be shown, and whether comments
    without a unit (counted on the top unit's own block) are hidden too."""
    suppression = wave_suppression(wave)
    hidden = frozenset(suppression.hidden_own | suppression.hidden)
    return hidden, top is None or top.pk in hidden


def _talk_first(customers: QuerySet, wave: Wave) -> QuerySet:
    """Order ``customer_groups`` for "who to talk to first": detractors, then passives,
    then promoters, newest response first within each group."""
    latest_at = (Response.objects.filter(wave=wave, status=ResponseStatus.SUBMITTED,
                                         customer_id=OuterRef("pk"))
                 .order_by("-submitted_at", "-pk").values("submitted_at")[:1])
    rank = Case(When(nps_group="detractor", then=Value(0)),
                When(nps_group="passive", then=Value(1)),
                When(nps_group="promoter", then=Value(2)), default=Value(3),
                output_field=IntegerField())
    return (customers.annotate(group_rank=rank, latest_at=Subquery(latest_at))
            .order_by("group_rank", F("latest_at").desc(nulls_last=True), "name", "pk"))


def team_customers(wave: Wave, team: Unit) -> QuerySet:
    """Return the team's customers who responded in the wave (``customer_groups``),
    detractors first (see ``_talk_first``)."""
    from insights.selectors import customer_groups

    return _talk_first(customer_groups(wave, team), wave)


def owner_customers(wave: Wave, owner: Membership) -> QuerySet:
    """Return the customers ``owner`` is account owner of who responded in the wave, in
    any unit, detractors first. Not suppressed: they are the owner's own accounts."""
    from insights.selectors import customer_groups

    return _talk_first(customer_groups(wave, owner=owner), wave)


def owns_customers(membership: Membership) -> bool:
    """Return whether the member is account owner of any customer of their organisation."""
    return Customer.objects.filter(organisation_id=membership.organisation_id,
                                   account_owner=membership).exists()


# --- Ad-hoc filter ---------------------------------------------------------------------------

SEGMENT_KEY = "segment"
#: Most segment values offered in the filter.
SEGMENT_LIMIT = 60
SEGMENT_CACHE_SECONDS = 3600


def segment_values(wave: Wave) -> list[str]:
    """Return the values of the "segment" attribute answered in the wave, sorted.

    One ``DISTINCT`` over the wave's responses (the values imported data holds, not
    only the questionnaire's options), cached until the wave's aggregates change: a new
    response refreshes them, so a new value shows up.
    """
    stamp = (UnitWaveAggregate.objects.filter(wave=wave).order_by()
             .aggregate(latest=Max("updated_at"))["latest"])
    if stamp is None:
        return []
    key = f"insights:segments:{wave.pk}:{stamp.timestamp()}"
    values = cache.get(key)
    if values is None:
        # Empty and missing values are dropped here: comparing the extracted text with
        # "" is read as JSON on SQLite.
        found = (counted_responses(wave).order_by()
                 .annotate(segment_value=KeyTextTransform(SEGMENT_KEY, "attributes"))
                 .values_list("segment_value", flat=True).distinct()
                 .order_by("segment_value")[:SEGMENT_LIMIT + 2])
        values = [str(v) for v in found if v not in (None, "")][:SEGMENT_LIMIT]
        cache.set(key, values, SEGMENT_CACHE_SECONDS)
    return values


# --- Theme suggestions ----------------------------------------------------------------------

SUGGESTION_CACHE_SECONDS = 3600


def taxonomy_hash(document: dict) -> str:
    """Return a short fingerprint of a taxonomy document (the suggestions' cache key)."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def theme_suggestions(organisation: Organisation, *, wave: Wave, document: dict,
                      generation: str = "", limit: int, k: int = 8) -> list:
    """Return ``suggest_themes`` over the wave's comments that match no theme (hidden
    units left out), cached for an hour per (wave, taxonomy, ``generation``).

    NMF over tens of thousands of comments takes seconds; the result changes only when
    the taxonomy does, or when the comments are analysed again (``generation``: when the
    latest re-analysis finished)."""
    from insights.text import suggest_themes

    key = f"insights:suggestions:{wave.pk}:{taxonomy_hash(document)}:{generation}:{k}:{limit}"
    found = cache.get(key)
    if found is None:
        top = top_unit(organisation)
        hidden, hide_unitless = hidden_comment_units(wave, top)
        comments = uncovered_comments(organisation, wave=wave, hidden_units=hidden,
                                      hide_unitless=hide_unitless, limit=limit)
        found = suggest_themes(comments, document, k=k)
        cache.set(key, found, SUGGESTION_CACHE_SECONDS)
    return found


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
