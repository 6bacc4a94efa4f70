"""Vocabulary pruning: keep the most frequent rows, and shrink a fastText model's n-gram table.

What it holds: :func:`prune_vectors` (the ``keep`` most frequent rows of any vector store, as
dense ``Vectors``) and :func:`prune_subword` (a smaller ``SubwordVectors``: the most frequent
word rows, and the n-gram table re-hashed into fewer buckets, so that unknown and dropped
words still get vectors). The re-hashing follows compress-fasttext's ``prune_ngrams`` (Dale,
github.com/avidale/compress-fasttext): each new bucket is the weighted mean of the old rows
of the n-grams that land in it; here weighted by the words' corpus counts. Optionally
(``refine``) a few conjugate-gradient steps then fit the new table to the old composed word
vectors (least squares; the sparse products in ``_cgls.py`` / ``_kernels_prune.py``).

What it leaves out: quantization and low-rank factorization (their own modules in
``compress``), choosing ``keep`` (the caller's), and files: the results are ordinary
``Vectors`` / ``SubwordVectors`` that ``vectors/io`` saves as any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from embedlayer._types import Float64Array, FloatArray, IntArray
from embedlayer.compress._cgls import WordBucketMap, cgls
from embedlayer.errors import ConfigError
from embedlayer.vectors.subword import SubwordVectors, subword_ids
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import PAD, UNK, Vocab

__all__ = ["prune_subword", "prune_vectors"]

# subword_ids reduces the 32-bit FNV-1a hash modulo ``bucket``; modulo 2**32 it is the hash
# itself, so one hashing pass gives the old and the new bucket of every n-gram.
_HASH_SPACE = 1 << 32
_WORD_BLOCK = 65536  # words hashed at a time: memory stays bounded by the block, not the vocab
_ROW_BLOCK = 65536  # n-gram occurrences gathered at a time ((block, dim) float64)


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _check_iters(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ConfigError(f"{name} must be an integer >= 0 (iterations), got {value!r}")
    return int(value)


def _check_store(func: str, store: Any) -> None:
    if getattr(store, "vocab", None) is None or getattr(store, "dim", None) is None:
        raise ConfigError(f"{func} needs a vector store (vocab + matrix), got "
                          f"{type(store).__name__}")
    if len(store) == 0:
        raise ConfigError(f"{func}: the store is empty (0 rows); there is nothing to keep")


def _kept_rows(vocab: Vocab, keep: int, always_keep: Iterable[str]) -> IntArray:
    """Row ids to keep, ascending: the specials, ``always_keep`` and the ``keep`` most frequent.

    Frequency is the vocabulary's counts (ties: the lower row first); when no regular row has
    a count, the row order itself (files are written most frequent first).
    """
    n = len(vocab)
    fixed = np.zeros(n, dtype=bool)
    fixed[: len(vocab.specials)] = True  # specials are the first ids
    if isinstance(always_keep, str):
        always_keep = [always_keep]
    for token in always_keep:
        idx = vocab.get(token)
        if idx is not None:
            fixed[idx] = True
    regular = np.flatnonzero(~fixed)
    counts = np.asarray(vocab.counts)[regular]
    if counts.any():
        regular = regular[np.argsort(-counts, kind="stable")]
    return np.sort(np.concatenate([np.flatnonzero(fixed), regular[:keep]]))


def _sub_vocab(vocab: Vocab, rows: IntArray) -> Vocab:
    tokens = vocab.tokens
    unk = vocab.token(vocab.unk_id) if vocab.unk_id is not None else None
    return Vocab([tokens[i] for i in rows.tolist()], np.asarray(vocab.counts)[rows],
                 specials=vocab.specials, unk_token=unk)


def prune_vectors(store: Any, keep: int, *, always_keep: Iterable[str] = (PAD, UNK)) -> Vectors:
    """The ``keep`` most frequent rows of ``store`` as ``Vectors``, in their original order.

    Frequency comes from the counts of ``store.vocab`` (ties go to the lower row). When no
    row has a count (vectors read from a word2vec, GloVe or fastText ``.vec`` file, which
    carry none), the row order is taken as the frequency order: those tools write their
    vectors most frequent first, so the first ``keep`` rows are kept. The vocabulary's special
    tokens and the tokens of ``always_keep`` that are present are kept on top of ``keep``;
    ``keep`` above the number of rows keeps them all. The kept rows are copied bit for bit
    with their counts, the vocabulary's order and its special tokens. A ``Vectors`` store's
    OOV policy (and seed) carries over; any other store (a ``SubwordVectors`` included: its
    composed rows are kept, its n-grams are not; see :func:`prune_subword`) gives
    ``oov="raise"``. ``ConfigError`` for ``keep < 1`` or an empty store.

    >>> v = Vectors(Vocab(["the", "cat", "sat"], [9, 5, 7], unk_token=None), np.eye(3))
    >>> pruned = prune_vectors(v, 2)
    >>> pruned.keys, pruned.vocab.counts.tolist()
    (['the', 'sat'], [9, 7])
    """
    keep = _check_count("prune_vectors: keep", keep)
    _check_store("prune_vectors", store)
    vocab = store.vocab
    rows = _kept_rows(vocab, keep, always_keep)
    matrix = np.asarray(store.matrix)[rows]  # (kept, dim) copy
    if isinstance(store, Vectors):
        # Vectors has no public accessor for its OOV seed; the random OOV vectors of the
        # pruned store must stay the ones the original gave.
        return Vectors(_sub_vocab(vocab, rows), matrix, oov=store.oov,
                       oov_seed=getattr(store, "_oov_seed", 0))
    return Vectors(_sub_vocab(vocab, rows), matrix)


def _scatter_add(out: FloatArray, src: FloatArray, src_ids: IntArray, dst_ids: IntArray,
                 weights: np.ndarray) -> None:
    """``out[dst_ids[i]] += weights[i] * src[src_ids[i]]`` for every i, in blocks.

    Each block is sorted by destination, gathered and weighted in float64, summed per
    destination with ``reduceat`` and added once per destination (so fancy ``+=`` is safe).
    """
    order = np.argsort(dst_ids, kind="stable")
    for a in range(0, order.size, _ROW_BLOCK):
        sel = order[a:a + _ROW_BLOCK]
        dst = dst_ids[sel]
        rows = src[src_ids[sel]].astype(np.float64)  # (block, dim)
        rows *= weights[sel][:, None]
        starts = np.flatnonzero(np.r_[True, dst[1:] != dst[:-1]])
        out[dst[starts]] += np.add.reduceat(rows, starts, axis=0).astype(np.float32)


# The word weights of the refinement: count ** _WEIGHT_POWER (see prune_subword).
_WEIGHT_POWER = 0.5


def _refine_weights(counts: Float64Array) -> Float64Array:
    """(words,) c_w = count ** _WEIGHT_POWER, normalised to mean 1 (all ones without counts).

    The scale changes neither the minimiser nor the CG iterates; mean 1 keeps the objective
    readable as a mean squared error per word.
    """
    if not counts.any():
        return np.ones(counts.size)
    c = counts ** _WEIGHT_POWER
    return c / c.mean()


def _refine(store: SubwordVectors, kept: np.ndarray, c: Float64Array, n_grams: IntArray,
            new_ids: IntArray, table: FloatArray, iters: int) -> FloatArray:
    """``table`` (buckets, dim) after ``iters`` CGLS steps on the composed-vector error.

    Minimises sum_w c_w ||compose'(w) - v_old(w)||^2 over the rows of ``table`` that some
    weighted word uses; ``n_grams`` (words,) and ``new_ids`` (occurrences,) are the words'
    n-gram counts and new buckets, ``kept`` (words,) marks the word rows that stay.
    """
    n_rows = n_grams + kept  # (words,) rows averaged into each word's new vector
    # A word with no n-gram (or weight 0) has a fixed vector: it leaves the problem.
    active = (n_grams > 0) & (c > 0)
    if not active.any():
        return table
    occ_active = np.repeat(active, n_grams)
    used, cols = np.unique(new_ids[occ_active], return_inverse=True)  # compact bucket ids
    indptr = np.zeros(int(active.sum()) + 1, dtype=np.int64)
    np.cumsum(n_grams[active], out=indptr[1:])
    sqrt_c = np.sqrt(c[active])
    n = n_rows[active].astype(np.float64)
    # Weighted least squares as plain least squares: row w of A and of Y times sqrt(c_w).
    a = WordBucketMap(indptr, cols.astype(np.int64).ravel(), sqrt_c / n, used.size)
    ids = np.flatnonzero(active)
    y = store.matrix[ids].astype(np.float64)  # (active, dim) the old composed vectors
    own = kept[ids]
    y[own] -= store.word_matrix[ids[own]].astype(np.float64) / n[own][:, None]  # fixed part
    y *= sqrt_c[:, None]
    x = cgls(a, y, table[used].astype(np.float64), iters)
    out = table.copy()
    out[used] = x.astype(np.float32)
    return out


def prune_subword(
    store: SubwordVectors,
    *,
    keep_words: int,
    buckets: int,
    always_keep: Iterable[str] = (PAD, UNK),
    refine: int = 0,
) -> SubwordVectors:
    """A smaller fastText model: the ``keep_words`` most frequent word rows, ``buckets`` n-grams.

    Words are chosen as in :func:`prune_vectors` (counts, else row order; specials and
    ``always_keep`` on top; ``keep_words`` above the vocabulary keeps every word). The n-gram
    table is re-hashed: n-gram g goes to row ``fnv1a(g) % buckets``, fastText's standard hash
    with a smaller modulus, so the result is an ordinary ``SubwordVectors`` (``bucket=
    buckets``, same ``minn``, ``maxn``, encoding and ``no_subwords``) that composes any word,
    and saves as a fastText ``.bin``. New row b is the mean of the old rows ``G[fnv1a(g) %
    bucket]`` over every occurrence of an n-gram g in a word w of the ORIGINAL vocabulary
    with ``fnv1a(g) % buckets == b``, weighted by w's count (a word of count 0 weighs nothing;
    every word weighs 1 when the vocabulary has no counts). Rows no n-gram lands in stay zero: they held only n-grams of
    no vocabulary word, which training never updated, and a zero row leaves the direction of
    a composed vector unchanged.

    A word that loses its own row is composed from its n-grams alone, as compress-fasttext
    does. Folding its own row into its n-grams (each of its k occurrences contributing
    ``G[g] + (W[w] - v[w]) / k``, so that their mean is its old vector v[w]) was measured and
    left out: on this project's English fastText model (30k words, 2M buckets, keeping 20k
    words) the dropped words' vectors already keep cosine 0.9998 with their old ones without
    it (a rare word's own row is one of ~20 summands and barely trained), and the mean
    Spearman of WS-353 / SimLex / MEN moved by at most 0.0003 at 2M, 100k, 50k and 20k
    buckets. What costs quality is buckets shared by several n-grams.

    ``refine`` (iterations, default 0: the table above, bit for bit) then improves the new
    n-gram table G' (buckets, dim) by ``refine`` steps of CGLS (conjugate gradient on the
    normal equations, each dimension on its own, float64 state, float32 result) started
    from the re-hashed table, on sum over every word w of the ORIGINAL vocabulary of
    c_w ||compose'(w) - v_old(w)||^2: compose'(w) is w's vector in the pruned model (its own
    row if kept, held fixed, plus its n-gram rows of G', over its number of rows), v_old(w)
    its vector in ``store``. Stopping after a few steps is the regularization: rows no
    weighted word uses keep their re-hashed value, and the fit stays near its start. The
    weight is c_w = sqrt(count), scaled to mean 1 (count 0 weighs nothing; 1 for every word
    when the vocabulary has no counts). Deterministic: no randomness, serial kernels.

    Measured on this project's English fastText model (30k words, 2M buckets, dim 100),
    keeping 20k words, mean Spearman of WS-353 / SimLex-999 / MEN (``oov="compose"``;
    original model 0.3976), by ``benchmarks/bench_prune_refine.py``:

    | buckets | refine=0 | 5 | 10 | 20 | 40 | 80 |
    | --- | --- | --- | --- | --- | --- | --- |
    | 100k | .3615 | .3749 | .3874 | .3950 | .3991 | .3995 |
    | 50k | .3376 | .3576 | .3777 | .3923 | .4002 | .4010 |

    Plain counts as c_w fit far slower (100k: .3631, .3644, .3694, .3803 at 5-40 steps;
    50k: .3388, .3387, .3459, .3644): a few frequent words dominate the objective, and
    their n-gram rows already fit; the square root spreads the fit over the rarer words.
    (Equal weights did about as well as the square root at 40 steps: .4012 and .3996.)
    Google analogy accuracy (restrict_vocab=30000, the 8,973 questions the 20k words
    answer; the original answers 10,397, so its .5505 is not comparable) stayed between .577
    and .593 for every refine > 0 with these weights, with no trend in the count, above
    refine=0 (.579 at 100k, .563 at 50k). ``refine=40`` is a good start: the curve is flat
    from there (80 steps add under 0.001) while 20 steps are still 0.004-0.008 short; it
    took 7-9 s on a loaded 2-core machine (~0.15 s per step; the re-hash alone ~1 s). These word-similarity sets
    are the ones the count was chosen on: the figures are not a held-out score, which is
    why the choice is the start of the plateau, not the best single number. Memory: about
    four float64 arrays of (buckets used by the words, dim) and four of (words, dim).

    ``ConfigError`` for a store that is not ``SubwordVectors`` or has no n-gram buckets, an
    empty store, ``keep_words < 1``, ``buckets < 1`` or ``refine`` not an integer >= 0.
    """
    if not isinstance(store, SubwordVectors):
        raise ConfigError(f"prune_subword needs SubwordVectors (a fastText model with n-gram "
                          f"buckets), got {type(store).__name__}; prune_vectors prunes any store")
    keep_words = _check_count("prune_subword: keep_words", keep_words)
    buckets = _check_count("prune_subword: buckets", buckets)
    refine = _check_iters("prune_subword: refine", refine)
    _check_store("prune_subword", store)
    if store.bucket == 0:
        raise ConfigError("prune_subword: the store has no n-gram buckets (bucket=0); "
                          "prune_vectors prunes its word rows")
    vocab = store.vocab
    rows = _kept_rows(vocab, keep_words, always_keep)
    counts = np.asarray(vocab.counts, dtype=np.float64)
    weight = counts if counts.any() else np.ones(len(vocab))

    words = vocab.tokens
    old_table = store.ngram_matrix  # (bucket, dim)
    sums = np.zeros((buckets, store.dim), dtype=np.float32)  # weighted sums, then means
    total = np.zeros(buckets, dtype=np.float64)  # the weight that landed in each new row
    n_grams, new_ids = [], []  # per block, kept for the refinement
    for a in range(0, len(words), _WORD_BLOCK):
        block = words[a:a + _WORD_BLOCK]
        indptr, hashes = subword_ids(block, minn=store.minn, maxn=store.maxn,
                                     bucket=_HASH_SPACE, skip=store.no_subwords,
                                     encoding=store.encoding)
        k = np.diff(indptr)  # (block,) n-grams per word
        w = np.repeat(weight[a:a + len(block)], k)  # (occurrences,) the word's weight
        new = hashes % buckets
        total += np.bincount(new, weights=w, minlength=buckets)
        _scatter_add(sums, old_table, hashes % store.bucket, new, w)
        if refine:
            n_grams.append(k)
            new_ids.append(new)
    landed = total > 0
    sums[landed] *= (1.0 / total[landed]).astype(np.float32)[:, None]
    if refine and n_grams:
        kept = np.zeros(len(vocab), dtype=bool)
        kept[rows] = True
        sums = _refine(store, kept, _refine_weights(counts), np.concatenate(n_grams),
                       np.concatenate(new_ids), sums, refine)
    return SubwordVectors(_sub_vocab(vocab, rows), store.word_matrix[rows], sums,
                          minn=store.minn, maxn=store.maxn, bucket=buckets,
                          no_subwords=store.no_subwords, encoding=store.encoding)
