"""Analogy accuracy (a : b :: c : d) over the Google set, CA8, or any file in that format.

What it holds: the batched evaluator and its result types. Every answerable question goes
through ``vectors.query.analogy_batch`` (blocks of questions x rows matrix products), so the
full Google set on a 30k vocabulary takes seconds. Semantics follow gensim's
``evaluate_word_analogies`` so numbers compare: only the first ``restrict_vocab`` rows are
candidates or question words, questions with an unknown word are not answered (reported as
coverage), the three question words (and, case-insensitively, their case variants) are
never answers, accuracy = correct / answered.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from embedlayer._types import PathLike
from embedlayer.data.readers import AnalogySection, read_analogies, resolve_benchmark
from embedlayer.eval._lookup import WordIndex
from embedlayer.vectors.query import AnalogyMethod, analogy_batch

__all__ = ["AnalogyResult", "SectionResult", "evaluate_analogies"]


@dataclass(frozen=True)
class SectionResult:
    """Accuracy and coverage of one ``: section`` of an analogy set."""

    name: str
    questions: int  # in the file
    answered: int  # all four words known
    correct: int

    @property
    def accuracy(self) -> float:
        """correct / answered; NaN when no question was answered (a score of nothing)."""
        return self.correct / self.answered if self.answered else float("nan")


@dataclass(frozen=True)
class AnalogyResult:
    """One analogy run: accuracy over the answered questions, coverage, and one ``SectionResult`` per section."""

    dataset: str
    method: AnalogyMethod
    restrict_vocab: int | None
    case_insensitive: bool
    questions: int
    answered: int
    correct: int
    seconds: float
    sections: list[SectionResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """correct / answered; NaN when no question was answered (JSON: null, tables: n/a)."""
        return self.correct / self.answered if self.answered else float("nan")

    @property
    def coverage(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    def _group(self, syntactic: bool) -> float:
        group = [s for s in self.sections if s.name.startswith("gram") == syntactic]
        answered = sum(s.answered for s in group)
        return sum(s.correct for s in group) / answered if answered else float("nan")

    @property
    def semantic_accuracy(self) -> float:
        """Accuracy over sections not named ``gram*`` (the Google set's semantic half)."""
        return self._group(False)

    @property
    def syntactic_accuracy(self) -> float:
        """Accuracy over the ``gram*`` sections (the Google set's syntactic half)."""
        return self._group(True)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["sections"] = [{**asdict(s), "accuracy": s.accuracy} for s in self.sections]
        out.update(accuracy=self.accuracy, coverage=self.coverage,
                   semantic_accuracy=self.semantic_accuracy,
                   syntactic_accuracy=self.syntactic_accuracy)
        return out


def _load(questions: Sequence[AnalogySection] | PathLike) -> tuple[str, list[AnalogySection]]:
    if isinstance(questions, (list, tuple)):
        return "analogies", list(questions)
    path = resolve_benchmark(questions)  # type: ignore[arg-type]
    name = str(questions) if not str(questions).endswith(path.name) else path.stem
    return name, read_analogies(path)


def evaluate_analogies(
    store: Any,
    questions: Sequence[AnalogySection] | PathLike,
    *,
    method: AnalogyMethod = "3cosadd",
    restrict_vocab: int | None = 30_000,
    case_insensitive: bool = True,
    batch_size: int = 4096,
) -> AnalogyResult:
    """Accuracy per section and overall on an analogy file, name or parsed sections."""
    name, sections = _load(questions)
    start = time.perf_counter()
    index = WordIndex(store, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    norm = index.norm
    keys = store.vocab.tokens
    # Merge repeated section names (CA8 repeats some), keeping first-seen order.
    order: dict[str, list[tuple[str, str, str, str]]] = {}
    for s in sections:
        order.setdefault(s.name, []).extend(s.questions)
    rows: list[tuple[int, int, int, int, int]] = []  # (section, a, b, c, d) ids
    totals = []
    for si, (_, qs) in enumerate(order.items()):
        totals.append(len(qs))
        for q in qs:
            ids = [index.get(w) for w in q]
            if all(i is not None for i in ids):
                rows.append((si, *ids))  # type: ignore[arg-type]
    correct = np.zeros(len(order), dtype=np.int64)
    answered = np.zeros(len(order), dtype=np.int64)
    if rows:
        arr = np.array(rows, dtype=np.int64)
        np.add.at(answered, arr[:, 0], 1)
        for lo in range(0, len(arr), batch_size):
            chunk = arr[lo:lo + batch_size]
            # Case variants of the question words are excluded like the words themselves
            # (gensim skips them among its top answers), so the top-1 answer suffices.
            extra = [[v for w in row[1:4] for v in index.variants(int(w), keys)] for row in chunk]
            nb = analogy_batch(store, chunk[:, 1], chunk[:, 2], chunk[:, 3], method=method,
                               topn=1, restrict_vocab=index.limit, exclude=extra)
            hits = nb.ids[:, 0] == chunk[:, 4]
            if case_insensitive:  # a case variant of d is a right answer too
                for k in np.flatnonzero(~hits):
                    hits[k] = norm(keys[nb.ids[k, 0]]) == norm(keys[chunk[k, 4]])
            np.add.at(correct, chunk[hits, 0], 1)
    results = [SectionResult(n, t, int(a), int(c))
               for n, t, a, c in zip(order, totals, answered, correct, strict=True)]
    return AnalogyResult(
        dataset=name, method=method, restrict_vocab=restrict_vocab,
        case_insensitive=case_insensitive, questions=sum(totals),
        answered=int(answered.sum()), correct=int(correct.sum()),
        seconds=time.perf_counter() - start, sections=results,
    )
