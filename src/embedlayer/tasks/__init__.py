"""Tasks built on the embedding layer (layer L4 of DESIGN.md): text classification so far.

What it holds: ``TextClassifier`` and ``cross_validate`` (``tasks.classify``, needs the
``torch`` extra), the numpy metrics they report (``tasks.metrics``) and each encoder's
default settings (``tasks.presets.recommended``). The torch-based names are loaded on
first use, so ``embedlayer.tasks.metrics`` and ``presets`` work without torch. What it leaves
out: the encoders (``embedlayer.nn.encoders``) and the data readers
(``embedlayer.data.classify``).
"""

from __future__ import annotations

import importlib
from typing import Any

from embedlayer.tasks.metrics import (
    ClassificationReport,
    accuracy,
    classification_report,
    confusion_matrix,
    precision_recall_f1,
)
from embedlayer.tasks.presets import recommended

__all__ = [
    "CVResult",
    "Callback",
    "ClassificationReport",
    "ClassifierConfig",
    "TextClassifier",
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "cross_validate",
    "precision_recall_f1",
    "recommended",
    "stratified_folds",
]

_LAZY = {"CVResult", "Callback", "ClassifierConfig", "TextClassifier", "cross_validate",
         "stratified_folds"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("embedlayer.tasks.classify"), name)
    raise AttributeError(f"module 'embedlayer.tasks' has no attribute {name!r}")
