"""The interfaces of ``embedlayer.text``: a tokenizer and the three kinds of parts it is made of.

A tokenizer is a pipeline ``normalizer → pre-tokenizer → model`` (like huggingface/tokenizers):

- a :class:`Normalizer` rewrites a string (Unicode form, case, digits, accents);
- a :class:`PreTokenizer` cuts a normalized string into words (whitespace, regex, jieba);
- a :class:`Model` turns those words into the final tokens (identity for word-level
  embeddings, or BPE / WordPiece subwords).

Every part is small, testable alone and serializes to a JSON-able dict whose ``type`` names it.
This file holds only the protocols; the parts live in ``normalizers.py``,
``pre_tokenizers.py``, ``chinese.py`` and ``models.py``, the pipeline in ``pipeline.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from embedlayer._types import PathLike

__all__ = ["Model", "Normalizer", "PreTokenizer", "Tokenizer"]


@runtime_checkable
class Tokenizer(Protocol):
    """What the CLI, the corpus encoder and the vocabulary builder rely on."""

    def tokenize(self, text: str) -> list[str]:
        """The tokens of one string (usually one line or sentence)."""
        ...

    def tokenize_many(self, texts: Iterable[str]) -> Iterator[list[str]]:
        """Stream the tokens of many strings, in order; may batch internally."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description that :func:`~embedlayer.text.load_tokenizer` rebuilds."""
        ...

    def save(self, path: PathLike) -> None:
        """Write the whole tokenizer to one JSON file, atomically."""
        ...


@runtime_checkable
class Normalizer(Protocol):
    """First stage of a tokenizer pipeline: text in, normalized text out."""

    def normalize(self, text: str) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class PreTokenizer(Protocol):
    """Second stage of a tokenizer pipeline: normalized text in, word strings out."""

    def pre_tokenize(self, text: str) -> list[str]: ...

    def to_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class Model(Protocol):
    """Words → tokens. ``special_tokens`` are kept whole by the pipeline."""

    @property
    def special_tokens(self) -> tuple[str, ...]: ...

    @property
    def is_trained(self) -> bool: ...

    def fit(self, words: Iterable[list[str]]) -> Model: ...

    def tokenize_words(self, words: list[str]) -> list[str]: ...

    def tokenize_batch(self, batch: list[list[str]]) -> list[list[str]]: ...

    def to_dict(self) -> dict[str, Any]: ...
