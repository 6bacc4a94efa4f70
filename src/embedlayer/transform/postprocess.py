"""All-but-the-top (Mu & Viswanath, 2018): remove the common mean and dominant directions.

Word vectors share a large mean vector and a few dominant directions (often tied to word
frequency) that make every pair look alike; subtracting the mean and the projections on the
top D principal components makes the vectors more isotropic and usually improves word
similarity. Here, with X the (N, dim) matrix, mu its row mean and U the top D eigenvectors
of the covariance (X - mu)^T (X - mu):

    X' = (X - mu) - (X - mu) U U^T

Memory: the store's matrix is read in blocks of rows (three passes: mean, covariance,
output), so beyond the (N, dim) float32 result only a dim x dim float64 covariance and one
block are held; statistics accumulate in float64. What it leaves out: other transforms
(normalization, mapping) and subword stores' n-gram buckets (the result keys the store's
words only).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.errors import ConfigError
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.vectors import Vectors

__all__ = ["all_but_the_top", "default_components", "top_directions"]

_BLOCK_ROWS = 16_384


def default_components(dim: int) -> int:
    """D = dim / 100 rounded, at least 1: the paper's rule of thumb (3 for 300 dims)."""
    return max(1, round(dim / 100))


def _blocks(matrix: Any, block_rows: int):
    for begin in range(0, matrix.shape[0], block_rows):
        yield np.asarray(matrix[begin:begin + block_rows], dtype=np.float64)


def top_directions(matrix: Any, n_components: int, *,
                   block_rows: int = _BLOCK_ROWS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean (dim,), components (n_components, dim), all eigenvalues (dim,), descending).

    The components are the leading eigenvectors of the centered covariance, rows unit-length,
    computed from ``matrix`` (N, dim) in blocks of ``block_rows`` rows.
    """
    n, dim = matrix.shape
    mean = np.zeros(dim, dtype=np.float64)
    for block in _blocks(matrix, block_rows):
        mean += block.sum(axis=0)
    mean /= n
    cov = np.zeros((dim, dim), dtype=np.float64)
    for block in _blocks(matrix, block_rows):
        centered = block - mean
        cov += centered.T @ centered
    values, vectors = np.linalg.eigh(cov)  # ascending
    order = np.argsort(values, kind="stable")[::-1]
    return mean, vectors[:, order[:n_components]].T.copy(), values[order]


def all_but_the_top(store: VectorStore, n_components: int | None = None, *,
                    block_rows: int = _BLOCK_ROWS) -> Vectors:
    """The store's vectors with the mean and the top ``n_components`` directions removed.

    ``n_components`` defaults to :func:`default_components` (dim / 100, at least 1) and must be
    in [1, dim). Works on any ``VectorStore``, reading its matrix ``block_rows`` rows at a
    time; returns new ``Vectors`` with the same keys (and the store's OOV policy when it is
    ``Vectors``).
    """
    if not isinstance(store, VectorStore):
        raise ConfigError(f"all_but_the_top: expected a VectorStore (Vectors, SubwordVectors...), "
                          f"got {type(store).__name__}")
    matrix = store.matrix
    n, dim = matrix.shape
    if n < 2:
        raise ConfigError(f"all_but_the_top: needs at least 2 vectors to find principal "
                          f"components, got {n}")
    if n_components is None:
        n_components = default_components(dim)
    if isinstance(n_components, bool) or not isinstance(n_components, int | np.integer) \
            or not 1 <= n_components < dim:
        raise ConfigError(f"all_but_the_top: n_components must be an integer in [1, {dim}) for "
                          f"{dim}-dimensional vectors, got {n_components!r}")
    if isinstance(block_rows, bool) or not isinstance(block_rows, int) or block_rows < 1:
        raise ConfigError(f"all_but_the_top: block_rows must be an integer >= 1, got "
                          f"{block_rows!r}")
    mean, top, _ = top_directions(matrix, int(n_components), block_rows=block_rows)
    out: FloatArray = np.empty((n, dim), dtype=np.float32)
    for k, block in enumerate(_blocks(matrix, block_rows)):
        centered = block - mean  # (B, dim)
        out[k * block_rows:k * block_rows + len(block)] = centered - (centered @ top.T) @ top
    oov = store.oov if isinstance(store, Vectors) else "raise"
    return Vectors(store.vocab, out, oov=oov)
