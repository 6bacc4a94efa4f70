"""Pre-tokenizers for space-separated languages: a normalized string → a list of words.

- :class:`WhitespaceSplit`: ``str.split()``; for corpora that are already tokenized.
- :class:`RegexWords`: a Unicode-aware word tokenizer for English and other languages written
  with spaces. The text is split on whitespace, then each chunk is cut by one compiled
  ``regex`` pattern (``findall``) into:

  ========================  ==============================================================
  URLs                      ``https://example.org/a?b=1`` (trailing punctuation left off)
  letter-dot abbreviations  ``U.S.``, ``e.g.``
  Han ideograph runs        ``北京大學`` kept whole (a Chinese segmenter cuts them later)
  words                     letters, marks, digits; inner apostrophes and hyphens
                            (``don't``, ``well-known``, ``naïve``, ``covid-19``); inner
                            ``.``/``,`` between digits (``3.14``, ``1,000``)
  punctuation runs          ``...``, ``--``, ``?!``
  anything else             one grapheme cluster each: ``(``, ``$``, ``%``, ``👍🏽``, ``🇫🇷``
  ========================  ==============================================================

  Splitting on whitespace first makes each chunk's tokens independent of its neighbours, so the
  tokens of a chunk are memoized (a bounded dict): word types repeat (Zipf), so most chunks are
  one dict lookup instead of a run of the regex engine. That is what makes it fast.

Chinese segmentation lives in ``chinese.py``; subword models in ``models.py``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import regex

from embedlayer.errors import ConfigError

__all__ = ["REGEX_WORDS_PATTERNS", "RegexWords", "WhitespaceSplit"]

# Versioned, so a pipeline saved today cuts text the same way after the pattern is improved:
# a new pattern gets a new number and the old one stays here.
REGEX_WORDS_PATTERNS: dict[int, str] = {
    1: r"""
      (?:https?://|www\.)[^\s<>"]+[^\s<>"'.,;:!?)\]}]      # URL, minus trailing punctuation
    | (?:\p{L}\.){2,}(?![\p{L}\p{N}])                      # U.S. e.g. i.e.
    | \p{Han}+                                             # a run of Han ideographs
    | [[\p{L}\p{M}\p{N}]--\p{Han}]+                        # a word or number ...
      (?: (?: ['’\-‐] | (?<=\p{N})[.,](?=\p{N}) )          # ... joined by ' ’ - ‐, or . , between digits
          [[\p{L}\p{M}\p{N}]--\p{Han}]+ )*
    | \.{2,} | -{2,} | [!?]{2,}                            # ... -- ?!
    | \X                                                   # any other grapheme: punctuation, emoji
    """,
}
_FLAGS = regex.VERSION1 | regex.VERBOSE
_MEMO_SIZE = 1 << 18  # chunks remembered per pattern (~50 MB at most); cleared when full


class _ChunkMemo(dict[str, tuple[str, ...]]):
    """chunk → its tokens; the regex runs only on a miss (``__missing__`` keeps hits in C)."""

    __slots__ = ("_findall",)

    def __init__(self, findall: Any) -> None:
        super().__init__()
        self._findall = findall

    def __missing__(self, chunk: str) -> tuple[str, ...]:
        if len(self) >= _MEMO_SIZE:
            self.clear()  # bounded memory on an endless stream; hot words come back at once
        # Plain ASCII letters/digits are one token under the pattern: skip the regex engine.
        tokens = (chunk,) if chunk.isascii() and chunk.isalnum() else tuple(self._findall(chunk))
        self[chunk] = tokens
        return tokens


_PATTERNS: dict[int, regex.Pattern[str]] = {}
_MEMOS: dict[int, _ChunkMemo] = {}


def _compiled(version: int) -> tuple[regex.Pattern[str], _ChunkMemo]:
    if version not in _PATTERNS:
        _PATTERNS[version] = regex.compile(REGEX_WORDS_PATTERNS[version], _FLAGS)
        _MEMOS[version] = _ChunkMemo(_PATTERNS[version].findall)
    return _PATTERNS[version], _MEMOS[version]


@dataclass(frozen=True)
class WhitespaceSplit:
    """Split on runs of Unicode whitespace (``str.split()``); nothing else."""

    def pre_tokenize(self, text: str) -> list[str]:
        return text.split()

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__}


@dataclass(frozen=True)
class RegexWords:
    """Words, numbers, URLs, punctuation and symbols of space-separated text (see module doc)."""

    pattern_version: int = 1  # which entry of REGEX_WORDS_PATTERNS
    _lookup: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (
            isinstance(self.pattern_version, bool)
            or self.pattern_version not in REGEX_WORDS_PATTERNS
        ):
            known = ", ".join(map(str, REGEX_WORDS_PATTERNS))
            raise ConfigError(
                f"RegexWords.pattern_version must be one of {known}; got {self.pattern_version!r}"
            )
        object.__setattr__(self, "_lookup", _compiled(self.pattern_version)[1].__getitem__)

    @property
    def pattern(self) -> regex.Pattern[str]:
        """The compiled pattern applied to each whitespace-free chunk."""
        return _compiled(self.pattern_version)[0]

    def pre_tokenize(self, text: str) -> list[str]:
        # reduce(iadd) extends one list in C; measurably faster than list(chain(...)).
        return reduce(operator.iadd, map(self._lookup, text.split()), [])

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "pattern_version": self.pattern_version}
