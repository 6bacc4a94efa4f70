"""The compress package's numba kernels over plain arrays: k-means steps for product
quantization's codebooks, and asymmetric distance computation (ADC) on PQ codes.

What it holds:

- ``assign(x, centroids_t, labels, dist)``: each row of ``x`` (n, d) to its nearest centroid
  (squared L2; ``centroids_t`` is (d, k), the centroids transposed, so the distances to all k
  are accumulated as contiguous vectors), written into ``labels`` (int32) and ``dist``
  (float32), rows in parallel;
- ``accumulate(x, labels, sums, counts)``: the per-centroid sums and counts of one Lloyd
  update (serial: a deterministic float order);
- ``pq_decode(codes, codebooks, out)``: ``out[i] = concat_j codebooks[j, codes[i, j]]``,
  rows in parallel;
- ``adc(tables, codes, out)``: ``out[i, q] = sum_j tables[j, codes[i, j], q]``, the inner
  product of query q with reconstructed row i, read from (M, K, Q) look-up tables (queries
  last, so a row adds M contiguous Q-vectors: SIMD over the queries) without rebuilding any
  row, rows in parallel;
- ``adc_one(table, codes, out)``: the same for one query, ``out[i] = sum_j table[j, codes[i,
  j]]`` from its (M, K) table, four rows at a time in registers (their M look-ups are
  independent loads), chunks of rows in parallel.

Each has a numpy reference in ``_reference.py`` it is tested against. What it leaves out: the
Lloyd loop, initialization and empty-cluster repair (``quantize.py``), argument checks (the
callers). Numba's disk cache keys on this file's source: after editing it, clear
``compress/__pycache__``.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["accumulate", "adc", "adc_one", "assign", "pq_decode"]

_jit = numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
_pjit = numba.njit(parallel=True, nogil=True, cache=True, boundscheck=False,
                   error_model="numpy")
# ADC's sums may be reassociated (SIMD over the queries); no-NaN / no-inf assumptions are not
# made, so a non-finite table entry still shows in the score.
_fast_pjit = numba.njit(parallel=True, nogil=True, cache=True, boundscheck=False,
                        error_model="numpy", fastmath={"reassoc", "contract", "nsz", "arcp"})


_ASSIGN_ROWS = 256  # rows a parallel task assigns


@_fast_pjit
def assign(x: np.ndarray, centroids_t: np.ndarray, labels: np.ndarray,
           dist: np.ndarray) -> None:
    n, d = x.shape
    k = centroids_t.shape[1]
    chunks = (n + _ASSIGN_ROWS - 1) // _ASSIGN_ROWS
    for chunk in numba.prange(chunks):
        acc = np.empty(k, dtype=np.float32)  # one buffer per chunk of rows, not per row
        for i in range(chunk * _ASSIGN_ROWS, min(n, (chunk + 1) * _ASSIGN_ROWS)):
            acc[:] = 0.0
            for t in range(d):
                xt = x[i, t]
                for c in range(k):  # contiguous over the centroids: SIMD
                    diff = xt - centroids_t[t, c]
                    acc[c] += diff * diff
            best = acc[0]
            arg = 0
            for c in range(1, k):
                if acc[c] < best:  # the lowest index wins a tie, as numpy's argmin
                    best = acc[c]
                    arg = c
            labels[i] = arg
            dist[i] = best


@_jit
def accumulate(x: np.ndarray, labels: np.ndarray, sums: np.ndarray, counts: np.ndarray) -> None:
    n, d = x.shape
    sums[:] = 0.0
    counts[:] = 0
    for i in range(n):
        c = labels[i]
        counts[c] += 1
        for t in range(d):
            sums[c, t] += x[i, t]


@_fast_pjit
def adc(tables: np.ndarray, codes: np.ndarray, out: np.ndarray) -> None:
    n, m = codes.shape
    q_count = tables.shape[2]
    for i in numba.prange(n):
        for t in range(q_count):
            out[i, t] = 0.0
        for j in range(m):
            c = codes[i, j]
            for t in range(q_count):  # contiguous: one SIMD add per 8 queries
                out[i, t] += tables[j, c, t]


_ADC_ROWS = 1024  # rows a parallel task of adc_one scores


@_fast_pjit
def adc_one(table: np.ndarray, codes: np.ndarray, out: np.ndarray) -> None:
    n, m = codes.shape
    chunks = (n + _ADC_ROWS - 1) // _ADC_ROWS
    for chunk in numba.prange(chunks):
        i = chunk * _ADC_ROWS
        end = min(n, i + _ADC_ROWS)
        while i + 4 <= end:  # four independent sums: their look-ups overlap
            s0 = np.float32(0.0)
            s1 = np.float32(0.0)
            s2 = np.float32(0.0)
            s3 = np.float32(0.0)
            for j in range(m):
                s0 += table[j, codes[i, j]]
                s1 += table[j, codes[i + 1, j]]
                s2 += table[j, codes[i + 2, j]]
                s3 += table[j, codes[i + 3, j]]
            out[i] = s0
            out[i + 1] = s1
            out[i + 2] = s2
            out[i + 3] = s3
            i += 4
        while i < end:
            s = np.float32(0.0)
            for j in range(m):
                s += table[j, codes[i, j]]
            out[i] = s
            i += 1


@_pjit
def pq_decode(codes: np.ndarray, codebooks: np.ndarray, out: np.ndarray) -> None:
    n, m = codes.shape
    sub = codebooks.shape[2]
    for i in numba.prange(n):
        for j in range(m):
            c = codes[i, j]
            for t in range(sub):
                out[i, j * sub + t] = codebooks[j, c, t]
