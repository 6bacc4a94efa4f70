"""`TokenCounter`: streaming token counts in optionally bounded memory, mergeable across shards.

What it holds: a ``dict`` of counts fed sentence by sentence. With ``max_types`` set it keeps
memory bounded the way word2vec's C tool does (``ReduceVocab``): when the number of distinct
tokens passes the cap, every token seen at most ``min_reduce`` times is dropped and
``min_reduce`` grows by one. Counts of tokens that were dropped and then seen again are
therefore under-counted; the counter says how many types and occurrences it pruned so the
loss is never silent. Counters of separate shards merge exactly (when neither pruned).
Saving a counter (to merge later, on another process or machine) is in ``vocab/io.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from embedlayer.errors import ConfigError
from embedlayer.vocab.vocab import UNK, Vocab

__all__ = ["CountReport", "TokenCounter", "build_vocab"]


@dataclass(frozen=True)
class CountReport:
    """What counting saw and what a vocabulary built from it kept."""

    sentences: int  # sentences (lines, documents) counted
    tokens: int  # running tokens counted
    types: int  # distinct tokens held at the end
    pruned_types: int  # distinct tokens dropped by the memory cap (may repeat)
    pruned_tokens: int  # occurrences those drops removed
    vocab_size: int  # tokens kept in the vocabulary, specials included
    vocab_tokens: int  # occurrences covered by the kept tokens

    @property
    def coverage(self) -> float:
        """Share of the running tokens covered by the vocabulary."""
        return self.vocab_tokens / self.tokens if self.tokens else 0.0


class TokenCounter(Mapping[str, int]):
    """Counts tokens from a stream of sentences.

    >>> c = TokenCounter()
    >>> c.update(["a", "b", "a"])
    >>> c["a"], c.tokens
    (2, 3)
    """

    def __init__(self, *, max_types: int | None = None) -> None:
        if max_types is not None and max_types < 1:
            raise ConfigError(f"max_types must be >= 1 or None, got {max_types}")
        self.max_types = max_types
        self._counts: Counter[str] = Counter()
        self.sentences = 0
        self.tokens = 0
        self.min_reduce = 1  # next prune drops tokens with count <= min_reduce
        self.pruned_types = 0
        self.pruned_tokens = 0

    # --- Mapping ------------------------------------------------------------------------
    def __getitem__(self, token: str) -> int:
        if token in self._counts:  # a Counter would answer 0; a Mapping must raise
            return self._counts[token]
        raise KeyError(token)

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, token: object) -> bool:
        return token in self._counts

    @classmethod
    def from_state(
        cls, counts: Mapping[str, int], *, sentences: int, tokens: int, pruned_types: int = 0,
        pruned_tokens: int = 0, min_reduce: int = 1, max_types: int | None = None,
    ) -> TokenCounter:
        """Rebuild a counter from saved counts and statistics (see ``vocab/io.py``)."""
        counter = cls(max_types=max_types)
        counter._counts.update(counts)
        counter.sentences, counter.tokens = sentences, tokens
        counter.pruned_types, counter.pruned_tokens = pruned_types, pruned_tokens
        counter.min_reduce = max(1, min_reduce)
        return counter

    # --- counting -----------------------------------------------------------------------
    def update(self, tokens: Sequence[str]) -> None:
        """Count one sentence (any sequence of tokens)."""
        self._counts.update(tokens)  # C-accelerated counting loop
        self.sentences += 1
        self.tokens += len(tokens)
        if self.max_types is not None and len(self._counts) > self.max_types:
            self._reduce()

    def update_many(self, sentences: Iterable[Sequence[str]]) -> TokenCounter:
        """Count every sentence of a stream; returns ``self`` for chaining."""
        for sentence in sentences:
            self.update(sentence)
        return self

    def _reduce(self) -> None:
        # word2vec's ReduceVocab, repeated until the cap holds again.
        assert self.max_types is not None
        while len(self._counts) > self.max_types:
            limit = self.min_reduce
            dropped = [t for t, c in self._counts.items() if c <= limit]
            for t in dropped:
                self.pruned_tokens += self._counts.pop(t)
            self.pruned_types += len(dropped)
            self.min_reduce += 1

    def merge(self, other: TokenCounter) -> TokenCounter:
        """Add another shard's counts (exact when neither side pruned); returns ``self``."""
        self._counts.update(other._counts)
        self.sentences += other.sentences
        self.tokens += other.tokens
        self.pruned_types += other.pruned_types
        self.pruned_tokens += other.pruned_tokens
        self.min_reduce = max(self.min_reduce, other.min_reduce)
        if self.max_types is not None and len(self._counts) > self.max_types:
            self._reduce()
        return self

    @property
    def pruned(self) -> bool:
        return self.pruned_types > 0

    def most_common(self, n: int | None = None) -> list[tuple[str, int]]:
        """Tokens by count desc, then token (deterministic, unlike ``Counter.most_common``)."""
        items = sorted(self._counts.items(), key=lambda tc: (-tc[1], tc[0]))
        return items if n is None else items[:n]

    # --- to a vocabulary ----------------------------------------------------------------
    def to_vocab(
        self,
        *,
        min_count: int = 1,
        max_vocab: int | None = None,
        specials: Sequence[str] = (),
        unk_token: str | None = UNK,
    ) -> Vocab:
        """The vocabulary of tokens seen ``min_count`` times or more, at most ``max_vocab``."""
        return Vocab.from_counts(
            self._counts, min_count=min_count, max_vocab=max_vocab, specials=specials,
            unk_token=unk_token,
        )

    def report(self, vocab: Vocab) -> CountReport:
        kept = sum(self._counts.get(t, 0) for t in vocab.tokens[len(vocab.specials):])
        return CountReport(
            sentences=self.sentences,
            tokens=self.tokens,
            types=len(self._counts),
            pruned_types=self.pruned_types,
            pruned_tokens=self.pruned_tokens,
            vocab_size=len(vocab),
            vocab_tokens=kept,
        )

    def __repr__(self) -> str:
        return (
            f"TokenCounter({len(self)} types, {self.tokens} tokens, "
            f"{self.sentences} sentences, pruned {self.pruned_types} types)"
        )


def build_vocab(
    sentences: Iterable[Sequence[str]],
    *,
    min_count: int = 1,
    max_vocab: int | None = None,
    specials: Sequence[str] = (),
    max_types: int | None = None,
) -> tuple[Vocab, CountReport]:
    """Count a stream of token lists and build the vocabulary; the report says what was kept.

    ``max_types`` bounds the distinct tokens held while counting; ``max_vocab`` caps the
    final vocabulary.
    """
    counter = TokenCounter(max_types=max_types).update_many(sentences)
    vocab = counter.to_vocab(min_count=min_count, max_vocab=max_vocab, specials=specials)
    return vocab, counter.report(vocab)
