"""Answer selection with dense, BM25 and hybrid scorers; per-question JSON; MiniLM against
sentence-transformers on a WikiQA subset; TF-IDF against scikit-learn; Lee through encoders."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlayer.data.readers import DocSimSet, QAQuestion, read_wikiqa
from embedlayer.errors import ConfigError
from embedlayer.eval.docsim import evaluate_docsim
from embedlayer.eval.qa import answer_selection
from embedlayer.tasks.bm25 import BM25
from embedlayer.tasks.qa import (
    BM25Scorer,
    DenseScorer,
    evaluate_answer_selection,
    report_from_scores,
)
from embedlayer.tasks.tfidf import TfidfEncoder

QUESTIONS = [
    QAQuestion("Q1", "where do cats sleep", ["Cats sleep in boxes.", "Dogs bark.", "It sleeps."],
               [1, 0, 0], ["Cat", "Cat", "Cat"]),
    QAQuestion("Q2", "what do dogs eat", ["Dogs bark.", "Dogs eat meat and bones."], [0, 1],
               ["Dog", "Dog"]),
    QAQuestion("Q3", "who won", ["Nobody knows."], [0], ["Game"]),
]


class BagEncoder:
    """Counts of a fixed word list: deterministic vectors, and a record of every call."""

    WORDS = ["cat", "cats", "sleep", "dogs", "eat", "meat", "bark", "it", "won", "boxes"]

    def __init__(self):
        self.calls: list[list[str]] = []

    dim = len(WORDS)

    def encode(self, texts, *, progress=False):
        self.calls.append(list(texts))
        return np.array([[t.lower().replace(".", " ").split().count(w) for w in self.WORDS]
                         for t in texts], dtype=np.float32)

    def identity(self):
        return {"kind": "bag"}


def test_dense_scorer_encodes_every_distinct_text_once_and_ranks_by_cosine():
    enc = BagEncoder()
    scores = DenseScorer(enc).score(QUESTIONS)
    assert len(enc.calls) == 1
    texts = enc.calls[0]
    assert len(texts) == len(set(texts)) == 3 + 5  # "Dogs bark." appears twice, encoded once
    vec = enc.encode(["where do cats sleep", "Cats sleep in boxes.", "It sleeps."])
    cos = vec[1] @ vec[0] / (np.linalg.norm(vec[1]) * np.linalg.norm(vec[0]))
    np.testing.assert_allclose(scores[0], [cos, 0.0, 0.0], rtol=1e-6)


def test_title_context_prefixes_each_candidate():
    enc = BagEncoder()
    DenseScorer(enc, context="title").score(QUESTIONS[:1])
    assert enc.calls[0][1:] == ["Cat. Cats sleep in boxes.", "Cat. Dogs bark.", "Cat. It sleeps."]
    untitled = QAQuestion("Q", "q", ["a"], [1])
    with pytest.raises(ConfigError, match="question Q has 0 titles for 1 candidates"):
        DenseScorer(enc, context="title").score([untitled])


def test_title_previous_context_adds_the_sentence_before():
    enc = BagEncoder()
    DenseScorer(enc, context="title-previous").score(QUESTIONS[:1])
    assert enc.calls[0][1:] == ["Cat. Cats sleep in boxes.", "Cat. Cats sleep in boxes. Dogs bark.",
                                "Cat. Dogs bark. It sleeps."]


def test_bm25_scorer_takes_idf_over_all_distinct_candidates():
    scores = BM25Scorer().score(QUESTIONS)
    sentences = list(dict.fromkeys(c for q in QUESTIONS for c in q.candidates))
    ref = BM25().fit(sentences)
    for q, s in zip(QUESTIONS, scores, strict=True):
        np.testing.assert_allclose(s, ref.score(q.question, [sentences.index(c)
                                                             for c in q.candidates]))


def test_report_records_and_json(tmp_path):
    scores = [[0.1, 0.9, 0.5], [0.3, 0.2], [1.0]]
    report = report_from_scores(QUESTIONS, scores, method={"scorers": ["x"]})
    # Q1: correct candidate ranked 3rd; Q2: 2nd; Q3 has none (skipped)
    assert report.result.map == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert (report.result.questions, report.result.skipped) == (2, 1)
    first = report.records[0]
    assert (first.average_precision, first.reciprocal_rank) == (pytest.approx(1 / 3),
                                                                pytest.approx(1 / 3))
    assert [c["index"] for c in first.ranked] == [1, 2, 0]
    assert report.records[2].average_precision is None
    path = report.write_json(tmp_path / "sub" / "r.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format_version"] == 1 and doc["map"] == report.result.map
    assert doc["per_question"][1]["ranked"][0] == {"index": 0, "sentence": "Dogs bark.",
                                                   "score": 0.3, "label": 0}


def test_hybrids_report_each_folds_choice():
    qs = QUESTIONS * 4  # 12 questions, 8 with a correct candidate
    for hybrid, scorers in (("rrf", [DenseScorer(BagEncoder()), BM25Scorer()]),
                            ("linear", [DenseScorer(BagEncoder()), BM25Scorer()]),
                            ("logistic", [DenseScorer(BagEncoder()),
                                          DenseScorer(BagEncoder(), context="title"),
                                          BM25Scorer()])):
        report = evaluate_answer_selection(qs, scorers, hybrid=hybrid, folds=3, seed=1)
        assert len(report.method["chosen_per_fold"]) == 3
        assert report.method["scorers"][-1] == "bm25" and report.result.questions == 8


def test_bad_inputs():
    with pytest.raises(ConfigError, match="no questions"):
        evaluate_answer_selection([], [BM25Scorer()])
    with pytest.raises(ConfigError, match="question 0 is str, expected QAQuestion"):
        evaluate_answer_selection(["what?"], [BM25Scorer()])
    with pytest.raises(ConfigError, match="question Q: 2 candidates for 1 labels"):
        evaluate_answer_selection([QAQuestion("Q", "q", ["a", "b"], [1])], [BM25Scorer()])
    with pytest.raises(ConfigError, match="hybrid must be one of rrf, linear, logistic"):
        evaluate_answer_selection(QUESTIONS, [BM25Scorer()], hybrid="mean")
    with pytest.raises(ConfigError, match="hybrid 'rrf' takes exactly 2 scorer"):
        evaluate_answer_selection(QUESTIONS, [BM25Scorer()], hybrid="rrf")
    with pytest.raises(ConfigError, match="hybrid None takes exactly 1 scorer"):
        evaluate_answer_selection(QUESTIONS, [BM25Scorer(), BM25Scorer()])
    with pytest.raises(ConfigError, match="int is not a scorer"):
        evaluate_answer_selection(QUESTIONS, [3])
    with pytest.raises(ConfigError, match="encoder must have encode"):
        DenseScorer("minilm")
    with pytest.raises(ConfigError, match="context must be 'sentence', 'title' or "
                       "'title-previous', got 'doc'"):
        DenseScorer(BagEncoder(), context="doc")


def test_minilm_on_a_wikiqa_subset_equals_sentence_transformers(data_dir):
    """The full split's 0.7219 MAP / 0.7359 MRR (benchmarks/bench_qa.py) takes ~40 s to
    encode; here the first 30 questions, against sentence-transformers' own encode."""
    st = pytest.importorskip("sentence_transformers")
    from embedlayer.contextual import TransformerEncoder, open_checkpoint
    from embedlayer.nn._threads import torch_threads

    questions = read_wikiqa(data_dir / "qa/wikiqa/WikiQA-test.tsv")[:30]
    ours = evaluate_answer_selection(
        questions, [DenseScorer(TransformerEncoder("all-MiniLM-L6-v2", workers=1))]).result
    with torch_threads(1):
        model = st.SentenceTransformer(str(open_checkpoint("all-MiniLM-L6-v2").path),
                                       device="cpu")
        texts = [q.question for q in questions] + [c for q in questions for c in q.candidates]
        vectors = model.encode(texts)  # normalized by the checkpoint's own Normalize module
    ref, start = [], len(questions)
    for i, q in enumerate(questions):
        ref.append(vectors[start:start + len(q.candidates)] @ vectors[i])
        start += len(q.candidates)
    want = answer_selection(ref, [q.labels for q in questions])
    assert ours.questions == want.questions > 8
    assert ours.map == pytest.approx(want.map, abs=1e-4)
    assert ours.mrr == pytest.approx(want.mrr, abs=1e-4)


def test_tfidf_equals_scikit_learn():
    text = pytest.importorskip("sklearn.feature_extraction.text")
    from embedlayer.text import get_tokenizer

    tok = get_tokenizer("regex", lowercase=True)
    docs = ["The cat sat on the mat.", "The dog sat.", "Cats and dogs and cats!", "A mat"]
    ours = TfidfEncoder(tok).fit(docs)
    ref = text.TfidfVectorizer(tokenizer=tok.tokenize, lowercase=False, token_pattern=None,
                               sublinear_tf=True).fit(docs)
    assert list(ours.vocabulary_) == list(ref.get_feature_names_out())
    probe = docs + ["cat cat mat zebra", "zebra"]
    np.testing.assert_allclose(ours.encode(probe), ref.transform(probe).toarray(), atol=1e-6)
    assert ours.dim == len(ref.get_feature_names_out()) and ours.identity()["kind"] == "tfidf"
    with pytest.raises(ConfigError, match="not fitted"):
        TfidfEncoder().encode(["a"])
    with pytest.raises(ConfigError, match="have no token"):
        TfidfEncoder().fit([""])


def test_docsim_through_encoders_mixes_cosines_with_fixed_weights():
    docs = ["cats sleep", "cats eat meat", "dogs bark", "dogs eat"]
    ratings = np.array([[1, .8, .1, .2], [.8, 1, .1, .5], [.1, .1, 1, .7], [.2, .5, .7, 1]])
    ds = DocSimSet(docs, ratings)
    bag, tfidf = BagEncoder(), TfidfEncoder().fit(docs)
    one = evaluate_docsim(bag, docsim=ds)
    mixed = evaluate_docsim([bag, tfidf], weights=[0.25, 0.75], docsim=ds)
    from embedlayer.eval._stats import pearson

    def cos(m):
        u = m / np.linalg.norm(m, axis=1, keepdims=True)
        return u @ u.T

    iu = np.triu_indices(4, 1)
    sims = 0.25 * cos(bag.encode(docs)) + 0.75 * cos(tfidf.encode(docs))
    assert mixed.pearson == pytest.approx(pearson(sims[iu], ratings[iu]))
    assert one.pearson == pytest.approx(pearson(cos(bag.encode(docs))[iu], ratings[iu]))
    assert (mixed.pairs, mixed.documents, mixed.weights) == (6, 4, [0.25, 0.75])
    with pytest.raises(ConfigError, match="weights must be 2 number"):
        evaluate_docsim([bag, tfidf], weights=[1.0], docsim=ds)
    with pytest.raises(ConfigError, match="str is not an encoder"):
        evaluate_docsim("minilm", docsim=ds)


def test_lee_documents_split_into_windows_pool_close_to_the_whole_document():
    # No Lee document is longer than MiniLM's 256-token window; at 128 tokens (the length it
    # was trained on) five are, and their pooled windows must stay close to the whole text.
    from embedlayer.contextual import TransformerEncoder
    from embedlayer.eval.docsim import load_lee

    ds = load_lee(progress=False)
    whole = TransformerEncoder("all-MiniLM-L6-v2", workers=1)
    windowed = TransformerEncoder("all-MiniLM-L6-v2", workers=1, max_length=128)
    a, b = whole.encode(ds.documents), windowed.encode(ds.documents)
    assert whole.stats_.windowed_texts == 0 and windowed.stats_.windowed_texts == 5
    cos = (a * b).sum(1)  # both normalized
    assert cos.min() > 0.9
    r_whole = evaluate_docsim(whole, docsim=ds).pearson
    assert r_whole == pytest.approx(0.656, abs=0.005)  # docs/benchmarks.md's figure
