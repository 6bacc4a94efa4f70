"""Tasks built on the embedding layer (layer L4 of DESIGN.md): classification and retrieval.

What it holds: ``TextClassifier`` (``tasks.classify``, needs the ``torch`` extra),
``VectorIndex`` (``tasks.index``: exact and approximate nearest-neighbour search),
k-fold ``cross_validate`` (``tasks.crossval``), the numpy metrics they report (``tasks.metrics``) and each encoder's
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
    "SearchResult",
    "TextClassifier",
    "VectorIndex",
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "cross_validate",
    "precision_recall_f1",
    "recommended",
    "stratified_folds",
]

# name -> the module that defines it, imported on first use (classify needs torch)
_LAZY = {"Callback": "classify", "ClassifierConfig": "classify", "TextClassifier": "classify",
         "CVResult": "crossval", "cross_validate": "crossval", "stratified_folds": "crossval",
         "VectorIndex": "index", "SearchResult": "index"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"embedlayer.tasks.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'embedlayer.tasks' has no attribute {name!r}")
