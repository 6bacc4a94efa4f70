"""conlleval's entity scores: equal to seqeval's (its Python port) on random and hand-built
cases, and printed as conlleval prints them."""

from __future__ import annotations

import random

import pytest
from seqeval.metrics import classification_report as seqeval_report
from seqeval.metrics import f1_score, precision_score, recall_score

from embedlayer.errors import ConfigError, FormatError
from embedlayer.tasks.tagging_metrics import TaggingReport, tagging_report

TAGS_IOB = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
TAGS_IOBES = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "E-LOC", "S-LOC"]


def _random_corpus(rng: random.Random, tags: list[str], n: int):
    gold, pred = [], []
    for _ in range(n):
        length = rng.randint(0, 9)
        g = [rng.choice(tags) for _ in range(length)]
        # predictions: mostly the gold tag, sometimes another one
        p = [t if rng.random() < 0.7 else rng.choice(tags) for t in g]
        gold.append(g)
        pred.append(p)
    return gold, pred


def _assert_matches_seqeval(gold, pred, report: TaggingReport):
    assert report.precision == pytest.approx(precision_score(gold, pred, zero_division=0), abs=1e-12)
    assert report.recall == pytest.approx(recall_score(gold, pred, zero_division=0), abs=1e-12)
    assert report.f1 == pytest.approx(f1_score(gold, pred, zero_division=0), abs=1e-12)
    ref = seqeval_report(gold, pred, output_dict=True, zero_division=0)
    assert set(report.per_type) == set(ref) - {"micro avg", "macro avg", "weighted avg"}
    for kind, ours in report.per_type.items():
        assert ref[kind]["support"] == ours.gold
        assert ref[kind]["precision"] == pytest.approx(ours.precision, abs=1e-12)
        assert ref[kind]["recall"] == pytest.approx(ours.recall, abs=1e-12)
        assert ref[kind]["f1-score"] == pytest.approx(ours.f1, abs=1e-12)


@pytest.mark.parametrize(("tags", "seed"), [(TAGS_IOB, 0), (TAGS_IOB, 1), (TAGS_IOBES, 2)])
def test_scores_equal_seqeval_on_random_tags(tags, seed):
    gold, pred = _random_corpus(random.Random(seed), tags, 300)
    scheme = "iobes" if "S-PER" in tags else "iob2"
    _assert_matches_seqeval(gold, pred, tagging_report(gold, pred, scheme=scheme))


@pytest.mark.parametrize(("gold", "pred"), [
    # entities at sentence ends
    ([["O", "B-PER", "I-PER"]], [["O", "B-PER", "I-PER"]]),
    ([["O", "B-PER", "I-PER"]], [["O", "B-PER", "O"]]),
    # I- without B- in the prediction is a chunk (correct here)
    ([["B-LOC", "I-LOC", "O"]], [["I-LOC", "I-LOC", "O"]]),
    # a type change inside a predicted span splits it
    ([["B-ORG", "I-ORG", "I-ORG"]], [["B-ORG", "I-ORG", "I-LOC"]]),
    # nothing predicted, nothing to find
    ([["O", "O"]], [["B-PER", "O"]]),
    ([["B-PER", "O"]], [["O", "O"]]),
    # adjacent chunks of one type
    ([["B-PER", "B-PER"]], [["B-PER", "I-PER"]]),
])
def test_scores_equal_seqeval_on_edge_cases(gold, pred):
    _assert_matches_seqeval(gold, pred, tagging_report(gold, pred, scheme="iob2"))


def test_a_chunk_never_crosses_a_sentence_break():
    gold = [["O", "B-PER"], ["I-PER", "O"]]  # two one-token chunks, not one of two tokens
    report = tagging_report(gold, gold)
    assert report.total.gold == 2 and report.f1 == 1.0


def test_the_table_is_conlleval_s():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]
    report = tagging_report(gold, pred)
    # PER found 1/1 correct; LOC 0 found; ORG found 2, correct 1: P 2/3, R 2/3
    assert report.format() == (
        "processed 6 tokens with 3 phrases; found: 3 phrases; correct: 2.\n"
        "accuracy:  83.33%; precision:  66.67%; recall:  66.67%; FB1:  66.67\n"
        "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  0\n"
        "              ORG: precision:  50.00%; recall: 100.00%; FB1:  66.67  2\n"
        "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1")
    doc = report.to_dict()
    assert doc["correct"] == 2 and doc["per_type"]["ORG"]["found"] == 2
    assert report.accuracy == pytest.approx(5 / 6)


def test_plain_tags_score_tokens():
    gold = [["NC", "VMI", "Fp"]]
    pred = [["NC", "NC", "Fp"]]
    report = tagging_report(gold, pred, scheme="none")
    assert report.scheme == "none"
    assert report.f1 == pytest.approx(report.accuracy) == pytest.approx(2 / 3)


def test_mismatched_inputs_are_refused():
    with pytest.raises(ConfigError, match="2 gold sentences but 1 predicted"):
        tagging_report([["O"], ["O"]], [["O"]])
    with pytest.raises(ConfigError, match="sentence 1 has 2 gold tags but 1 predicted"):
        tagging_report([["O", "O"]], [["O"]])
    with pytest.raises(FormatError, match="predicted sentence 1: tag 1 is 'PER'"):
        tagging_report([["B-PER"]], [["PER"]], scheme="iob2")
