"""NPS, ratings, core values, competitive strength and promotership from counts and sums.

Pure functions over numbers the query layer aggregates in SQL (counts, sums, sums of
squares per unit and wave); no Django import. Every share is a fraction in [0, 1];
NPS, its standard error and its interval are on the familiar −100…100 scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Two-sided 95% quantile of the standard normal distribution.
Z_95 = 1.959964
#: Significance level of the wave-to-wave change test.
ALPHA = 0.05


# --- NPS -------------------------------------------------------------------------------

@dataclass(frozen=True)
class NpsSummary:
    """The NPS of one group of respondents, with its standard error and 95% interval.

    ``nps``, ``se``, ``ci_low`` and ``ci_high`` are ``None`` when ``n`` is 0.
    """

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True, eq=False)
class NpsSummaries:
    """NPS of many groups at once: one array element per group, NaN where ``n`` is 0."""

    n: NDArray[np.int64]
    promoters: NDArray[np.int64]
    passives: NDArray[np.int64]
    detractors: NDArray[np.int64]
    nps: NDArray[np.float64]
    se: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.n)

    def at(self, index: int) -> NpsSummary:
        """Return the summary of one group."""
        n = int(self.n[index])
        return NpsSummary(
            n=n,
            promoters=int(self.promoters[index]),
            passives=int(self.passives[index]),
            detractors=int(self.detractors[index]),
            nps=_maybe(self.nps[index]),
            se=_maybe(self.se[index]),
            ci_low=_maybe(self.ci_low[index]),
            ci_high=_maybe(self.ci_high[index]),
        )


def _maybe(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _counts(values: ArrayLike, name: str) -> NDArray[np.int64]:
    array = np.asarray(values)
    if array.size and (
        not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array != np.floor(array))
    ):
        raise ValueError(f"{name} must be non-negative whole counts")
    return array.astype(np.int64)


def nps_summaries(promoters: ArrayLike, passives: ArrayLike, detractors: ArrayLike) -> NpsSummaries:
    """Compute NPS, standard error and clipped 95% interval for arrays of counts.

    With shares p (promoters) and d (detractors) of n respondents, NPS = 100·(p − d)
    and SE = 100·√((p + d − (p − d)²)/n): the standard error of the mean of a score
    that is +1 for a promoter, 0 for a passive and −1 for a detractor. The interval
    is NPS ± 1.959964·SE, clipped to [−100, 100]. Groups with n = 0 get NaN.
    """
    pro = _counts(promoters, "promoters")
    pas = _counts(passives, "passives")
    det = _counts(detractors, "detractors")
    pro, pas, det = np.broadcast_arrays(pro, pas, det)
    n = pro + pas + det
    with np.errstate(invalid="ignore", divide="ignore"):
        p = pro / n
        d = det / n
        diff = p - d
        # p + d − (p − d)² is ≥ 0 in exact arithmetic; clip rounding noise below zero.
        variance = np.clip(p + d - diff**2, 0.0, None)
        se = 100.0 * np.sqrt(variance / n)
    nps = 100.0 * diff
    empty = n == 0
    nps = np.where(empty, np.nan, nps)
    se = np.where(empty, np.nan, se)
    ci_low = np.clip(nps - Z_95 * se, -100.0, 100.0)
    ci_high = np.clip(nps + Z_95 * se, -100.0, 100.0)
    return NpsSummaries(
        n=n, promoters=pro.copy(), passives=pas.copy(), detractors=det.copy(),
        nps=nps, se=se, ci_low=ci_low, ci_high=ci_high,
    )


def nps_summary(promoters: int, passives: int, detractors: int) -> NpsSummary:
    """Compute the NPS of one group from its promoter, passive and detractor counts."""
    return nps_summaries([promoters], [passives], [detractors]).at(0)


def nps_counts(score_counts: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Split counts per NPS score (last axis: scores 0…10) into promoters, passives, detractors."""
    counts = _counts(score_counts, "score counts")
    if counts.shape[-1] != 11:
        raise ValueError("score counts need one column per score 0…10")
    return counts[..., 9:].sum(axis=-1), counts[..., 7:9].sum(axis=-1), counts[..., :7].sum(axis=-1)


# --- Change between waves ---------------------------------------------------------------

@dataclass(frozen=True)
class ChangeTest:
    """A two-sided z-test of the change in NPS from one wave (a) to the next (b).

    ``change`` is b − a in NPS points. ``z`` and ``p_value`` are ``None`` when the test
    is undefined: a wave without respondents, or a standard error of zero on both sides.
    """

    change: float | None
    z: float | None
    p_value: float | None
    significant: bool


@dataclass(frozen=True, eq=False)
class ChangeTests:
    """Change tests of many groups at once; NaN (and not significant) where undefined."""

    change: NDArray[np.float64]
    z: NDArray[np.float64]
    p_value: NDArray[np.float64]
    significant: NDArray[np.bool_]

    def at(self, index: int) -> ChangeTest:
        """Return the test of one group."""
        return ChangeTest(
            change=_maybe(self.change[index]),
            z=_maybe(self.z[index]),
            p_value=_maybe(self.p_value[index]),
            significant=bool(self.significant[index]),
        )


_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def two_sided_p_value(z: ArrayLike) -> NDArray[np.float64]:
    """Return the two-sided standard-normal p-value of z (NaN stays NaN)."""
    z = np.asarray(z, dtype=np.float64)
    out = np.full(z.shape, np.nan)
    finite = np.isfinite(z)
    if np.any(finite):
        # P(|Z| ≥ |z|) = erfc(|z|/√2); erfc keeps precision far in the tail.
        out[finite] = _erfc(np.abs(z[finite]) / math.sqrt(2.0))
    return out


def nps_change_tests(a: NpsSummaries, b: NpsSummaries, *, alpha: float = ALPHA) -> ChangeTests:
    """Test the change from wave a to wave b for many groups at once (element-wise)."""
    change = b.nps - a.nps
    se = np.sqrt(a.se**2 + b.se**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, change / np.where(se > 0, se, 1.0), np.nan)
    p_value = two_sided_p_value(z)
    significant = np.where(np.isnan(p_value), False, p_value < alpha)
    return ChangeTests(change=change, z=z, p_value=p_value, significant=significant)


def nps_change_test(a: NpsSummary, b: NpsSummary, *, alpha: float = ALPHA) -> ChangeTest:
    """Test whether NPS changed from wave a (earlier) to wave b (later), two-sided.

    The standard error of the difference is √(SE_a² + SE_b²): the waves are treated as
    independent samples. With zero standard error on both sides (e.g. everyone a
    promoter in both waves) the test is undefined and the change is not significant.
    """
    if a.nps is None or b.nps is None:
        return ChangeTest(change=None, z=None, p_value=None, significant=False)
    change = b.nps - a.nps
    se = math.sqrt(a.se**2 + b.se**2)
    if se == 0.0:
        return ChangeTest(change=change, z=None, p_value=None, significant=False)
    z = change / se
    p_value = math.erfc(abs(z) / math.sqrt(2.0))
    return ChangeTest(change=change, z=z, p_value=p_value, significant=p_value < alpha)


# --- Ratings (drivers, core values) -----------------------------------------------------

def rating_mean(n: int, total: float) -> float | None:
    """Return the mean rating from the number of ratings and their sum (None when n is 0)."""
    return float(total) / n if n > 0 else None


def rating_means(n: ArrayLike, totals: ArrayLike) -> NDArray[np.float64]:
    """Return mean ratings element-wise from counts and sums; NaN where the count is 0."""
    n = np.asarray(n, dtype=np.float64)
    totals = np.asarray(totals, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, totals / np.where(n > 0, n, 1.0), np.nan)


def top_two_box_shares(score_counts: ArrayLike) -> NDArray[np.float64]:
    """Return the share in the two highest scale points, from counts per scale point.

    The last axis of ``score_counts`` holds one count per point of the scale, lowest
    first and highest last, *including points nobody chose* (e.g. 10 columns for a
    1–10 scale): the top two boxes are the last two columns. NaN where there are no
    ratings.
    """
    counts = _counts(score_counts, "score counts").astype(np.float64)
    if counts.shape[-1] < 2:
        raise ValueError("a scale needs at least two points")
    n = counts.sum(axis=-1)
    top = counts[..., -2:].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, top / np.where(n > 0, n, 1.0), np.nan)


def top_two_box(score_counts: Sequence[int] | ArrayLike) -> float | None:
    """Return the top-2-box share of one rating (see ``top_two_box_shares``)."""
    share = float(top_two_box_shares(np.asarray(score_counts)[None, :])[0])
    return None if math.isnan(share) else share


@dataclass(frozen=True)
class RatingSummary:
    """Performance of one driver or core value: mean, standard deviation and top-2-box."""

    n: int
    mean: float | None
    sd: float | None
    top_two_box: float | None


def rating_summary(score_counts: Sequence[int] | ArrayLike, *, scale_min: int = 1) -> RatingSummary:
    """Summarise a rating from counts per scale point, lowest point (``scale_min``) first."""
    counts = _counts(score_counts, "score counts")
    n = int(counts.sum())
    if n == 0:
        return RatingSummary(n=0, mean=None, sd=None, top_two_box=None)
    points = np.arange(scale_min, scale_min + counts.shape[-1], dtype=np.float64)
    total = float(counts @ points)
    total_sq = float(counts @ points**2)
    return RatingSummary(
        n=n,
        mean=total / n,
        sd=rating_sd(n, total, total_sq),
        top_two_box=top_two_box(counts),
    )


def rating_sd(n: int, total: float, total_sq: float) -> float | None:
    """Return the sample standard deviation from n, the sum and the sum of squares."""
    if n < 2:
        return None
    centred = float(total_sq) - float(total) ** 2 / n
    return math.sqrt(max(centred, 0.0) / (n - 1))


# --- Core values --------------------------------------------------------------------------

@dataclass(frozen=True)
class CoreValueScore:
    """How customers rate one core value (kernwaarde), and how far it is from the goal.

    ``gap`` is score − target: negative means below target. ``gap_to_parent`` is
    score − the parent unit's score, when the parent's score was given.
    """

    n: int
    score: float | None
    target: float
    gap: float | None
    gap_to_parent: float | None


def core_value_score(
    n: int,
    total: float,
    *,
    scale_max: float,
    target: float | None = None,
    parent_score: float | None = None,
) -> CoreValueScore:
    """Score a core value as its mean rating, with the gap to the target and the parent.

    The target is the organisation's own target for the value; without one it is the
    top of the scale, so the gap reads as "distance to perfect".
    """
    score = rating_mean(n, total)
    goal = float(scale_max if target is None else target)
    return CoreValueScore(
        n=int(n),
        score=score,
        target=goal,
        gap=None if score is None else score - goal,
        gap_to_parent=None if score is None or parent_score is None else score - parent_score,
    )


# --- Competitive strength -----------------------------------------------------------------

@dataclass(frozen=True)
class CompetitorStrength:
    """How customers who also know a competitor compare us with it (concurrentiekracht).

    Shares are of the customers who made the comparison; ``net`` is
    100·(better − worse). ``nps`` is the NPS of those customers who also gave an NPS
    score.
    """

    name: str
    n: int
    better: float | None
    same: float | None
    worse: float | None
    net: float | None
    nps: NpsSummary


def competitor_strength(
    name: str,
    *,
    better: int,
    same: int,
    worse: int,
    promoters: int,
    passives: int,
    detractors: int,
) -> CompetitorStrength:
    """Compute the better/same/worse shares and the NPS of a competitor's shared customers."""
    counts = _counts([better, same, worse], "comparison counts")
    n = int(counts.sum())
    if n == 0:
        shares: list[float | None] = [None, None, None]
        net = None
    else:
        shares = [float(c) / n for c in counts]
        net = 100.0 * (shares[0] - shares[2])
    return CompetitorStrength(
        name=name,
        n=n,
        better=shares[0],
        same=shares[1],
        worse=shares[2],
        net=net,
        nps=nps_summary(promoters, passives, detractors),
    )


# --- Promotership -------------------------------------------------------------------------

@dataclass(frozen=True)
class PromotershipContrast:
    """How promoters and detractors differ on one driver (what makes a promoter).

    ``difference`` is the promoters' mean minus the detractors' mean; ``effect_size`` is
    that difference in pooled standard deviations (Cohen's d), comparable across
    drivers; ``z`` is the Welch statistic, normal approximation.
    """

    name: str
    promoter_n: int
    detractor_n: int
    promoter_mean: float | None
    detractor_mean: float | None
    difference: float | None
    effect_size: float | None
    z: float | None
    significant: bool


def promotership_contrasts(
    names: Sequence[str],
    *,
    promoter_n: ArrayLike,
    promoter_sums: ArrayLike,
    promoter_sums_sq: ArrayLike,
    detractor_n: ArrayLike,
    detractor_sums: ArrayLike,
    detractor_sums_sq: ArrayLike,
    alpha: float = ALPHA,
) -> list[PromotershipContrast]:
    """Contrast promoters with detractors per driver, largest effect first.

    Each argument holds one value per driver: the number of ratings, their sum and the
    sum of their squares among promoters and among detractors.
    """
    n1 = np.asarray(promoter_n, dtype=np.float64)
    n2 = np.asarray(detractor_n, dtype=np.float64)
    s1 = np.asarray(promoter_sums, dtype=np.float64)
    s2 = np.asarray(detractor_sums, dtype=np.float64)
    q1 = np.asarray(promoter_sums_sq, dtype=np.float64)
    q2 = np.asarray(detractor_sums_sq, dtype=np.float64)
    if not all(a.shape == (len(names),) for a in (n1, n2, s1, s2, q1, q2)):
        raise ValueError("every statistic needs one value per name")
    with np.errstate(invalid="ignore", divide="ignore"):
        m1 = np.where(n1 > 0, s1 / n1, np.nan)
        m2 = np.where(n2 > 0, s2 / n2, np.nan)
        ss1 = np.clip(q1 - s1**2 / n1, 0.0, None)
        ss2 = np.clip(q2 - s2**2 / n2, 0.0, None)
        var1 = np.where(n1 > 1, ss1 / (n1 - 1), np.nan)
        var2 = np.where(n2 > 1, ss2 / (n2 - 1), np.nan)
        diff = m1 - m2
        pooled = np.sqrt((ss1 + ss2) / (n1 + n2 - 2))
        d = np.where(pooled > 0, diff / pooled, np.nan)
        welch_se = np.sqrt(var1 / n1 + var2 / n2)
        z = np.where(welch_se > 0, diff / welch_se, np.nan)
    p = two_sided_p_value(z)
    rows = [
        PromotershipContrast(
            name=name,
            promoter_n=int(n1[i]),
            detractor_n=int(n2[i]),
            promoter_mean=_maybe(m1[i]),
            detractor_mean=_maybe(m2[i]),
            difference=_maybe(diff[i]),
            effect_size=_maybe(d[i]),
            z=_maybe(z[i]),
            significant=bool(not math.isnan(p[i]) and p[i] < alpha),
        )
        for i, name in enumerate(names)
    ]
    return sorted(rows, key=lambda r: -abs(r.effect_size) if r.effect_size is not None else math.inf)
