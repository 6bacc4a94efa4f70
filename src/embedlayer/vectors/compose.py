"""Sentence and document vectors composed from word vectors: sum, mean, weighted mean.

What it holds: free functions over any :class:`~embedlayer.vectors.base.VectorStore` that turn
token lists into one vector each (:func:`compose`, and the batched :func:`compose_many`),
the frequency weights ``a / (a + p(w))`` of Arora et al. (:func:`word_probabilities`,
:func:`frequency_weights`) and the tally of what composing saw (:class:`ComposeStats`).
What it leaves out: tokenizing (callers hand over token lists; ``embedlayer.text`` makes
them), the SIF estimator that also removes principal components (``vectors/sif.py``), and
similarity queries over the results (``vectors/query.py``).

For a document ``x1 .. xn`` with word vectors ``e(x)``, ``n`` tokens and weights ``w(x)``::

    sum       e(x1) + ... + e(xn)
    mean      (e(x1) + ... + e(xn)) / n
    weighted  (w(x1) e(x1) + ... + w(xn) e(xn)) / n     (SIF's average: divides by n, not sum w)

Unknown tokens (not in the store's vocabulary) follow ``oov``: ``"skip"`` drops them (``n``
counts only known tokens), ``"zero"`` counts them as zero vectors (they still count in ``n``),
``"store"`` asks the store for them (its OOV policy: a subword store composes them from
n-grams, ``Vectors(oov="raise")`` raises). A document with no known token (empty, or all
unknown under ``"skip"``/``"zero"``) gets the zero vector, and is counted in
``ComposeStats.empty_documents`` so the caller can tell.

Batches are vectorized: the tokens of up to ``batch_size`` documents become one id array,
their rows are gathered with one fancy index and summed per document with
``np.add.reduceat``; sums are accumulated in float64 and returned as float32.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

import numpy as np

from embedlayer._types import Float64Array, FloatArray
from embedlayer.errors import ConfigError
from embedlayer.vectors.base import VectorStore
from embedlayer.vocab import Vocab

__all__ = [
    "ComposeMethod",
    "ComposeOOV",
    "ComposeStats",
    "compose",
    "compose_many",
    "frequency_weights",
    "word_probabilities",
]

ComposeMethod = Literal["sum", "mean", "weighted"]
# What an unknown token does: dropped, a zero vector that still counts in the mean, or the
# store's own vector for it (its OOV policy).
ComposeOOV = Literal["skip", "zero", "store"]

# A batch is flushed at this many tokens too, so one batch's gathered rows stay bounded
# ((tokens, D) float64: 2**17 x 300 x 8 B = 300 MB at most) whatever the document lengths.
_MAX_BATCH_TOKENS = 1 << 17
_DEFAULT_WEIGHT = 1.0  # weight of a token missing from ``weights``: a / (a + 0), never counted


@dataclass
class ComposeStats:
    """A running tally of what composition saw; pass one in to have it filled.

    >>> stats = ComposeStats()
    >>> # compose_many(store, docs, stats=stats); stats.empty_documents
    """

    documents: int = 0  # documents composed
    tokens: int = 0  # running tokens in them
    oov_tokens: int = 0  # ... of which are not in the store's vocabulary
    empty_documents: int = 0  # documents given the zero vector: no token, or no known token

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --- frequency weights --------------------------------------------------------------------
def word_probabilities(counts: Vocab | Mapping[str, int]) -> dict[str, float]:
    """Unigram probabilities ``p(w) = c(w) / sum of counts`` of the regular tokens.

    ``counts`` is a ``Vocab`` (its counts; special tokens left out) or any mapping from token
    to count, such as a :class:`~embedlayer.vocab.TokenCounter`. The total is the sum of the
    counts given (for a vocabulary cut by ``min_count``, of the kept tokens).
    """
    if isinstance(counts, Vocab):
        n_special = len(counts.specials)
        pairs: Iterable[tuple[str, int]] = zip(
            counts.tokens[n_special:], counts.counts[n_special:].tolist(), strict=True
        )
    elif isinstance(counts, Mapping):
        pairs = counts.items()
    else:
        raise ConfigError(
            f"counts must be a Vocab or a mapping token -> count (e.g. a TokenCounter), "
            f"got {type(counts).__name__}"
        )
    items = [(tok, int(c)) for tok, c in pairs]
    bad = next(((t, c) for t, c in items if c < 0), None)
    if bad is not None:
        raise ConfigError(f"counts must be >= 0, got {bad[1]} for {bad[0]!r}")
    total = sum(c for _, c in items)
    if total <= 0:
        raise ConfigError(
            f"counts hold no occurrences ({len(items)} tokens, all with count 0): word "
            f"probabilities need counted text (a Vocab built from counts, or a TokenCounter)"
        )
    return {tok: c / total for tok, c in items}


def frequency_weights(counts: Vocab | Mapping[str, int], *, a: float = 1e-3) -> dict[str, float]:
    """SIF weights ``a / (a + p(w))``: near 1 for rare words, small for frequent ones.

    ``a`` is the smoothing (Arora et al. 2017 find 1e-4..1e-3 best). Tokens absent from
    ``counts`` have ``p = 0``; :func:`compose` gives them weight 1, the same value.

    >>> w = frequency_weights({"the": 3, "cat": 1}, a=0.25)
    >>> w["the"], w["cat"]
    (0.25, 0.5)
    """
    _check_a(a)
    return {tok: a / (a + p) for tok, p in word_probabilities(counts).items()}


def _check_a(a: float) -> None:
    if not (isinstance(a, int | float) and np.isfinite(a) and a > 0):
        raise ConfigError(f"a must be a finite number > 0, got {a!r}")


# --- composing ----------------------------------------------------------------------------
def compose(
    store: VectorStore,
    tokens: Sequence[str],
    *,
    method: ComposeMethod = "mean",
    weights: Mapping[str, float] | None = None,
    oov: ComposeOOV = "skip",
) -> FloatArray:
    """One document's vector, (D,) float32; the zero vector when no token is known.

    See the module docstring for the formulas. ``weights`` (token -> weight, e.g.
    :func:`frequency_weights`) goes with ``method="weighted"`` only; tokens missing from it
    get weight 1.
    """
    _check_document(tokens, 0)
    return compose_many(store, [tokens], method=method, weights=weights, oov=oov)[0]


def compose_many(
    store: VectorStore,
    documents: Iterable[Sequence[str]],
    *,
    method: ComposeMethod = "mean",
    weights: Mapping[str, float] | None = None,
    oov: ComposeOOV = "skip",
    batch_size: int = 1024,
    stats: ComposeStats | None = None,
) -> FloatArray:
    """Vectors of a stream of documents, (n, D) float32, row i for document i.

    Exactly ``compose`` applied to each document, computed ``batch_size`` documents at a time.
    Empty and all-unknown documents get zero rows; pass ``stats`` (a :class:`ComposeStats`)
    to have their number, and the token and OOV counts, added to it.
    """
    _check_options(method, weights, oov)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be an int >= 1, got {batch_size!r}")
    tally = stats if stats is not None else ComposeStats()
    out = [
        compose_batch(store, batch, method=method, token_weights=weights, oov=oov,
                      stats=tally).astype(np.float32)
        for batch in iter_batches(documents, batch_size)
    ]
    if not out:
        return np.zeros((0, store.dim), dtype=np.float32)
    return np.concatenate(out)


# --- the vectorized kernel (shared with vectors/sif.py) -----------------------------------
def _check_options(method: str, weights: Mapping[str, float] | None, oov: str) -> None:
    if method not in get_args(ComposeMethod):
        raise ConfigError(
            f"unknown method={method!r}; expected one of {', '.join(get_args(ComposeMethod))}"
        )
    if oov not in get_args(ComposeOOV):
        raise ConfigError(f"unknown oov={oov!r}; expected one of {', '.join(get_args(ComposeOOV))}")
    if method == "weighted" and weights is None:
        raise ConfigError(
            "method='weighted' needs weights= (token -> weight), e.g. frequency_weights(vocab)"
        )
    if method != "weighted" and weights is not None:
        raise ConfigError(f"weights= is only used by method='weighted', got method={method!r}")
    if weights is not None and not isinstance(weights, Mapping):
        raise ConfigError(f"weights must be a mapping token -> weight, got {type(weights).__name__}")


def _check_document(doc: Any, index: int) -> None:
    # A bare string is a sequence of characters: almost always a forgotten tokenizer.
    if isinstance(doc, str | bytes) or not isinstance(doc, Sequence):
        raise ConfigError(
            f"document {index} must be a sequence of tokens (e.g. a list of str), got "
            f"{type(doc).__name__}{' (tokenize it first)' if isinstance(doc, str) else ''}"
        )


def iter_batches(
    documents: Iterable[Sequence[str]], batch_size: int
) -> Iterator[list[Sequence[str]]]:
    """Lists of at most ``batch_size`` documents (and about ``_MAX_BATCH_TOKENS`` tokens)."""
    if isinstance(documents, str | bytes):
        raise ConfigError("documents must be an iterable of token lists, not one str")
    batch: list[Sequence[str]] = []
    n_tokens = 0
    for i, doc in enumerate(documents):
        _check_document(doc, i)
        batch.append(doc)
        n_tokens += len(doc)
        if len(batch) >= batch_size or n_tokens >= _MAX_BATCH_TOKENS:
            yield batch
            batch, n_tokens = [], 0
    if batch:
        yield batch


def compose_batch(
    store: VectorStore,
    docs: Sequence[Sequence[str]],
    *,
    method: ComposeMethod,
    oov: ComposeOOV,
    stats: ComposeStats,
    token_weights: Mapping[str, float] | None = None,
    row_weights: Float64Array | None = None,
) -> Float64Array:
    """(len(docs), D) float64 vectors of one batch; options are checked by the caller.

    Weights come per token (``token_weights``, a mapping) or per store row (``row_weights``,
    (len(store),), used by SIF; unknown tokens then weigh 1).
    """
    n, dim = len(docs), store.dim
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=n)  # (n,)
    flat = list(itertools.chain.from_iterable(docs))  # (T,) tokens
    total = len(flat)
    get = store.vocab.get
    ids = np.fromiter(map(get, flat, itertools.repeat(-1)), dtype=np.int64, count=total)  # (T,)
    known = ids >= 0
    n_oov = int(total - np.count_nonzero(known))

    if method == "weighted" and token_weights is not None:
        tok_w = np.fromiter(
            map(token_weights.get, flat, itertools.repeat(_DEFAULT_WEIGHT)),
            dtype=np.float64, count=total,
        )
    elif method == "weighted" and row_weights is not None:
        tok_w = np.full(total, _DEFAULT_WEIGHT)
        tok_w[known] = row_weights[ids[known]]
    else:
        tok_w = None

    doc_of = np.repeat(np.arange(n), lengths)  # (T,) document index of each token
    # Rows go to float64 in Fortran order: reduceat along axis 0 then runs over contiguous
    # memory (about 4x faster than C order); the conversion and the weighting are one pass.
    if oov == "store":
        used = np.ones(total, dtype=bool)
        gathered = np.empty((total, dim), dtype=np.float32)  # (T, D)
        gathered[known] = store.matrix[ids[known]]
        if n_oov:
            unknown = [flat[i] for i in np.flatnonzero(~known).tolist()]
            uniq, inverse = np.unique(np.array(unknown, dtype=object), return_inverse=True)
            extra = np.asarray(store.lookup(uniq.tolist()), dtype=np.float32)  # (U, D)
            gathered[~known] = extra[inverse]
    else:
        used = known
        gathered = store.matrix[ids[known]]  # (T_known, D) float32: the one gather
    if tok_w is None:
        rows = gathered.astype(np.float64, order="F")
    else:
        rows = np.multiply(gathered, tok_w[used][:, None], dtype=np.float64, order="F")

    per_doc = np.bincount(doc_of[used], minlength=n)  # (n,) tokens contributing a vector
    sums = np.zeros((n, dim), dtype=np.float64)
    nonempty = per_doc > 0
    if nonempty.any():
        # reduceat sums rows[start_i : start_{i+1}]; empty documents are left out of the
        # index list because reduceat would hand them the row at their start instead of 0.
        starts = np.concatenate(([0], np.cumsum(per_doc)[:-1]))
        sums[nonempty] = np.add.reduceat(rows, starts[nonempty], axis=0)
    if method != "sum":
        # "skip" averages over the known tokens, "zero" and "store" over all tokens.
        denom = per_doc if oov == "skip" else lengths
        sums[nonempty] /= denom[nonempty, None]

    stats.documents += n
    stats.tokens += total
    stats.oov_tokens += n_oov
    stats.empty_documents += int(n - np.count_nonzero(nonempty))
    return sums
