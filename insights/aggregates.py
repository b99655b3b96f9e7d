"""Accumulate a wave's sufficient statistics per unit from streamed response columns.

Pure NumPy, no Django: ``insights.services`` streams the responses' scalar columns
(unit slot, NPS, one column per rating question, one per competitor) from SQL in
chunks and feeds them here; everything per unit is a ``bincount``, so a chunk of 50,000
rows costs a few milliseconds and no response ever becomes a Python object.

Layout of the results matches ``insights.models.UnitWaveAggregate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SCORES = 11  # NPS and rating scores 0…10
COMPARISONS = ("better", "same", "worse")


@dataclass(frozen=True)
class UnitStatistics:
    """The sufficient statistics of one unit's own responses (JSON-ready values)."""

    slot: int
    n_responses: int
    nps_counts: list[int]
    n_complete: int
    driver_sums: list[float]
    driver_cross_products: list[list[float]]
    ratings: dict
    competitors: dict
    promotership: dict


class WaveAccumulator:
    """Per-unit counters for one wave; ``add`` chunks of columns, then ``results``.

    ``slots`` is the number of units (dense indexes 0…slots−1, chosen by the caller).
    ``rating_keys`` are all rating questions (drivers and core values); ``driver_keys``
    the subset in the driver model, in column order; ``competitor_names`` the
    competitors asked about.
    """

    def __init__(self, *, slots: int, rating_keys: Sequence[str], driver_keys: Sequence[str],
                 competitor_names: Sequence[str]):
        self.slots = slots
        self.rating_keys = list(rating_keys)
        self.driver_keys = list(driver_keys)
        self.driver_columns = [self.rating_keys.index(key) for key in self.driver_keys]
        self.competitor_names = list(competitor_names)
        r, p, c = len(self.rating_keys), len(self.driver_keys), len(self.competitor_names)
        self.n = np.zeros(slots, np.int64)
        self.nps = np.zeros((slots, SCORES), np.int64)
        self.rating_n = np.zeros((slots, r), np.int64)
        self.rating_sum = np.zeros((slots, r))
        self.rating_sq = np.zeros((slots, r))
        self.rating_counts = np.zeros((slots, r, SCORES), np.int64)
        self.complete = np.zeros(slots, np.int64)
        self.sums = np.zeros((slots, p + 1))
        self.cross = np.zeros((slots, p + 1, p + 1))
        # competitors: better, same, worse, then promoters, passives, detractors
        self.comp = np.zeros((slots, c, 6), np.int64)
        # promotership per driver: pn, psum, psq, dn, dsum, dsq
        self.promo = np.zeros((slots, p, 6))

    def _count(self, slot: NDArray, weights=None) -> NDArray:
        return np.bincount(slot, weights=weights, minlength=self.slots)[: self.slots]

    def add(self, slot: NDArray, nps: NDArray, ratings: NDArray, competitors: NDArray) -> None:
        """Add one chunk: ``slot`` (rows,) ints, ``nps`` (rows,) floats with NaN for
        missing, ``ratings`` (rows, r) floats with NaN, ``competitors`` (rows, c)
        codes 0 better, 1 same, 2 worse, −1 none."""
        slot = np.asarray(slot, np.int64)
        if slot.size == 0:
            return
        s = self.slots
        self.n += self._count(slot)
        has_nps = ~np.isnan(nps)
        score = np.where(has_nps, np.rint(np.nan_to_num(nps)), 0).astype(np.int64).clip(0, 10)
        flat = slot[has_nps] * SCORES + score[has_nps]
        self.nps += np.bincount(flat, minlength=s * SCORES)[: s * SCORES].reshape(s, SCORES)

        for j in range(ratings.shape[1] if ratings.ndim == 2 else 0):
            x = ratings[:, j]
            present = ~np.isnan(x)
            sl, xv = slot[present], x[present]
            self.rating_n[:, j] += self._count(sl).astype(np.int64)
            self.rating_sum[:, j] += self._count(sl, xv)
            self.rating_sq[:, j] += self._count(sl, xv * xv)
            points = np.rint(xv).astype(np.int64).clip(0, 10)
            self.rating_counts[:, j, :] += np.bincount(
                sl * SCORES + points, minlength=s * SCORES)[: s * SCORES].reshape(s, SCORES)

        promoter = has_nps & (score >= 9)
        detractor = has_nps & (score <= 6)
        passive = has_nps & ~promoter & ~detractor
        if self.driver_keys:
            x = np.column_stack([ratings[:, self.driver_columns], nps])
            complete = ~np.isnan(x).any(axis=1)
            sl, xc = slot[complete], x[complete]
            self.complete += self._count(sl).astype(np.int64)
            k = xc.shape[1]
            for a in range(k):
                self.sums[:, a] += self._count(sl, xc[:, a])
                for b in range(a, k):
                    v = self._count(sl, xc[:, a] * xc[:, b])
                    self.cross[:, a, b] += v
                    if b != a:
                        self.cross[:, b, a] += v
            for j, column in enumerate(self.driver_columns):
                x = ratings[:, column]
                present = ~np.isnan(x)
                for offset, group in ((0, promoter), (3, detractor)):
                    m = present & group
                    sl, xv = slot[m], x[m]
                    self.promo[:, j, offset] += self._count(sl)
                    self.promo[:, j, offset + 1] += self._count(sl, xv)
                    self.promo[:, j, offset + 2] += self._count(sl, xv * xv)

        for j in range(competitors.shape[1] if competitors.ndim == 2 else 0):
            code = competitors[:, j]
            known = code >= 0
            for value in range(3):
                self.comp[:, j, value] += self._count(slot[code == value]).astype(np.int64)
            for offset, group in ((3, promoter), (4, passive), (5, detractor)):
                self.comp[:, j, offset] += self._count(slot[known & group]).astype(np.int64)

    def results(self) -> list[UnitStatistics]:
        """Return the statistics of every slot that has responses."""
        out = []
        for i in np.flatnonzero(self.n):
            ratings = {
                key: {"n": int(self.rating_n[i, j]), "sum": float(self.rating_sum[i, j]),
                      "sumsq": float(self.rating_sq[i, j]),
                      "counts": [int(v) for v in self.rating_counts[i, j]]}
                for j, key in enumerate(self.rating_keys)
            }
            competitors = {
                name: dict(zip(("better", "same", "worse", "promoters", "passives", "detractors"),
                               (int(v) for v in self.comp[i, j]), strict=True))
                for j, name in enumerate(self.competitor_names)
            }
            promotership = {
                key: dict(zip(("pn", "psum", "psq", "dn", "dsum", "dsq"),
                              (float(v) for v in self.promo[i, j]), strict=True))
                for j, key in enumerate(self.driver_keys)
            }
            out.append(UnitStatistics(
                slot=int(i),
                n_responses=int(self.n[i]),
                nps_counts=[int(v) for v in self.nps[i]],
                n_complete=int(self.complete[i]),
                driver_sums=[float(v) for v in self.sums[i]],
                driver_cross_products=[[float(v) for v in row] for row in self.cross[i]],
                ratings=ratings,
                competitors=competitors,
                promotership=promotership,
            ))
        return out


def comparison_codes(values: Sequence[str | None]) -> NDArray[np.int64]:
    """Map better/same/worse texts to codes 0/1/2, anything else to −1."""
    array = np.asarray(values, dtype=object)
    codes = np.full(array.shape, -1, np.int64)
    for code, word in enumerate(COMPARISONS):
        codes[array == word] = code
    return codes
