"""fastText's unsupervised training kernels (numba): skip-gram and CBOW over subwords, NS.

What it holds: :func:`train_chunk`, which dispatches to two ``njit(nogil=True)`` kernels that
train on one chunk of encoded sentences and update the two matrices in place (hogwild, as
fastText's own threads do):

- ``wi`` (nwords + bucket, D): the input matrix, fastText's layout: word rows first, then one
  row per n-gram hash bucket;
- ``wo`` (nwords, D): the output rows of negative sampling.

The input of a word is the mean of its *subword rows*: its own row and the rows
``nwords + bucket_id`` of its character n-grams (``getSubwords`` in fastText), given per word
as a CSR (``sub_offsets``, ``sub_ids``) computed once by the estimator.

fastText's rules, kept exactly (``Model::update`` for unsupervised models):

- skip-gram: the *center* word's subword mean ``h`` is the input and every context word of the
  reduced window is a target, predicted with its negatives; after each (center, context) pair
  every subword row of the center receives the pair's full gradient ``neu1e`` (no 1/count:
  fastText normalizes the gradient for supervised models only). The next pair's ``h`` is the
  mean of the updated rows, which is exactly ``h + gain * neu1e`` (``gain`` = 1, unless a row
  repeats in the word's list: an n-gram seen twice, as in "hahaha", or two n-grams in one
  bucket; then ``gain`` = sum of squared multiplicities / count, precomputed per word). So
  ``h`` is built once per center, moved by each pair's gradient, and the summed gradient is
  added to the center's rows once at the end: fastText's pair-by-pair arithmetic with a
  fraction of its row traffic (2 passes over ~15 rows per center instead of 2 per pair);
- CBOW: ``h`` is the mean over the subword rows of all context words together (a word with
  more n-grams weighs more, as in fastText's flattened bag), the center word is the target,
  and every one of those rows receives the full gradient.

Random stream, subsampling, reduced window, negatives (drawn for a whole center before it
trains, a draw equal to its target skipped, not redrawn), the exact logistic and the loss
terms are word2vec's (``_kernels_w2v``'s docstring states them), from the primitives of
``_kernels_common`` that all kernels share. Where fastText differs and we follow word2vec: the exact sigmoid
instead of fastText's table clipped at +-8, and a negative equal to the target skipped
instead of redrawn. Not fastText's: ``</s>`` is not added at the end of every line.

Where the time goes: per center, skip-gram makes ``(2 r) x (1 + negative)`` predictions of
~3D flops from one ``h``, bound by memory as much as by arithmetic. Three things pay (single
thread, corpora/en, in-cache share ~half): one ``h`` per center instead of one per pair
(above); the predictions of a pair computed as a batch (``_ns_batch``: all logits, then all
sigmoids, then all updates; 1.5x over one prediction after the other, exact since a pair's
rows are distinct); and prefetching: the center's negatives and targets before it trains,
the next center's subword rows (~15-25 random rows of the 2M-row matrix) while it trains.
Sharing one negative set among a center's pairs (Ji et al.) was 1.5x faster still but lost
20 points of analogy accuracy (53% -> 33%, 5 epochs): not offered.

What it leaves out: hierarchical softmax and softmax losses, supervised models and word
n-grams, schedules and threads (``fasttext.py`` and ``_runner.py``). Numba's disk cache keys
each kernel on this file only: after a change to ``_kernels_common`` or ``_kernels_w2v``,
clear ``__pycache__`` (an installed release ships the files together).
"""

from __future__ import annotations

import math

import numpy as np

from embedlayer.train._kernels_common import (
    add,
    alias_arrays,
    below,
    draw_negatives,
    fill0,
    hinge,
    in_place,
    jit,
    logistic,
    next_u64,
    ns_targets,
    prefetch_rows,
    subsample,
)

__all__ = ["CBOW", "SKIPGRAM", "train_chunk"]

SKIPGRAM, CBOW = 0, 1

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@jit
def _prefetch_subwords(wi, sub_offsets, sub_ids, word):
    a, b = sub_offsets[word], sub_offsets[word + 1]
    prefetch_rows(wi, sub_ids[a:b], b - a)


@jit
def _ns_batch(target, negs, q0, negative, h, wo, rows, fs, neu1e, alpha):
    """``target`` and ``negs[q0:q0+negative]`` against a fixed ``h``; ``neu1e`` := gradient of h.

    The result of ``_kernels_common.ns_targets`` (one prediction after the other) when the
    output rows are distinct, computed in three passes: every logit, then every sigmoid, then
    every update. Independent dot products in flight together are what makes it fast (1.5x
    on skip-gram: their cache misses and reduction chains overlap). Rows that repeat (a
    negative drawn twice) are trained one after the other, as ``ns_targets`` does, since the
    second prediction must see the first one's update. Returns the loss of the prediction.
    """
    rows[0] = target
    n = 1
    repeated = False
    for q in range(q0, q0 + negative):
        w = negs[q]
        if w == target:  # word2vec.c skips it: one negative fewer, not a redraw
            continue
        for i in range(1, n):
            repeated |= rows[i] == w
        rows[n] = w
        n += 1
    if repeated:
        fill0(neu1e)
        return ns_targets(target, negs, q0, negative, h, wo, neu1e, alpha)
    dim = h.shape[0]
    for i in range(n):
        y = wo[rows[i]]
        f = _ZERO
        for k in range(dim):
            f += h[k] * y[k]
        fs[i] = f
    hinges = 0.0
    prod = 1.0
    for i in range(n):  # the exact logistic and loss of _kernels_common.predict
        f = fs[i]
        s, p1e = logistic(f)
        hinges += hinge(f, i == 0)
        fs[i] = ((_ONE if i == 0 else _ZERO) - s) * alpha
        prod *= p1e
    y = wo[rows[0]]
    g = fs[0]
    for k in range(dim):  # the first row assigns neu1e: no separate zeroing pass
        o = y[k]
        neu1e[k] = g * o
        y[k] = o + g * h[k]
    for i in range(1, n):
        y = wo[rows[i]]
        g = fs[i]
        for k in range(dim):
            o = y[k]
            neu1e[k] += g * o
            y[k] = o + g * h[k]
    return hinges + math.log(prod)


@jit
def _sg(ids, bounds, wi, wo, sub_offsets, sub_ids, sub_gain, keep, prob, alias, window,
        negative, alpha, state):
    dim = wi.shape[1]
    sen = np.empty(ids.shape[0], np.int32)  # kept tokens of the current sentence
    h = np.empty(dim, np.float32)  # (D,) the center's subword mean, moved by each pair
    neu1e = np.empty(dim, np.float32)  # (D,) gradient of h for one pair
    acc = np.empty(dim, np.float32)  # (D,) sum of the pairs' gradients: what each row gets
    negs = np.empty(2 * window * max(negative, 1), np.int32)  # negatives of every pair
    rows = np.empty(negative + 1, np.int32)  # one pair's output rows
    fs = np.empty(negative + 1, np.float32)  # their logits, then their gradient scales
    uwin = np.uint64(window)
    loss = 0.0
    terms = 0
    for s in range(bounds.shape[0] - 1):
        m, state = subsample(ids, bounds[s], bounds[s + 1], keep, sen, state)
        if m > 0:
            _prefetch_subwords(wi, sub_offsets, sub_ids, sen[0])
        for p in range(m):
            word = sen[p]
            state, z = next_u64(state)
            r = window - below(z, uwin)
            lo, hi = max(p - r, 0), min(p + r + 1, m)
            if hi - lo == 1:
                continue
            n_neg = (hi - lo - 1) * negative
            state = draw_negatives(prob, alias, n_neg, negs, state)
            prefetch_rows(wo, negs, n_neg)
            prefetch_rows(wo, sen[lo:hi], hi - lo)  # the targets: one output row per pair
            if p + 1 < m:  # the next center's rows arrive while this one trains
                _prefetch_subwords(wi, sub_offsets, sub_ids, sen[p + 1])
            a, b = sub_offsets[word], sub_offsets[word + 1]
            fill0(h)
            for j in range(a, b):
                add(h, wi[sub_ids[j]])
            inv = _ONE / np.float32(b - a)
            for k in range(dim):
                h[k] *= inv
            gain = sub_gain[word]
            fill0(acc)
            q = 0
            for c in range(lo, hi):
                if c == p:
                    continue
                loss += _ns_batch(sen[c], negs, q, negative, h, wo, rows, fs, neu1e, alpha)
                for k in range(dim):  # fastText's next hidden: the mean of the updated rows
                    d = neu1e[k]
                    h[k] += gain * d
                    acc[k] += d
                q += negative
                terms += 1
            for j in range(a, b):
                add(wi[sub_ids[j]], acc)
    return loss, terms, bounds[-1] - bounds[0]


@jit
def _cbow(ids, bounds, wi, wo, sub_offsets, sub_ids, sub_gain, keep, prob, alias, window,
          negative, alpha, state):
    dim = wi.shape[1]
    sen = np.empty(ids.shape[0], np.int32)
    h = np.empty(dim, np.float32)  # (D,) mean of every subword row of the context
    neu1e = np.empty(dim, np.float32)  # (D,) gradient of h
    negs = np.empty(max(negative, 1), np.int32)
    rows = np.empty(negative + 1, np.int32)
    fs = np.empty(negative + 1, np.float32)
    uwin = np.uint64(window)
    loss = 0.0
    terms = 0
    for s in range(bounds.shape[0] - 1):
        m, state = subsample(ids, bounds[s], bounds[s + 1], keep, sen, state)
        for p in range(m):
            state, z = next_u64(state)
            r = window - below(z, uwin)
            lo, hi = max(p - r, 0), min(p + r + 1, m)
            if hi - lo == 1:
                continue
            state = draw_negatives(prob, alias, negative, negs, state)
            prefetch_rows(wo, negs, negative)
            if hi < m:  # the word that enters the next window
                _prefetch_subwords(wi, sub_offsets, sub_ids, sen[hi])
            fill0(h)
            count = 0
            for c in range(lo, hi):
                if c != p:
                    w = sen[c]
                    for j in range(sub_offsets[w], sub_offsets[w + 1]):
                        add(h, wi[sub_ids[j]])
                    count += sub_offsets[w + 1] - sub_offsets[w]
            inv = _ONE / np.float32(count)
            for k in range(dim):
                h[k] *= inv
            loss += _ns_batch(sen[p], negs, 0, negative, h, wo, rows, fs, neu1e, alpha)
            for c in range(lo, hi):
                if c != p:
                    w = sen[c]
                    for j in range(sub_offsets[w], sub_offsets[w + 1]):
                        add(wi[sub_ids[j]], neu1e)
            terms += 1
    return loss, terms, bounds[-1] - bounds[0]


def train_chunk(
    model: int,
    ids: np.ndarray,  # int32 (n,): token ids of this chunk
    bounds: np.ndarray,  # int64 (s+1,): sentence s is ids[bounds[s]:bounds[s+1]]
    wi: np.ndarray,  # float32 (nwords + bucket, D): word rows, then n-gram rows; in place
    wo: np.ndarray,  # float32 (nwords, D): NS output rows; in place
    sub_offsets: np.ndarray,  # int64 (nwords+1,): word w's subword rows are
    sub_ids: np.ndarray,  # int32: sub_ids[sub_offsets[w]:sub_offsets[w+1]] (rows of wi)
    sub_gain: np.ndarray,  # float32 (nwords,): sum of squared row multiplicities / row count
    keep: np.ndarray,  # float32 (nwords,): subsampling keep probability per word
    neg_table: tuple[np.ndarray, np.ndarray],  # alias table of counts**ns_exponent:
    # (prob float32, alias int32), both (nwords,): vocab.sampling.alias_table
    window: int, negative: int, alpha: float, seed: int,
) -> tuple[float, int, int]:
    """Train one chunk; returns (loss_sum, loss_terms, words), as ``_kernels_w2v.train_chunk``
    (a non-finite ``loss_sum`` signals divergence, with the same contract).

    Every word needs at least one subword row (its own row first, as fastText's
    ``getSubwords``). Ids, subword rows and alias entries must index their matrices (not
    checked here: ``fit`` builds them).
    """
    wi = in_place("wi", wi)
    wo = in_place("wo", wo)
    if window < 1 or negative < 0:
        raise ValueError(f"need window >= 1 and negative >= 0, got {window=}, {negative=}")
    args = (
        np.ascontiguousarray(ids, dtype=np.int32), np.ascontiguousarray(bounds, dtype=np.int64),
        wi, wo, np.ascontiguousarray(sub_offsets, dtype=np.int64),
        np.ascontiguousarray(sub_ids, dtype=np.int32),
        np.ascontiguousarray(sub_gain, dtype=np.float32), np.ascontiguousarray(keep, dtype=np.float32),
        *alias_arrays("neg_table", neg_table), int(window), int(negative),
        np.float32(alpha),
    )
    state = np.uint64(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    if model == SKIPGRAM:
        out = _sg(*args, state)
    elif model == CBOW:
        out = _cbow(*args, state)
    else:
        raise ValueError(f"model must be SKIPGRAM (0) or CBOW (1), got {model!r}")
    return float(out[0]), int(out[1]), int(out[2])
