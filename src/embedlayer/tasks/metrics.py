"""Classification metrics in numpy: accuracy, precision / recall / F1 (per class, macro), confusion.

What it holds: :func:`confusion_matrix`, :func:`accuracy`, :func:`precision_recall_f1` and
:func:`classification_report`, which gathers them (plus an optional loss) into a
:class:`ClassificationReport` that prints as a table and converts to JSON. Classes are integer
ids ``0..C-1`` with names given alongside. A class that is never predicted has precision 0, one
that never occurs has recall 0, and F1 is 0 when precision + recall is 0 (scikit-learn's
``zero_division=0``); macro averages are unweighted means over all C classes.
What it leaves out: models and losses (``tasks.classify``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from embedlayer._types import Float64Array, IntArray
from embedlayer.errors import ConfigError

__all__ = [
    "ClassificationReport",
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "precision_recall_f1",
]


def _ids(y: npt.ArrayLike, n_classes: int, what: str) -> IntArray:
    arr = np.asarray(y)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise ConfigError(f"{what} must be a 1-d array of class ids, got shape {arr.shape} "
                          f"and dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ConfigError(f"{what} holds class ids outside 0..{n_classes - 1}: "
                          f"{int(arr.min())}..{int(arr.max())}")
    return arr


def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_classes: int) -> IntArray:
    """Counts (C, C): row = true class, column = predicted class."""
    t = _ids(y_true, n_classes, "y_true")
    p = _ids(y_pred, n_classes, "y_pred")
    if t.shape != p.shape:
        raise ConfigError(f"y_true has {t.size} items but y_pred has {p.size}")
    flat = np.bincount(t * n_classes + p, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes).astype(np.int64)


def accuracy(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Share of ``y_pred`` equal to ``y_true`` (same length, at least one item)."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise ConfigError(f"y_true has shape {t.shape} but y_pred has {p.shape}")
    return float((t == p).mean()) if t.size else math.nan


def _safe_div(num: Float64Array, den: Float64Array) -> Float64Array:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def precision_recall_f1(
    confusion: IntArray,
) -> tuple[Float64Array, Float64Array, Float64Array, IntArray]:
    """Per class (C,) precision, recall, F1 and support (true count) from a confusion matrix."""
    cm = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(cm)
    precision = _safe_div(tp, cm.sum(axis=0))
    recall = _safe_div(tp, cm.sum(axis=1))
    f1 = _safe_div(2 * precision * recall, precision + recall)
    return precision, recall, f1, np.asarray(confusion).sum(axis=1).astype(np.int64)


@dataclass(frozen=True)
class ClassificationReport:
    """Scores of predictions against gold labels; arrays are indexed like ``labels``."""

    labels: tuple[str, ...]
    accuracy: float
    precision: Float64Array  # (C,)
    recall: Float64Array  # (C,)
    f1: Float64Array  # (C,)
    support: IntArray  # (C,) gold examples per class
    confusion: IntArray  # (C, C) row = gold, column = predicted
    loss: float | None = None  # mean loss of the model over the examples, when known

    @property
    def macro_precision(self) -> float:
        return float(self.precision.mean())

    @property
    def macro_recall(self) -> float:
        return float(self.recall.mean())

    @property
    def macro_f1(self) -> float:
        return float(self.f1.mean())

    @property
    def n(self) -> int:
        return int(self.support.sum())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values."""
        return {
            "n": self.n,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "macro": {"precision": self.macro_precision, "recall": self.macro_recall,
                      "f1": self.macro_f1},
            "per_class": {
                label: {"precision": float(p), "recall": float(r), "f1": float(f),
                        "support": int(s)}
                for label, p, r, f, s in zip(self.labels, self.precision, self.recall, self.f1,
                                             self.support, strict=True)
            },
            "confusion": {"labels": list(self.labels), "matrix": self.confusion.tolist()},
        }

    def format(self) -> str:
        """A plain-text table: per-class and macro scores, then the confusion matrix."""
        width = max(9, *(len(label) for label in self.labels)) + 2
        loss = "n/a" if self.loss is None else f"{self.loss:.4f}"
        lines = [f"examples: {self.n:,}   loss: {loss}   accuracy: {self.accuracy:.4f}", "",
                 f"{'class':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
        for label, p, r, f, s in zip(self.labels, self.precision, self.recall, self.f1,
                                     self.support, strict=True):
            lines.append(f"{label:<{width}}{p:>10.4f}{r:>10.4f}{f:>10.4f}{s:>10,}")
        lines.append(f"{'macro':<{width}}{self.macro_precision:>10.4f}"
                     f"{self.macro_recall:>10.4f}{self.macro_f1:>10.4f}{self.n:>10,}")
        cell = max(7, *(len(label) + 1 for label in self.labels),
                   len(f"{int(self.confusion.max(initial=0)):,}") + 1)
        lines += ["", "confusion (rows: gold, columns: predicted)",
                  " " * width + "".join(f"{label:>{cell}}" for label in self.labels)]
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<{width}}" + "".join(f"{int(v):>{cell},}" for v in row))
        return "\n".join(lines)


def classification_report(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Sequence[str], *,
    loss: float | None = None,
) -> ClassificationReport:
    """Score class ids ``y_pred`` against ``y_true``; ``labels[i]`` names class ``i``."""
    n = len(labels)
    if n < 1:
        raise ConfigError("labels must name at least one class")
    cm = confusion_matrix(y_true, y_pred, n)
    precision, recall, f1, support = precision_recall_f1(cm)
    total = int(cm.sum())
    acc = float(np.trace(cm) / total) if total else math.nan
    return ClassificationReport(tuple(labels), acc, precision, recall, f1, support, cm, loss)
