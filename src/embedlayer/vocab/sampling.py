"""Sampling tables: frequent-word subsampling and the negative-sampling distribution.

What it holds: pure functions from a count vector (int64, shape (V,), in id order) to the
arrays the training kernels read: keep probabilities (word2vec.c's rule, and fastText's with
its own token total) and the alias table of the smoothed unigram distribution. Nothing here
draws random numbers; kernels do, with their own explicit RNG state
(``train/_kernels_common.draw_negatives``). Tokens with count 0 (special tokens) are never
sampled as negatives and are always kept by subsampling.

What it leaves out: word2vec.c's 10^8-slot unigram table. A word whose probability is below
one slot gets no slot there and is never drawn; the alias table draws every word with its
exact probability, in two (V,) arrays instead of tens of megabytes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from embedlayer._types import Float64Array, FloatArray, Int32Array, IntArray
from embedlayer.errors import ConfigError

__all__ = ["AliasTable", "alias_table", "fasttext_keep_probabilities", "keep_probabilities",
           "negative_cdf", "unigram_probabilities"]


class AliasTable(NamedTuple):
    """Walker's alias table of a distribution over V words (Vose's construction).

    A draw picks a column ``i`` uniformly in [0, V), then returns ``i`` with probability
    ``prob[i]`` and ``alias[i]`` otherwise; word ``w`` is drawn with probability
    ``(prob[w] + sum of (1 - prob[i]) over columns i with alias[i] == w) / V``.
    """

    prob: FloatArray  # (V,) float32 in [0, 1]: the chance a column keeps its own word
    alias: Int32Array  # (V,) int32: the word a column gives otherwise


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


def fasttext_keep_probabilities(
    counts: IntArray | list[int], sample: float, *, tokens: int, lines: int,
) -> FloatArray:
    """Probability of keeping each occurrence of a word, as facebook fastText computes it.

    fastText's ``Dictionary::initTableDiscard``: ``f = count / ntokens`` (float32), keep
    ``sqrt(t / f) + t / f`` (in double, stored as float32; clipped to 1 here, which changes
    no draw). Its formula is word2vec.c's; the token total is not: ``ntokens`` counts every
    token read, words later dropped by ``min_count`` included, plus the ``</s>`` that ends
    every line. So ``tokens`` is every token of the text and ``lines`` the number of lines
    (sentences), and ``ntokens = tokens + lines``. ``sample=0`` keeps every word.
    """
    if sample < 0:
        raise ConfigError(f"sample must be >= 0, got {sample}")
    if tokens < 0 or lines < 0 or tokens + lines == 0:
        raise ConfigError(f"need tokens >= 0 and lines >= 0, not both 0; got {tokens=}, {lines=}")
    c = _as_counts(counts)
    if sample == 0:
        return np.ones(c.size, dtype=np.float32)
    f = c.astype(np.float32) / np.float32(tokens + lines)  # fastText's real(count)/real(ntokens)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = sample / f.astype(np.float64)
        p = np.sqrt(ratio) + ratio
    p[c == 0] = 1.0
    return np.minimum(p, 1.0).astype(np.float32)


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


def alias_table(counts: IntArray | list[int], *, power: float = 0.75) -> AliasTable:
    """The alias table of ``counts**power / sum`` (negative sampling's distribution).

    Vose's construction in float64: columns whose share ``V p(w)`` is below 1 are filled up
    by words above 1, one pair at a time, so each word's probability is exact up to float
    rounding, however small (a word with ``p`` = 1e-12 is drawn, rarely, where word2vec.c's
    table gives it no slot). ``prob`` is stored in float32 (relative error 6e-8 on the share
    of every column). Zero counts get probability 0. Deterministic: a plain sequential loop.
    """
    p = unigram_probabilities(counts, power)
    v = p.size
    if v >= 2**31:
        raise ConfigError(f"an alias table holds at most 2**31 - 1 words, got {v:,}")
    scaled = (p * v).tolist()
    alias = list(range(v))
    small = [i for i, s in enumerate(scaled) if s < 1.0]
    large = [i for i, s in enumerate(scaled) if s >= 1.0]
    while small and large:
        lo, hi = small.pop(), large[-1]
        alias[lo] = hi  # column lo: its own word with chance scaled[lo], else hi
        rest = (scaled[hi] + scaled[lo]) - 1.0  # what hi still has to place
        scaled[hi] = rest
        if rest < 1.0:
            small.append(large.pop())
    # Whatever is left holds a share of 1 up to rounding: its column keeps its own word.
    for i in small + large:
        scaled[i] = 1.0
    prob = np.minimum(np.asarray(scaled, dtype=np.float64), 1.0).astype(np.float32)
    return AliasTable(prob, np.asarray(alias, dtype=np.int32))
