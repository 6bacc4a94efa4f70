"""`VectorStore`: the small interface every set of word vectors follows.

Dense ``Vectors``, ``SubwordVectors`` and (later) compressed stores all implement it, so the
layers above (evaluation, the PyTorch layer, serving) never need to know which one they hold.
What it leaves out: queries (``vectors/query.py``, free functions over a matrix) and files
(``vectors/io``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from embedlayer._types import FloatArray
from embedlayer.vocab import Vocab

__all__ = ["OOVVectorPolicy", "VectorStore"]

# What a lookup of an unknown key returns: raise ``UnknownTokenError``, a zero vector, or a
# fixed pseudo-random vector derived from the key and a seed (the same key always gets the
# same vector, in every process). Subword stores compose unknown words from n-grams instead.
OOVVectorPolicy = Literal["raise", "zeros", "random"]


@runtime_checkable
class VectorStore(Protocol):
    """Keys and one float32 vector per key (plus, maybe, vectors for unknown keys)."""

    @property
    def vocab(self) -> Vocab: ...

    @property
    def dim(self) -> int: ...

    @property
    def matrix(self) -> FloatArray:
        """(len(self), dim) float32, row i belongs to ``vocab.token(i)``; read-only."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...

    def __getitem__(self, key: str) -> FloatArray: ...

    def lookup(self, keys: Sequence[str]) -> FloatArray:
        """(len(keys), dim) float32; unknown keys follow the store's OOV policy."""
        ...
