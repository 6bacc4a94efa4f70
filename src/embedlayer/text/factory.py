"""Building tokenizers: by name or from a saved file (:func:`get_tokenizer`), and training a
subword pipeline (:func:`train_subword`).

The named tokenizers (all word-level):

==============  ==================================================================================
``whitespace``  split on whitespace, nothing else: for corpora that are already tokenized
``regex``       NFC, then :class:`RegexWords` (words, numbers, URLs, punctuation, emoji)
``jieba``       NFC, then jieba (HMM on): simplified Chinese
``jieba-t2s``   NFC, then jieba on a character-by-character simplified copy, HMM off: traditional
                Chinese (needs ``opencc-python-reimplemented``)
==============  ==================================================================================

``lowercase=True`` adds :class:`Lowercase` (first, for a loaded pipeline that lacks one). This is
the entry point of the CLI and of the vocabulary builder; the parts themselves are in their own
modules.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from embedlayer._progress import progress_bar
from embedlayer.errors import ConfigError
from embedlayer.text.chinese import JiebaSegmenter
from embedlayer.text.models import BPE, WordPiece
from embedlayer.text.normalizers import Lowercase, NormalizerSequence, UnicodeNormalizer
from embedlayer.text.pipeline import TokenizerPipeline
from embedlayer.text.pre_tokenizers import RegexWords, WhitespaceSplit
from embedlayer.text.serialization import load_tokenizer

__all__ = ["TOKENIZER_NAMES", "SubwordKind", "get_tokenizer", "train_subword"]

SubwordKind = Literal["bpe", "wordpiece"]

_PARTS: dict[str, Callable[[], tuple[list[Any], Any]]] = {
    "whitespace": lambda: ([], WhitespaceSplit()),
    "regex": lambda: ([UnicodeNormalizer("NFC")], RegexWords()),
    "jieba": lambda: ([UnicodeNormalizer("NFC")], JiebaSegmenter(hmm=True)),
    # HMM off: on the Sinica treebank the converted text needs the HMM less (F1 0.771 vs 0.763).
    "jieba-t2s": lambda: ([UnicodeNormalizer("NFC")], JiebaSegmenter(hmm=False, convert="t2s")),
}
TOKENIZER_NAMES: tuple[str, ...] = tuple(_PARTS)


def _normalizer(parts: list[Any]) -> Any:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else NormalizerSequence(tuple(parts))


def _named(name: str, *, lowercase: bool) -> tuple[Any, Any]:
    normalizers, pre_tokenizer = _PARTS[name]()
    if lowercase:
        normalizers.append(Lowercase())
    return _normalizer(normalizers), pre_tokenizer


def _flat(normalizer: Any) -> list[Any]:
    if normalizer is None:
        return []
    if isinstance(normalizer, NormalizerSequence):
        return [n for item in normalizer.normalizers for n in _flat(item)]
    return [normalizer]


def _looks_like_path(spec: str) -> bool:
    return spec.endswith(".json") or os.sep in spec or "/" in spec or Path(spec).exists()


def _unknown(spec: str) -> ConfigError:
    close = difflib.get_close_matches(spec, TOKENIZER_NAMES, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigError(
        f"unknown tokenizer {spec!r}{hint} expected one of {', '.join(TOKENIZER_NAMES)}, "
        "or the path of a saved tokenizer .json"
    )


def get_tokenizer(spec: str, *, lowercase: bool = False) -> TokenizerPipeline:
    """A tokenizer by name (see :data:`TOKENIZER_NAMES`) or from a saved pipeline file.

    ``lowercase`` adds lower-casing; for a saved pipeline it is put first, unless the pipeline
    already lower-cases. Unknown names raise :class:`ConfigError` listing the valid ones.
    """
    if not isinstance(spec, str) or not spec:
        raise ConfigError(f"tokenizer spec must be a name or a path; got {spec!r}")
    if spec in _PARTS:
        normalizer, pre_tokenizer = _named(spec, lowercase=lowercase)
        return TokenizerPipeline(normalizer=normalizer, pre_tokenizer=pre_tokenizer)
    if not _looks_like_path(spec):
        raise _unknown(spec)
    pipeline = load_tokenizer(spec)
    parts = _flat(pipeline.normalizer)
    if lowercase and not any(isinstance(n, Lowercase) for n in parts):
        pipeline = TokenizerPipeline(
            normalizer=_normalizer([Lowercase(), *parts]),
            pre_tokenizer=pipeline.pre_tokenizer,
            model=pipeline.model,
            special_tokens=pipeline.special_tokens,
        )
    return pipeline


def _counted(texts: Iterable[str], *, desc: str, progress: bool) -> Iterator[str]:
    with progress_bar(desc=desc, unit="lines", enabled=progress) as bar:
        pending = 0
        for text in texts:
            yield text
            pending += 1
            if pending == 4096:  # tqdm per line would cost more than the tokenizing
                bar.update(pending)
                pending = 0
        bar.update(pending)


def train_subword(
    texts: Iterable[str],
    *,
    model: SubwordKind,
    vocab_size: int,
    min_count: int = 2,
    special_tokens: Iterable[str] = ("<unk>",),
    unk_token: str = "<unk>",
    lowercase: bool = False,
    pre_tokenizer: str = "regex",
    continuing_subword_prefix: str = "",
    progress: bool = True,
) -> TokenizerPipeline:
    """Train a BPE or WordPiece pipeline on ``texts`` (one string per line or sentence).

    The text is first normalized and cut into words by the named word tokenizer
    ``pre_tokenizer`` (``regex`` by default); the subword model is learned over those words.
    ``unk_token`` is always among the special tokens. ``continuing_subword_prefix`` (BPE
    only; WordPiece always has its ``##``) marks each piece after the first of a word, so that
    token sequences can be decoded back to words (the causal language model uses ``"##"``).
    """
    if pre_tokenizer not in _PARTS:
        raise _unknown(pre_tokenizer)
    specials = tuple(special_tokens)
    if model == "bpe":
        subword: Any = BPE(
            vocab_size=vocab_size,
            min_count=min_count,
            special_tokens=specials,
            unk_token=unk_token,
            continuing_subword_prefix=continuing_subword_prefix,
        )
    elif model == "wordpiece":
        if continuing_subword_prefix:
            raise ConfigError("continuing_subword_prefix is a BPE option; WordPiece marks its "
                              "pieces with its own '##'")
        subword = WordPiece(
            vocab_size=vocab_size,
            min_count=min_count,
            special_tokens=specials,
            unk_token=unk_token,
        )
    else:
        raise ConfigError(f"model must be one of bpe, wordpiece; got {model!r}")
    normalizer, words = _named(pre_tokenizer, lowercase=lowercase)
    pipeline = TokenizerPipeline(normalizer=normalizer, pre_tokenizer=words, model=subword)
    return pipeline.fit(_counted(texts, desc=f"training {subword.kind}", progress=progress))
