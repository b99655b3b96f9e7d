"""Driver analysis: Johnson's relative weights from sufficient statistics, and the matrix.

Relative weights (Johnson 2000, "A heuristic method for estimating the relative weight
of predictor variables in multiple regression", Multivariate Behavioral Research 35)
split the R² of the regression of the outcome (the NPS score, 0–10) on all drivers into
one non-negative share per driver, also when drivers are correlated, as ratings
almost always are.

Everything here works from sufficient statistics, so the database does the heavy
lifting: per unit the number of rows n, the sum of every column and the matrix of
sums of cross-products (squares on the diagonal), as ``GROUP BY`` can compute them.
The columns are the predictors in the order of ``names`` followed by the outcome as
the last column.

Missing values: the statistics are *listwise* — the query layer feeds only responses
that answered the NPS question and every driver in the model, so all sums are over
the same rows. (Pairwise-complete correlations could be built from per-pair counts,
but the resulting matrix need not be positive semi-definite, and R² would no longer be
the R² of one regression.) Constant predictors (zero variance in this unit) get weight
0 and are left out of the decomposition. Perfectly collinear predictors are handled
with a pseudo-inverse, which splits their share equally, and are flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Relative tolerance below which a centred sum of squares counts as zero variance.
CONSTANT_RTOL = 1e-10
#: Eigenvalues of the correlation matrix below this count as zero (collinearity). The
#: largest eigenvalue of a correlation matrix is at least 1, so this is also relative.
EIGEN_TOL = 1e-10


@dataclass(frozen=True)
class SufficientStatistics:
    """The sums a ``GROUP BY`` delivers for one unit: n, column sums, cross-products."""

    n: int
    sums: NDArray[np.float64]
    cross_products: NDArray[np.float64]


def sufficient_statistics(data: ArrayLike) -> SufficientStatistics:
    """Compute n, column sums and the cross-product matrix X'X of a rows × columns array."""
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("data must be a two-dimensional rows × columns array")
    return SufficientStatistics(n=x.shape[0], sums=x.sum(axis=0), cross_products=x.T @ x)


def correlation_matrices(
    n: ArrayLike, sums: ArrayLike, cross_products: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Return correlation matrices and a zero-variance mask from stacked sufficient statistics.

    Shapes: ``n`` (U,), ``sums`` (U, k), ``cross_products`` (U, k, k). Rows and columns
    of a constant variable are set to those of an uncorrelated variable (1 on the
    diagonal, 0 elsewhere), and the mask says which they are.
    """
    n = np.asarray(n, dtype=np.float64)
    s = np.asarray(sums, dtype=np.float64)
    c = np.asarray(cross_products, dtype=np.float64)
    if s.ndim != 2 or c.shape != (*s.shape, s.shape[1]) or n.shape != s.shape[:1]:
        raise ValueError("expected n (U,), sums (U, k) and cross_products (U, k, k)")
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = c - s[:, :, None] * s[:, None, :] / n[:, None, None]
    diagonal = np.diagonal(c, axis1=1, axis2=2)
    ss = np.diagonal(centred, axis1=1, axis2=2)
    constant = ~(ss > CONSTANT_RTOL * np.maximum(diagonal, np.finfo(np.float64).tiny))
    scale = np.where(constant, 1.0, np.sqrt(np.where(constant, 1.0, ss)))
    r = centred / scale[:, :, None] / scale[:, None, :]
    pair_constant = constant[:, :, None] | constant[:, None, :]
    r = np.where(pair_constant, 0.0, r)
    r = np.clip(r, -1.0, 1.0)
    k = s.shape[1]
    eye = np.eye(k, dtype=bool)
    r[:, eye] = 1.0
    return r, constant


@dataclass(frozen=True)
class DriverWeights:
    """Johnson's relative weights of the drivers of one unit.

    ``weights`` sum to ``r_squared``, the R² of the OLS regression of the outcome on all
    drivers; ``rescaled`` are the weights as a percentage of R² (summing to 100, or all
    0 when R² is 0). ``constant`` names drivers without variance (weight 0);
    ``collinear`` says that the drivers were linearly dependent and a pseudo-inverse
    was used.
    """

    names: tuple[str, ...]
    weights: tuple[float, ...]
    r_squared: float
    rescaled: tuple[float, ...]
    n: int
    constant: tuple[str, ...] = ()
    collinear: bool = False

    def weight(self, name: str) -> float:
        """Return the weight of one driver by name."""
        return self.weights[self.names.index(name)]


def relative_weights_many(
    names: Sequence[str],
    *,
    n: ArrayLike,
    sums: ArrayLike,
    cross_products: ArrayLike,
) -> list[DriverWeights | None]:
    """Compute relative weights for many units at once (one stacked eigen-decomposition).

    Shapes: ``n`` (U,), ``sums`` (U, p + 1), ``cross_products`` (U, p + 1, p + 1) with
    the p predictors in the order of ``names`` and the outcome last. A unit gets
    ``None`` when it has too few rows (n ≤ p + 1, no residual degrees of freedom) or
    when the outcome does not vary (R² is undefined).
    """
    names = tuple(names)
    p = len(names)
    n_arr = np.asarray(n, dtype=np.float64).reshape(-1)
    s = np.asarray(sums, dtype=np.float64).reshape(n_arr.shape[0], -1)
    c = np.asarray(cross_products, dtype=np.float64).reshape(n_arr.shape[0], p + 1, p + 1)
    if s.shape[1] != p + 1:
        raise ValueError("sums need one column per driver plus the outcome, last")
    units = n_arr.shape[0]
    results: list[DriverWeights | None] = [None] * units
    if p == 0 or units == 0:
        return results

    valid = n_arr > p + 1
    if not np.any(valid):
        return results
    idx = np.flatnonzero(valid)
    r, constant = correlation_matrices(n_arr[idx], s[idx], c[idx])
    valid_outcome = ~constant[:, p]
    idx, r, constant = idx[valid_outcome], r[valid_outcome], constant[valid_outcome]
    if idx.size == 0:
        return results

    rxx = r[:, :p, :p]
    rxy = r[:, :p, p]
    # Constant predictors already have unit diagonal and zero correlations, so they
    # sit in their own block of R_xx, get β = 0 and weight 0, and leave the others'
    # decomposition untouched: the same as dropping them.
    eigenvalues, vectors = np.linalg.eigh(rxx)
    kept = eigenvalues > EIGEN_TOL
    root = np.where(kept, np.sqrt(np.where(kept, eigenvalues, 0.0)), 0.0)
    inverse_root = np.where(kept, 1.0 / np.where(kept, root, 1.0), 0.0)
    # Z = V Λ^½ V' are the loadings of the predictors on their orthogonal counterparts;
    # β = Z⁻¹ r_xy the regression of the outcome on those counterparts (Z is symmetric).
    z = (vectors * root[:, None, :]) @ np.swapaxes(vectors, 1, 2)
    z_pinv = (vectors * inverse_root[:, None, :]) @ np.swapaxes(vectors, 1, 2)
    beta = np.einsum("ujk,uk->uj", z_pinv, rxy)
    # ε_j = Σ_k Z_jk² β_k²
    eps = np.einsum("ujk,uk->uj", z**2, beta**2)
    eps = np.where(constant[:, :p], 0.0, np.clip(eps, 0.0, None))
    r_squared = np.sum(beta**2, axis=1)
    # Constant predictors have eigenvalue 1 here, so any dropped eigenvalue is collinearity.
    collinear = np.any(~kept, axis=1)

    for row, unit in enumerate(idx):
        total = float(r_squared[row])
        weights = tuple(float(w) for w in eps[row])
        rescaled = tuple(100.0 * w / total if total > 0 else 0.0 for w in weights)
        results[unit] = DriverWeights(
            names=names,
            weights=weights,
            r_squared=total,
            rescaled=rescaled,
            n=int(n_arr[unit]),
            constant=tuple(name for name, flag in zip(names, constant[row, :p], strict=True) if flag),
            collinear=bool(collinear[row]),
        )
    return results


def relative_weights(
    names: Sequence[str],
    *,
    n: int,
    sums: ArrayLike,
    cross_products: ArrayLike,
) -> DriverWeights | None:
    """Compute Johnson's relative weights of one unit from its sufficient statistics.

    ``sums`` has p + 1 entries and ``cross_products`` is (p + 1) × (p + 1): the p
    predictors in the order of ``names``, the outcome last. Return ``None`` when
    n ≤ p + 1 or when the outcome does not vary.
    """
    return relative_weights_many(
        names,
        n=[n],
        sums=np.asarray(sums, dtype=np.float64)[None, :],
        cross_products=np.asarray(cross_products, dtype=np.float64)[None, :, :],
    )[0]


# --- Importance × performance -------------------------------------------------------------

class Quadrant(StrEnum):
    """Where a driver sits in the importance × performance matrix."""

    STRENGTH = "strength"  # sterkte: important, and customers rate it well
    IMPROVEMENT = "improvement"  # verbeterpunt: important, but rated poorly
    MAINTAIN = "maintain"  # less important, rated well: keep the level, don't over-invest
    MONITOR = "monitor"  # less important, rated poorly: watch, low priority


def classify_drivers(
    importance: Sequence[float] | ArrayLike,
    performance: Sequence[float] | ArrayLike,
    *,
    cut: str = "mean",
) -> list[Quadrant]:
    """Place each driver in the importance × performance matrix.

    The cut points are the mean importance and the mean performance over the drivers
    given (``cut="median"`` uses medians instead, which keeps one outlying driver from
    pushing all others to one side). A driver exactly on a cut point counts as high.
    Importance can be the raw or the rescaled relative weights (same cut either way);
    performance the mean rating or the top-2-box share.
    """
    imp = np.asarray(importance, dtype=np.float64).reshape(-1)
    perf = np.asarray(performance, dtype=np.float64).reshape(-1)
    if imp.shape != perf.shape:
        raise ValueError("importance and performance need one value per driver")
    if imp.size == 0:
        return []
    if not (np.all(np.isfinite(imp)) and np.all(np.isfinite(perf))):
        raise ValueError("importance and performance must be finite numbers")
    if cut == "mean":
        imp_cut, perf_cut = float(np.mean(imp)), float(np.mean(perf))
    elif cut == "median":
        imp_cut, perf_cut = float(np.median(imp)), float(np.median(perf))
    else:
        raise ValueError("cut must be 'mean' or 'median'")
    # Compare with a little slack so a driver on the cut point is not split by rounding.
    high_imp = imp >= imp_cut - 1e-12 * max(1.0, abs(imp_cut))
    high_perf = perf >= perf_cut - 1e-12 * max(1.0, abs(perf_cut))
    quadrants = []
    for important, performing in zip(high_imp, high_perf, strict=True):
        if important:
            quadrants.append(Quadrant.STRENGTH if performing else Quadrant.IMPROVEMENT)
        else:
            quadrants.append(Quadrant.MAINTAIN if performing else Quadrant.MONITOR)
    return quadrants


__all__ = [
    "DriverWeights",
    "Quadrant",
    "SufficientStatistics",
    "classify_drivers",
    "correlation_matrices",
    "relative_weights",
    "relative_weights_many",
    "sufficient_statistics",
]
