"""The tokenizer: normalizer → pre-tokenizer → model, saved as one JSON file.

:class:`TokenizerPipeline` implements the :class:`~embedlayer.text.Tokenizer` protocol by
composing three parts (see ``base.py``). Strings that must never be cut (the model's special
tokens, a number placeholder such as ``<num>``, and any ``special_tokens`` given here) are
found in the *normalized* text and passed through whole, around the pre-tokenizer.

The file format::

    {"format": "embedlayer.tokenizer", "format_version": 1,
     "normalizer": {"type": "NormalizerSequence", "normalizers": [...]} | null,
     "pre_tokenizer": {"type": "RegexWords", "pattern_version": 1},
     "model": {"type": "WordLevel"} | {"type": "BPE", "config": {...}, "tokenizer": {...}},
     "special_tokens": []}

Reading it back (and every check on it) is ``serialization.py``; building pipelines by name
and training subword ones is ``factory.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from embedlayer._atomic import atomic_write
from embedlayer._types import PathLike
from embedlayer.errors import TokenizerError
from embedlayer.text._validate import check_str_tuple
from embedlayer.text.base import Model, Normalizer, PreTokenizer
from embedlayer.text.models import WordLevel
from embedlayer.text.pre_tokenizers import RegexWords

__all__ = ["FORMAT", "FORMAT_VERSION", "TokenizerPipeline"]

FORMAT = "embedlayer.tokenizer"
FORMAT_VERSION = 1

_BATCH = 512  # lines handed to a subword model at once (tokenizers encodes a batch in Rust)


class TokenizerPipeline:
    """A normalizer (optional), a pre-tokenizer and a model, applied in that order."""

    def __init__(
        self,
        *,
        normalizer: Normalizer | None = None,
        pre_tokenizer: PreTokenizer | None = None,
        model: Model | None = None,
        special_tokens: Iterable[str] = (),
    ) -> None:
        pre_tokenizer = RegexWords() if pre_tokenizer is None else pre_tokenizer
        model = WordLevel() if model is None else model
        for name, part, kind in (
            ("normalizer", normalizer, Normalizer),
            ("pre_tokenizer", pre_tokenizer, PreTokenizer),
            ("model", model, Model),
        ):
            if part is not None and not isinstance(part, kind):
                raise TokenizerError(
                    f"{name} must be a {kind.__name__} (with {_methods(kind)}); "
                    f"got {type(part).__name__}"
                )
        self.normalizer = normalizer
        self.pre_tokenizer = pre_tokenizer
        self.model = model
        self.special_tokens = check_str_tuple("special_tokens", tuple(special_tokens))
        self._cut = self._make_cut()

    @property
    def protected_tokens(self) -> tuple[str, ...]:
        """Every string kept whole: given special tokens, the model's, normalizer placeholders."""
        found = [*self.special_tokens, *self.model.special_tokens]
        found.extend(getattr(self.normalizer, "protected_tokens", ()))
        return tuple(dict.fromkeys(found))

    def _make_cut(self) -> Callable[[str], list[str]]:
        """text → words, built once so the per-line path has no branches."""
        pre = self.pre_tokenizer.pre_tokenize
        protected = self.protected_tokens
        if protected:
            # Longest first, so "<unk>" never wins over "<unk2>"; the group keeps them in split().
            alternatives = "|".join(map(re.escape, sorted(protected, key=len, reverse=True)))
            split = re.compile(f"({alternatives})").split

            def cut_around(text: str) -> list[str]:
                parts = split(text)
                words = pre(parts[0]) if parts[0] else []
                for i in range(1, len(parts), 2):
                    words.append(parts[i])  # a protected token
                    if parts[i + 1]:
                        words += pre(parts[i + 1])
                return words

            cut = cut_around
        else:
            cut = pre
        if self.normalizer is None:
            return cut
        normalize = self.normalizer.normalize
        return lambda text: cut(normalize(text))

    def pre_tokenize(self, text: str) -> list[str]:
        """Normalize and cut ``text`` into words (the model's input)."""
        return self._cut(text)

    def tokenize(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TokenizerError(f"tokenize() takes a str; got {type(text).__name__}")
        return self.model.tokenize_words(self._cut(text))

    def tokenize_many(self, texts: Iterable[str]) -> Iterator[list[str]]:
        """Stream the tokens of each text; subword models encode batches of lines at once."""
        if isinstance(texts, str):
            raise TokenizerError("tokenize_many() takes an iterable of strings, not one str")
        cut = self._cut
        if isinstance(self.model, WordLevel):
            yield from map(cut, texts)
            return
        encode = self.model.tokenize_batch
        batch: list[list[str]] = []
        for text in texts:
            batch.append(cut(text))
            if len(batch) == _BATCH:
                yield from encode(batch)
                batch = []
        if batch:
            yield from encode(batch)

    def fit(self, texts: Iterable[str]) -> TokenizerPipeline:
        """Train the model on ``texts`` (normalized and cut by this pipeline); returns self."""
        if not isinstance(self.model, WordLevel):
            # A protected string the model does not know would be spelled out in pieces.
            unknown = [t for t in self.protected_tokens if t not in self.model.special_tokens]
            if unknown:
                raise TokenizerError(
                    f"the pipeline keeps {unknown} whole but the model would split them: "
                    "add them to the model's special_tokens"
                )
        self.model.fit(map(self._cut, texts))
        self._cut = self._make_cut()
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "normalizer": None if self.normalizer is None else self.normalizer.to_dict(),
            "pre_tokenizer": self.pre_tokenizer.to_dict(),
            "model": self.model.to_dict(),
            "special_tokens": list(self.special_tokens),
        }

    def save(self, path: PathLike) -> None:
        """Write the pipeline to one JSON file (atomically: a crash leaves no half file)."""
        data = self.to_dict()
        with atomic_write(path, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.write("\n")

    def __repr__(self) -> str:
        return (
            f"TokenizerPipeline(normalizer={self.normalizer!r}, "
            f"pre_tokenizer={self.pre_tokenizer!r}, model={self.model!r})"
        )


def _methods(kind: type) -> str:
    names = [n for n in vars(kind) if not n.startswith("_")]
    return ", ".join(names)
