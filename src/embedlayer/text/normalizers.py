"""Normalizers: string → string rewrites applied before a text is cut into words.

- :class:`UnicodeNormalizer`: one of the four Unicode normal forms (NFC, NFKC, NFD, NFKD).
- :class:`Lowercase`: ``str.lower`` or, with ``casefold=True``, ``str.casefold`` (ß → ss).
- :class:`NumberNormalizer`: keep numbers, turn every decimal digit into ``0``, or replace each
  stand-alone number by a placeholder token such as ``<num>``.
- :class:`StripAccents`: drop combining marks after canonical decomposition (naïve → naive).
- :class:`NormalizerSequence`: several of the above, in order.

Each is a frozen dataclass: its fields are its whole configuration and ``to_dict`` writes them
with a ``type`` equal to the class name. Reading such a dict back is ``serialization.py``'s job.
Cutting text into words is not done here (see ``pre_tokenizers.py``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import regex

from embedlayer.errors import ConfigError
from embedlayer.text._validate import check_bool, check_choice, check_str

__all__ = [
    "Lowercase",
    "NormalizerSequence",
    "NumberMode",
    "NumberNormalizer",
    "StripAccents",
    "UnicodeForm",
    "UnicodeNormalizer",
]

UnicodeForm = Literal["NFC", "NFKC", "NFD", "NFKD"]
NumberMode = Literal["keep", "zero", "token"]

_DIGIT = regex.compile(r"\p{Nd}")
# A number standing on its own: digits with inner "." or "," groups (3.14, 1,000,000), not
# glued to letters or other digits on either side, so "mp3" and "1990s" stay words.
_NUMBER = regex.compile(r"(?<![\p{L}\p{M}\p{N}])\p{Nd}+(?:[.,]\p{Nd}+)*(?![\p{L}\p{M}\p{N}])")


@dataclass(frozen=True)
class UnicodeNormalizer:
    """Bring text to one Unicode normal form; NFC is lossless, NFKC also folds compatibility
    characters (ﬁ → fi, full-width Ａ → A, ² → 2)."""

    form: UnicodeForm = "NFC"  # one of NFC, NFKC, NFD, NFKD

    def __post_init__(self) -> None:
        check_choice("UnicodeNormalizer.form", self.form, get_args(UnicodeForm))

    def normalize(self, text: str) -> str:
        return unicodedata.normalize(self.form, text)

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "form": self.form}


@dataclass(frozen=True, kw_only=True)
class Lowercase:
    """Lower-case text; ``casefold`` is the stronger, caseless-matching variant (ß → ss)."""

    casefold: bool = False  # str.casefold instead of str.lower

    def __post_init__(self) -> None:
        check_bool("Lowercase.casefold", self.casefold)

    def normalize(self, text: str) -> str:
        return text.casefold() if self.casefold else text.lower()

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "casefold": self.casefold}


@dataclass(frozen=True)
class NumberNormalizer:
    """What to do with numbers: ``keep`` them, map every digit to ``zero`` (2024 → 0000, so all
    four-digit years share one embedding), or replace each stand-alone number by ``placeholder``
    (``token`` mode: 3.14 → <num>). The pipeline keeps the placeholder whole when cutting text.
    """

    mode: NumberMode = "zero"  # keep | zero | token
    placeholder: str = field(default="<num>", kw_only=True)  # the token that replaces a number

    def __post_init__(self) -> None:
        check_choice("NumberNormalizer.mode", self.mode, get_args(NumberMode))
        check_str("NumberNormalizer.placeholder", self.placeholder)
        if any(ch.isspace() for ch in self.placeholder):
            raise ConfigError(
                f"NumberNormalizer.placeholder must not contain spaces; got {self.placeholder!r}"
            )

    @property
    def protected_tokens(self) -> tuple[str, ...]:
        """Strings the pre-tokenizer must not cut (the placeholder in ``token`` mode)."""
        return (self.placeholder,) if self.mode == "token" else ()

    def normalize(self, text: str) -> str:
        if self.mode == "zero":
            return _DIGIT.sub("0", text)
        if self.mode == "token":
            return _NUMBER.sub(self.placeholder, text)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "mode": self.mode, "placeholder": self.placeholder}


@dataclass(frozen=True)
class StripAccents:
    """Remove nonspacing combining marks (Unicode category Mn) after NFD, then recompose (NFC).

    Meant for Latin-script text (café → cafe, Zürich → Zurich). It also strips marks that are
    letters' essential parts in other scripts (Devanagari virama, Hebrew points), so it is
    never on by default.
    """

    def normalize(self, text: str) -> str:
        if text.isascii():
            return text
        decomposed = unicodedata.normalize("NFD", text)
        kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
        return unicodedata.normalize("NFC", kept)

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__}


@dataclass(frozen=True)
class NormalizerSequence:
    """Apply several normalizers in order (put :class:`NumberNormalizer` in ``token`` mode
    last, so no later step rewrites its placeholder)."""

    normalizers: tuple[Any, ...] = ()  # each a Normalizer

    def __post_init__(self) -> None:
        items = tuple(self.normalizers)
        for item in items:
            if not callable(getattr(item, "normalize", None)):
                raise ConfigError(f"NormalizerSequence holds a non-normalizer: {item!r}")
        object.__setattr__(self, "normalizers", items)

    @property
    def protected_tokens(self) -> tuple[str, ...]:
        out: list[str] = []
        for item in self.normalizers:
            out.extend(getattr(item, "protected_tokens", ()))
        return tuple(dict.fromkeys(out))

    def normalize(self, text: str) -> str:
        for item in self.normalizers:
            text = item.normalize(text)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "normalizers": [item.to_dict() for item in self.normalizers],
        }
