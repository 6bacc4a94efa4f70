"""TF-IDF bag-of-words vectors behind the ``Encoder`` protocol, for small document sets.

What it holds: :class:`TfidfEncoder`: ``fit(documents)`` learns a vocabulary (every token of
the fitted documents, in sorted order) and its IDF; ``encode(texts)`` gives one dense,
L2-normalized float32 row per text with weights ``(1 + ln tf) * idf`` — scikit-learn's
``TfidfVectorizer(sublinear_tf=True)`` (smooth IDF ``ln((1 + N) / (1 + df)) + 1``), which the
tests compare it with. Tokens not seen in ``fit`` are dropped. What it leaves out: sparse
output (the rows are dense, ``dim`` = vocabulary size, so this suits tens or hundreds of
documents such as the Lee set, not a large index: BM25 (``tasks.bm25``) is the lexical
scorer for those).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.errors import ConfigError
from embedlayer.tasks.bm25 import tokenize_function
from embedlayer.vectors.encoder import check_texts, l2_normalize

__all__ = ["TfidfEncoder"]


class TfidfEncoder:
    """Sublinear TF-IDF vectors over the vocabulary of the fitted documents.

    >>> enc = TfidfEncoder().fit(["a cat sat", "a dog ran"])   # doctest: +SKIP
    >>> enc.encode(["cat and dog"]).shape                        # doctest: +SKIP
    (1, 5)

    ``tokenizer``: any object with ``tokenize(text)`` or a callable (default: the regex
    tokenizer, lower-cased). Learned: ``vocabulary_`` (token -> column), ``idf_``,
    ``n_documents_``.
    """

    def __init__(self, tokenizer: Any = None) -> None:
        self.tokenizer = tokenizer

    def fit(self, documents: Sequence[str]) -> TfidfEncoder:
        self._tokenize = tokenize_function(self.tokenizer, "TfidfEncoder")
        docs = check_texts(documents, "TfidfEncoder.fit")
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(self._tokenize(doc)))
        if not df:
            raise ConfigError(f"TfidfEncoder.fit: the {len(docs)} document(s) have no token; "
                              f"expected some text the tokenizer keeps")
        tokens = sorted(df)
        self.vocabulary_ = {t: i for i, t in enumerate(tokens)}
        counts = np.array([df[t] for t in tokens], dtype=np.float64)
        self.idf_ = np.log((1.0 + len(docs)) / (1.0 + counts)) + 1.0
        self.n_documents_ = len(docs)
        return self

    @property
    def dim(self) -> int:
        self._check_fitted()
        return len(self.vocabulary_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocabulary_"):
            raise ConfigError("TfidfEncoder: not fitted; call fit(documents) first")

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> FloatArray:
        """(len(texts), dim) float32, unit rows (a text with no known token stays zero)."""
        self._check_fitted()
        texts = check_texts(texts, "TfidfEncoder.encode")
        out = np.zeros((len(texts), len(self.vocabulary_)), dtype=np.float32)
        for i, text in enumerate(texts):
            counts = Counter(t for t in self._tokenize(text) if t in self.vocabulary_)
            if counts:
                cols = np.fromiter((self.vocabulary_[t] for t in counts), dtype=np.int64)
                tf = np.fromiter(counts.values(), dtype=np.float64)
                out[i, cols] = (1.0 + np.log(tf)) * self.idf_[cols]
        return l2_normalize(out)

    def identity(self) -> dict[str, Any]:
        self._check_fitted()
        digest = hashlib.sha256("\n".join(self.vocabulary_).encode("utf-8", "surrogatepass"))
        return {"kind": "tfidf", "dim": self.dim, "documents": self.n_documents_,
                "tokenizer": type(self.tokenizer).__name__, "vocabulary_sha256":
                digest.hexdigest()}

    def __repr__(self) -> str:
        size = f"dim={len(self.vocabulary_)}" if hasattr(self, "vocabulary_") else "not fitted"
        return f"TfidfEncoder({size})"
