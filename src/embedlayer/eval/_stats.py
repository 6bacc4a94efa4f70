"""Correlation coefficients (Pearson, Spearman with average ranks for ties) in plain numpy.

scipy is not a runtime dependency; these equal ``scipy.stats.pearsonr`` / ``spearmanr``
(the tests check it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["pearson", "rankdata", "spearman"]


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given the average of the ranks they span (scipy's 'average')."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    # boundaries of runs of equal values
    starts = np.r_[0, np.flatnonzero(xs[1:] != xs[:-1]) + 1]
    ends = np.r_[starts[1:], xs.size]
    avg = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r; NaN when either side is constant or has fewer than 2 values."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 2:
        return float("nan")
    dx, dy = x - x.mean(), y - y.mean()
    denom = np.sqrt((dx @ dx) * (dy @ dy))
    if denom == 0:
        return float("nan")
    return float(np.clip(dx @ dy / denom, -1.0, 1.0))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's r of the (average) ranks."""
    return pearson(rankdata(x), rankdata(y))
