"""Slow numpy references of the transform kernels, for the tests (``_kernels.py``).

What it holds: ``retrofit_sweep_reference``, the same Gauss-Seidel sweep as
``_kernels.retrofit_sweep`` written row by row with numpy vector operations (float64 sums,
float32 storage, as the kernel). What it leaves out: speed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["retrofit_sweep_reference"]


def retrofit_sweep_reference(q: np.ndarray, q_hat: np.ndarray, rows: np.ndarray,
                             indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray,
                             alpha: float, ant_indptr: np.ndarray, ant_indices: np.ndarray,
                             ant_weights: np.ndarray, margin: float) -> None:
    """One in-place sweep over ``rows``: see ``_kernels.retrofit_sweep`` for the update."""
    for i in rows:
        nbr = indices[indptr[i]:indptr[i + 1]]
        w = weights[indptr[i]:indptr[i + 1]].astype(np.float64)
        total = alpha * q_hat[i].astype(np.float64) + w @ q[nbr].astype(np.float64)
        ant = ant_indices[ant_indptr[i]:ant_indptr[i + 1]]
        if ant.size:
            qi = q[i].astype(np.float64)
            qk = q[ant].astype(np.float64)
            cos_num = qk @ qi
            active = cos_num > margin * np.linalg.norm(qi) * np.linalg.norm(qk, axis=1)
            aw = ant_weights[ant_indptr[i]:ant_indptr[i + 1]].astype(np.float64)
            total += (aw * active) @ (qi - qk)
        q[i] = total / (alpha + w.sum())
