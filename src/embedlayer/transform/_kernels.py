"""The transform package's numba kernels over plain arrays: one retrofitting sweep.

What it holds:

- ``retrofit_sweep(q, q_hat, rows, indptr, indices, weights, alpha, ant_indptr, ant_indices,
  ant_weights, margin, buf)``: for each row ``i`` of ``rows`` in order, in place
  (Gauss-Seidel: a row updated earlier in the sweep is read with its new value, as Faruqui et
  al.'s reference code updates its dictionary while it loops),

      q[i] = (alpha * q_hat[i] + sum_p weights[p] * q[indices[p]]
              + sum_{p active} ant_weights[p] * (q[i] - q[ant_indices[p]]))
             / (alpha + sum_p weights[p])

  where p runs over ``indptr[i]:indptr[i + 1]`` (the neighbours) and, for the antonym
  repulsion, over ``ant_indptr[i]:ant_indptr[i + 1]``, an antonym being active while the
  cosine of the current q[i] with it exceeds ``margin`` (q[i] on the right is its value before
  this update). ``q`` is (N, d) float32, updated;
  ``q_hat`` the original (N, d) float32; sums accumulate in float64 in ``buf`` (d,).

Its numpy reference is ``_reference.retrofit_sweep_reference``, which the tests compare it
with. What it leaves out: building the graph over a vocabulary, the iteration loop, progress
and argument checks (``retrofit.py``). Numba's disk cache keys on this file's source: after
editing it, clear ``transform/__pycache__``. (DESIGN.md keeps numba to train/ and compress/
kernels; issue 20 asked for this one kernel here.)
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["retrofit_sweep"]

_jit = numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")


@_jit
def retrofit_sweep(q: np.ndarray, q_hat: np.ndarray, rows: np.ndarray, indptr: np.ndarray,
                   indices: np.ndarray, weights: np.ndarray, alpha: float,
                   ant_indptr: np.ndarray, ant_indices: np.ndarray, ant_weights: np.ndarray,
                   margin: float, buf: np.ndarray) -> None:
    d = q.shape[1]
    for r in range(rows.shape[0]):  # serial: Gauss-Seidel order is part of the result
        i = rows[r]
        denom = alpha
        for t in range(d):
            buf[t] = alpha * q_hat[i, t]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            w = weights[p]
            denom += w
            for t in range(d):
                buf[t] += w * q[j, t]
        a0 = ant_indptr[i]
        a1 = ant_indptr[i + 1]
        if a1 > a0:
            ni = 0.0
            for t in range(d):
                ni += q[i, t] * q[i, t]
            ni = math.sqrt(ni)
            for p in range(a0, a1):
                k = ant_indices[p]
                dot = 0.0
                nk = 0.0
                for t in range(d):
                    dot += q[i, t] * q[k, t]
                    nk += q[k, t] * q[k, t]
                if dot > margin * ni * math.sqrt(nk):  # cos(q_i, q_k) > margin
                    w = ant_weights[p]
                    for t in range(d):
                        buf[t] += w * (q[i, t] - q[k, t])
        for t in range(d):
            q[i, t] = buf[t] / denom
