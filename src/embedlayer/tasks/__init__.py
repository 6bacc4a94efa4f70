"""Tasks built on the embedding layer (layer L4 of DESIGN.md): text classification, sequence
tagging, retrieval indexes.

What it holds: ``TextClassifier`` (``tasks.classify``, needs the ``torch`` extra),
k-fold ``cross_validate`` (``tasks.crossval``), the numpy metrics they report (``tasks.metrics``) and each encoder's
default settings (``tasks.presets.recommended``); ``SequenceTagger`` (``tasks.tag``, torch),
tag schemes (``tasks.tagschemes``: IOB1 / IOB2 / IOBES, conversions, CRF constraints) and
conlleval's entity scores (``tasks.tagging_metrics``), both pure Python. The torch-based names
are loaded on first use, so ``embedlayer.tasks.metrics``, ``presets``, ``tagschemes`` and
``tagging_metrics`` work without torch. What it leaves out: the encoders
(``embedlayer.nn.encoders``), the CRF (``embedlayer.nn.crf``) and the data readers
(``embedlayer.data.classify``, ``embedlayer.corpus.conll``).
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
from embedlayer.tasks.tagging_metrics import TaggingReport, TypeScores, tagging_report
from embedlayer.tasks.tagschemes import (
    SCHEMES,
    Span,
    allowed_transitions,
    convert,
    detect_scheme,
    from_spans,
    spans,
    split_tag,
)

__all__ = [
    "SCHEMES",
    "CVResult",
    "Callback",
    "ClassificationReport",
    "ClassifierConfig",
    "SequenceTagger",
    "Span",
    "TagEpoch",
    "TaggerConfig",
    "TaggingReport",
    "TextClassifier",
    "TypeScores",
    "accuracy",
    "allowed_transitions",
    "classification_report",
    "confusion_matrix",
    "convert",
    "cross_validate",
    "detect_scheme",
    "from_spans",
    "precision_recall_f1",
    "read_tagged",
    "recommended",
    "spans",
    "split_tag",
    "stratified_folds",
    "tagging_report",
]

# name -> the module that defines it, imported on first use (classify needs torch)
_LAZY = {"Callback": "classify", "ClassifierConfig": "classify", "TextClassifier": "classify",
         "CVResult": "crossval", "cross_validate": "crossval", "stratified_folds": "crossval",
         "SequenceTagger": "tag", "TaggerConfig": "tag", "TagEpoch": "tag",
         "read_tagged": "tag"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"embedlayer.tasks.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'embedlayer.tasks' has no attribute {name!r}")
