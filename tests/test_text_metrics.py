"""segmentation_f1: hand-computed scores, input forms, and misaligned inputs."""

from __future__ import annotations

import pytest

from embedlayer.errors import ConfigError
from embedlayer.text import segmentation_f1


def test_known_answer():
    # gold "ab|c|de" → spans (0,2) (2,3) (3,5); predicted "a|b|c|de" → (0,1) (1,2) (2,3) (3,5).
    # Correct: (2,3) and (3,5) → P = 2/4, R = 2/3, F1 = 2·(1/2)(2/3)/(1/2 + 2/3) = 4/7.
    score = segmentation_f1(["a b c de"], ["ab c de"])
    assert (score.correct, score.predicted, score.gold, score.lines) == (2, 4, 3, 1)
    assert score.precision == pytest.approx(0.5)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(4 / 7)
    assert str(score) == "P=0.5000 R=0.6667 F1=0.5714"


def test_lists_strings_and_whitespace_are_equivalent():
    gold = ["我们 是 学生 。", "他 来 了"]
    pred = [["我们", "是", "学生", "。"], ["他来", " ", "了"]]  # a lone space is not a word
    score = segmentation_f1(pred, gold)
    assert (score.correct, score.predicted, score.gold) == (5, 6, 7)
    assert segmentation_f1(gold, gold).f1 == 1.0
    # U+3000 (ideographic space) counts as whitespace on either side.
    assert segmentation_f1(["天 \u3000，"], ["天 ，"]).f1 == 1.0


def test_positions_not_characters_are_compared():
    assert segmentation_f1(["hello world"], ["HELLO WORLD"]).f1 == 1.0


def test_misaligned_lines_are_reported():
    with pytest.raises(ConfigError, match="line 2"):
        segmentation_f1(["a b", "c"], ["a b", "c d"])
    with pytest.raises(ConfigError, match="ends after 1 lines"):
        segmentation_f1(["a"], ["a", "b"])


def test_empty_inputs_score_zero():
    score = segmentation_f1([], [])
    assert (score.precision, score.recall, score.f1, score.lines) == (0.0, 0.0, 0.0, 0)
