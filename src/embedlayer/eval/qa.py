"""Answer-selection scores: mean average precision and mean reciprocal rank over questions.

What it holds: :func:`answer_selection` (scores per candidate, labels per candidate, grouped by
question -> :class:`AnswerSelectionResult` with MAP, MRR and how many questions counted) and
:func:`rank_by_cosine` (a question vector against its candidates' vectors). As in WikiQA's
standard evaluation (Yang et al. 2015), questions with no correct candidate are left out;
ties between scores are broken by the candidates' order in the file (stable), so a model that
scores everything equally gets the file order's figures, not a lucky one. What it leaves out:
reading the data (``embedlayer.data.readers.read_wikiqa``), encoders and indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from embedlayer.errors import ConfigError

__all__ = ["AnswerSelectionResult", "answer_selection", "per_question", "rank_by_cosine"]


@dataclass(frozen=True)
class AnswerSelectionResult:
    map: float
    mrr: float
    questions: int  # questions scored (at least one correct candidate)
    skipped: int  # questions without a correct candidate


def _average_precision(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    order = np.argsort(-scores, kind="stable")
    hits = labels[order] > 0
    ranks = np.flatnonzero(hits) + 1
    precision = np.arange(1, len(ranks) + 1) / ranks
    return float(precision.mean()), float(1.0 / ranks[0])


def per_question(scores: Sequence[Sequence[float]],
                 labels: Sequence[Sequence[int]]) -> list[tuple[float, float] | None]:
    """Each question's (average precision, reciprocal rank); None for a question with no
    correct candidate (left out of MAP and MRR)."""
    if len(scores) != len(labels):
        raise ConfigError(f"answer_selection: {len(scores)} score lists for {len(labels)} "
                          f"label lists")
    out: list[tuple[float, float] | None] = []
    for q, (s, lab) in enumerate(zip(scores, labels, strict=True)):
        s_arr = np.asarray(s, dtype=np.float64)
        l_arr = np.asarray(lab, dtype=np.int64)
        if s_arr.shape != l_arr.shape:
            raise ConfigError(f"answer_selection: question {q} has {s_arr.size} scores for "
                              f"{l_arr.size} labels")
        if not np.all(np.isfinite(s_arr)):
            raise ConfigError(f"answer_selection: question {q} has a NaN or infinite score")
        out.append(_average_precision(s_arr, l_arr) if (l_arr > 0).any() else None)
    return out


def answer_selection(scores: Sequence[Sequence[float]],
                     labels: Sequence[Sequence[int]]) -> AnswerSelectionResult:
    """MAP and MRR; ``scores[q][i]`` is candidate i of question q's score (higher = better)."""
    found = per_question(scores, labels)
    kept = [pair for pair in found if pair is not None]
    if not kept:
        raise ConfigError("answer_selection: no question has a correct candidate")
    return AnswerSelectionResult(float(np.mean([ap for ap, _ in kept])),
                                 float(np.mean([rr for _, rr in kept])), len(kept),
                                 len(found) - len(kept))


def rank_by_cosine(question: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Cosine of one question vector (d,) with each candidate row (n, d); zero vectors give 0."""
    q = np.asarray(question, dtype=np.float64)
    c = np.asarray(candidates, dtype=np.float64)
    qn = np.linalg.norm(q)
    cn = np.linalg.norm(c, axis=1)
    denom = qn * cn
    dots = c @ q
    return np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)
