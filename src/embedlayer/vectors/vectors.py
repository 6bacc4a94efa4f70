"""`Vectors`: keys (a ``Vocab``) plus an immutable float32 matrix, with cached derived state.

What it holds: the matrix E (N x D, float32, read-only; may be a memory map), lookups by key
or id, the OOV policy, cached row norms, and query methods that delegate to the free
functions of ``vectors/query.py``. Unit-normalized rows are never stored as a full copy
unless asked for (``unit_matrix()``): queries normalize block by block. What it leaves out:
files. ``vectors/io`` imports this value type (``save_vectors(v, path, format=...)``,
``load_vectors(path)``); this module imports nothing from it (STYLE.md rule 18).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.errors import ConfigError, UnknownTokenError
from embedlayer.vectors.base import OOVVectorPolicy
from embedlayer.vectors.methods import QueryMethods
from embedlayer.vocab import Vocab

__all__ = ["Vectors"]

_POLICIES = ("raise", "zeros", "random")


def _as_vocab(keys: Vocab | Sequence[str]) -> Vocab:
    return keys if isinstance(keys, Vocab) else Vocab(list(keys), unk_token=None)


def _readonly_float32(matrix: Any, n: int) -> FloatArray:
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ConfigError(f"matrix must be 2-d (N, D), got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ConfigError(f"matrix has {arr.shape[0]} rows but there are {n} keys")
    if arr.dtype != np.float32 or not (arr.flags.aligned and arr.flags.c_contiguous):
        # One aligned C-contiguous copy, so row gathers never copy the whole matrix.
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if not arr.flags.aligned:
            arr = arr.copy()
    elif arr.flags.writeable and not isinstance(arr, np.memmap):
        arr = arr.copy()  # ours now: nobody else can change it under us
    if isinstance(arr, np.memmap) or not arr.flags.writeable:
        arr = arr.view()
    arr.setflags(write=False)
    return arr


def _check_seed(seed: Any, *, name: str = "seed") -> int:
    """``seed`` if it is an integer in [0, 2**63), else ``ConfigError`` naming ``name``.

    The same rule as the trainers' seeds (bool is not an integer here); the upper bound is
    the 8 bytes the seed keys the hash with.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) \
            or not 0 <= seed < 2**63:
        raise ConfigError(f"{name} must be an integer >= 0 (and < 2**63), got {seed!r}")
    return int(seed)


def random_oov_vector(key: str, dim: int, *, seed: int = 0, scale: float = 0.1) -> FloatArray:
    """A fixed pseudo-random vector for ``key``: same key, seed and dim -> same vector."""
    seed = _check_seed(seed, name="random_oov_vector: seed")
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8,
                             key=seed.to_bytes(8, "little", signed=True)).digest()
    rng = np.random.default_rng(int.from_bytes(digest, "little"))
    return rng.uniform(-scale, scale, size=dim).astype(np.float32)


def check_oov_policy(oov: Any, seed: Any, where: str) -> int:
    """``ConfigError`` unless ``oov`` is a policy name; returns the checked seed."""
    if oov not in _POLICIES:
        raise ConfigError(f"oov must be one of {', '.join(_POLICIES)}, got {oov!r}")
    return _check_seed(seed, name=f"{where}: oov_seed")


def oov_vector(key: str, policy: OOVVectorPolicy, dim: int, seed: int, size: int) -> FloatArray:
    """What a store of ``size`` keys returns for the unknown ``key`` under ``policy``."""
    if policy == "zeros":
        return np.zeros(dim, dtype=np.float32)
    if policy == "random":
        return random_oov_vector(key, dim, seed=seed)
    raise UnknownTokenError(f"{key!r} is not among the {size:,} keys of these vectors "
                            f"(oov policy 'raise'; choose 'zeros' or 'random' to allow it)")


class Vectors(QueryMethods):
    """Dense word vectors: ``vocab`` (keys in row order) and ``matrix`` (N x D float32).

    >>> v = Vectors(["a", "b"], [[1, 0], [0, 1]])
    >>> v["a"].tolist(), v.dim, len(v)
    ([1.0, 0.0], 2, 2)
    """

    def __init__(
        self,
        keys: Vocab | Sequence[str],
        matrix: Any,
        *,
        oov: OOVVectorPolicy = "raise",
        oov_seed: int = 0,
    ) -> None:
        if oov not in _POLICIES:
            raise ConfigError(f"oov must be one of {', '.join(_POLICIES)}, got {oov!r}")
        self._vocab = _as_vocab(keys)
        self._matrix = _readonly_float32(matrix, len(self._vocab))
        self._oov: OOVVectorPolicy = oov
        self._oov_seed = _check_seed(oov_seed, name="Vectors: oov_seed")
        self._norms: FloatArray | None = None
        self._unit: FloatArray | None = None

    # --- the VectorStore interface -----------------------------------------------------
    @property
    def vocab(self) -> Vocab:
        return self._vocab

    @property
    def keys(self) -> list[str]:
        return self._vocab.tokens

    @property
    def matrix(self) -> FloatArray:
        return self._matrix

    @property
    def dim(self) -> int:
        return int(self._matrix.shape[1])

    @property
    def oov(self) -> OOVVectorPolicy:
        return self._oov

    def __len__(self) -> int:
        return len(self._vocab)

    def __contains__(self, key: object) -> bool:
        return key in self._vocab

    def __iter__(self):
        return iter(self._vocab)

    def __getitem__(self, key: str) -> FloatArray:
        idx = self._vocab.get(key)
        if idx is not None:
            return self._matrix[idx]
        return self._oov_vector(key)

    def get(self, key: str, default: Any = None) -> Any:
        idx = self._vocab.get(key)
        return self._matrix[idx] if idx is not None else default

    def lookup(self, keys: Sequence[str]) -> FloatArray:
        """(len(keys), dim) float32 copy; unknown keys follow the OOV policy."""
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        get = self._vocab.get
        for i, key in enumerate(keys):
            idx = get(key)
            out[i] = self._matrix[idx] if idx is not None else self._oov_vector(key)
        return out

    def lookup_ids(self, ids: Iterable[int] | np.ndarray) -> FloatArray:
        """Rows by id ((n, dim) float32 copy); ids must be in range."""
        arr = np.asarray(ids, dtype=np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            bad = int(arr[(arr < 0) | (arr >= len(self))][0])
            raise UnknownTokenError(f"id {bad} is out of range for {len(self)} vectors")
        return self._matrix[arr]

    def _oov_vector(self, key: str) -> FloatArray:
        return oov_vector(key, self._oov, self.dim, self._oov_seed, len(self))

    def with_oov(self, oov: OOVVectorPolicy, *, seed: int = 0) -> Vectors:
        """The same vectors (shared matrix, no copy) with another OOV policy."""
        if oov not in _POLICIES:
            raise ConfigError(f"oov must be one of {', '.join(_POLICIES)}, got {oov!r}")
        seed = _check_seed(seed, name="Vectors.with_oov: seed")
        out = copy.copy(self)  # shares the matrix and the cached norms
        out._oov, out._oov_seed = oov, seed
        return out

    # --- derived state (computed once, never stale: the matrix cannot change) ----------
    def unit_matrix(self) -> FloatArray:
        """Rows scaled to unit length (zero rows stay zero): a full copy, cached once asked."""
        if self._unit is None:
            safe = np.where(self.norms > 0, self.norms, 1.0).astype(np.float32)
            unit = self._matrix / safe[:, None]
            unit.setflags(write=False)
            self._unit = unit
        return self._unit

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vectors):
            return NotImplemented
        return self._vocab.tokens == other._vocab.tokens and np.array_equal(self._matrix, other._matrix)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vectors({len(self):,} x {self.dim}, oov={self._oov!r})"
