"""`Vocab`: the token <-> id mapping with counts, special tokens and a deterministic order.

What it holds: an ordered list of tokens, their corpus counts (int64), the special tokens
(always the first ids, in the order given) and O(1) lookups both ways. A vocabulary built from
counts is ordered by count descending, then by token (so two runs, or two machines, agree);
a vocabulary built from an explicit token list (e.g. the keys of a vectors file) keeps that
order. Saving and loading live in ``vocab/io.py``; counting a corpus in ``vocab/counter.py``;
sampling tables, Huffman codes and character n-grams in their own modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from embedlayer._types import Int32Array, IntArray
from embedlayer.errors import ConfigError, UnknownTokenError, VocabError

__all__ = ["PAD", "UNK", "BOS", "EOS", "Coverage", "OOVPolicy", "Vocab"]

PAD = "<pad>"
UNK = "<unk>"
BOS = "<s>"
EOS = "</s>"

OOVPolicy = Literal["unk", "skip", "raise"]


@dataclass(frozen=True)
class Coverage:
    """How much of a token stream a vocabulary covers (specials are not counted as covered)."""

    tokens: int  # running tokens seen
    covered_tokens: int  # ... of which are in the vocabulary
    types: int  # distinct tokens seen
    covered_types: int  # ... of which are in the vocabulary

    @property
    def token_rate(self) -> float:
        return self.covered_tokens / self.tokens if self.tokens else 0.0

    @property
    def type_rate(self) -> float:
        return self.covered_types / self.types if self.types else 0.0


class Vocab:
    """An immutable, ordered vocabulary.

    ``tokens`` are stored in id order; ``specials`` must be a prefix of them. Use
    :meth:`from_counts` to build one from token counts with ``min_count`` / ``max_vocab``.
    """

    __slots__ = ("_tokens", "_counts", "_index", "_specials", "_unk_id")

    def __init__(
        self,
        tokens: Sequence[str],
        counts: Sequence[int] | IntArray | None = None,
        *,
        specials: Sequence[str] = (),
        unk_token: str | None = UNK,
    ) -> None:
        tokens = list(tokens)
        specials = list(specials)
        if tokens[: len(specials)] != specials:
            raise VocabError(
                f"special tokens {specials} must be the first ids of the vocabulary, "
                f"got first tokens {tokens[: len(specials)]}"
            )
        # Build the index in one C-level call; only when the sizes or types say something is
        # wrong, walk the tokens again to name the bad one.
        index = dict(zip(tokens, range(len(tokens)), strict=True))
        if len(index) != len(tokens) or "" in index or not set(map(type, tokens)) <= {str}:
            _raise_bad_tokens(tokens)
        if counts is None:
            arr = np.zeros(len(tokens), dtype=np.int64)
        else:
            arr = np.array(counts, dtype=np.int64)  # copy: the vocabulary is immutable
            if arr.shape != (len(tokens),):
                raise VocabError(f"counts has shape {arr.shape}, expected ({len(tokens)},)")
            if arr.size and arr.min() < 0:
                raise VocabError(f"counts must be >= 0, got {int(arr.min())}")
        arr.setflags(write=False)
        self._tokens = tokens
        self._counts = arr
        self._index = index
        self._specials = tuple(specials)
        # <unk> only maps unknown tokens when it is one of the specials.
        self._unk_id = index.get(unk_token) if unk_token in self._specials else None

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        *,
        min_count: int = 1,
        max_vocab: int | None = None,
        specials: Sequence[str] = (),
        unk_token: str | None = UNK,
    ) -> Vocab:
        """Keep tokens with ``count >= min_count``, order by count desc then token, cap the size.

        ``max_vocab`` caps the final size, counting regular tokens only (specials come on top;
        the most frequent are kept). Special tokens found in ``counts`` keep their count but
        sit at their fixed id.
        """
        if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
            raise ConfigError(f"min_count must be an integer >= 1, got {min_count!r}")
        if max_vocab is not None and (isinstance(max_vocab, bool) or not isinstance(max_vocab, int)
                                      or max_vocab < 1):
            raise ConfigError(f"max_vocab must be an integer >= 1 or None, got {max_vocab!r}")
        if len(set(specials)) != len(specials):
            raise ConfigError(f"special tokens must be distinct, got {list(specials)}")
        special_set = set(specials)
        kept = [(t, c) for t, c in counts.items() if c >= min_count and t not in special_set]
        if not kept:
            seen = sum(1 for t in counts if t not in special_set)
            raise VocabError(
                f"the vocabulary is empty: none of the {seen} distinct tokens occurs "
                f"at least min_count={min_count} times"
            )
        kept.sort(key=lambda tc: (-tc[1], tc[0]))
        if max_vocab is not None:
            kept = kept[:max_vocab]
        tokens = [*specials, *(t for t, _ in kept)]
        values = [counts.get(s, 0) for s in specials] + [c for _, c in kept]
        return cls(tokens, values, specials=specials, unk_token=unk_token)

    @classmethod
    def deferred(cls, size: int, loader: Callable[[], Vocab]) -> Vocab:
        """A vocabulary of ``size`` tokens that calls ``loader()`` on its first real use.

        For memory-mapped loads of large files whose keys were already verified by checksum:
        ``len()`` answers at once, and parsing the keys and building the index happen on the
        first lookup instead of at load time. ``loader`` must return a ``Vocab`` of ``size``.
        """
        return _DeferredVocab(size, loader)

    # --- lookups ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._tokens)

    def __getitem__(self, token: str) -> int:
        """The id of ``token``; ``UnknownTokenError`` (a ``KeyError``) if absent."""
        try:
            return self._index[token]
        except KeyError:
            raise UnknownTokenError(f"token {token!r} is not in the vocabulary ({len(self)} tokens)") from None

    def get(self, token: str, default: int | None = None) -> int | None:
        return self._index.get(token, default)

    def token(self, idx: int) -> str:
        """The token with id ``idx``."""
        if not 0 <= idx < len(self._tokens):
            raise UnknownTokenError(f"id {idx} is out of range for a vocabulary of {len(self)} tokens")
        return self._tokens[idx]

    def count(self, token: str) -> int:
        return int(self._counts[self[token]])

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._tokens)

    @property
    def counts(self) -> IntArray:
        """Counts in id order (read-only int64 array, shape (len(self),))."""
        return self._counts

    @property
    def specials(self) -> tuple[str, ...]:
        return self._specials

    @property
    def unk_id(self) -> int | None:
        return self._unk_id

    @property
    def pad_id(self) -> int | None:
        return self._index.get(PAD) if PAD in self._specials else None

    @property
    def total(self) -> int:
        """Sum of the counts of the regular (non-special) tokens."""
        return int(self._counts[len(self._specials):].sum())

    # --- encoding -----------------------------------------------------------------------
    def encode(self, tokens: Iterable[str], *, oov: OOVPolicy | None = None) -> Int32Array:
        """Token ids as an int32 array.

        ``oov``: ``"unk"`` maps unknown tokens to ``<unk>`` (needs it among the specials),
        ``"skip"`` drops them (word2vec's behaviour), ``"raise"`` raises
        ``UnknownTokenError``. Default: ``"unk"`` when the vocabulary has ``<unk>``, else ``"skip"``.
        """
        policy = oov or ("unk" if self._unk_id is not None else "skip")
        index = self._index
        if policy == "skip":
            ids = [i for i in map(index.get, tokens) if i is not None]
        elif policy == "unk":
            if self._unk_id is None:
                raise ConfigError("oov='unk' needs '<unk>' among the vocabulary's special tokens")
            unk = self._unk_id
            ids = [index.get(t, unk) for t in tokens]
        elif policy == "raise":
            ids = [self[t] for t in tokens]
        else:
            raise ConfigError(f"oov must be one of 'unk', 'skip', 'raise', got {policy!r}")
        return np.fromiter(ids, dtype=np.int32, count=len(ids))

    def decode(self, ids: Iterable[int]) -> list[str]:
        toks = self._tokens
        n = len(toks)
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise UnknownTokenError(f"id {i} is out of range for a vocabulary of {n} tokens")
            out.append(toks[i])
        return out

    # --- statistics ---------------------------------------------------------------------
    def coverage(self, counts: Mapping[str, int]) -> Coverage:
        """Coverage of a token distribution (e.g. a ``TokenCounter`` of held-out text)."""
        special = set(self._specials)
        tokens = covered = types = covered_types = 0
        for tok, c in counts.items():
            tokens += c
            types += 1
            if tok in self._index and tok not in special:
                covered += c
                covered_types += 1
        return Coverage(tokens, covered, types, covered_types)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (
            self._tokens == other._tokens
            and self._specials == other._specials
            and np.array_equal(self._counts, other._counts)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self._tokens[:5])
        more = ", ..." if len(self) > 5 else ""
        return f"Vocab({len(self)} tokens: [{head}{more}], total={self.total})"


def _raise_bad_tokens(tokens: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        if not isinstance(tok, str) or tok == "":
            raise VocabError(f"vocabulary token at id {i} must be a non-empty string, got {tok!r}")
        if seen.setdefault(tok, i) != i:
            raise VocabError(f"duplicate token {tok!r} at ids {seen[tok]} and {i}")


class _DeferredVocab(Vocab):
    """``Vocab.deferred``: the slots of ``Vocab`` stay unset until first touched.

    Reading an unset slot raises ``AttributeError``, which lands in ``__getattr__``: that
    runs the loader once, copies the loaded vocabulary's slots in, and answers.
    """

    __slots__ = ("_size", "_loader")

    def __init__(self, size: int, loader: Callable[[], Vocab]) -> None:  # noqa: D107
        self._size = size
        self._loader = loader

    def __getattr__(self, name: str):
        if name not in Vocab.__slots__:
            raise AttributeError(name)
        loaded = self._loader()
        if len(loaded) != self._size:
            raise VocabError(f"deferred vocabulary: the loader gave {len(loaded)} tokens, "
                             f"expected {self._size}")
        for slot in Vocab.__slots__:
            object.__setattr__(self, slot, getattr(loaded, slot))
        return getattr(self, name)

    def __len__(self) -> int:
        return self._size
