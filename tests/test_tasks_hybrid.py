"""Fusion of dense and lexical scores against hand-computed values; cross-validation that
never reads the evaluated fold's labels; the numpy logistic regression against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from embedlayer.errors import ConfigError
from embedlayer.tasks.hybrid import (
    Fusion,
    cross_validate_fusion,
    cross_validate_logistic,
    fit_logistic,
    fusion_grid,
    linear_mix,
    normalize_scores,
    question_folds,
    rank_positions,
    reciprocal_rank_fusion,
)


def test_ranks_share_ties():
    np.testing.assert_array_equal(rank_positions([3, 1, 3, 2]), [1.5, 4, 1.5, 3])
    assert rank_positions([]).shape == (0,)


def test_rrf_by_hand():
    dense, lexical = [0.9, 0.1, 0.5], [0.0, 2.0, 1.0]  # ranks [1, 3, 2] and [3, 1, 2]
    np.testing.assert_allclose(reciprocal_rank_fusion([dense, lexical]),
                               [1 / 61 + 1 / 63, 1 / 63 + 1 / 61, 2 / 62])
    np.testing.assert_allclose(
        reciprocal_rank_fusion([dense, lexical], k=10, weights=[0.75, 0.25]),
        [0.75 / 11 + 0.25 / 13, 0.75 / 13 + 0.25 / 11, 1 / 12])
    np.testing.assert_allclose(Fusion("rrf", 0.75, k=10).combine(dense, lexical),
                               reciprocal_rank_fusion([dense, lexical], k=10,
                                                      weights=[0.75, 0.25]))


def test_linear_mix_by_hand():
    # min-max: [1, 2, 3] -> [0, .5, 1]; [10, 0, 5] -> [1, 0, .5]
    np.testing.assert_allclose(linear_mix([1, 2, 3], [10, 0, 5], weight=0.25),
                               [0.75, 0.125, 0.625])
    # z-score: [1, 2, 3] -> [-1.2247, 0, 1.2247]; [10, 0, 5] -> [1.2247, -1.2247, 0]
    s = np.sqrt(1.5)
    np.testing.assert_allclose(linear_mix([1, 2, 3], [10, 0, 5], weight=0.5,
                                          normalization="zscore"), [0, -s / 2, s / 2])
    np.testing.assert_array_equal(normalize_scores([4, 4]), [0, 0])  # constant: no ranking
    np.testing.assert_array_equal(normalize_scores([4, 4], "zscore"), [0, 0])


def test_folds_are_seeded_disjoint_and_cover():
    a = question_folds(23, 5, seed=3)
    assert [len(f) for f in a] == [5, 5, 5, 4, 4]
    np.testing.assert_array_equal(np.sort(np.concatenate(a)), np.arange(23))
    assert all(np.array_equal(x, y) for x, y in zip(a, question_folds(23, 5, seed=3),
                                                    strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, question_folds(23, 5, seed=4),
                                                        strict=True))


def _opposed_questions(n: int, favour_dense: np.ndarray):
    """Question i has 3 candidates; the dense scorer ranks candidate 0 first, the lexical one
    candidate 2; the label is on candidate 0 where ``favour_dense[i]``, else on 2."""
    dense = [np.array([0.9, 0.5, 0.1]) for _ in range(n)]
    lexical = [np.array([0.0, 1.0, 5.0]) for _ in range(n)]
    labels = [[1, 0, 0] if f else [0, 0, 1] for f in favour_dense]
    return dense, lexical, labels


def test_each_fold_gets_the_weight_the_other_folds_favour():
    # Two folds: fold 0's labels favour the dense scorer, fold 1's the lexical one. Chosen on
    # the other fold, each fold gets the weight that is worst for itself: a choice that read
    # the evaluated fold would be right on both.
    n = 10
    folds = question_folds(n, 2, seed=0)
    favour = np.zeros(n, dtype=bool)
    favour[folds[0]] = True
    dense, lexical, labels = _opposed_questions(n, favour)
    grid = fusion_grid("linear", weights=[0.0, 1.0], normalizations=["minmax"])
    cv = cross_validate_fusion(dense, lexical, labels, grid=grid, folds=2, seed=0)
    assert [c.weight for c in cv.chosen] == [0.0, 1.0]
    assert cv.train_map == [1.0, 1.0]
    for i in range(n):  # every question's best candidate is ranked last
        assert int(np.argmax(cv.scores[i])) != int(np.argmax(labels[i]))


@pytest.mark.parametrize("kind", ["fusion", "logistic", "subsets"])
def test_the_evaluated_folds_labels_never_change_its_own_choice(kind):
    rng = np.random.default_rng(1)
    n = 40
    dense = [rng.normal(size=6) for _ in range(n)]
    lexical = [rng.normal(size=6) for _ in range(n)]
    labels = [rng.permutation([1, 0, 0, 0, 0, 0]) for _ in range(n)]
    folds = question_folds(n, 4, seed=7)

    def run(lab):
        if kind == "fusion":
            return cross_validate_fusion(dense, lexical, lab, grid=fusion_grid("rrf"),
                                         folds=4, seed=7)
        return cross_validate_logistic([np.stack([d, x], 1) for d, x in zip(dense, lexical,
                                                                            strict=True)],
                                       lab, folds=4, seed=7,
                                       subsets=[(0,), (1,), (0, 1)] if kind == "subsets"
                                       else None)

    base = run(labels)
    changed = list(labels)
    for i in folds[2]:  # relabel fold 2 only
        changed[i] = np.roll(labels[i], 3)
    again = run(changed)
    np.testing.assert_array_equal(base.scores[folds[2][0]], again.scores[folds[2][0]])
    if kind == "fusion":
        assert base.chosen[2] == again.chosen[2]
    else:
        np.testing.assert_array_equal(base.chosen[2].coef, again.chosen[2].coef)


def test_logistic_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X @ [1.5, -1.0, 0.2] + rng.normal(scale=1.0, size=300) > 0.8).astype(int)
    for c in (1.0, 0.05):
        ours = fit_logistic(X, y, c=c)
        ref = sklearn.LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(X, y)
        np.testing.assert_allclose(ours.coef, ref.coef_[0], atol=1e-4)
        assert ours.intercept == pytest.approx(ref.intercept_[0], abs=1e-4)


def test_logistic_features_are_z_scored_per_question():
    # a feature that is a constant offset per question plus the signal: z-scoring removes
    # the offset, so scaling one question's raw feature does not change its ranking
    rng = np.random.default_rng(2)
    feats = [np.stack([rng.normal(size=5) + 100 * q], 1) for q in range(12)]
    labels = [np.eye(5, dtype=int)[int(np.argmax(f[:, 0]))] for f in feats]
    cv = cross_validate_logistic(feats, labels, names=["x"], folds=3, seed=0)
    assert all(int(np.argmax(s)) == int(np.argmax(lab)) for s, lab in zip(cv.scores, labels,
                                                                            strict=True))
    assert cv.describe()[0].startswith("x +")


def test_bad_inputs():
    with pytest.raises(ConfigError, match=r"weight must be a number in \[0, 1\], got 1.5"):
        linear_mix([1], [2], weight=1.5)
    with pytest.raises(ConfigError, match="kind must be 'rrf' or 'linear', got 'max'"):
        Fusion("max", 0.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="normalization must be"):
        Fusion("linear", 0.5, normalization="l2")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="how must be"):
        normalize_scores([1.0], "rank")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="NaN or infinite"):
        rank_positions([1.0, np.nan])
    with pytest.raises(ConfigError, match="1-d array"):
        normalize_scores([[1.0, 2.0]])
    with pytest.raises(ConfigError, match="k must be a number >= 0"):
        reciprocal_rank_fusion([[1.0]], k=-1)
    with pytest.raises(ConfigError, match=r"scorers give \[2, 3\] scores"):
        reciprocal_rank_fusion([[1, 2], [1, 2, 3]])
    with pytest.raises(ConfigError, match="1 weights for 2 scorers"):
        reciprocal_rank_fusion([[1], [2]], weights=[1.0])
    with pytest.raises(ConfigError, match="folds must be an int >= 2, got 1"):
        question_folds(10, 1)
    with pytest.raises(ConfigError, match="5 folds for 3 questions"):
        question_folds(3, 5)
    with pytest.raises(ConfigError, match="seed must be"):
        question_folds(10, 2, seed=-1)
    dense, lexical, labels = _opposed_questions(6, np.ones(6, dtype=bool))
    grid = fusion_grid("linear")
    with pytest.raises(ConfigError, match="6 dense and 5 lexical score lists"):
        cross_validate_fusion(dense, lexical[:5], labels, grid=grid)
    with pytest.raises(ConfigError, match="question 0 has 3 dense and 2 lexical"):
        cross_validate_fusion(dense, [x[:2] for x in lexical], labels, grid=grid)
    with pytest.raises(ConfigError, match="question 1: expected 3 labels of 0 or 1"):
        cross_validate_fusion(dense, lexical, [labels[0], [0, 2, 0]] + labels[2:], grid=grid,
                              folds=2)
    with pytest.raises(ConfigError, match="non-empty list of Fusion"):
        cross_validate_fusion(dense, lexical, labels, grid=[], folds=2)
    with pytest.raises(ConfigError, match="no training question has a correct candidate"):
        cross_validate_fusion(dense, lexical, [[0, 0, 0]] * 6, grid=grid, folds=2)
    with pytest.raises(ConfigError, match=r"question 1: expected a \(candidates, 2\) array"):
        cross_validate_logistic([np.zeros((3, 2)), np.zeros((3, 1))], [[1, 0, 0]] * 2,
                                folds=2)
    with pytest.raises(ConfigError, match="c must be a number > 0"):
        fit_logistic(np.zeros((2, 1)), np.array([0, 1]), c=0)
    with pytest.raises(ConfigError, match="labels must be 0/1"):
        fit_logistic(np.zeros((2, 1)), np.array([0, 3]))


def test_nested_feature_selection_keeps_the_informative_column():
    rng = np.random.default_rng(3)
    n = 60
    labels = [rng.permutation([1, 0, 0, 0, 0]) for _ in range(n)]
    signal = [lab + 0.3 * rng.normal(size=5) for lab in labels]
    noise = [rng.normal(size=5) for _ in range(n)]
    features = [np.stack([x, z], 1) for x, z in zip(signal, noise, strict=True)]
    cv = cross_validate_logistic(features, labels, names=["signal", "noise"], folds=5, seed=0,
                                 subsets=[(1,), (0,), (0, 1)])
    for model in cv.chosen:
        assert model.coef[0] > 0  # the noise-only set is never chosen
    alone = [m for m in cv.chosen if m.coef[1] == 0.0]
    assert all("noise" not in m.describe() for m in alone)
    with pytest.raises(ConfigError, match="subsets must be"):
        cross_validate_logistic(features, labels, subsets=[(2,)])


def test_pairwise_objective_learns_on_feature_differences():
    # per question, the correct candidate has the higher first feature; the second feature is
    # a per-question offset shared by all candidates (z-scoring removes it) plus noise
    rng = np.random.default_rng(5)
    n = 40
    labels = [rng.permutation([1, 0, 0, 0]) for _ in range(n)]
    features = [np.stack([lab * 2.0 + rng.normal(size=4), rng.normal(size=4)], 1)
                for lab in labels]
    cv = cross_validate_logistic(features, labels, folds=4, seed=0, objective="pairwise")
    assert all(m.coef[0] > 0 and abs(m.intercept) < 1e-6 for m in cv.chosen)
    assert all(abs(m.coef[1]) < m.coef[0] for m in cv.chosen)
    with pytest.raises(ConfigError, match="objective must be"):
        cross_validate_logistic(features, labels, objective="listwise")
