"""The numba kernels of ``prune_subword``'s refinement: the two products of a sparse
word-by-bucket matrix A in CSR form (``indptr``, ``cols``, one value ``scale[w]`` per row).

What it holds:

- ``word_sums(indptr, cols, scale, x, out)``: ``out = A @ x``, i.e. ``out[w] = scale[w] *
  sum_j x[cols[j]]`` over word w's occurrences j (a repeated bucket counts each time);
- ``bucket_sums(indptr, cols, scale, r, out)``: ``out += A.T @ r``, i.e. ``out[cols[j]] +=
  scale[w] * r[w]``.

Both are serial (a fixed float order, so the refinement is deterministic; the machine's other
cores are left alone) and run in float64. ``tests/test_compress_prune.py`` holds their numpy
references. The loop over occurrences is the whole cost of a CG step: numpy's gather +
``reduceat`` took ~1 s per product on 30k words x 100 dims (~0.9M occurrences), these take a
fraction of that. What it leaves out: the CG iteration (``_cgls.py``), building A
(``prune.py``). Numba's disk cache keys on this file's source: after editing it, clear
``compress/__pycache__``.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["bucket_sums", "word_sums"]

_jit = numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")


@_jit
def word_sums(indptr: np.ndarray, cols: np.ndarray, scale: np.ndarray, x: np.ndarray,
              out: np.ndarray) -> None:
    n_words = indptr.size - 1
    dim = x.shape[1]
    for w in range(n_words):
        for t in range(dim):
            out[w, t] = 0.0
        for j in range(indptr[w], indptr[w + 1]):
            c = cols[j]
            for t in range(dim):
                out[w, t] += x[c, t]
        s = scale[w]
        for t in range(dim):
            out[w, t] *= s


@_jit
def bucket_sums(indptr: np.ndarray, cols: np.ndarray, scale: np.ndarray, r: np.ndarray,
                out: np.ndarray) -> None:
    n_words = indptr.size - 1
    dim = r.shape[1]
    row = np.empty(dim, dtype=np.float64)
    for w in range(n_words):
        s = scale[w]
        for t in range(dim):
            row[t] = s * r[w, t]
        for j in range(indptr[w], indptr[w + 1]):
            c = cols[j]
            for t in range(dim):
                out[c, t] += row[t]
