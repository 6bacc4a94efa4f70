"""Tasks built on the embedding layer (layer L4 of DESIGN.md): text classification, sequence
tagging, vector indexes, answer selection with lexical, dense and hybrid ranking.

What it holds: ``TextClassifier`` (``tasks.classify``, needs the ``torch`` extra),
``VectorIndex`` (``tasks.index``: exact and approximate nearest-neighbour search),
k-fold ``cross_validate`` (``tasks.crossval``), the numpy metrics they report (``tasks.metrics``) and each encoder's
default settings (``tasks.presets.recommended``); ``SequenceTagger`` (``tasks.tag``, torch),
tag schemes (``tasks.tagschemes``: IOB1 / IOB2 / IOBES, conversions, CRF constraints) and
conlleval's entity scores (``tasks.tagging_metrics``), both pure Python; ``BM25``
(``tasks.bm25``, needs the ``search`` extra), ``TfidfEncoder`` (``tasks.tfidf``), dense /
lexical / cross-validated hybrid answer selection (``tasks.qa``: ``evaluate_answer_selection``,
``DenseScorer``, ``BM25Scorer``, ``QAReport``, ``retrieval_examples``), the fusions and folds
behind it (``tasks.hybrid``) and a transformer encoder fine-tuned for retrieval
(``tasks.retriever.fine_tune_retriever``, torch). The torch-based names are loaded on first use, so
``embedlayer.tasks.metrics``, ``presets``, ``tagschemes`` and ``tagging_metrics`` work without
torch. What it leaves out: the encoders (``embedlayer.nn.encoders``), the CRF
(``embedlayer.nn.crf``) and the data readers (``embedlayer.data.classify``,
``embedlayer.corpus.conll``).
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
    "RetrievalExample",
    "SCHEMES",
    "SearchResult",
    "SequenceTagger",
    "Span",
    "TagEpoch",
    "TaggerConfig",
    "TaggingReport",
    "TextClassifier",
    "TfidfEncoder",
    "TypeScores",
    "VectorIndex",
    "accuracy",
    "allowed_transitions",
    "classification_report",
    "confusion_matrix",
    "convert",
    "cross_validate",
    "cross_validate_fusion",
    "cross_validate_logistic",
    "detect_scheme",
    "evaluate_answer_selection",
    "fine_tune_retriever",
    "from_spans",
    "linear_mix",
    "precision_recall_f1",
    "read_tagged",
    "reciprocal_rank_fusion",
    "recommended",
    "retrieval_examples",
    "spans",
    "split_tag",
    "stratified_folds",
    "tagging_report",
]

# name -> the module that defines it, imported on first use (classify needs torch)
_LAZY = {"Callback": "classify", "ClassifierConfig": "classify", "TextClassifier": "classify",
         "CVResult": "crossval", "cross_validate": "crossval", "stratified_folds": "crossval",
         "VectorIndex": "index", "SearchResult": "index",
         "BM25": "bm25", "TfidfEncoder": "tfidf", "BM25Scorer": "qa", "DenseScorer": "qa",
         "QAReport": "qa", "evaluate_answer_selection": "qa", "CrossValidated": "hybrid",
         "Fusion": "hybrid", "cross_validate_fusion": "hybrid",
         "cross_validate_logistic": "hybrid", "linear_mix": "hybrid",
         "reciprocal_rank_fusion": "hybrid",
         "SequenceTagger": "tag", "TaggerConfig": "tag", "TagEpoch": "tag",
         "read_tagged": "tag", "RetrievalExample": "retriever",
         "fine_tune_retriever": "retriever", "retrieval_examples": "qa"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"embedlayer.tasks.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'embedlayer.tasks' has no attribute {name!r}")
