"""Least squares on a sparse word-by-bucket map: the map, its two products, and CGLS.

What it holds: :class:`WordBucketMap`, the sparse (words, buckets) matrix A whose row w holds
``scale[w]`` at each of the word's n-gram occurrences (a repeated bucket sums), with
``A @ X`` and ``A.T @ R`` (numba kernels in ``_kernels_prune.py``, no temporary beyond the
(words, dim) and (buckets, dim) results); and
:func:`cgls`, conjugate gradient on the normal equations ``A.T A X = A.T Y`` run column by
column for a fixed number of iterations from a given start. ``prune.prune_subword`` builds
the problem (which words, which weights, which target); this file knows nothing of words.

What it leaves out: stopping rules (the caller's iteration count is the regularization) and
preconditioning.
"""

from __future__ import annotations

import numpy as np

from embedlayer._types import Float64Array, IntArray
from embedlayer.compress._kernels_prune import bucket_sums, word_sums

__all__ = ["WordBucketMap", "cgls"]


class WordBucketMap:
    """A (words, cols) sparse matrix: ``A[w, cols[j]] += scale[w]`` for each occurrence j of w.

    ``indptr`` (words + 1,) and ``cols`` (occurrences,) are CSR arrays (int64); a word with
    no occurrence has a zero row. The products run in ``_kernels_prune`` (float64).
    """

    def __init__(self, indptr: IntArray, cols: IntArray, scale: Float64Array, n_cols: int):
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.cols = np.ascontiguousarray(cols, dtype=np.int64)
        self.scale = np.ascontiguousarray(scale, dtype=np.float64)
        self.n_words = self.indptr.size - 1
        self.n_cols = int(n_cols)

    def matvec(self, x: Float64Array) -> Float64Array:
        """``A @ x``: (n_cols, dim) -> (n_words, dim) float64."""
        out = np.empty((self.n_words, x.shape[1]), dtype=np.float64)
        word_sums(self.indptr, self.cols, self.scale, np.ascontiguousarray(x), out)
        return out

    def rmatvec(self, r: Float64Array) -> Float64Array:
        """``A.T @ r``: (n_words, dim) -> (n_cols, dim) float64."""
        out = np.zeros((self.n_cols, r.shape[1]), dtype=np.float64)
        bucket_sums(self.indptr, self.cols, self.scale, np.ascontiguousarray(r), out)
        return out


def cgls(a: WordBucketMap, y: Float64Array, x0: Float64Array, iters: int) -> Float64Array:
    """``iters`` steps of CGLS for ``min ||A X - Y||`` from ``x0``, each column on its own.

    Each column of X is a separate least-squares problem with the same A; per-column step
    sizes make every column exact CGLS, whose residual ``||A x - y||`` never increases. A
    column that has converged (its gradient exactly zero) stops moving. Returns a new array.
    """
    x = np.array(x0, dtype=np.float64)  # (n_cols, dim)
    r = y - a.matvec(x)  # (n_words, dim)
    s = a.rmatvec(r)  # (n_cols, dim): the negative gradient
    p = s.copy()
    gamma = np.einsum("ij,ij->j", s, s)  # (dim,)
    for _ in range(iters):
        if not gamma.any():
            break
        q = a.matvec(p)
        qq = np.einsum("ij,ij->j", q, q)
        alpha = np.divide(gamma, qq, out=np.zeros_like(gamma), where=qq > 0)
        x += alpha * p
        r -= alpha * q
        s = a.rmatvec(r)
        gamma_new = np.einsum("ij,ij->j", s, s)
        beta = np.divide(gamma_new, gamma, out=np.zeros_like(gamma), where=gamma > 0)
        p *= beta
        p += s
        gamma = gamma_new
    return x
