"""Projecting a few vectors to 2-D (or a few) coordinates for a picture: PCA, t-SNE, UMAP.

What it holds: :func:`project`, rows in and low-dimensional coordinates out. PCA is exact and
numpy-only (the top right-singular vectors of the centered rows, signs fixed so the output
does not depend on the LAPACK build). t-SNE runs scikit-learn's ``TSNE`` and UMAP
umap-learn's ``UMAP``, each imported only when asked for; neither is a dependency, and a
missing one fails with the ``pip install`` line that adds it. What it leaves out: choosing
the rows (``embedlayer.viz``) and reducing a whole vocabulary for later use (these are
pictures of tens to a few thousand words, computed in memory).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np

from embedlayer.errors import ConfigError

__all__ = ["PROJECTION_METHODS", "ProjectionMethod", "project"]

ProjectionMethod = Literal["pca", "tsne", "umap"]
PROJECTION_METHODS: tuple[str, ...] = get_args(ProjectionMethod)
_TSNE_EXACT_ROWS = 300  # up to this many rows t-SNE computes exact gradients


def project(matrix: Any, method: ProjectionMethod = "pca", *, dims: int = 2,
            seed: int = 0) -> np.ndarray:
    """``(n, dims)`` float64 coordinates of the ``(n, d)`` rows of ``matrix``.

    ``method``: ``"pca"`` (deterministic; ``seed`` unused), ``"tsne"`` (scikit-learn,
    perplexity ``min(30, (n - 1) / 3)``, PCA initialization, exact gradients up to 300
    rows, Barnes-Hut above) or ``"umap"`` (umap-learn, ``n_neighbors = min(15, n - 1)``),
    the last two seeded with ``seed``. Needs ``n >= 2`` rows (``n >= 4`` for t-SNE and UMAP,
    whose neighbourhoods need a few points) and finite values.
    """
    if method not in PROJECTION_METHODS:
        raise ConfigError(f"project: method {method!r} is not one of "
                          f"{', '.join(PROJECTION_METHODS)}")
    if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
        raise ConfigError(f"project: dims must be an int >= 1, got {dims!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"project: seed must be an int >= 0, got {seed!r}")
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2:
        raise ConfigError(f"project: expected a 2-D matrix (rows, dim), got shape {x.shape}")
    least = 2 if method == "pca" else 4
    if x.shape[0] < least:
        raise ConfigError(f"project: {method} needs at least {least} rows, got {x.shape[0]}")
    if not np.isfinite(x).all():
        raise ConfigError("project: the matrix holds NaN or infinite values")
    if method == "pca":
        return _pca(x, dims)
    if method == "tsne":
        return _tsne(x, dims, seed)
    return _umap(x, dims, seed)


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    centered = x - x.mean(axis=0)
    # (n, d) = U S Vt; the coordinates along the top directions are U S. Fewer rows or
    # columns than ``dims`` leave zero columns (a flat picture, not an error).
    u, s, _ = np.linalg.svd(centered, full_matrices=False)
    k = min(dims, s.size)
    coords = np.zeros((x.shape[0], dims))
    coords[:, :k] = u[:, :k] * s[:k]
    # An axis's sign is arbitrary (LAPACK builds differ): make each one's largest
    # coordinate positive, so the same rows always give the same picture.
    for j in range(k):
        col = coords[:, j]
        if col[np.argmax(np.abs(col))] < 0:
            coords[:, j] = -col
    return coords


def _tsne(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise ConfigError("project: method 'tsne' needs scikit-learn: "
                                     "pip install scikit-learn") from None
    # scikit-learn requires perplexity < n; about n/3 keeps small sets from collapsing.
    perplexity = float(min(30.0, (x.shape[0] - 1) / 3))
    # Exact gradients for a few hundred points: Barnes-Hut's threaded tree costs more than it
    # saves there (seconds instead of a tenth on a busy machine), and it handles dims <= 3 only.
    exact = x.shape[0] <= _TSNE_EXACT_ROWS or dims > 3
    tsne = TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed,
                method="exact" if exact else "barnes_hut")
    return np.asarray(tsne.fit_transform(x), dtype=np.float64)


def _umap(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    try:
        import umap
    except ImportError:
        raise ConfigError("project: method 'umap' needs umap-learn: "
                                     "pip install umap-learn") from None
    reducer = umap.UMAP(n_components=dims, n_neighbors=min(15, x.shape[0] - 1),
                        random_state=seed, init="random" if x.shape[0] <= dims + 1
                        else "spectral")
    return np.asarray(reducer.fit_transform(x), dtype=np.float64)
