"""The slow numpy reference of the word2vec kernels in ``_kernels_w2v``, for tests only.

What it holds: :func:`train_chunk_reference`, the same signature and the same result as
``_kernels_w2v.train_chunk``, written as plain Python loops over tokens with numpy row
operations, in float32 like the kernels, drawing the same splitmix64 stream in the same order
(see the conventions in ``_kernels_w2v``'s docstring). The loss is computed the textbook way,
``logaddexp(0, -+f)`` per prediction in float64, so it checks the kernels' factored form.

What it leaves out: speed (pure Python per token and per prediction: tiny inputs only).
"""

from __future__ import annotations

import numpy as np

__all__ = ["SplitMix64", "train_chunk_reference"]

_MASK = (1 << 64) - 1


class SplitMix64:
    """splitmix64 on Python ints: the kernels' random stream."""

    def __init__(self, seed: int) -> None:
        self.state = int(seed) & _MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return ((self.next() >> 32) * n) >> 32

    def uniform(self) -> float:
        return (self.next() >> 11) * 2.0**-53

    def draw_alias(self, table) -> int:
        """One word from an alias table ``(prob, alias)``: one draw, split in two halves."""
        prob, alias = table
        z = self.next()
        i = ((z >> 32) * len(prob)) >> 32  # the column, from the high 32 bits
        u = (z & 0xFFFF_FFFF) * 2.0**-32  # its coin, from the low 32 bits
        return i if u < float(np.float32(prob[i])) else int(alias[i])


def _predict(l1: np.ndarray, out: np.ndarray, neu1e: np.ndarray, label: int,
             alpha: np.float32) -> float:
    """One logistic prediction; updates ``out`` (D,) and ``neu1e`` (D,); returns its loss."""
    f = float(np.dot(l1, out))
    g = np.float32((label - 1.0 / (1.0 + np.exp(-f))) * alpha)
    neu1e += g * out  # with the output row as it was before this prediction
    out += g * l1
    return float(np.logaddexp(0.0, -f if label else f))  # -log sigma(+-f)


def _ns(word, rng, neg_table, negative, l1, syn1, neu1e, alpha) -> float:
    loss = _predict(l1, syn1[word], neu1e, 1, alpha)
    for _ in range(negative):
        t = rng.draw_alias(neg_table)
        if t != word:  # word2vec.c skips (does not redraw) a negative equal to the target
            loss += _predict(l1, syn1[t], neu1e, 0, alpha)
    return loss


def _hs(word, codes, points, code_offsets, l1, syn1, neu1e, alpha) -> tuple[float, int]:
    loss = 0.0
    a, b = int(code_offsets[word]), int(code_offsets[word + 1])
    for j in range(a, b):
        loss += _predict(l1, syn1[points[j]], neu1e, 1 - int(codes[j]), alpha)
    return loss, b - a


def train_chunk_reference(
    model: int, loss: int, ids, bounds, syn0, syn1, keep, neg_table, codes, points, code_offsets,
    window: int, negative: int, alpha: float, cbow_mean: bool, seed: int,
    shared_negatives: bool = False,
) -> tuple[float, int, int]:
    """``_kernels_w2v.train_chunk``, slowly (same arguments, same in-place updates)."""
    rng = SplitMix64(seed)
    alpha = np.float32(alpha)
    total, terms = 0.0, 0
    for s in range(len(bounds) - 1):
        sentence = ids[bounds[s]:bounds[s + 1]]
        sen = [int(w) for w in sentence if rng.uniform() < float(keep[w])]  # subsampling first
        for p, word in enumerate(sen):
            r = window - rng.below(window)  # word2vec.c's reduced window
            context = [sen[c] for c in range(max(p - r, 0), min(p + r + 1, len(sen))) if c != p]
            if not context:
                continue
            if model == 0 and shared_negatives:
                total += _shared_window(word, context, rng, neg_table, negative, syn0, syn1, alpha)
                terms += len(context)
            elif model == 0:
                for w in context:
                    neu1e = np.zeros(syn0.shape[1], np.float32)
                    if loss == 0:
                        total += _ns(word, rng, neg_table, negative, syn0[w], syn1, neu1e, alpha)
                        terms += 1
                    else:
                        term, bits = _hs(word, codes, points, code_offsets, syn0[w], syn1, neu1e,
                                         alpha)
                        total += term
                        terms += bits > 0
                    syn0[w] += neu1e
            else:
                h = np.zeros(syn0.shape[1], np.float32)
                for w in context:
                    h += syn0[w]
                if cbow_mean and len(context) > 1:
                    h *= np.float32(1.0) / np.float32(len(context))
                neu1e = np.zeros(syn0.shape[1], np.float32)
                if loss == 0:
                    total += _ns(word, rng, neg_table, negative, h, syn1, neu1e, alpha)
                    terms += 1
                else:
                    term, bits = _hs(word, codes, points, code_offsets, h, syn1, neu1e, alpha)
                    total += term
                    terms += bits > 0
                for w in context:  # the full gradient to every context row (word2vec.c)
                    syn0[w] += neu1e
    return total, int(terms), int(bounds[-1] - bounds[0])


def _shared_window(word, context, rng, neg_table, negative, syn0, syn1, alpha) -> float:
    """One skip-gram window as a minibatch: every delta from the rows before the window."""
    targets = [word]
    for _ in range(negative):
        t = rng.draw_alias(neg_table)
        if t != word:
            targets.append(t)
    x = syn0[context]  # (k, D) copies
    y = syn1[targets]  # (n, D) copies
    f = (x @ y.T).astype(np.float64)  # (k, n)
    labels = np.zeros(len(targets))
    labels[0] = 1.0
    g = ((labels - 1.0 / (1.0 + np.exp(-f))) * alpha).astype(np.float32)  # (k, n)
    np.add.at(syn1, targets, g.T @ x)  # add.at: a repeated negative gets both deltas
    np.add.at(syn0, context, g @ y)
    return float(np.logaddexp(0.0, np.where(labels > 0, -f, f)).sum())
