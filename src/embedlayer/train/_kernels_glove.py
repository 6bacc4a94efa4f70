"""GloVe's kernels (numba): co-occurrence counting into a hash table, and AdaGrad training.

What it holds:

- ``count_pairs``: walks encoded sentences and adds every (word, context) pair within the
  window, weighted ``1 / distance`` (or 1), into an open-addressing hash table of int64 keys
  ``row * vocab_size + col`` and float64 sums; it stops at a token boundary when the table
  is as full as the caller allows, and says where to resume (the caller spills the table to
  disk and calls again). Pairs follow Stanford's ``cooccur``: for each token, the up to
  ``window`` tokens before it in the same sentence are its left context; a pair adds
  ``X[left, right]`` and, when symmetric, ``X[right, left]`` too;
- ``subsample_chunk``: drops frequent words from a chunk of sentences before counting
  (word2vec's keep probabilities and random stream), when ``sample`` is set;
- ``compact_table`` and ``reduce_sorted``: a full table packed for sorting, and a batch of
  sorted shards summed into duplicate-free (row, col, value) records;
- ``train_block``: one pass of Stanford ``glove``'s AdaGrad over a slice of (row, col, x)
  triples, in place (hogwild: other threads update other slices of the same matrices).

Conventions shared with ``_reference_glove`` (the numpy twin the tests compare against):

- hash: ``splitmix64``'s finalizer of the key, mapped into [0, capacity) by
  ``((h >> 32) * capacity) >> 32`` (no division, any capacity below 2**32); linear probing;
  empty slots hold -1;
- training, for a triple (i, j, x): ``diff = w_i . c_j + bw_i + bc_j - log x``, ``f(x) =
  min(1, (x / x_max)^alpha)``, cost ``0.5 f diff^2`` (float64 sum, glove.c's), ``fd = f
  diff``; per component the gradient is clipped, then scaled: ``t_w = eta clip(fd c_j)``,
  ``t_c = eta clip(fd w_i)`` (clip to +-``grad_clip``: glove.c's ``-grad-clip``, whose
  default 100 we share), ``w_i -= t_w / sqrt(G_w)``, ``c_j -= t_c / sqrt(G_c)`` with the
  accumulators *before* this step, then ``G += t^2``; biases step by ``g = eta fd``,
  unclipped: ``bw_i -= g / sqrt(Gb_i)``, ``Gb_i += g^2``. As in glove.c the accumulators hold
  squared *eta-scaled* gradients and start at 1, a pair whose diff is not finite is skipped,
  a vector update whose sum is not finite is dropped (it cannot happen once the diff is
  finite: see ``train_block``), and a non-finite bias step counts as 0. The kernel may
  compute ``t / sqrt(G)`` with a refined reciprocal square root (about 1e-7 relative error),
  the reference divides exactly.
- where this is not glove.c: its bias step. glove.c (since gradient clipping came in,
  stanfordnlp/GloVe PR #149, 2020) steps each bias by ``fd / sqrt(Gb)`` and adds ``fd^2``:
  its ``fdiff *= eta`` went away with that change, so biases learn at rate 1 whatever
  ``-eta`` says (20x the default eta; PR #209, open since 2023, proposes eta and clipping
  for the biases). We keep glove.c's own earlier step, ``eta fd`` (GloVe 1.0-1.2 before
  #149, the paper's AdaGrad): ``eta`` then means one learning rate for every parameter, and
  our default (``learning_rate=0.05``, glove.c's ``-eta`` default) and the benchmarks in
  docs/benchmarks.md were measured with it. Like glove.c, biases are not clipped.

What it leaves out: validation (``GloVe.fit`` does it), files, threads and schedules
(``_cooccur.py``, ``glove.py``), index bounds checks (ids must lie in the vocabulary).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from embedlayer.train._kernels_common import below as _below
from embedlayer.train._kernels_common import jit as _jit_fast
from embedlayer.train._kernels_common import mix64 as _mix64
from embedlayer.train._kernels_common import prefetch as _prefetch
from embedlayer.train._kernels_common import prefetch_row as _prefetch_row
from embedlayer.train._kernels_common import subsample as _subsample

__all__ = ["EMPTY", "compact_table", "count_pairs", "reduce_sorted", "subsample_chunk",
           "train_block"]

EMPTY = -1  # the key of an unused hash slot (real keys are >= 0)

# Counting and merging sum float64 weights in a fixed order: no fast-math, so the sums are
# the reference's to the last bit. error_model="numpy": a float division by zero gives inf
# instead of raising, which keeps the division out of Python's checks. ``train_block`` uses
# the shared kernel options (``_kernels_common.jit``: fast-math that keeps NaN and infinity,
# since glove.c's checks for them are part of the algorithm; the update loop vectorizes, 8x).
_jit = numba.njit(nogil=True, cache=True, error_model="numpy")


@_jit
def _slot(key, capacity):
    """The home slot of ``key`` in a table of ``capacity`` slots."""
    return _below(_mix64(np.uint64(key)), np.uint64(capacity))


@_jit
def _table_add(keys, vals, key, value, used):
    """``table[key] += value``; returns the new number of used slots."""
    capacity = keys.shape[0]
    s = _slot(key, capacity)
    while True:
        k = keys[s]
        if k == key:
            vals[s] += value
            return used
        if k == EMPTY:
            keys[s] = key
            vals[s] = value
            return used + 1
        s += 1
        if s == capacity:
            s = 0


@_jit
def count_pairs(ids, bounds, sentence, position, window, symmetric, weighting, vocab_size,
                keys, vals, used, max_used):
    """Add the pairs of ``ids`` from token ``position`` of ``sentence`` on into the table.

    ``ids`` int32 (n,), ``bounds`` int64 (s+1,) with sentence s = ``ids[bounds[s]:bounds[s+1]]``;
    ``keys`` int64 / ``vals`` float64 (capacity,) the table, ``used`` its occupied slots.
    Stops before a token once ``used`` exceeds ``max_used`` (which must leave room for the
    ``2 * window`` keys one token may add). Returns (sentence, position, used, updates):
    where to resume (sentence == number of sentences when done), the occupied slots, and the
    number of increments made.
    """
    n_sent = bounds.shape[0] - 1
    vs = np.int64(vocab_size)
    updates = 0
    s = sentence
    p = np.int64(position)
    while s < n_sent:
        start, stop = bounds[s], bounds[s + 1]
        if p < start:
            p = start
        while p < stop:
            if used > max_used:
                return s, p, used, updates
            right = np.int64(ids[p])
            k0 = max(start, p - window)
            for k in range(p - 1, k0 - 1, -1):
                left = np.int64(ids[k])
                weight = 1.0 / (p - k) if weighting else 1.0
                used = _table_add(keys, vals, left * vs + right, weight, used)
                if symmetric:
                    used = _table_add(keys, vals, right * vs + left, weight, used)
                updates += 1
            p += 1
        s += 1
    return s, p, used, updates


@_jit
def subsample_chunk(ids, bounds, keep, state):
    """Keep each token ``w`` of ``ids`` with probability ``keep[w]``, in place.

    The kept tokens move to the front of ``ids`` (in order) and ``bounds`` is rewritten to
    delimit them (a sentence may become empty); returns the number kept. One splitmix64 draw
    per token, in corpus order, from ``state`` (uint64): word2vec's ``_subsample`` rule.
    """
    n_sent = bounds.shape[0] - 1
    m = 0
    for s in range(n_sent):
        start, stop = bounds[s], bounds[s + 1]  # bounds[s + 1] is still the original here
        bounds[s] = m
        # Kept tokens are written at m + j <= the position being read: compaction in place.
        kept, state = _subsample(ids, start, stop, keep, ids[m:], state)
        m += kept
    bounds[n_sent] = m
    return m


@_jit
def compact_table(keys, vals):
    """Move the used slots of a table to its front, in slot order; returns their number."""
    m = 0
    for s in range(keys.shape[0]):
        k = keys[s]
        if k != EMPTY:
            keys[m] = k
            vals[m] = vals[s]
            m += 1
    return m


@_jit
def reduce_sorted(keys, vals, order, vocab_size, out_rows, out_cols, out_vals):
    """Visit ``keys[order]`` (ascending); write each distinct key once, with its summed value.

    A key is written as (row, col) = divmod(key, vocab_size) into ``out_rows``, ``out_cols``
    (int32) and its sum into ``out_vals`` (the fields of a records array may be passed).
    Equal keys are summed in the order ``order`` lists them (a stable sort keeps shards in
    order, so the sums are deterministic). Returns the number of distinct keys written.
    """
    vs = np.int64(vocab_size)
    m = -1
    last = EMPTY
    total = 0.0
    for q in range(order.shape[0]):
        o = order[q]
        k = keys[o]
        if k != last:
            if m >= 0:
                out_vals[m] = total
            m += 1
            row = k // vs
            out_rows[m] = row
            out_cols[m] = k - row * vs
            total = vals[o]
            last = k
        else:
            total += vals[o]
    if m >= 0:
        out_vals[m] = total
    return m + 1


@_jit_fast
def train_block(rows, cols, xs, W, C, bw, bc, GW, GC, gbw, gbc, x_max, alpha, eta, grad_clip):
    """AdaGrad over the triples ``(rows[n], cols[n], xs[n])`` in order, updating in place.

    ``W``, ``C`` float32 (V, D) word and context vectors, ``bw``, ``bc`` float32 (V,) their
    biases, ``GW``, ``GC``, ``gbw``, ``gbc`` the matching squared-gradient sums. Returns
    (cost, skipped): the summed ``0.5 f(x) diff^2`` (float64) and the pairs skipped for a
    non-finite diff.

    glove.c also drops a vector update whose sum is not finite. Here that cannot happen, so
    the update is applied in the same pass as the gradient (no scratch row): a finite diff
    means every product ``w[b] * c[b]`` was finite, so every row entry is finite, ``fd`` is
    finite, each clipped component is finite, and the sums it divides by are >= 1.
    """
    dim = W.shape[1]
    clip = np.float32(grad_clip)
    eta32 = np.float32(eta)
    log_xmax = math.log(x_max)
    cost = 0.0
    skipped = 0
    count = rows.shape[0]
    for n in range(count):
        if n + 1 < count:
            # The rows of the next pair are anywhere in 4 (V, D) matrices: asking for them
            # now overlaps their cache misses with this pair's arithmetic (2.3x).
            i2 = rows[n + 1]
            j2 = cols[n + 1]
            _prefetch_row(W[i2])
            _prefetch_row(C[j2])
            _prefetch_row(GW[i2])
            _prefetch_row(GC[j2])
            _prefetch(bw, i2)
            _prefetch(bc, j2)
            _prefetch(gbw, i2)
            _prefetch(gbc, j2)
        i = rows[n]
        j = cols[n]
        x = xs[n]
        w = W[i]
        c = C[j]
        gw = GW[i]
        gc = GC[j]
        dot = np.float32(0.0)
        for b in range(dim):
            dot += w[b] * c[b]
        logx = math.log(x)
        diff = np.float64(dot) + np.float64(bw[i]) + np.float64(bc[j]) - logx
        weight = 1.0 if x >= x_max else math.exp(alpha * (logx - log_xmax))
        fdiff = weight * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            skipped += 1
            continue
        cost += 0.5 * fdiff * diff
        fd = np.float32(fdiff)
        g = np.float32(eta * fdiff)
        for b in range(dim):
            wb = w[b]  # both gradients use the rows as they were before this pair
            cb = c[b]
            tw = min(max(fd * cb, -clip), clip) * eta32  # glove.c: clip, then scale by eta
            tc = min(max(fd * wb, -clip), clip) * eta32
            w[b] = wb - tw / math.sqrt(gw[b])
            c[b] = cb - tc / math.sqrt(gc[b])
            gw[b] += tw * tw
            gc[b] += tc * tc
        step = g / math.sqrt(gbw[i])
        bw[i] -= step if math.isfinite(step) else np.float32(0.0)
        step = g / math.sqrt(gbc[j])
        bc[j] -= step if math.isfinite(step) else np.float32(0.0)
        gbw[i] += g * g
        gbc[j] += g * g
    return cost, skipped
