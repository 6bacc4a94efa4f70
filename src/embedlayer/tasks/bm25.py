"""BM25 ranking over the project's tokenizers, scored by the ``bm25s`` library.

What it holds: :class:`BM25`, an estimator (``fit(documents)`` indexes a list of texts;
``score(query, ids=)`` gives every document's BM25 score for one query, or those of a subset
of document ids), and :data:`BM25_VARIANTS`, the scoring variants bm25s implements (Kamphuis et
al. 2020: ``lucene`` by default, ``robertson``, ``atire``, ``bm25l``, ``bm25+``). What it
leaves out: the index data structure and scoring arithmetic (bm25s's, imported on first use,
so ``import embedlayer`` never imports bm25s or scipy), fusing BM25 with dense scores
(``tasks.hybrid``), and answer selection (``tasks.qa``).

Tokens come from an embedlayer tokenizer (``get_tokenizer("regex", lowercase=True)`` unless
one is given; any object with ``tokenize(text)`` or a plain callable works) and are handed to
bm25s as token lists, so the documents and queries are cut exactly like everywhere else in
the project. A query token repeated n times counts n times (bm25s's rule); a query with no
indexed token scores every document 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from embedlayer._types import Float64Array
from embedlayer.errors import ConfigError
from embedlayer.vectors.encoder import check_texts

__all__ = ["BM25", "BM25_VARIANTS", "BM25Variant", "tokenize_function"]

BM25Variant = Literal["lucene", "robertson", "atire", "bm25l", "bm25+"]
BM25_VARIANTS = ("lucene", "robertson", "atire", "bm25l", "bm25+")


def tokenize_function(tokenizer: Any, where: str) -> Callable[[str], list[str]]:
    """``tokenizer.tokenize`` or the callable itself; the default regex tokenizer for None.

    The returned function checks that each result is a list of str (``ConfigError`` naming
    ``where`` otherwise).
    """
    if tokenizer is None:
        from embedlayer.text import get_tokenizer

        tokenizer = get_tokenizer("regex", lowercase=True)
    tokenize = getattr(tokenizer, "tokenize", tokenizer)
    if not callable(tokenize):
        raise ConfigError(f"{where}: tokenizer must have tokenize(text) or be callable, got "
                          f"{type(tokenizer).__name__}")

    def checked(text: str) -> list[str]:
        tokens = tokenize(text)
        if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
            raise ConfigError(f"{where}: the tokenizer returned {type(tokens).__name__} "
                              f"{str(tokens)[:60]!r}; expected a list of str")
        return list(tokens)

    return checked


def _check_number(where: str, name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value) or not low <= value <= high:
        raise ConfigError(f"{where}: {name} must be a number in [{low:g}, {high:g}], got "
                          f"{value!r}")
    return float(value)


class BM25:
    """Okapi BM25 over a list of texts.

    >>> bm25 = BM25().fit(["the cat sat", "a dog barked", "cats and dogs"])  # doctest: +SKIP
    >>> bm25.score("cat")                                                     # doctest: +SKIP
    array([0.98..., 0.  , 0.  ])

    ``k1`` (term-frequency saturation, >= 0), ``b`` (document-length normalization, 0..1),
    ``variant`` (one of :data:`BM25_VARIANTS`; bm25s's ``method``) and ``delta`` (the floor of
    ``bm25l`` / ``bm25+``; ignored by the others) default to bm25s's defaults. IDF is taken over
    the fitted documents. Learned state: ``n_documents_``, ``vocabulary_size_`` (distinct
    tokens), ``average_length_`` (tokens per document).
    """

    def __init__(self, tokenizer: Any = None, *, k1: float = 1.5, b: float = 0.75,
                 variant: BM25Variant = "lucene", delta: float = 0.5) -> None:
        self.tokenizer = tokenizer
        self.k1 = k1
        self.b = b
        self.variant = variant
        self.delta = delta

    def _check(self) -> None:
        where = "BM25"
        _check_number(where, "k1", self.k1, 0.0, math.inf)
        _check_number(where, "b", self.b, 0.0, 1.0)
        _check_number(where, "delta", self.delta, 0.0, math.inf)
        if self.variant not in BM25_VARIANTS:
            raise ConfigError(f"{where}: variant must be one of {', '.join(BM25_VARIANTS)}, "
                              f"got {self.variant!r}")

    def fit(self, documents: Sequence[str], *, progress: bool = False) -> BM25:
        """Index ``documents`` (a list of str; document i gets id i)."""
        self._check()
        self._tokenize = tokenize_function(self.tokenizer, "BM25")
        docs = check_texts(documents, "BM25.fit")
        if not docs:
            raise ConfigError("BM25.fit: no documents; expected at least one text")
        tokens = [self._tokenize(d) for d in docs]
        total = sum(len(t) for t in tokens)
        if total == 0:
            raise ConfigError(f"BM25.fit: the {len(docs)} document(s) have no token; expected "
                              f"some text the tokenizer keeps")
        import bm25s

        index = bm25s.BM25(k1=float(self.k1), b=float(self.b), delta=float(self.delta),
                           method=self.variant)
        index.index(tokens, create_empty_token=False, show_progress=progress)
        self._index = index
        self.n_documents_ = len(docs)
        self.vocabulary_size_ = len(index.vocab_dict)
        self.average_length_ = total / len(docs)
        return self

    def score(self, query: str, ids: Sequence[int] | None = None) -> Float64Array:
        """BM25 of ``query`` against every document (``ids=None``) or documents ``ids``, in
        that order: float64 ``(n_documents_,)`` or ``(len(ids),)``."""
        if not hasattr(self, "_index"):
            raise ConfigError("BM25.score: not fitted; call fit(documents) first")
        if not isinstance(query, str):
            raise ConfigError(f"BM25.score: query is {type(query).__name__}, expected str")
        token_ids = self._index.get_tokens_ids(self._tokenize(query))
        scores = np.asarray(self._index.get_scores_from_ids(token_ids), dtype=np.float64)
        if ids is None:
            return scores
        return scores[self._check_ids(ids)]

    def _check_ids(self, ids: Sequence[int]) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise ConfigError(f"BM25.score: ids must be a list of ints, got "
                              f"{str(list(ids))[:60]}")
        bad = arr[(arr < 0) | (arr >= self.n_documents_)]
        if bad.size:
            raise ConfigError(f"BM25.score: document id {int(bad[0])} out of range; expected "
                              f"0..{self.n_documents_ - 1}")
        return arr.astype(np.int64)

    def __repr__(self) -> str:
        fitted = f", n_documents={self.n_documents_}" if hasattr(self, "n_documents_") else ""
        return (f"BM25(k1={self.k1}, b={self.b}, variant={self.variant!r}"
                f"{', delta=' + str(self.delta) if self.variant in ('bm25l', 'bm25+') else ''}"
                f"{fitted})")
