"""word2vec's training kernels (numba): skip-gram and CBOW, negative sampling and hier. softmax.

What it holds: one dispatcher, :func:`train_chunk`, over five ``njit(nogil=True)`` kernels that
train on one chunk of encoded sentences and update the two matrices in place (hogwild: other
threads may update the same rows at the same time, as in word2vec.c and gensim):

- ``_sg_ns``, ``_sg_hs``, ``_cbow_ns``, ``_cbow_hs``: word2vec.c's four loops, update for update;
- ``_sg_ns_shared``: skip-gram with one set of negatives per window (Ji et al. 2016, Intel's
  pWord2Vec), so a window is a small dense block: (contexts x D) inputs against
  ((1 + negative) x D) outputs, every output row read from memory once per window.

Kernels are pure array code (STYLE.md rule 9): arrays and scalars in, rows updated in place,
the RNG state is a uint64 passed in (splitmix64, seeded per chunk by the caller), nothing
allocated inside the token loop. The primitives (random stream, alias draw, logistic, row
helpers, compile options) are ``_kernels_common``'s, shared with fastText and GloVe. ``_reference_w2v`` is the slow numpy twin the tests compare
against; it draws the same random stream in the same order.

What it leaves out: learning-rate schedules, threads, corpus encoding and progress (the
estimator in ``word2vec.py``), argument validation beyond what keeps a kernel from silently
losing updates (``fit`` validates), and index bounds checks (ids must lie in the vocabulary).

Conventions, shared with the reference:

- random stream (64-bit draws ``z``; ``below(z, n) = ((z >> 32) * n) >> 32``, an index in
  [0, n) without a division): per sentence, one draw per token for subsampling (keep the
  token when ``(z >> 11) * 2**-53 < keep[w]``), then per kept position one draw for the
  reduced window ``b = below(z, window)`` (effective half-window ``window - b``), then the
  negatives of that position in training order, one draw each from the alias table
  (``i = below(z, V)``; the word ``i`` when ``(z & 0xFFFFFFFF) * 2**-32 < prob[i]``, else
  ``alias[i]``: every word with its exact probability, the rarest included); a draw equal to
  the target is skipped, as in word2vec.c: one negative fewer, not a redraw;
- skip-gram: the context word's input row predicts the center word (word2vec.c's order);
- CBOW: ``h`` is the sum or mean of the context rows; every context row then receives the full
  gradient ``neu1e``, in both modes (word2vec.c's rule; gensim divides by the count in sum
  mode). In sum mode that is the exact gradient; in mean mode it is word2vec.c's scaled one;
- logistic: exact ``sigma(f) = 1 / (1 + exp(-f))`` in float32, computed from
  ``e = exp(-|f|)`` so it never overflows and needs no clipping; no update is skipped (C's
  table skips ``|f| > 6`` for HS);
- loss: one *term* per prediction of a target word (a skip-gram pair, a CBOW center), its
  value the full negative log-likelihood of that prediction: NS
  ``-log sigma(f_pos) - sum log sigma(-f_neg)``, HS ``-sum_bits log sigma((1 - 2 code) f)``
  (bit 1 is word2vec's "negative" branch: ``g = (1 - code - sigma(f)) alpha``). Each
  ``-log sigma(+-f)`` is ``max(-+f, 0) + log1p(e)``; the ``log1p`` parts of one term are
  summed as one ``log`` of a product of numbers in [1, 2]. Accumulated in float64. The
  ``max`` is computed as ``(|f| -+ f) / 2`` and the kernels compile without fast-math's
  no-NaN/no-inf assumptions, so a non-finite logit always makes the loss non-finite (the
  divergence signal ``train_chunk`` documents).

Where the time goes: with D = 100 a prediction is ~300 flops, but the sampling table and the
output rows of random negatives miss the caches. So the NS kernels draw all negatives of a
center before training on it (the misses on the table overlap) and prefetch those output
rows (their misses overlap too): together 1.8x on skip-gram NS over drawing each negative
when it is used (measured with word2vec.c's 10^7-entry table; the alias table's two (V,)
arrays are smaller). The stream does not depend on the
floats, so this changes no result. The exact ``exp`` costs ~5%: not worth a table.
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
    predict,
    prefetch_rows,
    subsample,
)

__all__ = ["CBOW", "HS", "NS", "SKIPGRAM", "train_chunk"]

SKIPGRAM, CBOW = 0, 1
NS, HS = 0, 1

_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)


@jit
def _hs_targets(word, codes, points, code_offsets, l1, syn1, neu1e, alpha):
    """The Huffman path of ``word`` against input ``l1``; (loss, number of bits)."""
    loss = 0.0
    prod64 = 1.0
    a, b = code_offsets[word], code_offsets[word + 1]
    for j in range(a, b):
        label = _ONE - np.float32(codes[j])
        part, prod = predict(l1, syn1[points[j]], neu1e, label, alpha)
        loss += part
        prod64 *= prod
    return loss + math.log(prod64), b - a


# --- skip-gram --------------------------------------------------------------------------------


@jit
def _sg_ns(ids, bounds, syn0, syn1, keep, prob, alias, window, negative, alpha, state):
    sen = np.empty(ids.shape[0], np.int32)  # kept tokens of the current sentence
    neu1e = np.empty(syn0.shape[1], np.float32)  # (D,) gradient of the context row
    negs = np.empty(2 * window * negative, np.int32)  # negatives of every pair of a center
    uwin = np.uint64(window)
    loss = 0.0
    terms = 0
    for s in range(bounds.shape[0] - 1):
        m, state = subsample(ids, bounds[s], bounds[s + 1], keep, sen, state)
        for p in range(m):
            word = sen[p]
            state, z = next_u64(state)
            r = window - below(z, uwin)
            lo, hi = max(p - r, 0), min(p + r + 1, m)
            state = draw_negatives(prob, alias, (hi - lo - 1) * negative, negs, state)
            prefetch_rows(syn1, negs, (hi - lo - 1) * negative)
            q = 0
            for c in range(lo, hi):
                if c == p:
                    continue
                l1 = syn0[sen[c]]
                fill0(neu1e)
                loss += ns_targets(word, negs, q, negative, l1, syn1, neu1e, alpha)
                add(l1, neu1e)
                q += negative
                terms += 1
    return loss, terms, bounds[-1] - bounds[0]


@jit
def _sg_hs(ids, bounds, syn0, syn1, keep, codes, points, code_offsets, window, alpha, state):
    sen = np.empty(ids.shape[0], np.int32)
    neu1e = np.empty(syn0.shape[1], np.float32)
    uwin = np.uint64(window)
    loss = 0.0
    terms = 0
    for s in range(bounds.shape[0] - 1):
        m, state = subsample(ids, bounds[s], bounds[s + 1], keep, sen, state)
        for p in range(m):
            word = sen[p]
            state, z = next_u64(state)
            r = window - below(z, uwin)
            a, b = code_offsets[word], code_offsets[word + 1]
            prefetch_rows(syn1, points[a:b], b - a)  # the path every pair below walks (1.1x)
            for c in range(max(p - r, 0), min(p + r + 1, m)):
                if c == p:
                    continue
                l1 = syn0[sen[c]]
                fill0(neu1e)
                term, bits = _hs_targets(word, codes, points, code_offsets, l1, syn1, neu1e, alpha)
                add(l1, neu1e)
                if bits:  # a one-word vocabulary has nothing to predict
                    loss += term
                    terms += 1
    return loss, terms, bounds[-1] - bounds[0]


@jit
def _sg_ns_shared(ids, bounds, syn0, syn1, keep, prob, alias, window, negative, alpha, state):
    """Skip-gram NS with the negatives drawn once per center and shared by its contexts.

    A window is one minibatch: logits ``F = X Y^T`` for inputs ``X`` (k, D) = the context rows
    and outputs ``Y`` (n, D) = center + negatives; ``G = (labels - sigma(F)) alpha`` (k, n);
    then ``X += G Y`` and ``Y += G^T X``, both from the rows as they were before the window
    (a repeated row gets every delta: updates are added, never written back as copies).
    """
    dim = syn0.shape[1]
    sen = np.empty(ids.shape[0], np.int32)
    ctx = np.empty(2 * window, np.int32)  # (k,) context ids of the window
    negs = np.empty(negative, np.int32)
    tgt = np.empty(negative + 1, np.int32)  # (n,) center, then its negatives but the center
    grad = np.empty((2 * window, negative + 1), np.float32)  # G (k, n)
    dx = np.empty((2 * window, dim), np.float32)  # G Y (k, D): input deltas, applied last
    uwin = np.uint64(window)
    loss = 0.0
    terms = 0
    for s in range(bounds.shape[0] - 1):
        m, state = subsample(ids, bounds[s], bounds[s + 1], keep, sen, state)
        for p in range(m):
            word = sen[p]
            state, z = next_u64(state)
            r = window - below(z, uwin)
            k = 0
            for c in range(max(p - r, 0), min(p + r + 1, m)):
                if c != p:
                    ctx[k] = sen[c]
                    k += 1
            if k == 0:
                continue
            state = draw_negatives(prob, alias, negative, negs, state)
            prefetch_rows(syn1, negs, negative)
            tgt[0] = word
            n = 1
            for q in range(negative):
                if negs[q] != word:
                    tgt[n] = negs[q]
                    n += 1
            for j in range(k):  # F and G, one row of contexts at a time
                x = syn0[ctx[j]]
                hinges = 0.0
                prod = 1.0
                for i in range(n):
                    y = syn1[tgt[i]]
                    f = _ZERO
                    for d in range(dim):
                        f += x[d] * y[d]
                    sig, p1e = logistic(f)
                    if i == 0:
                        grad[j, i] = (_ONE - sig) * alpha
                    else:
                        grad[j, i] = -sig * alpha
                    hinges += hinge(f, i == 0)
                    prod *= p1e
                loss += hinges + math.log(prod)
            terms += k
            for j in range(k):  # dX = G Y from the old output rows
                dxj = dx[j]
                fill0(dxj)
                for i in range(n):
                    g = grad[j, i]
                    y = syn1[tgt[i]]
                    for d in range(dim):
                        dxj[d] += g * y[d]
            for i in range(n):  # Y += G^T X from the old input rows
                y = syn1[tgt[i]]
                for j in range(k):
                    g = grad[j, i]
                    x = syn0[ctx[j]]
                    for d in range(dim):
                        y[d] += g * x[d]
            for j in range(k):
                add(syn0[ctx[j]], dx[j])
    return loss, terms, bounds[-1] - bounds[0]


# --- CBOW -----------------------------------------------------------------------------------


@jit
def _context_mean(sen, p, r, m, syn0, cbow_mean, neu1):
    """``neu1`` (D,) = sum (or mean) of the context rows of position ``p``; the count."""
    fill0(neu1)
    cw = 0
    for c in range(max(p - r, 0), min(p + r + 1, m)):
        if c != p:
            add(neu1, syn0[sen[c]])
            cw += 1
    if cbow_mean and cw > 1:
        inv = _ONE / np.float32(cw)
        for k in range(neu1.shape[0]):
            neu1[k] *= inv
    return cw


@jit
def _spread(sen, p, r, m, syn0, neu1e):
    """Add the full ``neu1e`` to every context row of ``p`` (word2vec.c, both modes)."""
    for c in range(max(p - r, 0), min(p + r + 1, m)):
        if c != p:
            add(syn0[sen[c]], neu1e)


@jit
def _cbow_ns(ids, bounds, syn0, syn1, keep, prob, alias, window, negative, alpha, cbow_mean,
             state):
    sen = np.empty(ids.shape[0], np.int32)
    neu1 = np.empty(syn0.shape[1], np.float32)  # (D,) h
    neu1e = np.empty(syn0.shape[1], np.float32)  # (D,) gradient of h
    negs = np.empty(negative, np.int32)
    uwin = np.uint64(window)
    loss = 0.0
    terms = 0
    for s in range(bounds.shape[0] - 1):
        m, state = subsample(ids, bounds[s], bounds[s + 1], keep, sen, state)
        for p in range(m):
            state, z = next_u64(state)
            r = window - below(z, uwin)
            if _context_mean(sen, p, r, m, syn0, cbow_mean, neu1) == 0:
                continue
            state = draw_negatives(prob, alias, negative, negs, state)
            prefetch_rows(syn1, negs, negative)
            fill0(neu1e)
            loss += ns_targets(sen[p], negs, 0, negative, neu1, syn1, neu1e, alpha)
            _spread(sen, p, r, m, syn0, neu1e)
            terms += 1
    return loss, terms, bounds[-1] - bounds[0]


@jit
def _cbow_hs(ids, bounds, syn0, syn1, keep, codes, points, code_offsets, window, alpha, cbow_mean,
             state):
    sen = np.empty(ids.shape[0], np.int32)
    neu1 = np.empty(syn0.shape[1], np.float32)
    neu1e = np.empty(syn0.shape[1], np.float32)
    uwin = np.uint64(window)
    loss = 0.0
    terms = 0
    for s in range(bounds.shape[0] - 1):
        m, state = subsample(ids, bounds[s], bounds[s + 1], keep, sen, state)
        for p in range(m):
            state, z = next_u64(state)
            r = window - below(z, uwin)
            if _context_mean(sen, p, r, m, syn0, cbow_mean, neu1) == 0:
                continue
            fill0(neu1e)
            term, bits = _hs_targets(sen[p], codes, points, code_offsets, neu1, syn1, neu1e, alpha)
            _spread(sen, p, r, m, syn0, neu1e)
            if bits:
                loss += term
                terms += 1
    return loss, terms, bounds[-1] - bounds[0]


# --- dispatcher -------------------------------------------------------------------------------


def train_chunk(
    model: int, loss: int,
    ids: np.ndarray,  # int32 (n,): token ids of this chunk
    bounds: np.ndarray,  # int64 (s+1,): sentence s is ids[bounds[s]:bounds[s+1]]
    syn0: np.ndarray,  # float32 (V, D) input vectors, updated in place
    syn1: np.ndarray,  # float32 (V, D) NS output vectors, or (V-1, D) HS inner nodes
    keep: np.ndarray,  # float32 (V,): subsampling keep probability per word
    neg_table: tuple[np.ndarray, np.ndarray],  # alias table (prob float32, alias int32), (V,)
    # each: vocab.sampling.alias_table over counts**ns_exponent (NS only; ignored for HS)
    codes: np.ndarray, points: np.ndarray, code_offsets: np.ndarray,  # HS CSR: uint8, int32, int64
    window: int, negative: int, alpha: float, cbow_mean: bool, seed: int,
    shared_negatives: bool = False,
) -> tuple[float, int, int]:
    """Train one chunk; returns (loss_sum, loss_terms, words).

    ``loss_sum / loss_terms`` is the mean negative log-likelihood per prediction; ``words`` is
    every token of the chunk, subsampled-away ones included. ``seed`` (any int, taken mod
    2**64) seeds the chunk's random stream. ``shared_negatives`` (skip-gram NS only) draws one
    set of negatives per window, shared by all its contexts. Arrays of the documented dtypes
    pass without a copy; the kernel runs without the GIL. Ids, points and alias entries must
    index their matrices (not checked here).

    Divergence: ``loss_sum`` is not finite (inf or NaN) whenever a logit of this chunk was not
    finite, i.e. a prediction used a row holding inf or NaN, or a dot product overflowed; a
    finite ``loss_sum`` means every prediction of the chunk saw finite rows. (A row the
    chunk's last updates push to inf shows in the next chunk that uses it.) The caller turns
    a non-finite ``loss_sum`` into an error; the kernels never raise.
    """
    syn0 = in_place("syn0", syn0)
    syn1 = in_place("syn1", syn1)
    if window < 1 or negative < 0:
        raise ValueError(f"need window >= 1 and negative >= 0, got {window=}, {negative=}")
    ids = np.ascontiguousarray(ids, dtype=np.int32)
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    keep = np.ascontiguousarray(keep, dtype=np.float32)
    state = np.uint64(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    a = np.float32(alpha)
    window, negative, cbow_mean = int(window), int(negative), bool(cbow_mean)
    if shared_negatives and (model, loss) != (SKIPGRAM, NS):
        raise ValueError("shared_negatives applies to skip-gram with negative sampling only")
    if loss == NS:
        prob, alias = alias_arrays("neg_table", neg_table)
        if model == SKIPGRAM:
            kernel = _sg_ns_shared if shared_negatives else _sg_ns
            out = kernel(ids, bounds, syn0, syn1, keep, prob, alias, window, negative, a, state)
        elif model == CBOW:
            out = _cbow_ns(ids, bounds, syn0, syn1, keep, prob, alias, window, negative, a,
                           cbow_mean, state)
        else:
            raise ValueError(f"model must be SKIPGRAM (0) or CBOW (1), got {model!r}")
    elif loss == HS:
        huff = (np.ascontiguousarray(codes, dtype=np.uint8),
                np.ascontiguousarray(points, dtype=np.int32),
                np.ascontiguousarray(code_offsets, dtype=np.int64))
        if model == SKIPGRAM:
            out = _sg_hs(ids, bounds, syn0, syn1, keep, *huff, window, a, state)
        elif model == CBOW:
            out = _cbow_hs(ids, bounds, syn0, syn1, keep, *huff, window, a, cbow_mean, state)
        else:
            raise ValueError(f"model must be SKIPGRAM (0) or CBOW (1), got {model!r}")
    else:
        raise ValueError(f"loss must be NS (0) or HS (1), got {loss!r}")
    return float(out[0]), int(out[1]), int(out[2])
