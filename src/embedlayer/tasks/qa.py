"""Answer-sentence selection (WikiQA): rank each question's candidate sentences with a dense,
lexical or hybrid scorer; MAP and MRR over the questions with a correct sentence.

What it holds: the scorers (:class:`DenseScorer`: cosine of the question's and each
candidate's vectors from any ``Encoder``; :class:`BM25Scorer`: BM25 with IDF over all
candidate sentences of the split), :func:`evaluate_answer_selection` (one scorer, or two fused
by cross-validated RRF / linear mix, or several combined by cross-validated logistic
regression -> :class:`QAReport`), and :class:`QAReport` with per-question records that
serialize to JSON; :func:`retrieval_examples` (questions as training examples for
``tasks.retriever``). What it leaves out: reading WikiQA (``data.readers.read_wikiqa``), the
metric (``eval.qa``), the fusions and folds (``tasks.hybrid``), BM25 itself (``tasks.bm25``).

A dense scorer encodes every distinct text (questions and candidates) in one ``encode`` call,
so a transformer batches them all; ``context="title"`` encodes each candidate as
``"<document title>. <sentence>"`` (WikiQA gives the title of the page each sentence comes
from), which resolves sentences that only say "it" or "he".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from embedlayer._types import Float64Array, PathLike
from embedlayer.data.readers import QAQuestion
from embedlayer.errors import ConfigError
from embedlayer.eval.qa import (
    AnswerSelectionResult,
    answer_selection,
    per_question,
    rank_by_cosine,
)
from embedlayer.tasks.bm25 import BM25, BM25Variant
from embedlayer.tasks.hybrid import (
    CrossValidated,
    cross_validate_fusion,
    cross_validate_logistic,
    fusion_grid,
)
from embedlayer.tasks.retriever import RetrievalExample

__all__ = ["BM25Scorer", "DenseScorer", "HybridMode", "QAReport", "QARecord", "Scorer",
           "candidate_texts", "check_questions", "evaluate_answer_selection",
           "report_from_scores", "retrieval_examples"]

Context = Literal["sentence", "title", "title-previous"]
HybridMode = Literal["rrf", "linear", "logistic"]
HYBRID_MODES = ("rrf", "linear", "logistic")


class Scorer(Protocol):
    """Scores every candidate of every question (higher = more likely an answer)."""

    name: str

    def score(self, questions: Sequence[QAQuestion], *,
              progress: bool = False) -> list[Float64Array]: ...


def check_questions(questions: Sequence[QAQuestion], where: str) -> list[QAQuestion]:
    """``questions`` as a non-empty list of well-formed ``QAQuestion``, or ``ConfigError``."""
    out = list(questions)
    if not out:
        raise ConfigError(f"{where}: no questions; expected a list of QAQuestion (e.g. "
                          f"read_wikiqa(...))")
    for i, q in enumerate(out):
        if not isinstance(q, QAQuestion):
            raise ConfigError(f"{where}: question {i} is {type(q).__name__}, expected "
                              f"QAQuestion")
        if not isinstance(q.question, str) or not all(isinstance(c, str) for c in q.candidates):
            raise ConfigError(f"{where}: question {q.qid}: the question and candidates must be "
                              f"str")
        if len(q.candidates) != len(q.labels):
            raise ConfigError(f"{where}: question {q.qid}: {len(q.candidates)} candidates for "
                              f"{len(q.labels)} labels")
    return out


def candidate_texts(q: QAQuestion, context: Context, where: str = "candidate_texts") -> list[str]:
    """A question's candidates as an encoder sees them under ``context`` (see DenseScorer)."""
    if context == "sentence":
        return list(q.candidates)
    if len(q.titles) != len(q.candidates):
        raise ConfigError(f"{where}: context {context!r} needs each candidate's document "
                          f"title; question {q.qid} has {len(q.titles)} titles for "
                          f"{len(q.candidates)} candidates")
    texts = [f"{t}. {c}" if t else c for t, c in zip(q.titles, q.candidates, strict=True)]
    if context == "title-previous":  # candidates are in document order
        texts = [texts[0]] + [f"{t}. {prev} {c}" if t else f"{prev} {c}" for t, prev, c in
                              zip(q.titles[1:], q.candidates[:-1], q.candidates[1:],
                                  strict=True)]
    return texts


def retrieval_examples(questions: Sequence[QAQuestion], *,
                       context: Context = "sentence") -> list[RetrievalExample]:
    """Training examples for ``tasks.retriever.fine_tune_retriever``: each question with a
    correct candidate, its correct candidates as positives and the others (same document,
    so hard) as negatives, under ``context``. Questions with no correct candidate are left
    out."""
    questions = check_questions(questions, "retrieval_examples")
    if context not in ("sentence", "title", "title-previous"):
        raise ConfigError(f"retrieval_examples: context must be 'sentence', 'title' or "
                          f"'title-previous', got {context!r}")
    out = []
    for q in questions:
        texts = candidate_texts(q, context, "retrieval_examples")
        pos = [t for t, lab in zip(texts, q.labels, strict=True) if lab]
        if pos:
            out.append(RetrievalExample(q.question, pos,
                                        [t for t, lab in zip(texts, q.labels, strict=True)
                                         if not lab]))
    return out


class DenseScorer:
    """Cosine between the question's vector and each candidate's, from any ``Encoder``.

    ``context``: each candidate encoded alone (``"sentence"``), as ``"<document title>.
    <sentence>"`` (``"title"``), or with the candidate before it in the document too
    (``"title-previous"``: ``"<title>. <previous sentence> <sentence>"``; WikiQA lists a
    question's candidates in document order). The question is always encoded alone.
    """

    def __init__(self, encoder: Any, *, context: Context = "sentence") -> None:
        if isinstance(encoder, str | bytes) or not callable(getattr(encoder, "encode", None)):
            raise ConfigError(f"DenseScorer: encoder must have encode(texts), got "
                              f"{type(encoder).__name__}")
        if context not in ("sentence", "title", "title-previous"):
            raise ConfigError(f"DenseScorer: context must be 'sentence', 'title' or "
                              f"'title-previous', got {context!r}")
        self.encoder = encoder
        self.context = context
        self.name = {"sentence": "dense", "title": "dense+title",
                     "title-previous": "dense+title+previous"}[context]

    def _candidates(self, q: QAQuestion) -> list[str]:
        return candidate_texts(q, self.context, "DenseScorer")

    def score(self, questions: Sequence[QAQuestion], *,
              progress: bool = False) -> list[Float64Array]:
        questions = check_questions(questions, "DenseScorer.score")
        candidates = [self._candidates(q) for q in questions]
        texts = list(dict.fromkeys([q.question for q in questions]
                                   + [c for cs in candidates for c in cs]))
        row = {t: i for i, t in enumerate(texts)}
        vectors = np.asarray(self.encoder.encode(texts, progress=progress))
        if vectors.shape[0] != len(texts):
            raise ConfigError(f"DenseScorer: the encoder returned {vectors.shape[0]} vectors "
                              f"for {len(texts)} texts")
        return [rank_by_cosine(vectors[row[q.question]], vectors[[row[c] for c in cs]])
                .reshape(len(cs)) for q, cs in zip(questions, candidates, strict=True)]


class BM25Scorer:
    """BM25 of the question against its candidates; IDF over every distinct candidate
    sentence of the questions given (the whole split)."""

    name = "bm25"

    def __init__(self, tokenizer: Any = None, *, k1: float = 1.5, b: float = 0.75,
                 variant: BM25Variant = "lucene", delta: float = 0.5) -> None:
        self.bm25 = BM25(tokenizer, k1=k1, b=b, variant=variant, delta=delta)

    def score(self, questions: Sequence[QAQuestion], *,
              progress: bool = False) -> list[Float64Array]:
        questions = check_questions(questions, "BM25Scorer.score")
        sentences = list(dict.fromkeys(c for q in questions for c in q.candidates))
        row = {s: i for i, s in enumerate(sentences)}
        self.bm25.fit(sentences, progress=progress)
        return [self.bm25.score(q.question, [row[c] for c in q.candidates])
                for q in questions]


@dataclass(frozen=True)
class QARecord:
    """One question's outcome: its AP and RR (None without a correct candidate) and its
    candidates from best to worst score."""

    qid: str
    question: str
    average_precision: float | None
    reciprocal_rank: float | None
    ranked: list[dict[str, Any]]  # {"index", "sentence", "score", "label"}, best first


@dataclass(frozen=True)
class QAReport:
    """MAP / MRR, how they were obtained, and every question's record."""

    result: AnswerSelectionResult
    method: dict[str, Any]  # scorers, hybrid mode, folds, seed, what each fold chose
    records: list[QARecord] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"format_version": 1, "map": self.result.map, "mrr": self.result.mrr,
                "questions": self.result.questions, "skipped": self.result.skipped,
                "method": self.method, "per_question": [asdict(r) for r in self.records]}

    def write_json(self, path: PathLike) -> Path:
        """The whole report as one JSON file, written atomically."""
        from embedlayer._atomic import atomic_write

        with atomic_write(path, "w", encoding="utf-8") as fh:
            json.dump(self.as_dict(), fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        return Path(path)


def report_from_scores(questions: Sequence[QAQuestion], scores: Sequence[Sequence[float]], *,
                       method: dict[str, Any] | None = None) -> QAReport:
    """MAP / MRR and per-question records for given per-candidate scores."""
    questions = check_questions(questions, "report_from_scores")
    labels = [q.labels for q in questions]
    result = answer_selection(scores, labels)
    records = []
    for q, s, pair in zip(questions, scores, per_question(scores, labels), strict=True):
        arr = np.asarray(s, dtype=np.float64)
        order = np.argsort(-arr, kind="stable")  # eval.qa's tie rule: file order
        records.append(QARecord(
            q.qid, q.question, None if pair is None else pair[0],
            None if pair is None else pair[1],
            [{"index": int(i), "sentence": q.candidates[i], "score": float(arr[i]),
              "label": int(q.labels[i])} for i in order]))
    return QAReport(result, dict(method or {}), records)


def _folds_method(cv: CrossValidated, folds: int, seed: int) -> dict[str, Any]:
    return {"folds": folds, "seed": seed, "chosen_per_fold": cv.describe(),
            "train_map_per_fold": [round(m, 6) for m in cv.train_map]}


def evaluate_answer_selection(questions: Sequence[QAQuestion], scorers: Sequence[Scorer], *,
                              hybrid: HybridMode | None = None, folds: int = 5, seed: int = 0,
                              select_features: bool = False, objective: str = "pointwise",
                              progress: bool = False) -> QAReport:
    """Score ``questions`` and report MAP / MRR with per-question records.

    ``hybrid=None``: exactly one scorer. ``"rrf"`` / ``"linear"``: two scorers, dense first
    and lexical second, fused with the weight (and, for ``linear``, the normalization) that
    has the best MAP on the other folds of a ``folds``-fold split over questions (seeded by
    ``seed``). ``"logistic"``: any number of scorers as features of a logistic regression
    learned on the other folds; with ``select_features``, also which scorers it uses, chosen
    per fold among every non-empty subset by a cross-validation nested inside the other folds;
    ``objective``: the logistic regression's loss, ``"pointwise"`` or ``"pairwise"`` (see
    ``tasks.hybrid.cross_validate_logistic``). Every fold's choice is in ``report.method``.
    """
    questions = check_questions(questions, "evaluate_answer_selection")
    scorers = list(scorers)
    if hybrid is not None and hybrid not in HYBRID_MODES:
        raise ConfigError(f"evaluate_answer_selection: hybrid must be one of "
                          f"{', '.join(HYBRID_MODES)} or None, got {hybrid!r}")
    need = {None: "exactly 1", "rrf": "exactly 2", "linear": "exactly 2"}.get(hybrid, "1 or more")
    count_ok = {None: len(scorers) == 1, "rrf": len(scorers) == 2,
                "linear": len(scorers) == 2}.get(hybrid, len(scorers) >= 1)
    if not count_ok:
        raise ConfigError(f"evaluate_answer_selection: hybrid {hybrid!r} takes {need} "
                          f"scorer(s), got {len(scorers)}")
    if select_features and hybrid != "logistic":
        raise ConfigError("evaluate_answer_selection: select_features needs hybrid='logistic'")
    for s in scorers:
        if not callable(getattr(s, "score", None)):
            raise ConfigError(f"evaluate_answer_selection: {type(s).__name__} is not a scorer "
                              f"(no score(questions))")
    columns = [s.score(questions, progress=progress) for s in scorers]
    names = [str(getattr(s, "name", type(s).__name__)) for s in scorers]
    method: dict[str, Any] = {"scorers": names, "hybrid": hybrid}
    labels = [q.labels for q in questions]
    if hybrid is None:
        scores = columns[0]
    elif hybrid == "logistic":
        features = [np.stack([col[i] for col in columns], axis=1) for i in range(len(questions))]
        subsets = None
        if select_features:
            from itertools import combinations

            subsets = [sub for r in range(1, len(columns) + 1)
                       for sub in combinations(range(len(columns)), r)]
        cv = cross_validate_logistic(features, labels, names=names, folds=folds, seed=seed,
                                     subsets=subsets, objective=objective)
        scores, method = cv.scores, {**method, **_folds_method(cv, folds, seed)}
    else:
        cv = cross_validate_fusion(columns[0], columns[1], labels, grid=fusion_grid(hybrid),
                                   folds=folds, seed=seed)
        scores, method = cv.scores, {**method, **_folds_method(cv, folds, seed)}
    return report_from_scores(questions, scores, method=method)
