"""Reads of the insights app: NPS, drivers, core values, competitors, promotership and
themes per unit and wave, from the stored per-unit aggregates.

Every figure of a unit covers the unit and everything below it. The selectors read all
own-aggregates of a wave in one query and the unit tree in another, and sum subtrees in
NumPy: in path order a subtree is a contiguous run, so its sum is a difference of two
cumulative sums. The organisation's anonymity threshold is applied over the whole tree
by ``insights.suppression``: a suppressed unit has every figure ``None``, whether it
was small or empty, so hidden and empty look the same.

Suppression counts responses (``n_responses``); ``n`` in the results is the number of
NPS scores, the base of the NPS (the NPS question is required, so they rarely differ).
Responses without a unit (anonymous waves) count on the organisation's top unit.

The summed figures, every unit's driver analysis and the theme arrays are kept in
Django's cache under the aggregates' version (``AggregateVersion``, new with every
refresh), the anonymity threshold and a fingerprint of the unit tree, so a page
costs a few small queries instead of decoding every aggregate row again; a full
refresh computes them once more right after it commits (``figures_warm``).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast

from accounts.models import Membership
from insights.aggregates import SCORES
from insights.drivers import Quadrant, classify_drivers, relative_weights_many
from insights.models import AggregateVersion, ThemeAggregate, UnitWaveAggregate
from insights.services import counted_responses, taxonomy_document
from insights.stats import (
    CompetitorStrength,
    CoreValueScore,
    PromotershipContrast,
    competitor_strength,
    core_value_score,
    nps_change_tests,
    nps_counts,
    nps_summaries,
    promotership_contrasts,
    top_two_box_shares,
)
from insights.suppression import Suppression, UnitCount, suppress_filtered_tree, suppress_tree
from org.models import Customer, Unit
from research.models import AttributeText, Question, QuestionKind, Wave
from research.services import wave_previous

#: Fewest complete responses (NPS and every driver) for a driver analysis of a unit.
DRIVER_MIN_N = 30
#: Fewest mentions for a theme to be shown (at least the anonymity threshold too).
THEME_MIN_COUNT = 5
#: How long computed wave figures stay in Django's cache. Their keys carry the
#: aggregates' version, so a refresh never serves old figures; this only frees memory.
FIGURES_CACHE_SECONDS = 24 * 3600


# --- Results ---------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitInsight:
    """The NPS of one unit and its subtree in one wave; figures None when suppressed.

    ``change`` (NPS points against the previous wave) is set only where the change is
    significant at 5% and neither wave's figure is suppressed; ``previous_nps`` is the
    previous wave's NPS where it may be shown.
    """

    unit_id: int
    name: str
    path: str
    tree_path: str
    depth: int
    level: str
    parent_id: int | None
    suppressed: bool
    responses: int | None
    n: int | None
    promoters: int | None
    passives: int | None
    detractors: int | None
    nps: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    previous_nps: float | None = None
    change: float | None = None
    change_significant: bool = False


@dataclass(frozen=True)
class DriverInsight:
    """One driver of a unit: importance (relative weight, the drivers' weights sum to
    R²), its share of R² in percent, performance (mean and top-2-box) and quadrant."""

    key: str
    name: str
    importance: float
    share: float
    mean: float | None
    top_two_box: float | None
    quadrant: str


@dataclass(frozen=True)
class DriverAnalysis:
    """Johnson's relative weights of a unit's drivers for the NPS score."""

    unit_id: int
    n: int
    r_squared: float
    drivers: tuple[DriverInsight, ...]
    collinear: bool = False

    @property
    def strengths(self) -> list[DriverInsight]:
        return [d for d in self.drivers if d.quadrant == Quadrant.STRENGTH]

    @property
    def improvement_points(self) -> list[DriverInsight]:
        return [d for d in self.drivers if d.quadrant == Quadrant.IMPROVEMENT]


@dataclass(frozen=True)
class CoreValueInsight:
    """A core value of a unit: its score and gaps, and top-2-box share."""

    key: str
    name: str
    score: CoreValueScore
    top_two_box: float | None


@dataclass(frozen=True)
class ThemeInsight:
    """A theme in a unit's open comments.

    ``impact`` is the NPS of the unit without the responses that mention the theme
    minus the unit's NPS: negative means the theme pulls the NPS up (its mentioners are
    happier), positive that it pulls it down ("what the NPS would gain without it").
    """

    key: str
    name: str
    count: int
    share: float | None
    sentiment: float
    nps: float | None
    impact: float | None


# --- The wave's figures, summed per subtree ---------------------------------------------

@dataclass(frozen=True, eq=False)
class _Tree:
    ids: list[int]
    paths: list[str]
    names: list[str]
    depth: list[int]
    level: list[str]
    parent: list[int | None]  # index of the parent
    end: np.ndarray  # subtree of i is [i, end[i]) in path order
    index: dict[int, int]
    labels: list[str]
    top: int | None  # index of the organisation's top unit
    fingerprint: str  # of every unit's id, path, depth, name and level


def _load_tree(organisation_id: int) -> _Tree:
    rows = sorted(Unit.objects.filter(organisation_id=organisation_id)
                  .values_list("pk", "path", "depth", "name", "level"), key=lambda r: r[1])
    ids = [r[0] for r in rows]
    paths = [r[1] for r in rows]
    by_path = {p: i for i, p in enumerate(paths)}
    step = Unit.steplen
    parent = [by_path.get(p[:-step]) if len(p) > step else None for p in paths]
    end = np.array([bisect.bisect_left(paths, p + "~") for p in paths], np.int64)
    labels: list[str] = []
    for i, r in enumerate(rows):
        labels.append(r[3] if parent[i] is None else f"{labels[parent[i]]} / {r[3]}")
    top = next((i for i in range(len(rows)) if parent[i] is None), None)
    fingerprint = hashlib.blake2b(repr(rows).encode(), digest_size=12).hexdigest()
    return _Tree(ids=ids, paths=paths, names=[r[3] for r in rows], depth=[r[2] for r in rows],
                 level=[r[4] for r in rows], parent=parent, end=end,
                 index={pk: i for i, pk in enumerate(ids)}, labels=labels, top=top,
                 fingerprint=fingerprint)


def _subtree(tree: _Tree, own: np.ndarray) -> np.ndarray:
    """Sum ``own`` (first axis = units in path order) over every unit's subtree."""
    cumulative = np.concatenate([np.zeros((1, *own.shape[1:]), own.dtype), np.cumsum(own, axis=0)])
    return cumulative[tree.end] - cumulative[np.arange(len(tree.ids))]


@dataclass(frozen=True, eq=False)
class _WaveFigures:
    """Own and subtree statistics of every unit of one wave (arrays in path order)."""

    tree: _Tree
    own_n: np.ndarray
    n: np.ndarray
    nps: np.ndarray  # (U, 11) subtree counts
    driver_keys: list[str]
    rating_keys: list[str]
    complete: np.ndarray
    sums: np.ndarray
    cross: np.ndarray
    rating_n: np.ndarray
    rating_sum: np.ndarray
    rating_counts: np.ndarray
    competitor_names: list[str]
    competitors: np.ndarray  # (U, C, 6): better, same, worse, promoters, passives, detractors
    promotership: np.ndarray  # (U, P, 6): pn, psum, psq, dn, dsum, dsq
    suppression: Suppression
    cache_key: str | None = None  # where these figures are cached (None: not cached)

    def shown(self, i: int) -> bool:
        return self.suppression.is_shown(self.tree.ids[i])


_AGGREGATE_FIELDS = ("unit_id", "n_responses", "nps_counts", "driver_keys", "n_complete",
                     "driver_sums", "driver_cross_products", "ratings", "competitors",
                     "promotership")


def _aggregate_rows(wave_id: int) -> list[tuple]:
    """Return the wave's aggregate rows (fields as ``_AGGREGATE_FIELDS``).

    The JSON columns are read as text and decoded in one ``json.loads`` of the whole
    result: a third of the time of decoding ~1,400 small documents one by one."""
    json_fields = [f for f in _AGGREGATE_FIELDS if f not in ("unit_id", "n_responses", "n_complete")]
    raw = list(UnitWaveAggregate.objects.filter(wave_id=wave_id).order_by()
               .annotate(**{f"text_{f}": Cast(f, TextField()) for f in json_fields})
               .values_list("unit_id", "n_responses", "n_complete",
                            *(f"text_{f}" for f in json_fields)))
    decoded = json.loads("[" + ",".join("[" + ",".join(r[3:]) + "]" for r in raw) + "]")
    out = []
    for r, values in zip(raw, decoded, strict=True):
        by_name = dict(zip(json_fields, values, strict=True))
        by_name |= {"unit_id": r[0], "n_responses": r[1], "n_complete": r[2]}
        out.append(tuple(by_name[f] for f in _AGGREGATE_FIELDS))
    return out


def _load_figures(wave_id: int, tree: _Tree, threshold: int) -> _WaveFigures:
    rows = _aggregate_rows(wave_id)
    driver_keys: list[str] = []
    rating_keys: list[str] = []
    competitor_names: list[str] = []
    for row in rows:
        for key in row[3]:
            if key not in driver_keys:
                driver_keys.append(key)
        for key in row[7]:
            if key not in rating_keys:
                rating_keys.append(key)
        for name in row[8]:
            if name not in competitor_names:
                competitor_names.append(name)
    units, p, r, c = len(tree.ids), len(driver_keys), len(rating_keys), len(competitor_names)
    own_n = np.zeros(units, np.int64)
    nps = np.zeros((units, SCORES), np.int64)
    complete = np.zeros(units)
    sums = np.zeros((units, p + 1))
    cross = np.zeros((units, p + 1, p + 1))
    rating_n = np.zeros((units, r))
    rating_sum = np.zeros((units, r))
    rating_counts = np.zeros((units, r, SCORES))
    competitors = np.zeros((units, c, 6))
    promotership = np.zeros((units, p, 6))
    for (unit_id, n_responses, counts, keys, n_complete, row_sums, row_cross, ratings,
         comps, promo) in rows:
        i = tree.index.get(unit_id) if unit_id is not None else tree.top
        if i is None:
            continue
        own_n[i] += n_responses
        nps[i] += np.asarray(counts, np.int64)
        if keys == driver_keys:
            complete[i] += n_complete
            sums[i] += row_sums
            cross[i] += row_cross
        for j, key in enumerate(rating_keys):
            if key in ratings:
                rating_n[i, j] += ratings[key]["n"]
                rating_sum[i, j] += ratings[key]["sum"]
                rating_counts[i, j] += ratings[key]["counts"]
        for j, name in enumerate(competitor_names):
            if name in comps:
                competitors[i, j] += [comps[name][f] for f in ("better", "same", "worse",
                                                             "promoters", "passives", "detractors")]
        for j, key in enumerate(driver_keys):
            if key in promo:
                promotership[i, j] += [promo[key][f] for f in ("pn", "psum", "psq", "dn", "dsum", "dsq")]
    n = _subtree(tree, own_n)
    suppression = suppress_tree(
        (UnitCount(tree.ids[i], None if tree.parent[i] is None else tree.ids[tree.parent[i]],
                   int(n[i]), int(own_n[i])) for i in range(units)),
        threshold=threshold,
    )
    return _WaveFigures(
        tree=tree, own_n=own_n, n=n, nps=_subtree(tree, nps), driver_keys=driver_keys,
        rating_keys=rating_keys, complete=_subtree(tree, complete), sums=_subtree(tree, sums),
        cross=_subtree(tree, cross), rating_n=_subtree(tree, rating_n),
        rating_sum=_subtree(tree, rating_sum), rating_counts=_subtree(tree, rating_counts),
        competitor_names=competitor_names, competitors=_subtree(tree, competitors),
        promotership=_subtree(tree, promotership), suppression=suppression,
    )


def _threshold(wave: Wave) -> int:
    return max(1, int(wave.organisation.anonymity_threshold))


def aggregates_version(wave: Wave) -> str | None:
    """Return the version of the wave's stored aggregates: a token that changes with
    every ``aggregates_refresh`` or ``themes_refresh`` of the wave (None before the
    first). Anything computed from the aggregates can be cached under it."""
    return (AggregateVersion.objects.filter(wave_id=wave.pk)
            .values_list("token", flat=True).first())


def _figures(wave: Wave, tree: _Tree | None = None) -> _WaveFigures:
    """Return the wave's figures, from Django's cache when they were computed before.

    The key holds everything the figures depend on: the aggregates' version (read
    before the rows, so figures are never stored under a newer version than their
    rows), the anonymity threshold and the unit tree's fingerprint (a new, moved,
    renamed or deleted unit gives a new key). Without a version (aggregates never
    refreshed) nothing is cached."""
    tree = tree or _load_tree(wave.organisation_id)
    threshold = _threshold(wave)
    version = aggregates_version(wave)
    if version is None:
        return _load_figures(wave.pk, tree, threshold)
    key = f"insights:figures:{wave.pk}:{version}:{threshold}:{tree.fingerprint}"
    figures = cache.get(key)
    if figures is None:
        figures = replace(_load_figures(wave.pk, tree, threshold), cache_key=key)
        cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def _insights(figures: _WaveFigures, previous: _WaveFigures | None) -> list[UnitInsight]:
    tree = figures.tree
    pro, pas, det = nps_counts(figures.nps)
    summaries = nps_summaries(pro, pas, det)
    tests = shown_before = before = None
    if previous is not None:
        before = nps_summaries(*nps_counts(previous.nps))
        tests = nps_change_tests(before, summaries)
    out = []
    for i, unit_id in enumerate(tree.ids):
        base = dict(unit_id=unit_id, name=tree.names[i], path=tree.labels[i],
                    tree_path=tree.paths[i], depth=tree.depth[i], level=tree.level[i],
                    parent_id=None if tree.parent[i] is None else tree.ids[tree.parent[i]])
        if not figures.shown(i):
            out.append(UnitInsight(**base, suppressed=True, responses=None, n=None,
                                   promoters=None, passives=None, detractors=None, nps=None,
                                   se=None, ci_low=None, ci_high=None))
            continue
        s = summaries.at(i)
        previous_nps = change = None
        significant = False
        if previous is not None:
            shown_before = previous.shown(i)
            if shown_before:
                previous_nps = before.at(i).nps
                test = tests.at(i)
                significant = bool(test.significant)
                change = test.change if significant else None
        out.append(UnitInsight(
            **base, suppressed=False, responses=int(figures.n[i]), n=s.n,
            promoters=s.promoters, passives=s.passives, detractors=s.detractors, nps=s.nps,
            se=s.se, ci_low=s.ci_low, ci_high=s.ci_high, previous_nps=previous_nps,
            change=change, change_significant=significant))
    return out


def unit_insights(wave: Wave, *, units: Iterable[Unit] | None = None,
                  root: Unit | None = None) -> list[UnitInsight]:
    """Return the NPS of every unit of the wave's organisation (tree order), each over
    its subtree, suppressed where the anonymity threshold requires, with the change
    against the previous wave. ``units`` or ``root`` (a subtree) limit the result."""
    tree = _load_tree(wave.organisation_id)
    figures = _figures(wave, tree)
    previous_wave = wave_previous(wave=wave)
    previous = _figures(previous_wave, tree) if previous_wave is not None else None
    result = _insights(figures, previous)
    if units is not None:
        wanted = {u.pk for u in units}
        result = [r for r in result if r.unit_id in wanted]
    if root is not None:
        result = [r for r in result if r.tree_path.startswith(root.path)]
    return result


def unit_insight(wave: Wave, unit: Unit) -> UnitInsight:
    """Return the NPS of one unit and its subtree (see ``unit_insights``)."""
    return unit_insights(wave, units=[unit])[0]


# --- Drivers, core values, competitors, promotership -------------------------------------

def _question_names(wave: Wave) -> dict[str, tuple[str, int]]:
    return {key: (subject or key, scale_max) for key, subject, scale_max in
            Question.objects.filter(wave=wave).values_list("key", "subject", "scale_max")}


def _drivers(figures: _WaveFigures, names: dict[str, tuple[str, int]],
             indexes: list[int]) -> dict[int, DriverAnalysis]:
    keys = figures.driver_keys
    eligible = [i for i in indexes if figures.shown(i) and figures.complete[i] >= DRIVER_MIN_N]
    if not keys or not eligible:
        return {}
    weights = relative_weights_many(keys, n=figures.complete[eligible],
                                    sums=figures.sums[eligible], cross_products=figures.cross[eligible])
    columns = [figures.rating_keys.index(k) for k in keys]
    n = figures.rating_n[eligible][:, columns]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(n > 0, figures.rating_sum[eligible][:, columns] / np.where(n > 0, n, 1), np.nan)
    tops = np.full(means.shape, np.nan)
    for j, key in enumerate(keys):
        scale_max = max(2, names.get(key, (key, 10))[1])
        tops[:, j] = top_two_box_shares(figures.rating_counts[eligible][:, columns[j], : scale_max + 1])
    out = {}
    for row, i in enumerate(eligible):
        w = weights[row]
        if w is None:
            continue
        perf = means[row]
        finite = np.isfinite(perf)
        quadrants = dict(zip(np.flatnonzero(finite),
                             classify_drivers(np.asarray(w.weights)[finite], perf[finite]), strict=True))
        out[figures.tree.ids[i]] = DriverAnalysis(
            unit_id=figures.tree.ids[i], n=w.n, r_squared=w.r_squared, collinear=w.collinear,
            drivers=tuple(
                DriverInsight(key=key, name=names.get(key, (key, 10))[0], importance=w.weights[j],
                              share=w.rescaled[j], mean=_num(perf[j]), top_two_box=_num(tops[row, j]),
                              quadrant=str(quadrants.get(j, Quadrant.MONITOR)))
                for j, key in enumerate(keys)))
    return out


def _num(value) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _all_drivers(figures: _WaveFigures, names: dict[str, tuple[str, int]]) -> dict[int, DriverAnalysis]:
    """``_drivers`` of every unit, cached beside the figures (and the questions' names)."""
    indexes = list(range(len(figures.tree.ids)))
    if figures.cache_key is None:
        return _drivers(figures, names, indexes)
    digest = hashlib.blake2b(repr(sorted(names.items())).encode(), digest_size=12).hexdigest()
    key = f"{figures.cache_key}:drivers:{digest}"
    drivers = cache.get(key)
    if drivers is None:
        drivers = _drivers(figures, names, indexes)
        cache.set(key, drivers, FIGURES_CACHE_SECONDS)
    return drivers


def wave_drivers(wave: Wave) -> dict[int, DriverAnalysis]:
    """Return the driver analysis of every unit with enough complete responses that is
    not suppressed, by unit id (one stacked computation for all units)."""
    return _all_drivers(_figures(wave), _question_names(wave))


def _unit_index(figures: _WaveFigures, unit: Unit) -> int:
    if unit.pk not in figures.tree.index:
        raise ValueError("The unit belongs to another organisation.")
    return figures.tree.index[unit.pk]


def unit_drivers(wave: Wave, unit: Unit) -> DriverAnalysis | None:
    """Return the unit's driver analysis, or None when it is suppressed or has fewer than
    ``DRIVER_MIN_N`` complete responses."""
    figures = _figures(wave)
    return _drivers(figures, _question_names(wave), [_unit_index(figures, unit)]).get(unit.pk)


def unit_core_values(wave: Wave, unit: Unit) -> list[CoreValueInsight]:
    """Return the unit's core values: mean score, gap to the top of the scale and to the
    parent unit, and top-2-box; empty when the unit is suppressed."""
    figures = _figures(wave)
    i = _unit_index(figures, unit)
    if not figures.shown(i):
        return []
    parent = figures.tree.parent[i]
    out = []
    for key, subject, scale_max in (Question.objects.filter(wave=wave, kind=QuestionKind.CORE_VALUE)
                                    .values_list("key", "subject", "scale_max")):
        if key not in figures.rating_keys:
            continue
        j = figures.rating_keys.index(key)
        parent_score = None
        if parent is not None and figures.shown(parent) and figures.rating_n[parent, j] > 0:
            parent_score = figures.rating_sum[parent, j] / figures.rating_n[parent, j]
        score = core_value_score(int(figures.rating_n[i, j]), float(figures.rating_sum[i, j]),
                                 scale_max=scale_max, parent_score=parent_score)
        top = top_two_box_shares(figures.rating_counts[i, j, : max(2, scale_max) + 1])
        out.append(CoreValueInsight(key=key, name=subject or key, score=score,
                                    top_two_box=_num(float(top))))
    return out


def unit_competitors(wave: Wave, unit: Unit) -> list[CompetitorStrength]:
    """Return competitive strength per competitor for the unit; competitors compared by
    fewer customers than the anonymity threshold are left out."""
    figures = _figures(wave)
    i = _unit_index(figures, unit)
    if not figures.shown(i):
        return []
    threshold = _threshold(wave)
    out = []
    for j, name in enumerate(figures.competitor_names):
        b, s, w, pro, pas, det = (int(v) for v in figures.competitors[i, j])
        if b + s + w < threshold:
            continue
        out.append(competitor_strength(name, better=b, same=s, worse=w, promoters=pro,
                                       passives=pas, detractors=det))
    return out


def unit_promotership(wave: Wave, unit: Unit) -> list[PromotershipContrast]:
    """Return what distinguishes the unit's promoters from its detractors, per driver
    (largest effect first); empty when suppressed or either group is below the threshold."""
    figures = _figures(wave)
    i = _unit_index(figures, unit)
    if not figures.shown(i) or not figures.driver_keys:
        return []
    promo = figures.promotership[i]
    threshold = _threshold(wave)
    if promo[:, 0].max(initial=0) < threshold or promo[:, 3].max(initial=0) < threshold:
        return []
    names = _question_names(wave)
    return promotership_contrasts(
        [names.get(k, (k, 10))[0] for k in figures.driver_keys],
        promoter_n=promo[:, 0], promoter_sums=promo[:, 1], promoter_sums_sq=promo[:, 2],
        detractor_n=promo[:, 3], detractor_sums=promo[:, 4], detractor_sums_sq=promo[:, 5])


# --- Themes ------------------------------------------------------------------------------

def _theme_names(wave: Wave) -> dict[str, str]:
    return {t.get("key"): t.get("name") or t.get("key")
            for t in taxonomy_document(wave.organisation).get("themes", [])}


def _load_theme_arrays(wave_id: int, tree: _Tree) -> tuple[list[str], np.ndarray, np.ndarray,
                                                           np.ndarray]:
    rows = list(ThemeAggregate.objects.filter(wave_id=wave_id)
                .values_list("unit_id", "theme", "count", "sentiment_sum", "nps_counts"))
    keys = sorted({r[1] for r in rows})
    col = {k: j for j, k in enumerate(keys)}
    units = len(tree.ids)
    count = np.zeros((units, len(keys)))
    sentiment = np.zeros((units, len(keys)))
    nps = np.zeros((units, len(keys), SCORES))
    for unit_id, theme, c, s, counts in rows:
        i = tree.index.get(unit_id) if unit_id is not None else tree.top
        if i is None:
            continue
        count[i, col[theme]] += c
        sentiment[i, col[theme]] += s
        nps[i, col[theme]] += counts
    return keys, _subtree(tree, count), _subtree(tree, sentiment), _subtree(tree, nps)


def _theme_arrays(figures: _WaveFigures, wave: Wave):
    """Theme keys and subtree counts, sentiment sums and NPS counts per unit, cached
    beside the figures (``themes_refresh`` gives the aggregates a new version too)."""
    if figures.cache_key is None:
        return _load_theme_arrays(wave.pk, figures.tree)
    key = f"{figures.cache_key}:themes"
    arrays = cache.get(key)
    if arrays is None:
        arrays = _load_theme_arrays(wave.pk, figures.tree)
        cache.set(key, arrays, FIGURES_CACHE_SECONDS)
    return arrays


def _themes(figures: _WaveFigures, wave: Wave, indexes: list[int]) -> dict[int, list[ThemeInsight]]:
    tree = figures.tree
    keys, count, sentiment, nps = _theme_arrays(figures, wave)
    names = _theme_names(wave)
    minimum = max(THEME_MIN_COUNT, _threshold(wave))
    out: dict[int, list[ThemeInsight]] = {}
    for i in indexes:
        if not figures.shown(i):
            out[tree.ids[i]] = []
            continue
        unit_counts = figures.nps[i]
        unit_summary = nps_summaries(*nps_counts(unit_counts[None, :]))
        theme_summary = nps_summaries(*nps_counts(nps[i]))
        without = nps_summaries(*nps_counts(np.clip(unit_counts[None, :] - nps[i], 0, None)))
        total = float(figures.n[i])
        items = []
        for j, key in enumerate(keys):
            c = int(count[i, j])
            if c < minimum:
                continue
            unit_nps = _num(unit_summary.nps[0])
            rest = _num(without.nps[j])
            items.append(ThemeInsight(
                key=key, name=names.get(key, key), count=c, share=c / total if total else None,
                sentiment=float(sentiment[i, j]) / c, nps=_num(theme_summary.nps[j]),
                impact=None if unit_nps is None or rest is None else rest - unit_nps))
        out[tree.ids[i]] = sorted(items, key=lambda t: -t.count)
    return out


def wave_themes(wave: Wave) -> dict[int, list[ThemeInsight]]:
    """Return the themes of every unit (subtree), most mentioned first, by unit id."""
    figures = _figures(wave)
    return _themes(figures, wave, list(range(len(figures.tree.ids))))


def unit_themes(wave: Wave, unit: Unit) -> list[ThemeInsight]:
    """Return the themes in the unit's (subtree's) comments, most mentioned first;
    themes with fewer mentions than the threshold are left out."""
    figures = _figures(wave)
    return _themes(figures, wave, [_unit_index(figures, unit)])[unit.pk]


# --- Everything at once (command, reports, benchmark) ----------------------------------------

@dataclass(frozen=True)
class WaveInsights:
    """Every unit's NPS, driver analysis and themes for one wave."""

    units: tuple[UnitInsight, ...]
    drivers: dict[int, DriverAnalysis]
    themes: dict[int, list[ThemeInsight]]


def wave_insights(wave: Wave, *, themes: bool = True) -> WaveInsights:
    """Return NPS, drivers and (unless ``themes`` is false) themes of every unit."""
    tree = _load_tree(wave.organisation_id)
    figures = _figures(wave, tree)
    previous_wave = wave_previous(wave=wave)
    previous = _figures(previous_wave, tree) if previous_wave is not None else None
    indexes = list(range(len(tree.ids)))
    return WaveInsights(
        units=tuple(_insights(figures, previous)),
        drivers=_all_drivers(figures, _question_names(wave)),
        themes=_themes(figures, wave, indexes) if themes else {},
    )


def figures_warm(wave: Wave) -> None:
    """Compute and cache the wave's figures, every unit's drivers and the theme arrays
    (``insights.services`` calls it after a whole wave's aggregates were refreshed)."""
    figures = _figures(wave)
    _all_drivers(figures, _question_names(wave))
    _theme_arrays(figures, wave)


# --- Ad-hoc filters ------------------------------------------------------------------------

def filtered_unit_insights(wave: Wave, unit: Unit | None = None, *, segment: str | None = None,
                           attributes: dict[str, str] | None = None) -> list[UnitInsight]:
    """Return the NPS of ``unit``'s subtree (default: every unit) within a filter on the
    responses' attributes (``segment`` is ``attributes={"segment": ...}``), computed live
    with one GROUP BY. Suppression keeps the filtered view safe against the unfiltered
    one (``suppress_filtered_tree``); change figures are not given."""
    filters = dict(attributes or {})
    if segment is not None:
        filters["segment"] = segment
    tree = _load_tree(wave.organisation_id)
    figures = _figures(wave, tree)
    responses = counted_responses(wave)
    for number, (key, value) in enumerate(filters.items()):
        if AttributeText.KEY.fullmatch(key):
            # The key as a literal: the segment filter is then served by the index
            # ``response_wave_segment_idx`` (wave, segment, status, unit, score) alone.
            alias = f"attribute_{number}"
            responses = responses.alias(**{alias: AttributeText(key)}).filter(**{alias: value})
        else:
            responses = responses.filter(**{f"attributes__{key}": value})
    # One COUNT per (unit, score) group: cheaper than eleven conditional counts per unit.
    grouped = (responses.order_by().values_list("unit_id", "nps").annotate(total=Count("*")))
    units = len(tree.ids)
    own_n = np.zeros(units, np.int64)
    counts = np.zeros((units, SCORES), np.int64)
    for unit_id, nps, total in grouped:
        i = tree.index.get(unit_id) if unit_id is not None else tree.top
        if i is None:
            continue
        own_n[i] += total
        if nps is not None:
            counts[i, nps] += total
    n = _subtree(tree, own_n)
    # Aggregates written before the latest responses could count fewer than the filter.
    total_own = np.maximum(figures.own_n, own_n)
    total_n = _subtree(tree, total_own)
    parent_id = [None if p is None else tree.ids[p] for p in tree.parent]
    suppression = suppress_filtered_tree(
        [UnitCount(tree.ids[i], parent_id[i], int(n[i]), int(own_n[i])) for i in range(units)],
        totals=[UnitCount(tree.ids[i], parent_id[i], int(total_n[i]), int(total_own[i]))
                for i in range(units)],
        unfiltered=figures.suppression, threshold=_threshold(wave))
    filtered = replace(figures, own_n=own_n, n=n, nps=_subtree(tree, counts),
                       suppression=suppression, cache_key=None)
    result = _insights(filtered, None)
    if unit is not None:
        result = [r for r in result if r.tree_path.startswith(unit.path)]
    return result


# --- Customers by promoter, passive, detractor ----------------------------------------------

NPS_GROUP = Case(When(latest_nps__gte=9, then=Value("promoter")),
                 When(latest_nps__gte=7, then=Value("passive")),
                 When(latest_nps__isnull=False, then=Value("detractor")), default=Value(""))


def customer_groups(wave: Wave, unit: Unit | None = None, *, owner: Membership | None = None,
                    group: str | None = None) -> QuerySet:
    """Return the customers (of ``unit``'s subtree, of ``owner``) who responded in the
    wave, annotated with ``latest_nps``, ``latest_comment``, ``latest_response_id``,
    ``previous_nps`` (latest score in the previous wave), ``trend`` (difference) and
    ``nps_group`` (promoter, passive or detractor; ``group`` filters on it).
    Detractors first, then passives and promoters; paginate it, don't list it all."""
    latest = (counted_responses(wave).filter(customer_id=OuterRef("pk"))
              .order_by("-submitted_at", "-pk"))
    customers = Customer.objects.filter(organisation_id=wave.organisation_id)
    if unit is not None:
        customers = customers.filter(unit__path__startswith=unit.path)
    if owner is not None:
        customers = customers.filter(account_owner=owner)
    previous_wave = wave_previous(wave=wave)
    if previous_wave is not None:
        earlier = (counted_responses(previous_wave).filter(customer_id=OuterRef("pk"))
                   .exclude(nps=None).order_by("-submitted_at", "-pk"))
        previous_nps = Subquery(earlier.values("nps")[:1], output_field=IntegerField())
    else:
        previous_nps = Value(None, output_field=IntegerField())
    customers = (
        customers.annotate(
            latest_response_id=Subquery(latest.values("pk")[:1]),
            latest_nps=Subquery(latest.exclude(nps=None).values("nps")[:1],
                                output_field=IntegerField()),
            latest_comment=Subquery(latest.exclude(comment="").values("comment")[:1]),
            previous_nps=previous_nps,
        )
        .filter(latest_response_id__isnull=False)
        .annotate(nps_group=NPS_GROUP)
        .select_related("account_owner__user", "unit")
    )
    if group:
        customers = customers.filter(nps_group=group)
    return customers.annotate(trend=F("latest_nps") - F("previous_nps")).order_by(
        F("latest_nps").asc(nulls_last=True), "name", "pk")


def response_count(wave: Wave) -> int:
    """Return how many of the wave's responses count in insights."""
    return counted_responses(wave).count()


__all__ = [
    "DRIVER_MIN_N",
    "CoreValueInsight",
    "DriverAnalysis",
    "DriverInsight",
    "ThemeInsight",
    "UnitInsight",
    "WaveInsights",
    "aggregates_version",
    "customer_groups",
    "figures_warm",
    "filtered_unit_insights",
    "unit_competitors",
    "unit_core_values",
    "unit_drivers",
    "unit_insight",
    "unit_insights",
    "unit_promotership",
    "unit_themes",
    "wave_drivers",
    "wave_insights",
    "wave_themes",
]
