"""Scoring a word segmentation against a gold one: precision, recall and F1 over word spans.

A word is the span ``(start, end)`` of character offsets it covers in its line, whitespace not
counted; a predicted word is correct when the gold segmentation has exactly the same span (the
SIGHAN bakeoff scoring). Lines are given either as strings (words separated by whitespace) or as
lists of words. Characters are compared by position only, so normalizers that keep lengths
(lower-casing, NFC of CJK compatibility ideographs) do not break the alignment; each line must
still cover the same number of characters on both sides.

Running a segmenter is not done here: :func:`evaluate_segmenter` takes any
:class:`~embedlayer.text.Tokenizer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import TYPE_CHECKING

from embedlayer.errors import ConfigError

if TYPE_CHECKING:
    from embedlayer.text.base import Tokenizer

__all__ = ["SegmentationScore", "evaluate_segmenter", "segmentation_f1"]

_MISSING = object()


@dataclass(frozen=True)
class SegmentationScore:
    """Word-span precision / recall / F1 (0.0 where a denominator is zero) and their counts."""

    precision: float
    recall: float
    f1: float
    correct: int  # predicted words whose span is a gold span
    predicted: int  # words in the prediction
    gold: int  # words in the gold segmentation
    lines: int

    def __str__(self) -> str:
        return f"P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f}"


def _spans(words: Iterable[str]) -> tuple[list[tuple[int, int]], int]:
    """The (start, end) offsets of each word, whitespace removed; and the characters covered."""
    spans = []
    start = 0
    for word in words:
        size = len(word) if word.isalnum() else len("".join(word.split()))
        if size:
            spans.append((start, start + size))
            start += size
    return spans, start


def _words(line: str | Sequence[str]) -> Iterable[str]:
    return line.split() if isinstance(line, str) else line


def segmentation_f1(
    pred_lines: Iterable[str | Sequence[str]], gold_lines: Iterable[str | Sequence[str]]
) -> SegmentationScore:
    """Score predicted against gold segmentations, line by line.

    Raises :class:`ConfigError` when the two sides have different numbers of lines, or when a
    line covers a different number of characters on each side (the files are not aligned).
    """
    correct = predicted = gold = lines = 0
    for pred, ref in zip_longest(pred_lines, gold_lines, fillvalue=_MISSING):
        if pred is _MISSING or ref is _MISSING:
            side = "prediction" if pred is _MISSING else "gold segmentation"
            raise ConfigError(f"the {side} ends after {lines} lines; the other side goes on")
        lines += 1
        pred_spans, pred_chars = _spans(_words(pred))  # type: ignore[arg-type]
        gold_spans, gold_chars = _spans(_words(ref))  # type: ignore[arg-type]
        if pred_chars != gold_chars:
            raise ConfigError(
                f"line {lines}: the prediction covers {pred_chars} characters but the gold "
                f"segmentation {gold_chars}; are the two sides the same sentences?"
            )
        correct += len(set(pred_spans).intersection(gold_spans))
        predicted += len(pred_spans)
        gold += len(gold_spans)
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SegmentationScore(precision, recall, f1, correct, predicted, gold, lines)


def evaluate_segmenter(
    tokenizer: Tokenizer, texts: Iterable[str], gold_lines: Iterable[str | Sequence[str]]
) -> SegmentationScore:
    """Segment ``texts`` (unsegmented lines) with ``tokenizer`` and score against the gold."""
    return segmentation_f1(tokenizer.tokenize_many(texts), gold_lines)
