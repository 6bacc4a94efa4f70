"""Slow, obvious numpy versions of the kernels in ``_kernels.py``, for the tests only.

What it holds: :func:`assign`, :func:`accumulate`, :func:`adc`, :func:`adc_one` and
:func:`pq_decode` with the kernels' meaning
(see there), written with whole-array numpy and no cleverness. What it leaves out: speed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["accumulate", "adc", "adc_one", "assign", "pq_decode"]


def assign(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels int32, squared distances float64) of each row's nearest centroid."""
    d2 = ((x[:, None, :].astype(np.float64) - centroids[None, :, :]) ** 2).sum(axis=2)
    labels = d2.argmin(axis=1)
    return labels.astype(np.int32), d2[np.arange(len(x)), labels]


def accumulate(x: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(sums (k, d) float64, counts (k,) int64) of the rows given to each centroid."""
    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, x.astype(np.float64))
    return sums, np.bincount(labels, minlength=k).astype(np.int64)


def adc(tables: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(n, Q) float64: sum over sub-spaces j of tables[j, codes[i, j], q]."""
    m = codes.shape[1]
    gathered = tables[np.arange(m)[None, :], codes.astype(np.int64)]  # (n, M, Q)
    return gathered.astype(np.float64).sum(axis=1)


def adc_one(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(n,) float64: sum over sub-spaces j of table[j, codes[i, j]]."""
    m = codes.shape[1]
    return table[np.arange(m)[None, :], codes.astype(np.int64)].astype(np.float64).sum(axis=1)


def pq_decode(codes: np.ndarray, codebooks: np.ndarray) -> np.ndarray:
    """(n, M * D/M): each row's centroids, sub-space after sub-space."""
    return np.concatenate([codebooks[j][codes[:, j]] for j in range(codes.shape[1])], axis=1)
