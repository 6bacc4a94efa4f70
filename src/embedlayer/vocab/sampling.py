"""word2vec's sampling tables: frequent-word subsampling and the negative-sampling distribution.

What it holds: pure functions from a count vector (int64, shape (V,), in id order) to the
arrays the training kernels read. Nothing here draws random numbers; kernels do, with their
own explicit RNG state. Tokens with count 0 (special tokens) are never sampled as negatives
and are always kept by subsampling.
"""

from __future__ import annotations

import numpy as np

from embedlayer._types import Float64Array, Int32Array, IntArray
from embedlayer.errors import ConfigError

__all__ = ["keep_probabilities", "negative_cdf", "negative_table", "unigram_probabilities"]


def _as_counts(counts: IntArray | list[int]) -> Float64Array:
    arr = np.asarray(counts, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ConfigError(f"counts must be a non-empty 1-d array, got shape {arr.shape}")
    if (arr < 0).any():
        raise ConfigError("counts must be >= 0")
    return arr


def keep_probabilities(counts: IntArray | list[int], sample: float, *, total: int | None = None) -> Float64Array:
    """Probability of keeping each occurrence of a word (word2vec.c's formula).

    With ``t = sample * total``: ``p(w) = (sqrt(c(w) / t) + 1) * t / c(w)``, clipped to 1.
    ``sample=0`` disables subsampling (every word kept). ``total`` defaults to the sum of the
    counts (the number of training words).
    """
    if sample < 0:
        raise ConfigError(f"sample must be >= 0, got {sample}")
    c = _as_counts(counts)
    if sample == 0:
        return np.ones_like(c)
    t = sample * (c.sum() if total is None else float(total))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.sqrt(c / t) + 1.0) * t / c
    p[c == 0] = 1.0
    return np.minimum(p, 1.0)


def unigram_probabilities(counts: IntArray | list[int], power: float = 0.75) -> Float64Array:
    """The smoothed unigram distribution ``c(w)**power / sum`` (zero counts get zero)."""
    c = _as_counts(counts)
    w = np.where(c > 0, c, 0.0) ** power
    w[c == 0] = 0.0
    s = w.sum()
    if s <= 0:
        raise ConfigError("negative sampling needs at least one word with a count > 0")
    return w / s


def negative_cdf(counts: IntArray | list[int], power: float = 0.75) -> Float64Array:
    """Cumulative distribution for ``searchsorted``-style sampling (last entry exactly 1)."""
    cdf = np.cumsum(unigram_probabilities(counts, power))
    cdf[-1] = 1.0
    return cdf


def negative_table(counts: IntArray | list[int], *, power: float = 0.75, size: int = 10_000_000) -> Int32Array:
    """word2vec.c's unigram table: ``size`` ids, each word filling a share ~ ``p(w)``.

    Sampling a negative is then one uniform index into the table. Slot ``a`` holds the word
    whose cumulative-probability interval contains ``(a + 0.5) / size``.
    """
    if size < 1:
        raise ConfigError(f"table size must be >= 1, got {size}")
    cdf = negative_cdf(counts, power)
    probes = (np.arange(size, dtype=np.float64) + 0.5) / size
    table = np.searchsorted(cdf, probes, side="right")
    return np.minimum(table, len(cdf) - 1).astype(np.int32)
