"""Classification metrics: parity with scikit-learn (test-only reference) and hand-made answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sklearn.metrics as sk
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlayer.errors import ConfigError
from embedlayer.tasks.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    precision_recall_f1,
)


def test_a_hand_made_example():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 2, 2]
    r = classification_report(y_true, y_pred, ["a", "b", "c"], loss=0.5)
    assert r.confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert r.accuracy == pytest.approx(4 / 6)
    np.testing.assert_allclose(r.precision, [1.0, 0.5, 0.5])
    np.testing.assert_allclose(r.recall, [2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(r.f1, [0.8, 0.5, 2 / 3])
    assert r.support.tolist() == [3, 2, 1] and r.n == 6
    assert r.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    d = r.to_dict()
    assert d["loss"] == 0.5 and d["per_class"]["b"]["support"] == 2
    assert d["confusion"]["matrix"][0] == [2, 1, 0]
    text = r.format()
    assert "accuracy: 0.6667" in text and "macro" in text and "confusion" in text


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda c: st.tuples(
    st.just(c),
    st.lists(st.tuples(st.integers(0, c - 1), st.integers(0, c - 1)), min_size=1,
             max_size=60))))
def test_agrees_with_scikit_learn(case):
    n_classes, pairs = case
    y_true = np.array([t for t, _ in pairs])
    y_pred = np.array([p for _, p in pairs])
    labels = list(range(n_classes))
    r = classification_report(y_true, y_pred, [str(c) for c in labels])
    np.testing.assert_array_equal(r.confusion, sk.confusion_matrix(y_true, y_pred, labels=labels))
    assert r.accuracy == pytest.approx(sk.accuracy_score(y_true, y_pred))
    p, rec, f, s = sk.precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                      zero_division=0)
    np.testing.assert_allclose(r.precision, p)
    np.testing.assert_allclose(r.recall, rec)
    np.testing.assert_allclose(r.f1, f)
    np.testing.assert_array_equal(r.support, s)
    assert r.macro_f1 == pytest.approx(sk.f1_score(y_true, y_pred, labels=labels,
                                                   average="macro", zero_division=0))


def test_classes_never_predicted_or_never_present_score_zero():
    cm = confusion_matrix([0, 0, 1], [0, 0, 0], 3)
    p, r, f, s = precision_recall_f1(cm)
    assert p.tolist() == [pytest.approx(2 / 3), 0.0, 0.0]
    assert r.tolist() == [1.0, 0.0, 0.0] and f[2] == 0.0 and s.tolist() == [2, 1, 0]


def test_accuracy_of_nothing_is_nan_and_bad_ids_are_refused():
    assert math.isnan(accuracy([], []))
    with pytest.raises(ConfigError, match="outside 0..1"):
        confusion_matrix([0, 2], [0, 1], 2)
    with pytest.raises(ConfigError, match="class ids"):
        confusion_matrix([0.5], [0], 2)
    with pytest.raises(ConfigError, match="items"):
        confusion_matrix([0, 1], [0], 2)
