"""Fitting codecs to a float matrix: scalar quantization, product quantization (k-means per
sub-space, optionally OPQ's rotation first) and low-rank factorization (truncated or
randomized SVD).

What it holds: :func:`fit_scalar`, :func:`fit_pq`, :func:`fit_lowrank`, and :func:`kmeans`
(Lloyd's algorithm over the numba kernels of ``_kernels.py``). Each takes any 2-d float
array (a memory map is read block by block where the method allows it) and returns the codec
of ``codecs.py``. What it leaves out: the stores built around a codec (``store.py``).

- Scalar: asymmetric min / max per row (``axis="row"``) or per dimension (``"dim"``):
  ``scale = (max - min) / (2**bits - 1)``, ``offset = min``, ``code = round((x - min) /
  scale)``; a constant row or column gets scale 0 and code 0, so it is rebuilt exactly. The
  error of a value is at most ``scale / 2`` (plus float rounding).
- PQ: the D columns are cut into M sub-spaces of D / M columns; each gets K centroids by
  k-means on a sample of at most ``sample`` rows (faiss's default: 256 per centroid), seeded
  with K distinct random rows; an empty cluster is re-seeded with the row farthest from its
  centroid; Lloyd stops when no row changes cluster or after ``iters`` rounds. Then every
  row is encoded. OPQ (Ge et al. 2013, the non-parametric version): alternate a PQ fit in the
  rotated space with the orthogonal Procrustes rotation that best maps the rows onto their
  reconstructions, ``opq_iters`` times, then fit the final PQ in that space. ``rank`` r < D
  first projects the rows on their top r right singular vectors (the truncated SVD of
  ``fit_lowrank``), so the M codes spend their bits on r columns that hold most of the
  energy instead of on D (faiss's ``PCAr,PQm``, or ``OPQm_r`` with OPQ); the stored
  rotation is then the (D, r) product of the projection and OPQ's (r, r) rotation.
- Low rank: ``method="svd"`` (exact: for a tall matrix the eigenvectors of the D x D Gram
  matrix, accumulated block by block, so a memory-mapped matrix is never copied whole) or
  ``"randomized"`` (Halko et al. 2011, with ``oversample`` extra columns and ``power_iters``
  power iterations; seeded). B = V_r^T (the top right singular vectors), A = X V_r: the best
  rank-r approximation in Frobenius norm (exactly so for "svd").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.compress.codecs import Axis, LowRankCodec, PQCodec, ScalarCodec
from embedlayer.errors import ConfigError

__all__ = ["fit_lowrank", "fit_pq", "fit_scalar", "kmeans"]

_BLOCK_ROWS = 1 << 16


def _int(name: str, value: Any, low: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigError(f"{where}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def _matrix(matrix: Any, where: str) -> np.ndarray:
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ConfigError(f"{where}: expected a 2-d matrix (rows, dim), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ConfigError(f"{where}: the matrix is empty (shape {arr.shape}); nothing to "
                          f"compress")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ConfigError(f"{where}: expected a float matrix, got dtype {arr.dtype}")
    for start in range(0, arr.shape[0], _BLOCK_ROWS):
        block = arr[start:start + _BLOCK_ROWS]
        if not np.isfinite(block).all():
            bad = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            raise ConfigError(f"{where}: row {bad} holds NaN or infinite values; clean or drop "
                              f"it before compressing")
    return arr


# --- scalar ----------------------------------------------------------------------------------
def _encode_scalar(block: np.ndarray, lo: np.ndarray, scale: np.ndarray, bits: int,
                   axis: Axis) -> np.ndarray:
    x = block.astype(np.float32)
    if axis == "row":
        lo, scale = lo[:, None], scale[:, None]
    safe = np.where(scale > 0, scale, np.float32(1.0))
    codes = np.rint((x - lo) / safe)
    np.clip(codes, 0, 2**bits - 1, out=codes)
    codes = codes.astype(np.uint8)
    if bits == 8:
        return codes
    if codes.shape[1] % 2:
        codes = np.concatenate([codes, np.zeros((len(codes), 1), np.uint8)], axis=1)
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)


def fit_scalar(matrix: Any, *, bits: int = 8, axis: Axis = "row") -> ScalarCodec:
    """Quantize every value to ``bits`` (8 or 4) with a scale and offset per row or column."""
    where = "fit_scalar"
    if bits not in (4, 8):
        raise ConfigError(f"{where}: bits must be 8 or 4, got {bits!r}")
    if axis not in ("row", "dim"):
        raise ConfigError(f"{where}: axis must be 'row' or 'dim', got {axis!r}")
    x = _matrix(matrix, where)
    n, dim = x.shape
    levels = np.float32(2**bits - 1)
    if axis == "dim":
        lo = np.full(dim, np.inf, dtype=np.float32)
        hi = np.full(dim, -np.inf, dtype=np.float32)
        for start in range(0, n, _BLOCK_ROWS):
            block = x[start:start + _BLOCK_ROWS]
            np.minimum(lo, block.min(axis=0), out=lo)
            np.maximum(hi, block.max(axis=0), out=hi)
    else:
        lo = np.empty(n, dtype=np.float32)
        hi = np.empty(n, dtype=np.float32)
        for start in range(0, n, _BLOCK_ROWS):
            block = x[start:start + _BLOCK_ROWS]
            lo[start:start + len(block)] = block.min(axis=1)
            hi[start:start + len(block)] = block.max(axis=1)
    scale = ((hi - lo) / levels).astype(np.float32)
    width = dim if bits == 8 else (dim + 1) // 2
    codes = np.empty((n, width), dtype=np.uint8)
    for start in range(0, n, _BLOCK_ROWS):
        end = min(start + _BLOCK_ROWS, n)
        rows = slice(start, end) if axis == "row" else slice(None)
        codes[start:end] = _encode_scalar(x[start:end], lo[rows], scale[rows], bits, axis)
    return ScalarCodec(codes, scale, lo, bits=bits, axis=axis, dim=dim)


# --- k-means and PQ --------------------------------------------------------------------------
def kmeans(x: Any, k: int, *, iters: int = 25, seed: int = 0) -> tuple[FloatArray, np.ndarray]:
    """(centroids (k, d) float32, labels (n,) int32) by Lloyd's algorithm (see the module)."""
    from embedlayer.compress._kernels import accumulate, assign

    where = "kmeans"
    x = np.ascontiguousarray(x, dtype=np.float32)
    k = _int("k", k, 1, where)
    iters = _int("iters", iters, 1, where)
    n = len(x)
    if k > n:
        raise ConfigError(f"{where}: {k} centroids for {n} rows; there must be at least as "
                          f"many rows as centroids")
    rng = np.random.default_rng(seed)
    centroids = x[rng.choice(n, size=k, replace=False)].copy()
    labels = np.full(n, -1, dtype=np.int32)
    new = np.empty(n, dtype=np.int32)
    dist = np.empty(n, dtype=np.float32)
    sums = np.empty((k, x.shape[1]), dtype=np.float64)
    counts = np.empty(k, dtype=np.int64)
    for _ in range(iters):
        assign(x, np.ascontiguousarray(centroids.T), new, dist)
        if np.array_equal(new, labels):
            break
        labels[:] = new
        accumulate(x, labels, sums, counts)
        full = counts > 0
        centroids[full] = (sums[full] / counts[full, None]).astype(np.float32)
        empty = np.flatnonzero(~full)
        if empty.size:  # re-seed with the rows farthest from their centroids
            far = np.argsort(-dist, kind="stable")[:empty.size]
            centroids[empty] = x[far]
            dist[far] = 0.0
    assign(x, np.ascontiguousarray(centroids.T), labels, dist)
    return centroids, labels


def _encode_pq(x: np.ndarray, codebooks: np.ndarray, rotation: np.ndarray | None) -> np.ndarray:
    from embedlayer.compress._kernels import assign

    m, k, sub = codebooks.shape
    n = len(x)
    codes = np.empty((n, m), dtype=np.uint8)
    labels = np.empty(min(n, _BLOCK_ROWS), dtype=np.int32)
    dist = np.empty(min(n, _BLOCK_ROWS), dtype=np.float32)
    books_t = [np.ascontiguousarray(books.T) for books in codebooks]  # (sub, k) each, once
    for start in range(0, n, _BLOCK_ROWS):
        block = np.asarray(x[start:start + _BLOCK_ROWS], dtype=np.float32)
        if rotation is not None:
            block = block @ rotation
        b = len(block)
        for j in range(m):
            part = np.ascontiguousarray(block[:, j * sub:(j + 1) * sub])
            assign(part, books_t[j], labels[:b], dist[:b])
            codes[start:start + b, j] = labels[:b]
    return codes


def _train_pq(sample: np.ndarray, m: int, k: int, iters: int, seed: int) -> np.ndarray:
    sub = sample.shape[1] // m
    books = np.empty((m, k, sub), dtype=np.float32)
    for j in range(m):
        books[j], _ = kmeans(sample[:, j * sub:(j + 1) * sub], k, iters=iters, seed=seed + j)
    return books


def fit_pq(matrix: Any, *, m: int, k: int = 256, iters: int = 25, sample: int | None = None,
           opq: bool = False, opq_iters: int = 10, normalize: bool = False,
           rank: int = 0, seed: int = 0) -> PQCodec:
    """Product-quantize the rows into ``m`` sub-spaces of ``k`` centroids (uint8 codes, so
    ``k <= 256``): ``m`` bytes a row plus the codebooks. ``sample``: rows the codebooks are
    trained on (default ``256 * k``, all when fewer). ``opq``: learn a rotation first.
    ``normalize``: quantize each row's unit direction and keep its norm (4 more bytes a
    row), so the error goes into the directions cosine queries read, evenly over rows of
    every norm. ``rank``: project on the top ``rank`` singular directions first (0: keep
    all D dimensions); ``m`` must then divide ``rank``."""
    where = "fit_pq"
    x = _matrix(matrix, where)
    norms = None
    if normalize:
        norms = np.empty(len(x), dtype=np.float32)
        for start in range(0, len(x), _BLOCK_ROWS):
            block = np.asarray(x[start:start + _BLOCK_ROWS], dtype=np.float32)
            norms[start:start + len(block)] = np.linalg.norm(block, axis=1)
        safe = np.where(norms > 0, norms, np.float32(1.0))
        x = np.asarray(x, dtype=np.float32) / safe[:, None]  # zero rows stay zero
    n, dim = x.shape
    m = _int("m (sub-spaces)", m, 1, where)
    k = _int("k (centroids per sub-space)", k, 1, where)
    iters = _int("iters", iters, 1, where)
    opq_iters = _int("opq_iters", opq_iters, 1, where)
    rank = _int("rank", rank, 0, where)
    if rank > dim:
        raise ConfigError(f"{where}: rank {rank} is above the dimension {dim}; use 0 (no "
                          f"projection) or a rank <= {dim}")
    coded = rank or dim
    if coded % m:
        what = f"rank {coded}" if rank else f"{dim} dimensions"
        raise ConfigError(f"{where}: m={m} sub-spaces do not divide the {what}; choose a "
                          f"divisor of {coded}")
    if k > 256:
        raise ConfigError(f"{where}: k={k} centroids do not fit a uint8 code; use k <= 256")
    if k > n:
        raise ConfigError(f"{where}: k={k} centroids for {n} rows; there must be at least as "
                          f"many rows as centroids")
    sample = 256 * k if sample is None else _int("sample", sample, k, where)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=sample, replace=False)) if sample < n else np.arange(n)
    train = np.ascontiguousarray(x[rows], dtype=np.float32)
    projection = None
    if rank > n:
        raise ConfigError(f"{where}: rank {rank} is above the {n} rows; use a rank <= {n}")
    if rank and rank < dim:  # the top right singular vectors of all rows, (D, r)
        projection = np.ascontiguousarray(
            _right_vectors(x, rank, "svd", 0, 0, seed).astype(np.float32).T)
        train = train @ projection
    rotation = None
    if opq:
        rotation = np.eye(coded, dtype=np.float32)
        for it in range(opq_iters):
            rotated = train @ rotation
            books = _train_pq(rotated, m, k, max(4, iters // 4), seed + 1000 * it)
            rebuilt = PQCodec(_encode_pq(rotated, books, None), books).decode_range(0, len(train))
            u, _, vt = np.linalg.svd(train.T.astype(np.float64) @ rebuilt, full_matrices=False)
            rotation = (u @ vt).astype(np.float32)
        train = train @ rotation
    if projection is not None:
        rotation = projection if rotation is None else \
            (projection.astype(np.float64) @ rotation).astype(np.float32)
    books = _train_pq(train, m, k, iters, seed)
    return PQCodec(_encode_pq(x, books, rotation), books, rotation, norms)


# --- low rank --------------------------------------------------------------------------------
def fit_lowrank(matrix: Any, *, rank: int, method: str = "svd", oversample: int = 10,
                power_iters: int = 4, seed: int = 0) -> LowRankCodec:
    """The best rank-``rank`` factorization ``A @ B`` of the matrix (see the module)."""
    where = "fit_lowrank"
    x = _matrix(matrix, where)
    n, dim = x.shape
    rank = _int("rank", rank, 1, where)
    if rank > min(n, dim):
        raise ConfigError(f"{where}: rank {rank} is above min(rows, dim) = {min(n, dim)}")
    if method not in ("svd", "randomized"):
        raise ConfigError(f"{where}: method must be 'svd' or 'randomized', got {method!r}")
    oversample = _int("oversample", oversample, 0, where)
    if method == "randomized":
        power_iters = _int("power_iters", power_iters, 0, where)
    vt = _right_vectors(x, rank, method, oversample, power_iters, seed)
    a = np.empty((n, rank), dtype=np.float32)
    for start in range(0, n, _BLOCK_ROWS):
        block = np.asarray(x[start:start + _BLOCK_ROWS], dtype=np.float64)
        a[start:start + len(block)] = block @ vt.T  # A = X V_r, so A @ B is X's projection
    return LowRankCodec(a, vt.astype(np.float32))


def _right_vectors(x: np.ndarray, rank: int, method: str, oversample: int, power_iters: int,
                   seed: int) -> np.ndarray:
    """(rank, D) float64: X's top right singular vectors (arguments checked by the caller),
    each with a fixed sign (its largest entry positive), so the result does not depend on
    LAPACK's choice."""
    n, dim = x.shape
    if method == "svd" or rank + oversample >= min(n, dim):
        if n >= dim:  # tall: the D x D Gram matrix, accumulated block by block in float64
            gram = np.zeros((dim, dim), dtype=np.float64)
            for start in range(0, n, _BLOCK_ROWS):
                block = np.asarray(x[start:start + _BLOCK_ROWS], dtype=np.float64)
                gram += block.T @ block
            eig, v = np.linalg.eigh(gram)
            order = np.argsort(-eig, kind="stable")[:rank]
            vt = v[:, order].T
        else:
            _, _, vt = np.linalg.svd(np.asarray(x, dtype=np.float64), full_matrices=False)
    else:
        rng = np.random.default_rng(seed)
        q, _ = np.linalg.qr(_times(x, rng.standard_normal((dim, rank + oversample))))
        for _ in range(power_iters):
            q, _ = np.linalg.qr(_t_times(x, q))
            q, _ = np.linalg.qr(_times(x, q))
        _, _, vt = np.linalg.svd(_t_times(x, q).T, full_matrices=False)
    vt = vt[:rank]
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    return vt * signs[:, None]


def _times(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """X @ m in float64, X read block by block (a memory map is never copied whole)."""
    out = np.empty((len(x), m.shape[1]), dtype=np.float64)
    for start in range(0, len(x), _BLOCK_ROWS):
        out[start:start + _BLOCK_ROWS] = np.asarray(x[start:start + _BLOCK_ROWS],
                                                    dtype=np.float64) @ m
    return out


def _t_times(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """X.T @ q in float64, block by block."""
    out = np.zeros((x.shape[1], q.shape[1]), dtype=np.float64)
    for start in range(0, len(x), _BLOCK_ROWS):
        out += np.asarray(x[start:start + _BLOCK_ROWS], dtype=np.float64).T @ \
            q[start:start + _BLOCK_ROWS]
    return out
