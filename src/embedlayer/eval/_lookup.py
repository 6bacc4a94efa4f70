"""Which row answers a benchmark word: restricted to the top rows, optionally case-blind.

gensim's rule, so that numbers compare: only the first ``restrict_vocab`` rows count, and
with ``case_insensitive`` a word matches the most frequent (lowest id) row whose key has
the same upper-case form.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WordIndex"]


class WordIndex:
    def __init__(self, store: Any, *, restrict_vocab: int | None, case_insensitive: bool) -> None:
        keys = store.vocab.tokens
        n = len(keys) if restrict_vocab is None else min(len(keys), restrict_vocab)
        self.limit = n
        self.case_insensitive = case_insensitive
        index: dict[str, int] = {}
        for i in range(n - 1, -1, -1):  # so the lowest id wins
            index[self.norm(keys[i])] = i
        self._index = index

    def norm(self, word: str) -> str:
        return word.upper() if self.case_insensitive else word

    def get(self, word: str) -> int | None:
        return self._index.get(self.norm(word))
