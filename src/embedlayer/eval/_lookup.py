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
        variants: dict[str, list[int]] = {}  # normalized form -> every row id that has it
        for i in range(n - 1, -1, -1):  # so the lowest id wins
            form = self.norm(keys[i])
            index[form] = i
            variants.setdefault(form, []).append(i)
        self._index = index
        self._variants = {k: v for k, v in variants.items() if len(v) > 1}

    def norm(self, word: str) -> str:
        return word.upper() if self.case_insensitive else word

    def get(self, word: str) -> int | None:
        return self._index.get(self.norm(word))

    def variants(self, idx: int, keys: list[str]) -> list[int]:
        """Other row ids whose key has the same normalized form as row ``idx`` (often none)."""
        found = self._variants.get(self.norm(keys[idx]))
        return [i for i in found if i != idx] if found else []
