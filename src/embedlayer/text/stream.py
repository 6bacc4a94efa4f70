"""A re-iterable stream of token lists: a re-iterable text source through a tokenizer.

Estimators that read a corpus twice (count, then encode) need to iterate more than once;
``TokenStream(TextCorpus(paths), tokenizer)`` re-reads the files each time, so memory stays
bounded by one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from embedlayer.errors import ConfigError
from embedlayer.text.base import Tokenizer

__all__ = ["TokenStream"]


class TokenStream:
    """A re-iterable stream of token lists: a corpus passed through a tokenizer on every pass."""

    def __init__(self, texts: Iterable[str], tokenizer: Tokenizer) -> None:
        if iter(texts) is texts:
            raise ConfigError("TokenStream needs a re-iterable text source (a list, a "
                              "TextCorpus...), not a one-shot iterator")
        self.texts = texts
        self.tokenizer = tokenizer

    def __iter__(self) -> Iterator[list[str]]:
        return self.tokenizer.tokenize_many(self.texts)
