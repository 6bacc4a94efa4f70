"""Tasks built on the embedding layer (layer L4 of DESIGN.md): text classification, vector
indexes, answer selection with lexical, dense and hybrid ranking.

What it holds: ``TextClassifier`` (``tasks.classify``, needs the ``torch`` extra),
``VectorIndex`` (``tasks.index``: exact and approximate nearest-neighbour search),
k-fold ``cross_validate`` (``tasks.crossval``), the numpy metrics they report (``tasks.metrics``) and each encoder's
default settings (``tasks.presets.recommended``); ``BM25`` (``tasks.bm25``, needs the
``search`` extra), ``TfidfEncoder`` (``tasks.tfidf``), dense / lexical / cross-validated hybrid
answer selection (``tasks.qa``: ``evaluate_answer_selection``, ``DenseScorer``,
``BM25Scorer``, ``QAReport``) and the fusions and folds behind it (``tasks.hybrid``). The torch-based names are loaded on
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
    "BM25",
    "BM25Scorer",
    "CVResult",
    "Callback",
    "ClassificationReport",
    "ClassifierConfig",
    "CrossValidated",
    "DenseScorer",
    "Fusion",
    "QAReport",
    "SearchResult",
    "TextClassifier",
    "TfidfEncoder",
    "VectorIndex",
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "cross_validate",
    "cross_validate_fusion",
    "cross_validate_logistic",
    "evaluate_answer_selection",
    "linear_mix",
    "precision_recall_f1",
    "reciprocal_rank_fusion",
    "recommended",
    "stratified_folds",
]

# name -> the module that defines it, imported on first use (classify needs torch)
_LAZY = {"Callback": "classify", "ClassifierConfig": "classify", "TextClassifier": "classify",
         "CVResult": "crossval", "cross_validate": "crossval", "stratified_folds": "crossval",
         "VectorIndex": "index", "SearchResult": "index",
         "BM25": "bm25", "TfidfEncoder": "tfidf", "BM25Scorer": "qa", "DenseScorer": "qa",
         "QAReport": "qa", "evaluate_answer_selection": "qa", "CrossValidated": "hybrid",
         "Fusion": "hybrid", "cross_validate_fusion": "hybrid",
         "cross_validate_logistic": "hybrid", "linear_mix": "hybrid",
         "reciprocal_rank_fusion": "hybrid"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"embedlayer.tasks.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'embedlayer.tasks' has no attribute {name!r}")
