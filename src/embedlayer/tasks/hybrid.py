"""Hybrid ranking: fusing a dense and a lexical scorer, with every choice made by
cross-validation over questions.

What it holds: per-question score transforms (:func:`normalize_scores`, :func:`rank_positions`),
the two fusions (:func:`reciprocal_rank_fusion`, :func:`linear_mix`, and :class:`Fusion`, one
setting of either), a numpy L2-regularized logistic regression (:func:`fit_logistic`) for
learning weights over a few features per candidate, deterministic question folds
(:func:`question_folds`), and the cross-validated runs :func:`cross_validate_fusion` and
:func:`cross_validate_logistic`. What it leaves out: producing the scores (``tasks.qa``,
``tasks.bm25``) and the metric (``eval.qa``).

Honesty by construction: in a cross-validated run each question is scored by a setting (a
fusion weight, or logistic coefficients) chosen or learned on the *other* folds only; the
held-out fold's labels are never read before its scores are fixed. Every run reports what
each fold chose. All inputs are lists with one array per question (its candidates' scores),
so fusion never mixes scores across questions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from embedlayer._types import Float64Array
from embedlayer.errors import ConfigError
from embedlayer.eval.qa import answer_selection

__all__ = [
    "CrossValidated",
    "Fusion",
    "LogisticModel",
    "Normalization",
    "cross_validate_fusion",
    "cross_validate_logistic",
    "fit_logistic",
    "fusion_grid",
    "linear_mix",
    "normalize_scores",
    "question_folds",
    "rank_positions",
    "reciprocal_rank_fusion",
]

Normalization = Literal["minmax", "zscore"]
FusionKind = Literal["rrf", "linear"]
NORMALIZATIONS = ("minmax", "zscore")
# the weight grid the cross-validation searches unless told otherwise: 0, 0.05, ..., 1
DEFAULT_WEIGHTS = tuple(round(0.05 * i, 2) for i in range(21))


def _vector(scores: Any, where: str) -> Float64Array:
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1:
        raise ConfigError(f"{where}: expected one score per candidate (a 1-d array), got shape "
                          f"{arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{where}: a score is NaN or infinite")
    return arr


def normalize_scores(scores: Sequence[float], how: Normalization = "minmax") -> Float64Array:
    """One question's scores rescaled: ``minmax`` to [0, 1], ``zscore`` to mean 0, std 1.

    Constant scores (or a single candidate) become all zeros: they rank nothing.
    """
    arr = _vector(scores, "normalize_scores")
    if how not in NORMALIZATIONS:
        raise ConfigError(f"normalize_scores: how must be 'minmax' or 'zscore', got {how!r}")
    if how == "minmax":
        span = arr.max() - arr.min() if arr.size else 0.0
        return (arr - arr.min()) / span if span > 0 else np.zeros_like(arr)
    std = arr.std() if arr.size else 0.0
    return (arr - arr.mean()) / std if std > 0 else np.zeros_like(arr)


def rank_positions(scores: Sequence[float]) -> Float64Array:
    """Rank of each candidate, 1 for the highest score; tied scores share their mean rank
    (so a tie gives no candidate an edge from its position in the file)."""
    arr = _vector(scores, "rank_positions")
    order = np.argsort(-arr, kind="stable")
    ranked = arr[order]
    starts = np.r_[0, np.flatnonzero(ranked[1:] != ranked[:-1]) + 1] if arr.size else \
        np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], arr.size]
    out = np.empty(arr.size, dtype=np.float64)
    out[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return out


def reciprocal_rank_fusion(score_lists: Sequence[Sequence[float]], *, k: float = 60.0,
                           weights: Sequence[float] | None = None) -> Float64Array:
    """Cormack et al. (2009): ``sum_s weight_s / (k + rank_s)`` over the scorers, per candidate.

    ``score_lists``: one score array per scorer, all for the same candidates; ``weights``
    default to 1 each (the original, unweighted fusion).
    """
    if isinstance(k, bool) or not isinstance(k, int | float) or not k >= 0:
        raise ConfigError(f"reciprocal_rank_fusion: k must be a number >= 0, got {k!r}")
    arrays = [_vector(s, f"reciprocal_rank_fusion: scorer {i}")
              for i, s in enumerate(score_lists)]
    if not arrays:
        raise ConfigError("reciprocal_rank_fusion: no scores; expected one array per scorer")
    if len({a.size for a in arrays}) != 1:
        raise ConfigError(f"reciprocal_rank_fusion: scorers give {[a.size for a in arrays]} "
                          f"scores; expected the same candidates for each")
    w = [1.0] * len(arrays) if weights is None else [float(x) for x in weights]
    if len(w) != len(arrays):
        raise ConfigError(f"reciprocal_rank_fusion: {len(w)} weights for {len(arrays)} scorers")
    return sum((wi / (k + rank_positions(a)) for wi, a in zip(w, arrays, strict=True)),
               start=np.zeros(arrays[0].size))


def linear_mix(dense: Sequence[float], lexical: Sequence[float], *, weight: float,
               normalization: Normalization = "minmax") -> Float64Array:
    """``weight * norm(dense) + (1 - weight) * norm(lexical)``, each normalized per question."""
    _check_weight(weight, "linear_mix")
    d = normalize_scores(dense, normalization)
    lex = normalize_scores(lexical, normalization)
    if d.size != lex.size:
        raise ConfigError(f"linear_mix: {d.size} dense and {lex.size} lexical scores; expected "
                          f"one of each per candidate")
    return weight * d + (1.0 - weight) * lex


def _check_weight(weight: Any, where: str) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise ConfigError(f"{where}: weight must be a number in [0, 1], got {weight!r}")


@dataclass(frozen=True)
class Fusion:
    """One way to fuse a dense and a lexical score list: what cross-validation chooses."""

    kind: FusionKind  # "rrf" (ranks) or "linear" (normalized scores)
    weight: float  # the dense side's share; the lexical side gets 1 - weight
    k: float = 60.0  # rrf: the rank offset
    normalization: Normalization = "minmax"  # linear: per-question normalization

    def __post_init__(self) -> None:
        if self.kind not in ("rrf", "linear"):
            raise ConfigError(f"Fusion: kind must be 'rrf' or 'linear', got {self.kind!r}")
        _check_weight(self.weight, "Fusion")
        if self.normalization not in NORMALIZATIONS:
            raise ConfigError(f"Fusion: normalization must be 'minmax' or 'zscore', got "
                              f"{self.normalization!r}")

    def combine(self, dense: Sequence[float], lexical: Sequence[float]) -> Float64Array:
        if self.kind == "rrf":
            return reciprocal_rank_fusion([dense, lexical], k=self.k,
                                          weights=[self.weight, 1.0 - self.weight])
        return linear_mix(dense, lexical, weight=self.weight, normalization=self.normalization)

    def describe(self) -> str:
        extra = f"k={self.k:g}" if self.kind == "rrf" else self.normalization
        return f"{self.kind} w={self.weight:g} ({extra})"


def fusion_grid(kind: FusionKind, *, weights: Sequence[float] = DEFAULT_WEIGHTS,
                ks: Sequence[float] = (60.0,),
                normalizations: Sequence[Normalization] = NORMALIZATIONS) -> list[Fusion]:
    """Every :class:`Fusion` of one kind over a grid (rrf: weights x ks; linear: weights x
    normalizations), in a fixed order: ties in cross-validation go to the first."""
    if kind == "rrf":
        return [Fusion("rrf", float(w), k=float(k)) for k in ks for w in weights]
    if kind == "linear":
        return [Fusion("linear", float(w), normalization=n) for n in normalizations
                for w in weights]
    raise ConfigError(f"fusion_grid: kind must be 'rrf' or 'linear', got {kind!r}")


def question_folds(n_questions: int, folds: int = 5, *, seed: int = 0) -> list[np.ndarray]:
    """``folds`` disjoint, sorted arrays of question indices covering ``range(n_questions)``,
    from a seeded permutation (the same seed gives the same folds on every machine)."""
    for name, value, low in (("folds", folds, 2), ("n_questions", n_questions, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"question_folds: {name} must be an int >= {low}, got {value!r}")
    if folds > n_questions:
        raise ConfigError(f"question_folds: {folds} folds for {n_questions} questions; expected "
                          f"at most one fold per question")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"question_folds: seed must be an int >= 0, got {seed!r}")
    order = np.random.default_rng(seed).permutation(n_questions)
    return [np.sort(part) for part in np.array_split(order, folds)]


@dataclass(frozen=True)
class CrossValidated:
    """A cross-validated run: each question's scores, and what each fold chose or learned."""

    scores: list[Float64Array]  # question i scored by the setting of the fold holding it
    folds: list[np.ndarray]  # question indices of each evaluation fold
    chosen: list[Any]  # per fold: the Fusion chosen, or the LogisticModel learned
    train_map: list[float]  # per fold: MAP of that choice on the other folds

    def describe(self) -> list[str]:
        return [c.describe() for c in self.chosen]


def _check_labels(labels: Sequence[Sequence[int]], sizes: list[int], where: str) -> list[
        np.ndarray]:
    if len(labels) != len(sizes):
        raise ConfigError(f"{where}: {len(labels)} label lists for {len(sizes)} questions")
    out = []
    for q, (lab, n) in enumerate(zip(labels, sizes, strict=True)):
        arr = np.asarray(lab)
        if arr.shape != (n,) or not np.isin(arr, (0, 1)).all():
            raise ConfigError(f"{where}: question {q}: expected {n} labels of 0 or 1, got "
                              f"{str(list(lab))[:60]}")
        out.append(arr.astype(np.int64))
    return out


def _cross_validate(n: int, labels: list[np.ndarray], folds: int, seed: int,
                    choose: Callable[[np.ndarray], tuple[Any, float]],
                    apply: Callable[[Any, int], Float64Array], where: str) -> CrossValidated:
    """The one loop: for each fold, ``choose`` sees only the other folds' question indices."""
    parts = question_folds(n, folds, seed=seed)
    scores: list[Float64Array | None] = [None] * n
    chosen, train_map = [], []
    for f, held_out in enumerate(parts):
        train = np.setdiff1d(np.arange(n), held_out)
        if not any(labels[i].any() for i in train):
            raise ConfigError(f"{where}: fold {f}: no training question has a correct "
                              f"candidate; expected fewer folds or more questions")
        setting, fit_map = choose(train)
        chosen.append(setting)
        train_map.append(fit_map)
        for i in held_out:
            scores[int(i)] = apply(setting, int(i))
    return CrossValidated([s for s in scores if s is not None], parts, chosen, train_map)


def _map(scores: list[Float64Array], labels: list[np.ndarray]) -> float:
    return answer_selection(scores, labels).map


def cross_validate_fusion(dense: Sequence[Sequence[float]], lexical: Sequence[Sequence[float]],
                          labels: Sequence[Sequence[int]], *, grid: Sequence[Fusion],
                          folds: int = 5, seed: int = 0) -> CrossValidated:
    """Score each question with the fusion from ``grid`` that has the best MAP on the other
    folds (ties: the first in ``grid``)."""
    where = "cross_validate_fusion"
    if len(dense) != len(lexical):
        raise ConfigError(f"{where}: {len(dense)} dense and {len(lexical)} lexical score lists")
    d = [_vector(s, f"{where}: dense question {q}") for q, s in enumerate(dense)]
    lx = [_vector(s, f"{where}: lexical question {q}") for q, s in enumerate(lexical)]
    for q, (a, b) in enumerate(zip(d, lx, strict=True)):
        if a.size != b.size:
            raise ConfigError(f"{where}: question {q} has {a.size} dense and {b.size} lexical "
                              f"scores")
    y = _check_labels(labels, [a.size for a in d], where)
    grid = list(grid)
    if not grid or not all(isinstance(g, Fusion) for g in grid):
        raise ConfigError(f"{where}: grid must be a non-empty list of Fusion settings")
    # every setting's fused scores, once: (settings, questions)
    fused = [[g.combine(a, b) for a, b in zip(d, lx, strict=True)] for g in grid]

    def choose(train: np.ndarray) -> tuple[Any, float]:
        maps = [_map([f[i] for i in train], [y[i] for i in train]) for f in fused]
        best = int(np.argmax(maps))  # first of equal maxima
        return best, maps[best]

    cv = _cross_validate(len(d), y, folds, seed, choose, lambda g, i: fused[g][i], where)
    return CrossValidated(cv.scores, cv.folds, [grid[g] for g in cv.chosen], cv.train_map)


@dataclass(frozen=True)
class LogisticModel:
    """Weights over per-question z-scored features; higher decision value = more likely."""

    coef: Float64Array  # (features,)
    intercept: float
    names: tuple[str, ...] = ()

    def decision(self, features: np.ndarray) -> Float64Array:
        """(n, features) -> (n,) ``features @ coef + intercept``."""
        return np.asarray(features, dtype=np.float64) @ self.coef + self.intercept

    def describe(self) -> str:
        names = self.names or tuple(f"x{i}" for i in range(self.coef.size))
        # a column left out by feature selection has weight exactly 0: not listed
        return ", ".join(f"{n} {c:+.2f}" for n, c in zip(names, self.coef, strict=True)
                         if c != 0.0)


def fit_logistic(features: np.ndarray, labels: np.ndarray, *, c: float = 1.0,
                 names: Sequence[str] = ()) -> LogisticModel:
    """L2-regularized logistic regression by Newton's method: minimizes
    ``c * sum(log-loss) + ||coef||^2 / 2`` (intercept not penalized), scikit-learn's
    ``LogisticRegression(C=c)`` objective."""
    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],) or not X.shape[0]:
        raise ConfigError(f"fit_logistic: expected (n, f) features and n labels, got "
                          f"{X.shape} and {y.shape}")
    if not np.isin(y, (0, 1)).all() or not np.all(np.isfinite(X)):
        raise ConfigError("fit_logistic: labels must be 0/1 and features finite")
    if isinstance(c, bool) or not isinstance(c, int | float) or not c > 0 or not math.isfinite(c):
        raise ConfigError(f"fit_logistic: c must be a number > 0, got {c!r}")
    A = np.hstack([X, np.ones((X.shape[0], 1))])  # last column: the intercept
    ridge = np.ones(A.shape[1])
    ridge[-1] = 0.0
    w = np.zeros(A.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(A @ w)))
        grad = c * A.T @ (p - y) + ridge * w
        hess = c * (A.T * (p * (1 - p))) @ A + np.diag(ridge) + 1e-12 * np.eye(A.shape[1])
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return LogisticModel(w[:-1].copy(), float(w[-1]), tuple(names))


def cross_validate_logistic(features: Sequence[np.ndarray], labels: Sequence[Sequence[int]], *,
                            names: Sequence[str] = (), c: float = 1.0, folds: int = 5,
                            seed: int = 0, subsets: Sequence[Sequence[int]] | None = None,
                            inner_folds: int = 4,
                            objective: str = "pointwise") -> CrossValidated:
    """Learn a :class:`LogisticModel` on the other folds' candidates, score the held-out fold.

    ``features[q]``: question q's ``(candidates, f)`` raw feature columns (e.g. dense cosine,
    BM25); each column is z-scored within its question first, so the weights compare
    candidates of one question, not questions.

    ``subsets``: candidate sets of feature columns (lists of column indices). For each
    evaluation fold, the set is chosen by an ``inner_folds``-fold cross-validation inside the
    other folds (at most one inner fold a question) (nested: the held-out fold is never looked at), then the model is learned on
    all of the other folds with that set's columns (the others get weight 0).

    ``objective``: ``"pointwise"`` (each candidate labelled correct or not) or ``"pairwise"``
    (each correct candidate against each wrong one of the same question, on the difference of
    their features: a ranking loss, RankNet's with a linear scorer).
    """
    where = "cross_validate_logistic"
    X = []
    for q, f in enumerate(features):
        arr = np.asarray(f, dtype=np.float64)
        if arr.ndim != 2 or (X and arr.shape[1] != X[0].shape[1]):
            raise ConfigError(f"{where}: question {q}: expected a (candidates, "
                              f"{X[0].shape[1] if X else 'f'}) array, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ConfigError(f"{where}: question {q}: a feature is NaN or infinite")
        X.append(np.stack([normalize_scores(col, "zscore") for col in arr.T], axis=1)
                 if arr.shape[1] else arr)
    if names and (not X or len(names) != X[0].shape[1]):
        raise ConfigError(f"{where}: {len(names)} names for {X[0].shape[1] if X else 0} "
                          f"feature columns")
    y = _check_labels(labels, [x.shape[0] for x in X], where)
    width = X[0].shape[1] if X else 0
    if subsets is not None:
        subsets = [tuple(int(j) for j in sub) for sub in subsets]
        if not subsets or any(not sub or not all(0 <= j < width for j in sub)
                              or len(set(sub)) != len(sub) for sub in subsets):
            raise ConfigError(f"{where}: subsets must be non-empty lists of distinct column "
                              f"indices below {width}, got {subsets!r}")

    if objective not in ("pointwise", "pairwise"):
        raise ConfigError(f"{where}: objective must be 'pointwise' or 'pairwise', got "
                          f"{objective!r}")

    def pairs(train: np.ndarray, cols: list[int]) -> tuple[np.ndarray, np.ndarray]:
        diffs = [(X[i][y[i] == 1][:, None, cols] - X[i][y[i] == 0][None, :, cols])
                 .reshape(-1, len(cols)) for i in train]
        d = np.concatenate(diffs) if diffs else np.zeros((0, len(cols)))
        if not d.shape[0]:
            raise ConfigError(f"{where}: no training question has both a correct and a wrong "
                              f"candidate; the pairwise objective has nothing to learn")
        return np.concatenate([d, -d]), np.concatenate([np.ones(len(d)), np.zeros(len(d))])

    def fit(train: np.ndarray, columns: tuple[int, ...] | None) -> LogisticModel:
        cols = list(columns) if columns is not None else list(range(width))
        if objective == "pairwise":
            model = fit_logistic(*pairs(train, cols), c=c)
        else:
            model = fit_logistic(np.concatenate([X[i][:, cols] for i in train]),
                                 np.concatenate([y[i] for i in train]), c=c)
        coef = np.zeros(width)
        coef[cols] = model.coef
        return LogisticModel(coef, model.intercept, tuple(names))

    def inner_map(train: np.ndarray, columns: tuple[int, ...]) -> float:
        scores, gold = [], []
        for held in question_folds(len(train), min(inner_folds, len(train)), seed=seed + 1):
            inner = train[np.setdiff1d(np.arange(len(train)), held)]
            model = fit(inner, columns)
            scores += [model.decision(X[i]) for i in train[held]]
            gold += [y[i] for i in train[held]]
        return _map(scores, gold)

    def choose(train: np.ndarray) -> tuple[Any, float]:
        columns = None
        if subsets is not None and len(train) >= 2:
            maps = [inner_map(train, sub) for sub in subsets]
            columns = subsets[int(np.argmax(maps))]  # first of equal maxima
        model = fit(train, columns)
        return model, _map([model.decision(X[i]) for i in train], [y[i] for i in train])

    return _cross_validate(len(X), y, folds, seed, choose, lambda m, i: m.decision(X[i]), where)
