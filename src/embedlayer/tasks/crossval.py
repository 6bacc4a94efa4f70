"""k-fold cross-validation of text classifiers: stratified folds and per-fold scores.

What it holds: ``stratified_folds`` (seeded, every class spread evenly), ``CVResult`` (one
report per fold, mean and sample standard deviation) and ``cross_validate`` (a fresh model per
fold). What it leaves out: the classifier itself (``tasks.classify``) and model selection on
development splits (``benchmarks/bench_classify.py`` does it per outer fold).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from embedlayer._types import IntArray
from embedlayer.data.classify import LabeledTexts
from embedlayer.errors import ConfigError
from embedlayer.tasks.metrics import ClassificationReport

if TYPE_CHECKING:
    from embedlayer.tasks.classify import TextClassifier

__all__ = ["CVResult", "cross_validate", "stratified_folds"]


def stratified_folds(labels: Sequence[str], k: int, *, seed: int = 0) -> list[IntArray]:
    """``k`` disjoint, sorted index arrays covering ``labels``; each class spread evenly."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"stratified_folds: seed must be an int >= 0, got {seed!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ConfigError(f"cross-validation needs k >= 2 folds, got {k!r}")
    if len(labels) < k:
        raise ConfigError(f"cannot split {len(labels)} examples into {k} folds")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    arr = np.asarray(labels, dtype=object)
    offset = 0
    for label in sorted(set(labels)):
        idx = rng.permutation(np.flatnonzero(arr == label))
        fold_of[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)  # the next class starts where this one stopped: sizes stay even
    return [np.flatnonzero(fold_of == f) for f in range(k)]


@dataclass(frozen=True)
class CVResult:
    """Per-fold scores of a k-fold cross-validation."""

    reports: list[ClassificationReport]
    seconds: list[float]  # training time of each fold
    epochs: list[int] = field(default_factory=list)  # the epoch kept in each fold

    @property
    def accuracies(self) -> list[float]:
        return [r.accuracy for r in self.reports]

    @property
    def macro_f1s(self) -> list[float]:
        return [r.macro_f1 for r in self.reports]

    @staticmethod
    def _mean_std(values: list[float]) -> tuple[float, float]:
        return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)

    @property
    def accuracy(self) -> tuple[float, float]:
        """(mean, sample standard deviation) over the folds."""
        return self._mean_std(self.accuracies)

    @property
    def macro_f1(self) -> tuple[float, float]:
        return self._mean_std(self.macro_f1s)


def cross_validate(
    make: Callable[[], TextClassifier], data: LabeledTexts, *, folds: int = 10, seed: int = 0,
    on_fold: Callable[[int, ClassificationReport], None] | None = None,
    progress: bool = True,
) -> CVResult:
    """Stratified ``folds``-fold cross-validation: each fold tests a fresh ``make()`` model
    trained on the other folds (its early stopping holds out part of those)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"cross_validate: seed must be an int >= 0, got {seed!r}")
    parts = stratified_folds(data.labels, folds, seed=seed)
    reports, seconds, epochs = [], [], []
    everything = np.arange(len(data))
    for i, test in enumerate(parts):
        train_idx = np.setdiff1d(everything, test)
        tr, te = data.select(train_idx), data.select(test)
        model = make().fit(tr.texts, tr.labels, progress=progress)
        report = model.evaluate(te.texts, te.labels)
        reports.append(report)
        seconds.append(model.train_seconds_)
        epochs.append(model.best_epoch_)
        if on_fold is not None:
            on_fold(i, report)
    return CVResult(reports, seconds, epochs)
