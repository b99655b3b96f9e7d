"""NPS, its interval and change test, ratings, core values, competitors, promotership."""

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from insights.stats import (
    Z_95,
    ChangeTest,
    NpsSummary,
    competitor_strength,
    core_value_score,
    nps_change_test,
    nps_change_tests,
    nps_counts,
    nps_summaries,
    nps_summary,
    promotership_contrasts,
    rating_mean,
    rating_means,
    rating_sd,
    rating_summary,
    top_two_box,
    top_two_box_shares,
)

# --- NPS -------------------------------------------------------------------------------


def test_nps_matches_a_hand_worked_example():
    # 50 promoters, 30 passives, 20 detractors: p = .5, d = .2, NPS = 30,
    # SE = 100·√((.5 + .2 − .3²)/100) = 100·√(.0061) = 7.8102…,
    # interval 30 ± 1.959964 · 7.8102 = 30 ± 15.3078 = [14.6922, 45.3078].
    s = nps_summary(50, 30, 20)
    assert s.n == 100
    assert s.nps == pytest.approx(30.0)
    assert s.se == pytest.approx(7.810249675906654)
    assert s.ci_low == pytest.approx(14.692192, abs=1e-6)
    assert s.ci_high == pytest.approx(45.307808, abs=1e-6)


def test_nps_standard_error_is_that_of_the_mean_promoter_score():
    """SE equals the standard error of a +1/0/−1 score, computed by NumPy."""
    promoters, passives, detractors = 37, 41, 22
    scores = np.repeat([1.0, 0.0, -1.0], [promoters, passives, detractors])
    expected = 100 * scores.std(ddof=0) / math.sqrt(scores.size)
    assert nps_summary(promoters, passives, detractors).se == pytest.approx(expected, rel=1e-12)
    assert nps_summary(promoters, passives, detractors).nps == pytest.approx(100 * scores.mean())


def test_nps_standard_error_matches_the_spread_of_simulated_waves():
    """Across many simulated multinomial samples the NPS varies as the formula says."""
    rng = np.random.default_rng(20240501)
    shares, n = [0.45, 0.35, 0.20], 400
    draws = rng.multinomial(n, shares, size=20_000)
    simulated = nps_summaries(draws[:, 0], draws[:, 1], draws[:, 2])
    p, d = shares[0], shares[2]
    true_se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert simulated.nps.std(ddof=1) == pytest.approx(true_se, rel=0.02)
    assert simulated.se.mean() == pytest.approx(true_se, rel=0.01)
    # The 95% interval covers the true NPS about 95% of the time.
    coverage = np.mean((simulated.ci_low <= 100 * (p - d)) & (100 * (p - d) <= simulated.ci_high))
    assert coverage == pytest.approx(0.95, abs=0.01)


def test_interval_is_clipped_to_the_scale():
    s = nps_summary(9, 0, 1)  # NPS 80, SE 18.97: 80 + 37.2 would pass 100
    assert s.nps == pytest.approx(80.0)
    assert s.ci_high == 100.0
    assert s.ci_low == pytest.approx(80 - Z_95 * s.se)
    low = nps_summary(1, 0, 9)
    assert low.ci_low == -100.0


def test_all_promoters_gives_a_zero_width_interval():
    s = nps_summary(12, 0, 0)
    assert (s.nps, s.se, s.ci_low, s.ci_high) == (100.0, 0.0, 100.0, 100.0)


def test_no_respondents_gives_no_nps():
    assert nps_summary(0, 0, 0) == NpsSummary(0, 0, 0, 0, None, None, None, None)


def test_vectorised_summaries_match_one_by_one():
    pro, pas, det = [10, 0, 3, 250], [5, 0, 0, 120], [2, 0, 7, 90]
    many = nps_summaries(pro, pas, det)
    assert len(many) == 4
    for i in range(4):
        assert many.at(i) == nps_summary(pro[i], pas[i], det[i])
    assert np.isnan(many.nps[1])


def test_negative_or_fractional_counts_are_rejected():
    with pytest.raises(ValueError):
        nps_summary(-1, 2, 3)
    with pytest.raises(ValueError):
        nps_summary(1.5, 2, 3)


def test_pure_modules_do_not_import_django():
    code = (
        "import sys, insights.stats, insights.drivers, insights.suppression; "
        "sys.exit('django' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, env={"PYTHONPATH": str(root)})


def test_counts_per_score_split_into_groups():
    counts = np.arange(11)  # score s chosen s times
    promoters, passives, detractors = nps_counts(counts)
    assert (promoters, passives, detractors) == (9 + 10, 7 + 8, sum(range(7)))


@settings(max_examples=500)
@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000))
def test_nps_stays_in_range_and_the_interval_contains_it(promoters, passives, detractors):
    s = nps_summary(promoters, passives, detractors)
    if s.n == 0:
        assert s.nps is None
        return
    assert -100.0 <= s.ci_low <= s.nps <= s.ci_high <= 100.0
    assert s.se >= 0.0


# --- Change between waves ---------------------------------------------------------------


def test_change_test_matches_scipy():
    before, after = nps_summary(120, 80, 100), nps_summary(160, 70, 70)
    test = nps_change_test(before, after)
    se = math.sqrt(before.se**2 + after.se**2)
    z = (after.nps - before.nps) / se
    assert test.change == pytest.approx(after.nps - before.nps)
    assert test.z == pytest.approx(z)
    assert test.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-9)
    assert test.significant is (test.p_value < 0.05)
    assert test.significant


def test_small_change_is_not_significant():
    test = nps_change_test(nps_summary(30, 40, 30), nps_summary(32, 40, 28))
    assert test.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(test.z)))
    assert not test.significant


def test_a_decline_is_negative_and_can_be_significant():
    test = nps_change_test(nps_summary(300, 100, 100), nps_summary(150, 100, 250))
    assert test.change < 0 and test.z < 0 and test.significant


def test_zero_standard_error_on_both_sides_is_not_significant():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test = nps_change_test(nps_summary(10, 0, 0), nps_summary(0, 0, 10))
        many = nps_change_tests(nps_summaries([10], [0], [0]), nps_summaries([0], [0], [10]))
    assert test == ChangeTest(change=-200.0, z=None, p_value=None, significant=False)
    assert many.at(0) == test


def test_change_without_a_previous_wave_is_undefined():
    assert nps_change_test(nps_summary(0, 0, 0), nps_summary(5, 5, 5)).change is None


def test_vectorised_change_tests_match_one_by_one():
    a = nps_summaries([50, 10, 0, 7], [30, 10, 0, 0], [20, 10, 0, 0])
    b = nps_summaries([70, 9, 5, 7], [20, 12, 5, 0], [10, 9, 5, 0])
    many = nps_change_tests(a, b)
    for i in range(4):
        one = nps_change_test(a.at(i), b.at(i))
        assert many.at(i).significant == one.significant
        for field in ("change", "z", "p_value"):
            x, y = getattr(many.at(i), field), getattr(one, field)
            assert (x is None and y is None) or x == pytest.approx(y)


@settings(max_examples=300)
@given(*(st.integers(0, 500) for _ in range(6)))
def test_change_test_p_value_agrees_with_scipy(p1, m1, d1, p2, m2, d2):
    test = nps_change_test(nps_summary(p1, m1, d1), nps_summary(p2, m2, d2))
    if test.z is None:
        assert not test.significant
        return
    assert test.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(test.z)), rel=1e-9, abs=1e-300)
    assert test.significant == (abs(test.z) > scipy_stats.norm.ppf(0.975))


# --- Ratings ----------------------------------------------------------------------------


def test_rating_mean_and_sd_from_sums_match_numpy():
    rng = np.random.default_rng(3)
    ratings = rng.integers(1, 11, size=250).astype(float)
    assert rating_mean(ratings.size, ratings.sum()) == pytest.approx(ratings.mean())
    assert rating_sd(ratings.size, ratings.sum(), (ratings**2).sum()) == pytest.approx(ratings.std(ddof=1))
    assert rating_mean(0, 0) is None
    assert rating_sd(1, 7, 49) is None


def test_rating_means_are_vectorised_with_nan_for_no_ratings():
    means = rating_means([4, 0, 2], [30, 0, 9])
    assert means[0] == 7.5 and np.isnan(means[1]) and means[2] == 4.5


def test_top_two_box_is_the_share_of_the_two_highest_scale_points():
    # A 1–5 scale: counts for 1, 2, 3, 4, 5.
    assert top_two_box([1, 2, 3, 10, 4]) == pytest.approx(14 / 20)
    # Nobody chose the top point: it still is one of the two boxes.
    assert top_two_box([5, 5, 5, 5, 0]) == pytest.approx(5 / 20)
    assert top_two_box([0, 0, 0]) is None


def test_top_two_box_shares_of_many_units():
    shares = top_two_box_shares([[0, 1, 1], [2, 0, 0]])
    assert shares.tolist() == [1.0, 0.0]


def test_rating_summary_matches_raw_ratings():
    rng = np.random.default_rng(5)
    ratings = rng.integers(1, 11, size=500)
    counts = np.bincount(ratings, minlength=11)[1:]  # scale 1…10
    summary = rating_summary(counts, scale_min=1)
    assert summary.n == 500
    assert summary.mean == pytest.approx(ratings.mean())
    assert summary.sd == pytest.approx(ratings.std(ddof=1))
    assert summary.top_two_box == pytest.approx(np.mean(ratings >= 9))


# --- Core values ------------------------------------------------------------------------


def test_core_value_gap_defaults_to_the_top_of_the_scale():
    value = core_value_score(4, 30, scale_max=10)
    assert value.score == 7.5 and value.target == 10 and value.gap == -2.5
    assert value.gap_to_parent is None


def test_core_value_gap_to_target_and_parent():
    value = core_value_score(10, 82, scale_max=10, target=8, parent_score=7.9)
    assert value.gap == pytest.approx(0.2)
    assert value.gap_to_parent == pytest.approx(0.3)


def test_core_value_without_ratings():
    value = core_value_score(0, 0, scale_max=10, parent_score=7)
    assert value.score is None and value.gap is None and value.gap_to_parent is None


# --- Competitive strength ---------------------------------------------------------------


def test_competitor_strength_shares_and_nps():
    c = competitor_strength("Rivaal", better=12, same=6, worse=2, promoters=10, passives=6, detractors=4)
    assert (c.n, c.better, c.same, c.worse) == (20, 0.6, 0.3, 0.1)
    assert c.net == pytest.approx(50.0)
    assert c.nps == nps_summary(10, 6, 4)


def test_competitor_nobody_compared():
    c = competitor_strength("Nieuw", better=0, same=0, worse=0, promoters=0, passives=0, detractors=0)
    assert c.better is None and c.net is None and c.nps.nps is None


# --- Promotership -----------------------------------------------------------------------


def test_promotership_contrast_matches_scipy_welch_and_cohens_d():
    rng = np.random.default_rng(11)
    promoters = {"speed": rng.normal(8.5, 1.0, 120), "price": rng.normal(7.0, 1.5, 120)}
    detractors = {"speed": rng.normal(5.0, 1.5, 60), "price": rng.normal(6.8, 1.5, 60)}
    names = ["price", "speed"]
    rows = promotership_contrasts(
        names,
        promoter_n=[promoters[k].size for k in names],
        promoter_sums=[promoters[k].sum() for k in names],
        promoter_sums_sq=[(promoters[k] ** 2).sum() for k in names],
        detractor_n=[detractors[k].size for k in names],
        detractor_sums=[detractors[k].sum() for k in names],
        detractor_sums_sq=[(detractors[k] ** 2).sum() for k in names],
    )
    assert [r.name for r in rows] == ["speed", "price"]  # largest effect first
    for row in rows:
        a, b = promoters[row.name], detractors[row.name]
        welch = scipy_stats.ttest_ind(a, b, equal_var=False)
        pooled_var = ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
        pooled = math.sqrt(pooled_var)
        assert row.difference == pytest.approx(a.mean() - b.mean())
        assert row.z == pytest.approx(welch.statistic)
        assert row.effect_size == pytest.approx((a.mean() - b.mean()) / pooled)
    assert rows[0].significant


def test_promotership_without_detractors_has_no_contrast():
    rows = promotership_contrasts(
        ["speed"], promoter_n=[3], promoter_sums=[27], promoter_sums_sq=[243],
        detractor_n=[0], detractor_sums=[0], detractor_sums_sq=[0],
    )
    assert rows[0].difference is None and rows[0].effect_size is None and not rows[0].significant
