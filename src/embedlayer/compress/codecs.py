"""Compressed matrices ("codecs"): scalar-quantized, product-quantized and low-rank rows, each
able to rebuild any rows and to score queries against all its rows without rebuilding them.

What it holds: :class:`ScalarCodec` (int8 or 4-bit codes with a scale and an offset per row or
per dimension), :class:`PQCodec` (uint8 codes into per-sub-space codebooks, optionally after
an orthogonal rotation: OPQ), :class:`LowRankCodec` (E = A @ B), and the :class:`Codec`
protocol they share: ``rows``, ``dim``, ``decode(ids)``, ``decode_range(start, end)``,
``dots(queries, start, end)`` (inner products with the rebuilt rows ``start:end``),
``nbytes``, and ``arrays()`` / ``params()`` / ``from_arrays(...)`` for files. Fitting them to a
matrix is ``quantize.py``'s job; the stores around them are ``store.py``'s.

Layouts (shared with ``nn.compressed``, which turns the same arrays into torch layers):

- scalar: ``codes`` uint8, (N, D) for 8 bits or (N, ceil(D/2)) for 4 bits, two codes a byte,
  column 2j in the low nibble and 2j+1 in the high one; ``scale``, ``offset`` float32 of
  shape (N,) (``axis="row"``) or (D,) (``axis="dim"``); a value is ``offset + scale * code``.
- PQ: ``codes`` uint8 (N, M); ``codebooks`` float32 (M, K, r / M), K <= 256, where r is
  the coded dimension (D without a rotation); optional ``rotation`` float32 (D, r) with
  orthonormal columns: the codes quantize ``x @ R``, so a row is rebuilt as ``concat_j
  codebooks[j, codes[:, j]] @ R.T``. R is square for OPQ's rotation; with r < D it also
  projects on the top r singular directions first (PQ of a rank-r truncation, as faiss's
  ``PCA``/``OPQ`` pre-transforms with a smaller output). Optional ``norms`` float32 (N,):
  the codes quantize the unit direction ``x / |x|`` and a row is rebuilt times its norm.
- low rank: ``a`` float32 (N, r), ``b`` float32 (r, D); a row is ``a[i] @ b``.

ADC (Jégou et al. 2011): a query's inner product with a PQ row is the sum over sub-spaces of
``<query_j, codebooks[j, code_j]>``; the (M, K) table of those products is built once per
query (from ``query @ R`` when there is a rotation), then each row costs M look-ups
(``_kernels.adc_one`` for one query; ``_kernels.adc``, which adds the Q queries' entries of a
code as one contiguous vector, for a few) instead of D multiply-adds on a rebuilt float row.
A large batch of queries rebuilds a block of rows in the coded space (r columns, no rotation)
and multiplies it with ``queries @ R`` by BLAS: r multiply-adds a row, not D.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.errors import ConfigError, FormatError

__all__ = ["Axis", "Codec", "LowRankCodec", "PQCodec", "ScalarCodec", "codec_from_arrays"]

Axis = Literal["row", "dim"]
_ADC_QUERIES = 16  # queries per ADC pass: their (M, K, Q) table stays in cache
ADC_MAX_QUERIES = 16  # more queries at once: rebuild a block of rows and use BLAS instead


@runtime_checkable
class Codec(Protocol):
    kind: str

    @property
    def rows(self) -> int: ...

    @property
    def dim(self) -> int: ...

    @property
    def nbytes(self) -> int: ...

    def decode(self, ids: np.ndarray) -> FloatArray: ...

    def decode_range(self, start: int, end: int) -> FloatArray: ...

    def dots(self, queries: np.ndarray, start: int, end: int) -> FloatArray: ...

    def arrays(self) -> dict[str, np.ndarray]: ...

    def params(self) -> dict[str, Any]: ...


def _readonly(arr: np.ndarray) -> np.ndarray:
    # ours now (a copy), unless it is a memory map or already read-only (shared)
    arr = arr.copy() if arr.flags.writeable and not isinstance(arr, np.memmap) else arr.view()
    arr.setflags(write=False)
    return arr


def _array(value: Any, dtype: Any, ndim: int, what: str, where: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype != np.dtype(dtype):
        raise ConfigError(f"{where}: {what} must be {np.dtype(dtype).name}, got {arr.dtype}")
    if arr.ndim != ndim:
        raise ConfigError(f"{where}: {what} must be {ndim}-d, got shape {arr.shape}")
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    return _readonly(arr)


def _finite(arr: np.ndarray, what: str, where: str) -> None:
    if arr.size and not np.isfinite(arr).all():
        raise ConfigError(f"{where}: {what} holds NaN or infinite values")


# --- scalar quantization ---------------------------------------------------------------------
class ScalarCodec:
    """Scalar-quantized rows: ``offset + scale * code`` with 8- or 4-bit codes (see the module
    docstring for the layout)."""

    kind = "scalar"

    def __init__(self, codes: Any, scale: Any, offset: Any, *, bits: int, axis: Axis,
                 dim: int) -> None:
        where = "ScalarCodec"
        if bits not in (4, 8):
            raise ConfigError(f"{where}: bits must be 8 or 4, got {bits!r}")
        if axis not in ("row", "dim"):
            raise ConfigError(f"{where}: axis must be 'row' or 'dim', got {axis!r}")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ConfigError(f"{where}: dim must be an int >= 1, got {dim!r}")
        self.codes = _array(codes, np.uint8, 2, "codes", where)
        width = dim if bits == 8 else (dim + 1) // 2
        if self.codes.shape[1] != width:
            raise ConfigError(f"{where}: {bits}-bit codes of {dim} dimensions need {width} "
                              f"columns, got {self.codes.shape[1]}")
        self.scale = _array(scale, np.float32, 1, "scale", where)
        self.offset = _array(offset, np.float32, 1, "offset", where)
        want = self.codes.shape[0] if axis == "row" else dim
        for name, arr in (("scale", self.scale), ("offset", self.offset)):
            if arr.shape != (want,):
                raise ConfigError(f"{where}: {name} must have shape ({want},) for axis={axis!r}, "
                                  f"got {arr.shape}")
            _finite(arr, name, where)
        self.bits = bits
        self.axis: Axis = axis
        self._dim = dim

    @property
    def rows(self) -> int:
        return int(self.codes.shape[0])

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def nbytes(self) -> int:
        return int(self.codes.nbytes + self.scale.nbytes + self.offset.nbytes)

    def _unpack(self, codes: np.ndarray) -> np.ndarray:
        if self.bits == 8:
            return codes
        out = np.empty((codes.shape[0], codes.shape[1] * 2), dtype=np.uint8)
        np.bitwise_and(codes, 15, out=out[:, 0::2])
        np.right_shift(codes, 4, out=out[:, 1::2])
        return out[:, :self._dim]

    def _values(self, codes: np.ndarray, rows: np.ndarray | slice) -> FloatArray:
        values = self._unpack(codes).astype(np.float32)
        if self.axis == "row":
            values *= self.scale[rows][:, None]
            values += self.offset[rows][:, None]
        else:
            values *= self.scale
            values += self.offset
        return values

    def decode(self, ids: np.ndarray) -> FloatArray:
        ids = np.asarray(ids, dtype=np.int64)
        return self._values(self.codes[ids], ids)

    def decode_range(self, start: int, end: int) -> FloatArray:
        return self._values(self.codes[start:end], slice(start, end))

    def dots(self, queries: np.ndarray, start: int, end: int) -> FloatArray:
        return np.asarray(queries, dtype=np.float32) @ self.decode_range(start, end).T

    def arrays(self) -> dict[str, np.ndarray]:
        return {"codes": self.codes, "scale": self.scale, "offset": self.offset}

    def params(self) -> dict[str, Any]:
        return {"kind": self.kind, "bits": self.bits, "axis": self.axis, "dim": self._dim}

    def __repr__(self) -> str:
        return f"ScalarCodec({self.rows:,} x {self._dim}, bits={self.bits}, axis={self.axis!r})"


# --- product quantization --------------------------------------------------------------------
class PQCodec:
    """Product-quantized rows: M uint8 codes a row into per-sub-space codebooks, optionally in
    a rotated space (OPQ); see the module docstring for the layout and ADC."""

    kind = "pq"

    def __init__(self, codes: Any, codebooks: Any, rotation: Any = None,
                 norms: Any = None) -> None:
        where = "PQCodec"
        self.codes = _array(codes, np.uint8, 2, "codes", where)
        self.codebooks = _array(codebooks, np.float32, 3, "codebooks", where)
        m, k, sub = self.codebooks.shape
        if self.codes.shape[1] != m:
            raise ConfigError(f"{where}: codes have {self.codes.shape[1]} columns but there are "
                              f"{m} codebooks")
        if not 1 <= k <= 256:
            raise ConfigError(f"{where}: codebooks must have 1..256 centroids, got {k}")
        if self.codes.size and int(self.codes.max()) >= k:
            raise ConfigError(f"{where}: a code is {int(self.codes.max())}, but the codebooks "
                              f"have {k} centroids")
        _finite(self.codebooks, "codebooks", where)
        dim = m * sub
        self.rotation = None
        if rotation is not None:
            self.rotation = _array(rotation, np.float32, 2, "rotation", where)
            if self.rotation.shape[1] != m * sub or self.rotation.shape[0] < m * sub:
                raise ConfigError(f"{where}: rotation must be (D, {m * sub}) with D >= "
                                  f"{m * sub} (the codebooks code {m * sub} columns), got "
                                  f"{self.rotation.shape}")
            _finite(self.rotation, "rotation", where)
            dim = int(self.rotation.shape[0])
        self.norms = None
        if norms is not None:
            self.norms = _array(norms, np.float32, 1, "norms", where)
            if self.norms.shape != (self.codes.shape[0],):
                raise ConfigError(f"{where}: norms must have one value a row "
                                  f"({self.codes.shape[0]}), got {self.norms.shape}")
            _finite(self.norms, "norms", where)
        self._dim = dim
        self._tables_cache: tuple[Any, list[np.ndarray]] | None = None

    @property
    def rows(self) -> int:
        return int(self.codes.shape[0])

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def m(self) -> int:
        return int(self.codebooks.shape[0])

    @property
    def k(self) -> int:
        return int(self.codebooks.shape[1])

    @property
    def rank(self) -> int:
        """r, the coded dimension: the codebooks' columns (``dim`` without a projection)."""
        return int(self.codebooks.shape[0] * self.codebooks.shape[2])

    @property
    def nbytes(self) -> int:
        extra = sum(a.nbytes for a in (self.rotation, self.norms) if a is not None)
        return int(self.codes.nbytes + self.codebooks.nbytes + extra)

    def _coded(self, codes: np.ndarray) -> FloatArray:
        """(n, r) the rows in the coded space: their centroids, before rotation and norms."""
        from embedlayer.compress._kernels import pq_decode

        out = np.empty((codes.shape[0], self.rank), dtype=np.float32)
        if len(codes):
            pq_decode(np.ascontiguousarray(codes), self.codebooks, out)
        return out

    def _rebuild(self, codes: np.ndarray, norms: np.ndarray | None) -> FloatArray:
        out = self._coded(codes)
        if self.rotation is not None:
            out = out @ self.rotation.T
        if norms is not None:
            out *= norms[:, None]
        return out

    def decode(self, ids: np.ndarray) -> FloatArray:
        ids = np.asarray(ids, dtype=np.int64)
        return self._rebuild(self.codes[ids], None if self.norms is None else self.norms[ids])

    def decode_range(self, start: int, end: int) -> FloatArray:
        return self._rebuild(self.codes[start:end],
                             None if self.norms is None else self.norms[start:end])

    def tables(self, queries: np.ndarray) -> FloatArray:
        """(Q, M, K) float32: each query's inner products with every centroid, per sub-space."""
        m, _, sub = self.codebooks.shape
        return np.ascontiguousarray(np.einsum("qms,mks->qmk",
                                              self._project(queries).reshape(-1, m, sub),
                                              self.codebooks, optimize=True), dtype=np.float32)

    def _project(self, queries: np.ndarray) -> FloatArray:
        """(Q, r) the queries in the coded space (``queries @ R``)."""
        q = np.asarray(queries, dtype=np.float32)
        return q @ self.rotation if self.rotation is not None else q

    def dots(self, queries: np.ndarray, start: int, end: int) -> FloatArray:
        """(Q, end - start) inner products with the rebuilt rows: by ADC on the codes for up to
        ``ADC_MAX_QUERIES`` queries; a larger batch rebuilds rows ``start:end`` in the coded
        space (that block only, r columns) and multiplies them with the projected queries by
        BLAS, which is faster once there are enough queries to amortize the rebuild."""
        from embedlayer.compress._kernels import adc, adc_one

        codes = self.codes[start:end]
        if len(queries) > ADC_MAX_QUERIES:
            out = self._project(queries) @ self._coded(codes).T
        elif len(queries) == 1:
            table = self._query_tables(queries)[0]
            out = np.empty((1, end - start), dtype=np.float32)
            adc_one(np.ascontiguousarray(table[:, :, 0]), np.ascontiguousarray(codes), out[0])
        else:
            out = self._adc(adc, self._query_tables(queries), codes)
        if self.norms is not None:
            out *= self.norms[start:end]
        return out

    @staticmethod
    def _adc(adc: Any, blocks: list[np.ndarray], codes: np.ndarray) -> FloatArray:
        n_queries = sum(b.shape[2] for b in blocks)
        out = np.empty((n_queries, len(codes)), dtype=np.float32)
        part = np.empty((len(codes), blocks[0].shape[2] if blocks else 1), dtype=np.float32)
        a = 0
        for block in blocks:
            b = a + block.shape[2]
            adc(block, codes, part[:, :b - a])
            out[a:b] = part[:, :b - a].T
            a = b
        return out

    def _query_tables(self, queries: np.ndarray) -> list[np.ndarray]:
        """The queries' tables as (M, K, Q) blocks of ``_ADC_QUERIES`` (queries last, as the
        kernel reads them); kept for the next call with equal queries (a neighbour search
        scores the same queries against one block of rows after another)."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        key = (q.shape, hashlib.blake2b(q.tobytes(), digest_size=16).digest())
        cached = self._tables_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        tables = self.tables(q)
        blocks = [np.ascontiguousarray(tables[a:a + _ADC_QUERIES].transpose(1, 2, 0))
                  for a in range(0, len(tables), _ADC_QUERIES)]
        self._tables_cache = (key, blocks)
        return blocks

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"codes": self.codes, "codebooks": self.codebooks}
        if self.rotation is not None:
            out["rotation"] = self.rotation
        if self.norms is not None:
            out["norms"] = self.norms
        return out

    def params(self) -> dict[str, Any]:
        return {"kind": self.kind, "m": self.m, "k": self.k, "dim": self._dim,
                "rank": self.rank, "rotation": self.rotation is not None,
                "normalized": self.norms is not None}

    def __repr__(self) -> str:
        rank = f", rank={self.rank}" if self.rank != self._dim else ""
        return (f"PQCodec({self.rows:,} x {self._dim}, m={self.m}, k={self.k}{rank}, "
                f"rotation={self.rotation is not None}, normalized={self.norms is not None})")


# --- low rank --------------------------------------------------------------------------------
class LowRankCodec:
    """Rows of ``a @ b``: ``a`` (N, r), ``b`` (r, D), both float32."""

    kind = "lowrank"

    def __init__(self, a: Any, b: Any) -> None:
        where = "LowRankCodec"
        self.a = _array(a, np.float32, 2, "a", where)
        self.b = _array(b, np.float32, 2, "b", where)
        if self.a.shape[1] != self.b.shape[0]:
            raise ConfigError(f"{where}: a is {self.a.shape} and b is {self.b.shape}; a's "
                              f"columns must equal b's rows (the rank)")
        _finite(self.a, "a", where)
        _finite(self.b, "b", where)

    @property
    def rows(self) -> int:
        return int(self.a.shape[0])

    @property
    def dim(self) -> int:
        return int(self.b.shape[1])

    @property
    def rank(self) -> int:
        return int(self.b.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.a.nbytes + self.b.nbytes)

    def decode(self, ids: np.ndarray) -> FloatArray:
        return self.a[np.asarray(ids, dtype=np.int64)] @ self.b

    def decode_range(self, start: int, end: int) -> FloatArray:
        return self.a[start:end] @ self.b

    def dots(self, queries: np.ndarray, start: int, end: int) -> FloatArray:
        return (np.asarray(queries, dtype=np.float32) @ self.b.T) @ self.a[start:end].T

    def arrays(self) -> dict[str, np.ndarray]:
        return {"a": self.a, "b": self.b}

    def params(self) -> dict[str, Any]:
        return {"kind": self.kind, "rank": self.rank, "dim": self.dim}

    def __repr__(self) -> str:
        return f"LowRankCodec({self.rows:,} x {self.dim}, rank={self.rank})"


def codec_from_arrays(arrays: dict[str, np.ndarray], params: Any, where: str) -> Codec:
    """Rebuild a codec from ``arrays()`` and ``params()`` as a file stored them (``where``
    names the file in errors)."""
    if not isinstance(params, dict):
        raise FormatError(f"{where}: the codec's parameters must be a JSON object, got {params!r}")
    kind = params.get("kind")

    def need(*names: str) -> list[np.ndarray]:
        missing = [n for n in names if n not in arrays]
        if missing:
            raise FormatError(f"{where}: a {kind} codec needs the arrays {', '.join(names)}; "
                              f"{', '.join(missing)} missing")
        return [arrays[n] for n in names]

    try:
        if kind == "scalar":
            codes, scale, offset = need("codes", "scale", "offset")
            return ScalarCodec(codes, scale, offset, bits=params.get("bits"),
                               axis=params.get("axis"), dim=params.get("dim"))
        if kind == "pq":
            codes, codebooks = need("codes", "codebooks")
            codec: Codec = PQCodec(codes, codebooks, arrays.get("rotation"), arrays.get("norms"))
            if params.get("dim") != codec.dim:
                raise FormatError(f"{where}: dim {params.get('dim')!r} does not match the "
                                  f"codebooks ({codec.dim})")
            return codec
        if kind == "lowrank":
            a, b = need("a", "b")
            return LowRankCodec(a, b)
    except ConfigError as exc:
        raise FormatError(f"{where}: {exc}") from None
    raise FormatError(f"{where}: unknown codec kind {kind!r} (expected scalar, pq or lowrank)")


def ratio(dense_bytes: int, codec_bytes: int) -> float:
    """How many times smaller (``inf`` for an empty codec)."""
    return dense_bytes / codec_bytes if codec_bytes else math.inf
