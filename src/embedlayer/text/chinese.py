"""Chinese word segmentation with jieba, as a pre-tokenizer.

:class:`JiebaSegmenter` cuts a string into words with a private ``jieba.Tokenizer`` (never
jieba's global one, so a user's ``jieba.add_word`` elsewhere cannot change our results) loaded
from the dictionary that ships inside the jieba wheel: nothing is downloaded. jieba's own
loading messages are silenced while it builds its prefix dictionary (about a second, once per
process; jieba caches it in the system temp folder).

jieba's dictionary is simplified Chinese. On traditional-script text (Taiwan, Hong Kong),
``convert="t2s"`` segments a simplified copy and maps the boundaries back: the copy is made
character by character (OpenCC's traditional→simplified *character* table, its first
candidate for each character, never its phrase table), so it has exactly the length of the
input and every word boundary of the copy is a boundary of the original. The tokens returned
are always substrings of the input, in its own script. On the Academia Sinica treebank this
raises word F1 from 0.69 to 0.77 (see ``benchmarks/bench_zh_segmentation.py``).

Scoring a segmentation is in ``metrics.py``. jieba and the OpenCC table are imported on first
use only, so ``import embedlayer.text`` stays light.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Literal, get_args

from embedlayer.errors import ConfigError, TokenizerError
from embedlayer.text._validate import check_bool, check_choice

__all__ = ["ChineseConversion", "JiebaSegmenter", "t2s_char_table"]

ChineseConversion = Literal["none", "t2s"]

_OPENCC_HINT = (
    "JiebaSegmenter(convert='t2s') needs the OpenCC character table from the package "
    "opencc-python-reimplemented: pip install 'opencc-python-reimplemented==0.1.7'"
)


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    """This process's private jieba tokenizer, with its default dictionary loaded."""
    import jieba

    tokenizer = jieba.Tokenizer()  # default dictionary: jieba/dict.txt inside the wheel
    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.WARNING)  # jieba prints "Building prefix dict..." at DEBUG
    try:
        tokenizer.initialize()
    finally:
        logger.setLevel(level)
    return tokenizer


@functools.lru_cache(maxsize=1)
def t2s_char_table() -> dict[int, str]:
    """Traditional → simplified, one character to one character, for ``str.translate``.

    Built from OpenCC's ``TSCharacters.txt`` (first candidate of each entry); entries that are
    not single characters on both sides are left out, so a translated string always has the
    length of the original. Raises :class:`ConfigError` when the table is not installed.
    """
    try:
        from importlib import resources

        text = (
            resources.files("opencc.dictionary")
            .joinpath("TSCharacters.txt")
            .read_text(encoding="utf-8")
        )
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as exc:
        raise ConfigError(_OPENCC_HINT) from exc
    table: dict[int, str] = {}
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        candidates = targets.split()
        if len(source) == 1 and candidates and len(candidates[0]) == 1:
            table[ord(source)] = candidates[0]
    if not table:
        raise ConfigError(f"the OpenCC character table is empty. {_OPENCC_HINT}")
    return table


@dataclass(frozen=True, kw_only=True)
class JiebaSegmenter:
    """Chinese words with jieba; whitespace is dropped, every other character is kept.

    ``hmm``: let jieba's HMM join characters into words that are not in its dictionary.
    ``convert``: ``"t2s"`` to segment traditional-script text through a simplified copy.
    """

    hmm: bool = True  # jieba's HMM for out-of-dictionary words
    convert: ChineseConversion = "none"  # none | t2s (traditional → simplified, 1:1 per char)

    def __post_init__(self) -> None:
        check_bool("JiebaSegmenter.hmm", self.hmm)
        check_choice("JiebaSegmenter.convert", self.convert, get_args(ChineseConversion))
        if self.convert == "t2s":
            t2s_char_table()  # fail now, with the pip line, rather than on the first text

    def pre_tokenize(self, text: str) -> list[str]:
        source = text.translate(t2s_char_table()) if self.convert == "t2s" else text
        words: list[str] = []
        start = 0
        for piece in _jieba().cut(source, HMM=self.hmm):
            end = start + len(piece)
            if not piece.isspace():
                # The same span of the original: the copy has the original's length.
                words.append(text[start:end])
            start = end
        if start != len(text):  # jieba yields every character; anything else is a bug
            raise TokenizerError(
                f"jieba covered {start} of {len(text)} characters of {text[:40]!r}"
            )
        return words

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "hmm": self.hmm, "convert": self.convert}
