"""WikiQA reading and answer-selection scores (MAP / MRR) against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from embedlayer.data.readers import read_wikiqa
from embedlayer.errors import ConfigError, FormatError
from embedlayer.eval.qa import answer_selection, rank_by_cosine


def test_map_mrr_by_hand():
    # q1: correct at ranks 2 and 3 -> AP (1/2 + 2/3) / 2, RR 1/2; q2: rank 1 -> 1, 1;
    # q3: no correct candidate -> skipped
    scores = [[0.9, 0.8, 0.7, 0.1], [0.5, 0.2], [0.3, 0.4]]
    labels = [[0, 1, 1, 0], [1, 0], [0, 0]]
    r = answer_selection(scores, labels)
    assert r.map == pytest.approx(((0.5 + 2 / 3) / 2 + 1) / 2)
    assert r.mrr == pytest.approx((0.5 + 1) / 2)
    assert (r.questions, r.skipped) == (2, 1)


def test_ties_keep_file_order():
    r = answer_selection([[0.0, 0.0, 0.0]], [[0, 0, 1]])
    assert r.map == pytest.approx(1 / 3) and r.mrr == pytest.approx(1 / 3)


def test_bad_scores():
    with pytest.raises(ConfigError, match="2 scores for 3 labels"):
        answer_selection([[1.0, 2.0]], [[0, 1, 0]])
    with pytest.raises(ConfigError, match="NaN"):
        answer_selection([[np.nan]], [[1]])
    with pytest.raises(ConfigError, match="no question"):
        answer_selection([[1.0]], [[0]])


def test_rank_by_cosine():
    got = rank_by_cosine(np.array([1.0, 0.0]), np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    np.testing.assert_allclose(got, [1.0, 0.0, 0.0])


def test_read_wikiqa_test_split(data_dir):
    questions = read_wikiqa(data_dir / "qa/wikiqa/WikiQA-test.tsv")
    assert len(questions) == 633
    assert sum(len(q.candidates) for q in questions) == 6165
    assert sum(sum(q.labels) for q in questions) == 293
    assert sum(1 for q in questions if any(q.labels)) == 243
    assert questions[0].candidates[0].startswith(questions[0].candidates[0][:10])
    assert all(len(q.candidates) == len(q.labels) for q in questions)


def test_read_wikiqa_errors(tmp_path):
    bad = tmp_path / "w.tsv"
    bad.write_text("no header\n", encoding="utf-8")
    with pytest.raises(FormatError, match="WikiQA header"):
        read_wikiqa(bad)
    header = "QuestionID\tQuestion\tDocumentID\tDocumentTitle\tSentenceID\tSentence\tLabel\n"
    bad.write_text(header + "Q1\tq?\tD\tT\tS\tsentence\t2\n", encoding="utf-8")
    with pytest.raises(FormatError, match="line 2"):
        read_wikiqa(bad)
