"""Query methods shared by every dense-matrix store (``Vectors``, ``SubwordVectors``).

What it holds: thin methods that hand ``self`` to the free functions of ``vectors/query.py``,
so each store gets ``most_similar`` & co. without re-implementing them, plus the cached row
``norms`` they use. A store using it needs ``vocab``, ``matrix``, ``dim``, ``__getitem__``,
``lookup``, and ``self._norms = None`` set in its constructor. Subword stores
answer for out-of-vocabulary words too, because their ``__getitem__`` composes n-grams.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.vectors import query

if TYPE_CHECKING:
    from embedlayer.vectors.query import AnalogyMethod, Neighbours

__all__ = ["QueryMethods"]


class QueryMethods:
    _norms: FloatArray | None  # set to None by the store's constructor

    @property
    def norms(self) -> FloatArray:
        """L2 norm of each row of ``matrix``, (N,) float32, computed once and cached."""
        if self._norms is None:
            norms = query.row_norms(self.matrix)  # type: ignore[attr-defined]
            norms.setflags(write=False)
            self._norms = norms
        return self._norms

    # --- queries (see vectors/query.py) ------------------------------------------------
    def similarity(self, a: str, b: str) -> float:
        return float(query.cosine(self[a], self[b]))

    def most_similar(
        self,
        positive: str | Sequence[str | np.ndarray] = (),
        negative: Sequence[str | np.ndarray] = (),
        *,
        topn: int = 10,
        restrict_vocab: int | None = None,
        index: Any = None,
    ) -> list[tuple[str, float]]:
        return query.most_similar(self, positive, negative, topn=topn,
                                  restrict_vocab=restrict_vocab, index=index)

    def similar_by_vector(
        self, vector: np.ndarray, *, topn: int = 10, restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        return query.similar_by_vector(self, vector, topn=topn, restrict_vocab=restrict_vocab)

    def analogy(
        self, a: str, b: str, c: str, *, method: AnalogyMethod = "3cosadd", topn: int = 1,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """``a : b :: c : ?`` (e.g. man : king :: woman : queen), question words excluded."""
        return query.analogy(self, a, b, c, method=method, topn=topn, restrict_vocab=restrict_vocab)

    def doesnt_match(self, words: Sequence[str]) -> str:
        return query.doesnt_match(self, words)

    def distances(self, word: str, others: Sequence[str] | None = None) -> FloatArray:
        """Cosine distances (1 - cosine) from ``word`` to ``others`` (default: every key)."""
        return query.distances(self, word, others)

    def rank(self, word: str, other: str) -> int:
        """Rank of ``other`` among ``word``'s neighbours (1 = nearest; ``word`` excluded)."""
        return query.rank(self, word, other)

    def neighbours(
        self, queries: np.ndarray, *, topn: int = 10, restrict_vocab: int | None = None,
        exclude: Sequence[Sequence[int]] | None = None,
    ) -> Neighbours:
        """Batched nearest neighbours of the rows of ``queries`` ((Q, D)) by cosine."""
        return query.nearest(self, queries, topn=topn, restrict_vocab=restrict_vocab, exclude=exclude)

