"""Compressed word vectors that are still a ``VectorStore``: every query, composition and
evaluation in the package works on them unchanged.

What it holds: :class:`CompressedVectors` (keys + one codec), :class:`CompressedSubwordVectors`
(fastText's composition over a compressed word table and a compressed n-gram table, so unknown
words still get vectors), and :class:`CompressionStats` (size and reconstruction error, what
the reports print). What it leaves out: fitting the codecs (``quantize.py``), the chain of
steps and its config (``pipeline.py``), files (``io.py``).

Lookups rebuild only the rows they need. Neighbour queries (``most_similar``, ``analogy``,
``neighbours`` ...) score queries against the codes block by block through ``block_dots``
(``vectors.query`` uses it when a store has it): ADC on PQ codes, a product with the low-rank
factors, a dequantized block for scalar codes; no full float matrix is built. ``matrix`` (the
whole rebuilt matrix) is there for code that needs a dense array; it is built on first use
and cached.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from embedlayer._types import FloatArray, IntArray
from embedlayer.compress.codecs import Codec
from embedlayer.errors import ConfigError, UnknownTokenError
from embedlayer.vectors import Vectors
from embedlayer.vectors.base import OOVVectorPolicy
from embedlayer.vectors.methods import QueryMethods
from embedlayer.vectors.query import row_norms
from embedlayer.vectors.subword import SubwordVectors, compose_rows, subword_ids
from embedlayer.vectors.vectors import check_oov_policy, oov_vector
from embedlayer.vocab import EOS, Vocab

__all__ = ["CompressedSubwordVectors", "CompressedVectors", "CompressionStats",
           "combine_errors", "dense_bytes", "error_sums", "measure_error"]

_BLOCK_ROWS = 1 << 15


@dataclass(frozen=True)
class CompressionStats:
    """How a compressed store compares with the dense one it came from."""

    dense_bytes: int  # float32 bytes of the dense matrices it replaces
    bytes: int  # bytes of its arrays (codes, codebooks, scales, factors)
    ratio: float  # dense_bytes / bytes
    relative_error: float  # ||E - E'||_F / ||E||_F over the compressed rows
    mean_cosine: float  # mean over rows of cos(e_i, e'_i) (rows of norm 0 left out)
    seconds: float  # fitting time

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def dense_bytes(store: Any) -> int:
    """The float32 bytes of a store's tables: its rows, plus a fastText store's n-gram
    buckets (what a compressed copy is measured against)."""
    return (len(store) + int(getattr(store, "bucket", 0))) * store.dim * 4


def measure_error(original: Any, codec: Codec) -> tuple[float, float]:
    """(relative Frobenius error, mean row cosine) of ``codec`` against ``original``, block by
    block (rows of norm 0 on either side are left out of the cosine)."""
    return combine_errors([error_sums(original, codec)])


def combine_errors(parts: list[tuple[float, float, float, int]]) -> tuple[float, float]:
    """``measure_error`` over several tables together, from their ``error_sums``."""
    err, total, cos_sum, counted = (sum(p[i] for p in parts) for i in range(4))
    return (float(np.sqrt(err / total)) if total > 0 else 0.0,
            cos_sum / counted if counted else 1.0)


def error_sums(original: Any, codec: Codec) -> tuple[float, float, float, int]:
    """(squared error, squared norm, sum of row cosines, rows counted) of a table."""
    err = total = cos_sum = 0.0
    counted = 0
    for start in range(0, codec.rows, _BLOCK_ROWS):
        end = min(start + _BLOCK_ROWS, codec.rows)
        a = np.asarray(original[start:end], dtype=np.float64)
        b = codec.decode_range(start, end).astype(np.float64)
        err += float(((a - b) ** 2).sum())
        total += float((a ** 2).sum())
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        ok = (na > 0) & (nb > 0)
        cos_sum += float(((a[ok] * b[ok]).sum(axis=1) / (na[ok] * nb[ok])).sum())
        counted += int(ok.sum())
    return err, total, cos_sum, counted


class CompressedVectors(QueryMethods):
    """Keys (a ``Vocab``) and a codec holding one compressed row per key.

    ``steps``: how it was made (the pipeline's steps, recorded in saved files); ``stats``: the
    ``CompressionStats`` measured when it was made (None when unknown).
    """

    def __init__(self, keys: Vocab | Sequence[str], codec: Codec, *,
                 oov: OOVVectorPolicy = "raise", oov_seed: int = 0,
                 steps: Sequence[dict[str, Any]] = (),
                 stats: CompressionStats | None = None) -> None:
        self._vocab = keys if isinstance(keys, Vocab) else Vocab(list(keys), unk_token=None)
        if codec.rows != len(self._vocab):
            raise ConfigError(f"CompressedVectors: the codec holds {codec.rows:,} rows for "
                              f"{len(self._vocab):,} keys")
        check_oov_policy(oov, oov_seed, "CompressedVectors")
        self.codec = codec
        self.steps = [dict(s) for s in steps]
        self.stats = stats
        self._oov: OOVVectorPolicy = oov
        self._oov_seed = oov_seed
        self._matrix: FloatArray | None = None
        self._norms: FloatArray | None = None

    # --- the VectorStore interface -----------------------------------------------------
    @property
    def vocab(self) -> Vocab:
        return self._vocab

    @property
    def keys(self) -> list[str]:
        return self._vocab.tokens

    @property
    def dim(self) -> int:
        return self.codec.dim

    @property
    def oov(self) -> OOVVectorPolicy:
        return self._oov

    @property
    def matrix(self) -> FloatArray:
        """The rebuilt (N, dim) float32 matrix, read-only: built on first use, then cached."""
        if self._matrix is None:
            self._matrix = _rebuild(self.codec)
        return self._matrix

    @property
    def norms(self) -> FloatArray:
        """L2 norm of each rebuilt row, computed block by block (no full matrix), cached."""
        if self._norms is None:
            norms = np.empty(len(self), dtype=np.float32)
            for start in range(0, len(self), _BLOCK_ROWS):
                end = min(start + _BLOCK_ROWS, len(self))
                norms[start:end] = row_norms(self.codec.decode_range(start, end))
            norms.setflags(write=False)
            self._norms = norms
        return self._norms

    def block_dots(self, queries: np.ndarray, start: int, end: int) -> FloatArray:
        """(Q, end - start) inner products of ``queries`` with rebuilt rows ``start:end``,
        computed on the codes (``vectors.query`` scores neighbours with it)."""
        return self.codec.dots(queries, start, end)

    def __len__(self) -> int:
        return len(self._vocab)

    def __contains__(self, key: object) -> bool:
        return key in self._vocab

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocab)

    def __getitem__(self, key: str) -> FloatArray:
        idx = self._vocab.get(key)
        if idx is not None:
            return self.codec.decode(np.array([idx]))[0]
        return self._oov_vector(key)

    def get(self, key: str, default: Any = None) -> Any:
        idx = self._vocab.get(key)
        return self.codec.decode(np.array([idx]))[0] if idx is not None else default

    def lookup(self, keys: Sequence[str]) -> FloatArray:
        """(len(keys), dim) float32; unknown keys follow the OOV policy."""
        ids = np.fromiter((self._vocab.get(k, -1) for k in keys), dtype=np.int64,
                          count=len(keys))
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        known = ids >= 0
        if known.any():
            out[known] = self.codec.decode(ids[known])
        for i in np.flatnonzero(~known):
            out[i] = self._oov_vector(keys[i])
        return out

    def lookup_ids(self, ids: Iterable[int] | np.ndarray) -> FloatArray:
        """Rebuilt rows by id ((n, dim) float32); ids must be in range."""
        arr = np.asarray(ids, dtype=np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            bad = int(arr[(arr < 0) | (arr >= len(self))][0])
            raise UnknownTokenError(f"id {bad} is out of range for {len(self)} vectors")
        return self.codec.decode(arr)

    def _oov_vector(self, key: str) -> FloatArray:
        return oov_vector(key, self._oov, self.dim, self._oov_seed, len(self))

    def with_oov(self, oov: OOVVectorPolicy, *, seed: int = 0) -> CompressedVectors:
        """The same store (shared codes) with another OOV policy."""
        check_oov_policy(oov, seed, "CompressedVectors.with_oov")
        out = copy.copy(self)
        out._oov, out._oov_seed = oov, seed
        return out

    # --- sizes and conversion ------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        """Bytes of the compressed arrays (keys not counted)."""
        return self.codec.nbytes

    @property
    def dense_nbytes(self) -> int:
        """Bytes of the float32 matrix it stands for."""
        return dense_bytes(self)

    def to_vectors(self) -> Vectors:
        """Dense ``Vectors`` of the rebuilt matrix (same keys and OOV policy)."""
        return Vectors(self._vocab, self.matrix, oov=self._oov, oov_seed=self._oov_seed)

    def __repr__(self) -> str:
        return (f"CompressedVectors({len(self):,} x {self.dim}, {self.codec!r}, "
                f"{self.nbytes:,} bytes)")


class CompressedSubwordVectors(SubwordVectors):
    """fastText vectors whose word rows and n-gram bucket rows are both compressed.

    A word's vector is composed exactly as ``SubwordVectors`` composes it (the mean of its own
    row and its n-gram rows, fastText's order), from rows rebuilt on demand; unknown words are
    composed from their n-grams. ``word_matrix`` / ``ngram_matrix`` rebuild the whole tables
    (cached) for code that needs them.
    """

    def __init__(self, keys: Vocab | Sequence[str], word_codec: Codec, ngram_codec: Codec, *,
                 minn: int, maxn: int, bucket: int, no_subwords: Iterable[str] = (EOS,),
                 encoding: str = "utf-8", steps: Sequence[dict[str, Any]] = (),
                 stats: CompressionStats | None = None) -> None:
        vocab = keys if isinstance(keys, Vocab) else Vocab(list(keys), unk_token=None)
        if word_codec.rows != len(vocab):
            raise ConfigError(f"CompressedSubwordVectors: the word codec holds "
                              f"{word_codec.rows:,} rows for {len(vocab):,} keys")
        if ngram_codec.rows != bucket:
            raise ConfigError(f"CompressedSubwordVectors: the n-gram codec holds "
                              f"{ngram_codec.rows:,} rows for bucket={bucket:,}")
        if word_codec.dim != ngram_codec.dim:
            raise ConfigError(f"CompressedSubwordVectors: word rows have dim {word_codec.dim}, "
                              f"n-gram rows {ngram_codec.dim}")
        # SubwordVectors' own checks and fields, with one-row placeholder tables
        super().__init__(vocab, np.zeros((len(vocab), 1), np.float32),
                         np.zeros((bucket, 1), np.float32), minn=minn, maxn=maxn, bucket=bucket,
                         no_subwords=no_subwords, encoding=encoding)
        self.word_codec = word_codec
        self.ngram_codec = ngram_codec
        self.steps = [dict(s) for s in steps]
        self.stats = stats
        self._word_full: FloatArray | None = None
        self._ngram_full: FloatArray | None = None

    @property
    def dim(self) -> int:
        return self.word_codec.dim

    @property
    def word_matrix(self) -> FloatArray:
        if self._word_full is None:
            self._word_full = _rebuild(self.word_codec)
        return self._word_full

    @property
    def ngram_matrix(self) -> FloatArray:
        if self._ngram_full is None:
            self._ngram_full = _rebuild(self.ngram_codec)
        return self._ngram_full

    def ngram_vectors(self, word: str) -> FloatArray:
        return self.ngram_codec.decode(self.ngram_ids(word))

    @property
    def nbytes(self) -> int:
        return self.word_codec.nbytes + self.ngram_codec.nbytes

    @property
    def dense_nbytes(self) -> int:
        return dense_bytes(self)

    def _compose(self, words: Sequence[str], word_ids: IntArray) -> FloatArray:
        known = word_ids >= 0
        base = np.zeros((len(words), self.dim), dtype=np.float32)
        if known.any():
            base[known] = self.word_codec.decode(word_ids[known])
        indptr, ids = subword_ids(words, minn=self.minn, maxn=self.maxn, bucket=self.bucket,
                                  skip=self.no_subwords, encoding=self.encoding)
        unique, inverse = np.unique(ids, return_inverse=True)
        table = self.ngram_codec.decode(unique) if unique.size else \
            np.zeros((1, self.dim), dtype=np.float32)
        return compose_rows(base, known, np.ascontiguousarray(table, dtype=np.float32), indptr,
                            inverse.astype(np.int64))

    def __repr__(self) -> str:
        return (f"CompressedSubwordVectors({len(self):,} words + {self.bucket:,} n-gram "
                f"buckets x {self.dim}, {self.word_codec!r} / {self.ngram_codec!r}, "
                f"{self.nbytes:,} bytes)")


def _rebuild(codec: Codec) -> FloatArray:
    out = np.empty((codec.rows, codec.dim), dtype=np.float32)
    for start in range(0, codec.rows, _BLOCK_ROWS):
        end = min(start + _BLOCK_ROWS, codec.rows)
        out[start:end] = codec.decode_range(start, end)
    out.setflags(write=False)
    return out
