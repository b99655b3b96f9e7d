"""Johnson's relative weights from sufficient statistics, and the importance × performance matrix."""

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.drivers import (
    DriverWeights,
    Quadrant,
    classify_drivers,
    correlation_matrices,
    relative_weights,
    relative_weights_many,
    sufficient_statistics,
)

# mtcars (R datasets; Henderson & Velleman 1981): cyl, disp, hp, gear, and mpg last.
MTCARS = np.array([
    [6, 160, 110, 4, 21], [6, 160, 110, 4, 21], [4, 108, 93, 4, 22.8], [6, 258, 110, 3, 21.4],
    [8, 360, 175, 3, 18.7], [6, 225, 105, 3, 18.1], [8, 360, 245, 3, 14.3], [4, 146.7, 62, 4, 24.4],
    [4, 140.8, 95, 4, 22.8], [6, 167.6, 123, 4, 19.2], [6, 167.6, 123, 4, 17.8],
    [8, 275.8, 180, 3, 16.4], [8, 275.8, 180, 3, 17.3], [8, 275.8, 180, 3, 15.2],
    [8, 472, 205, 3, 10.4], [8, 460, 215, 3, 10.4], [8, 440, 230, 3, 14.7], [4, 78.7, 66, 4, 32.4],
    [4, 75.7, 52, 4, 30.4], [4, 71.1, 65, 4, 33.9], [4, 120.1, 97, 3, 21.5], [8, 318, 150, 3, 15.5],
    [8, 304, 150, 3, 15.2], [8, 350, 245, 3, 13.3], [8, 400, 175, 3, 19.2], [4, 79, 66, 4, 27.3],
    [4, 120.3, 91, 5, 26], [4, 95.1, 113, 5, 30.4], [8, 351, 264, 5, 15.8], [6, 145, 175, 5, 19.7],
    [8, 301, 335, 5, 15], [4, 121, 109, 4, 21.4],
])


def weights_of(data, names=None):
    stats = sufficient_statistics(data)
    names = names or [f"x{i}" for i in range(data.shape[1] - 1)]
    return relative_weights(names, n=stats.n, sums=stats.sums, cross_products=stats.cross_products)


def ols_r_squared(data):
    return sm.OLS(data[:, -1], sm.add_constant(data[:, :-1], has_constant="add")).fit().rsquared


def johnson_from_raw_data(data):
    """Relative weights the way Johnson (2000) derives them: from the SVD of the data.

    X (standardised) = P Δ Q'; its closest orthonormal counterpart is Z = P Q'.
    Regress y on Z (β) and X on Z (Λ); ε_j = Σ_k Λ_jk² β_k².
    """
    x, y = data[:, :-1], data[:, -1]
    xs = (x - x.mean(0)) / x.std(0)
    ys = (y - y.mean()) / y.std()
    p, _, qt = np.linalg.svd(xs, full_matrices=False)
    z = p @ qt * np.sqrt(len(y))  # standardised orthogonal counterparts
    beta = np.linalg.lstsq(z, ys, rcond=None)[0]
    loadings = np.linalg.lstsq(z, xs, rcond=None)[0]  # row k: X regressed on Z_k
    return (loadings.T**2) @ beta**2


def correlated_data(rng, n=300, p=4, noise=1.0):
    base = rng.normal(size=(n, 1))
    x = 0.7 * base + rng.normal(size=(n, p))
    y = x @ rng.uniform(0.2, 1.0, size=p) + noise * rng.normal(size=n)
    return np.column_stack([x, y])


# --- Known examples --------------------------------------------------------------------


def test_published_mtcars_example():
    """The rwa R package's worked example (mpg on cyl, disp, hp, gear; Tonidandel & LeBreton)."""
    result = weights_of(MTCARS, ["cyl", "disp", "hp", "gear"])
    assert result.r_squared == pytest.approx(0.7791896, abs=1e-7)
    assert result.weights == pytest.approx([0.2284797, 0.2221469, 0.2321744, 0.0963886], abs=1e-7)
    assert result.rescaled == pytest.approx([29.32274, 28.50999, 29.79691, 12.37037], abs=1e-5)
    assert result.n == 32 and not result.collinear and result.constant == ()


def test_weights_sum_to_the_r_squared_of_statsmodels_ols():
    data = correlated_data(np.random.default_rng(1))
    result = weights_of(data)
    assert sum(result.weights) == pytest.approx(ols_r_squared(data), abs=1e-12)
    assert result.r_squared == pytest.approx(ols_r_squared(data), abs=1e-12)
    assert sum(result.rescaled) == pytest.approx(100.0)


def test_weights_match_johnsons_derivation_from_the_raw_data():
    data = correlated_data(np.random.default_rng(2), p=5)
    assert weights_of(data).weights == pytest.approx(johnson_from_raw_data(data), abs=1e-12)


def test_uncorrelated_predictors_get_their_squared_correlations():
    rng = np.random.default_rng(3)
    n = 200
    raw = rng.normal(size=(n, 3))
    raw -= raw.mean(0)
    q, _ = np.linalg.qr(np.column_stack([np.ones(n), raw]))
    x = q[:, 1:] * 10 + 5  # exactly uncorrelated, centred columns shifted and scaled
    y = x @ [0.5, 1.0, -0.3] + rng.normal(size=n)
    data = np.column_stack([x, y])
    r_xy = [np.corrcoef(x[:, j], y)[0, 1] for j in range(3)]
    assert weights_of(data).weights == pytest.approx(np.square(r_xy), abs=1e-12)


def test_identical_predictors_split_their_weight_equally():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(150, 2))
    data = np.column_stack([x[:, 0], x[:, 0], x[:, 1], x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=150)])
    result = weights_of(data, ["a", "a_copy", "b"])
    assert result.collinear
    assert result.weight("a") == pytest.approx(result.weight("a_copy"), abs=1e-12)
    assert result.r_squared == pytest.approx(ols_r_squared(data[:, [0, 2, 3]]), abs=1e-10)
    assert sum(result.weights) == pytest.approx(result.r_squared, abs=1e-9)
    # With nothing else in the model, each copy carries half of r².
    pair = weights_of(data[:, [0, 1, 3]], ["a", "a_copy"])
    r = np.corrcoef(data[:, 0], data[:, 3])[0, 1]
    assert pair.weights == pytest.approx([r**2 / 2, r**2 / 2], abs=1e-12)


def test_linear_combination_of_predictors_is_flagged_and_weights_still_sum_to_r_squared():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(120, 2))
    data = np.column_stack([x, x.sum(1), x @ [1.0, 0.5] + rng.normal(size=120)])
    result = weights_of(data)
    assert result.collinear
    assert min(result.weights) >= 0
    assert sum(result.weights) == pytest.approx(ols_r_squared(data[:, [0, 1, 3]]), abs=1e-9)


def test_constant_predictor_gets_zero_and_leaves_the_others_alone():
    data = correlated_data(np.random.default_rng(6), p=3)
    with_constant = np.column_stack([data[:, :1], np.full(len(data), 7.0), data[:, 1:]])
    result = weights_of(with_constant, ["a", "always_seven", "b", "c"])
    assert result.constant == ("always_seven",)
    assert result.weight("always_seven") == 0.0
    assert not result.collinear
    reference = weights_of(data, ["a", "b", "c"])
    for name in ("a", "b", "c"):
        assert result.weight(name) == pytest.approx(reference.weight(name), abs=1e-12)


def test_too_few_observations_give_no_weights():
    data = correlated_data(np.random.default_rng(7), n=4, p=3)  # n = p + 1
    assert weights_of(data) is None
    assert weights_of(correlated_data(np.random.default_rng(7), n=5, p=3)) is not None


def test_constant_outcome_gives_no_weights():
    data = correlated_data(np.random.default_rng(8))
    data[:, -1] = 9
    assert weights_of(data) is None


def test_no_correlation_at_all_gives_zero_r_squared():
    x = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]] * 3, dtype=float)
    y = np.array([1, -1, -1, 1] * 3, dtype=float)  # the interaction, uncorrelated with each
    result = weights_of(np.column_stack([x, y]))
    assert result.r_squared == pytest.approx(0.0, abs=1e-15)
    assert result.rescaled == (0.0, 0.0)


def test_sufficient_statistics_give_numpys_correlations():
    rng = np.random.default_rng(9)
    data = rng.integers(0, 11, size=(1000, 6)).astype(float)
    stats = sufficient_statistics(data)
    r, constant = correlation_matrices([stats.n], stats.sums[None], stats.cross_products[None])
    np.testing.assert_allclose(r[0], np.corrcoef(data, rowvar=False), atol=1e-12)
    assert not constant.any()


def test_sufficient_statistics_of_a_large_wave_stay_accurate():
    """A million 0–10 ratings: centring the sums loses no meaningful precision."""
    rng = np.random.default_rng(10)
    data = rng.integers(0, 11, size=(1_000_000, 4)).astype(float)
    data[:, 3] = np.clip(np.round(0.5 * data[:, 0] + 0.3 * data[:, 1] + rng.normal(size=len(data))), 0, 10)
    stats = sufficient_statistics(data)
    r, _ = correlation_matrices([stats.n], stats.sums[None], stats.cross_products[None])
    np.testing.assert_allclose(r[0], np.corrcoef(data, rowvar=False), atol=1e-10)


def test_many_units_at_once_match_one_at_a_time():
    rng = np.random.default_rng(12)
    blocks = [correlated_data(rng, n=n, p=3) for n in (50, 3, 80, 200)]
    blocks[2][:, 1] = 4.0  # a constant driver in one unit
    stats = [sufficient_statistics(b) for b in blocks]
    many = relative_weights_many(
        ["a", "b", "c"],
        n=[s.n for s in stats],
        sums=np.stack([s.sums for s in stats]),
        cross_products=np.stack([s.cross_products for s in stats]),
    )
    assert many[1] is None
    for block, result in zip(blocks, many, strict=True):
        assert result == weights_of(block, ["a", "b", "c"])


def test_sums_as_the_database_returns_them_work():
    """Integer sums (as SQL returns for integer ratings) give the same weights as floats."""
    data = np.random.default_rng(13).integers(0, 11, size=(400, 4))
    stats = sufficient_statistics(data)
    as_ints = relative_weights(
        ["a", "b", "c"], n=int(stats.n), sums=[int(v) for v in stats.sums],
        cross_products=[[int(v) for v in row] for row in stats.cross_products],
    )
    assert as_ints == weights_of(data.astype(float), ["a", "b", "c"])


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(6, 300),
    p=st.integers(1, 6),
    mixing=st.floats(0.0, 3.0),
    discrete=st.booleans(),
)
def test_weights_are_non_negative_and_sum_to_r_squared(seed, n, p, mixing, discrete):
    rng = np.random.default_rng(seed)
    x = mixing * rng.normal(size=(n, 1)) + rng.normal(size=(n, p))
    y = x @ rng.normal(size=p) + rng.normal(size=n)
    data = np.column_stack([x, y])
    if discrete:  # ratings on a 0–10 scale, as in a survey
        data = np.clip(np.round(data + 5), 0, 10)
    result = weights_of(data)
    if result is None:
        assert n <= p + 1 or np.ptp(data[:, -1]) == 0
        return
    assert min(result.weights) >= 0.0
    assert sum(result.weights) == pytest.approx(result.r_squared, abs=1e-9)
    if not result.collinear and not result.constant:
        assert result.r_squared == pytest.approx(ols_r_squared(data), abs=1e-9)


def test_driver_weights_are_frozen():
    result = weights_of(MTCARS)
    assert isinstance(result, DriverWeights)
    with pytest.raises(AttributeError):
        result.r_squared = 1.0


# --- Importance × performance ----------------------------------------------------------


def test_drivers_are_placed_in_the_four_quadrants_around_the_means():
    importance = [0.30, 0.25, 0.05, 0.04]  # mean 0.16
    performance = [8.2, 6.1, 8.0, 6.5]  # mean 7.2
    assert classify_drivers(importance, performance) == [
        Quadrant.STRENGTH, Quadrant.IMPROVEMENT, Quadrant.MAINTAIN, Quadrant.MONITOR,
    ]
    assert Quadrant.STRENGTH == "strength" and Quadrant.IMPROVEMENT == "improvement"


def test_median_cut_resists_one_outlying_driver():
    importance = [0.60, 0.10, 0.09, 0.08]  # the mean (0.2175) leaves three drivers "low"
    performance = [7.0, 6.0, 8.0, 5.0]
    assert classify_drivers(importance, performance).count(Quadrant.STRENGTH) + \
        classify_drivers(importance, performance).count(Quadrant.IMPROVEMENT) == 1
    by_median = classify_drivers(importance, performance, cut="median")
    assert by_median[:2] == [Quadrant.STRENGTH, Quadrant.IMPROVEMENT]


def test_a_driver_on_the_cut_point_counts_as_high():
    assert classify_drivers([0.2, 0.2], [7.0, 7.0]) == [Quadrant.STRENGTH, Quadrant.STRENGTH]


def test_classify_rejects_bad_input():
    assert classify_drivers([], []) == []
    with pytest.raises(ValueError):
        classify_drivers([0.1], [7.0, 8.0])
    with pytest.raises(ValueError):
        classify_drivers([0.1, float("nan")], [7.0, 8.0])
    with pytest.raises(ValueError):
        classify_drivers([0.1], [7.0], cut="mode")
