"""Entity-level scores of tagged sentences, as the CoNLL ``conlleval`` script computes them.

What it holds: :func:`tagging_report`, which reads the chunks of the gold and the predicted
tags (``tasks.tagschemes.spans``: conlleval's rules), counts a predicted chunk as correct when
a gold chunk has the same start, end and type, and gives precision, recall and F1 per type and
micro-averaged over all chunks, plus the token accuracy (tags equal, ``O`` included); and
:class:`TaggingReport`, which prints conlleval's own table. Precision is 0 when nothing was
found, recall 0 when there is nothing to find, F1 0 when both are 0 (conlleval's choices).
Sentences are scored apart: a chunk never crosses a sentence break (conlleval ends every chunk
at a blank line). Pure Python. What it leaves out: tag schemes (``tasks.tagschemes``) and
models (``tasks.tag``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from embedlayer.errors import ConfigError
from embedlayer.tasks.tagschemes import check_tags, detect_scheme, spans

__all__ = ["TaggingReport", "TypeScores", "tagging_report"]


def _prf(correct: int, gold: int, found: int) -> tuple[float, float, float]:
    precision = correct / found if found else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class TypeScores:
    """Chunk counts of one entity type (or of all: the micro average) and their scores."""

    gold: int  # chunks in the gold tags
    found: int  # chunks in the predicted tags
    correct: int  # predicted chunks with a gold chunk of the same start, end and type
    precision: float = field(init=False)  # fractions in [0, 1]
    recall: float = field(init=False)
    f1: float = field(init=False)

    def __post_init__(self) -> None:
        p, r, f = _prf(self.correct, self.gold, self.found)
        object.__setattr__(self, "precision", p)
        object.__setattr__(self, "recall", r)
        object.__setattr__(self, "f1", f)

    def to_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "gold": self.gold, "found": self.found, "correct": self.correct}


@dataclass(frozen=True)
class TaggingReport:
    """conlleval's figures for a set of sentences; ``format()`` prints its table."""

    scheme: str  # the tag scheme the chunks were read in
    sentences: int
    tokens: int
    correct_tags: int  # tokens whose predicted tag equals the gold tag
    total: TypeScores  # micro average over every chunk
    per_type: dict[str, TypeScores]  # by type, sorted
    loss: float | None = None  # the model's mean loss per sentence, when known
    unknown_tags: dict[str, int] = field(default_factory=dict)  # gold tags the model never
    # saw in training -> their count (set by the tagger; such tags can never be predicted)

    @property
    def accuracy(self) -> float:
        return self.correct_tags / self.tokens if self.tokens else 0.0

    @property
    def precision(self) -> float:
        return self.total.precision

    @property
    def recall(self) -> float:
        return self.total.recall

    @property
    def f1(self) -> float:
        return self.total.f1

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (fractions, not percentages)."""
        return {"scheme": self.scheme, "sentences": self.sentences, "tokens": self.tokens,
                "accuracy": self.accuracy, "loss": self.loss, **self.total.to_dict(),
                "per_type": {k: v.to_dict() for k, v in self.per_type.items()},
                "unknown_tags": dict(self.unknown_tags)}

    def format(self) -> str:
        """conlleval's output: the counts line, the overall line, one line per type."""
        t = self.total
        lines = [f"processed {self.tokens} tokens with {t.gold} phrases; found: {t.found} "
                 f"phrases; correct: {t.correct}.",
                 f"accuracy: {100 * self.accuracy:6.2f}%; precision: {100 * t.precision:6.2f}%; "
                 f"recall: {100 * t.recall:6.2f}%; FB1: {100 * t.f1:6.2f}"]
        for kind, s in self.per_type.items():
            lines.append(f"{kind:>17}: precision: {100 * s.precision:6.2f}%; recall: "
                         f"{100 * s.recall:6.2f}%; FB1: {100 * s.f1:6.2f}  {s.found}")
        return "\n".join(lines)


def tagging_report(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], *,
    scheme: str | None = None, loss: float | None = None,
) -> TaggingReport:
    """Score ``predicted`` tag sequences against ``gold`` (one list of tags per sentence).

    ``scheme`` is the gold tags' (``None``: :func:`~embedlayer.tasks.tagschemes.detect_scheme`);
    both sides are read with conlleval's rules, so predicted sequences need not be
    well-formed. ``ConfigError`` when the two differ in their number of sentences or in a
    sentence's length; ``FormatError`` for a tag the scheme cannot read.
    """
    if isinstance(gold, str) or isinstance(predicted, str):
        raise ConfigError("tagging_report: expected lists of tag lists, got a string")
    if len(gold) != len(predicted):
        raise ConfigError(f"tagging_report: {len(gold):,} gold sentences but "
                          f"{len(predicted):,} predicted ones")
    if scheme is None:
        scheme = detect_scheme(gold)
    found: Counter[str] = Counter()
    wanted: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    tokens = correct_tags = 0
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        if len(g) != len(p):
            raise ConfigError(f"tagging_report: sentence {i + 1} has {len(g)} gold tags but "
                              f"{len(p)} predicted ones")
        check_tags(g, scheme, f"gold sentence {i + 1}")
        check_tags(p, scheme, f"predicted sentence {i + 1}")
        tokens += len(g)
        correct_tags += sum(a == b for a, b in zip(g, p, strict=True))
        gold_spans, pred_spans = set(spans(g, scheme)), set(spans(p, scheme))
        wanted.update(s.type for s in gold_spans)
        found.update(s.type for s in pred_spans)
        correct.update(s.type for s in gold_spans & pred_spans)
    types = sorted(set(wanted) | set(found))
    per_type = {k: TypeScores(wanted[k], found[k], correct[k]) for k in types}
    total = TypeScores(sum(wanted.values()), sum(found.values()), sum(correct.values()))
    return TaggingReport(scheme, len(gold), tokens, correct_tags, total, per_type, loss)
