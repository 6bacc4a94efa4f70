"""Intrinsic evaluation: hand-computed answers, coverage, and parity with gensim."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlayer.data.readers import AnalogySection, WordPairs, read_analogies, read_word_pairs
from embedlayer.errors import ConfigError, FormatError
from embedlayer.eval import evaluate_analogies, evaluate_lee, evaluate_word_pairs, run_suite
from embedlayer.eval._stats import pearson, rankdata, spearman
from embedlayer.eval.report import to_markdown, write_json, write_plot
from embedlayer.vectors import Vectors

# --- statistics ------------------------------------------------------------------------------


def test_ranks_and_correlations_equal_scipy():
    from scipy import stats

    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 5, size=30).astype(float)  # many ties
        y = rng.normal(size=30)
        np.testing.assert_allclose(rankdata(x), stats.rankdata(x))
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3]))


# --- word pairs: known answers ---------------------------------------------------------------
# cat=(1,0) dog=(1,1) car=(0,1) Bus=(-1,1): cos(cat,dog)=.707, cos(cat,car)=0, cos(dog,car)=.707,
# cos(car,Bus)=.707, cos(cat,Bus)=-.707
TINY = Vectors(["cat", "dog", "car", "Bus"], [[1, 0], [1, 1], [0, 1], [-1, 1]])


def _pairs(*rows):
    return WordPairs("tiny", [(a, b) for a, b, _ in rows], np.array([s for *_, s in rows], float))


def test_spearman_by_hand_and_coverage():
    # gold order: (cat,dog) > (dog,car) > (cat,car) > (cat,bus); model cosines .707,.707,0,-.707
    pairs = _pairs(("cat", "dog", 9.0), ("dog", "car", 7.0), ("cat", "car", 3.0),
                   ("cat", "bus", 1.0), ("cat", "zebra", 5.0))
    r = evaluate_word_pairs(TINY, pairs)  # case-insensitive: 'bus' finds 'Bus'
    # ranks gold 4,3,2,1 vs model 3.5,3.5,2,1 -> rho = 0.9486832980505138 (by hand)
    assert r.spearman == pytest.approx(0.9486832980505138)
    assert (r.pairs, r.oov_pairs, r.scored) == (5, 1, 4)
    assert r.coverage == pytest.approx(0.8)
    strict = evaluate_word_pairs(TINY, pairs, case_insensitive=False)
    assert strict.oov_pairs == 2 and strict.scored == 3


def test_oov_policies():
    pairs = _pairs(("cat", "dog", 9.0), ("cat", "car", 3.0), ("cat", "zebra", 5.0))
    zero = evaluate_word_pairs(TINY, pairs, oov="zero")
    # model: .707, 0, 0 (zebra) vs gold 9, 3, 5 -> ranks model 3,1.5,1.5, gold 3,1,2
    assert zero.scored == 3 and zero.spearman == pytest.approx(spearman([9, 3, 5], [0.7071, 0, 0]))
    mean = evaluate_word_pairs(TINY, pairs, oov="mean")
    mean_vec = np.array([1, 3]) / 4  # mean of the 4 rows
    expected = np.array([1, 0]) @ mean_vec / np.linalg.norm(mean_vec)
    assert mean.scored == 3
    assert mean.spearman == pytest.approx(spearman([9, 3, 5], [0.7071, 0.0, expected]))
    with pytest.raises(ConfigError, match="oov"):
        evaluate_word_pairs(TINY, pairs, oov="ignore")
    none = evaluate_word_pairs(TINY, _pairs(("x", "y", 1.0), ("y", "z", 2.0)))
    assert np.isnan(none.spearman) and none.coverage == 0.0


def test_restrict_vocab_counts_as_oov():
    r = evaluate_word_pairs(TINY, _pairs(("cat", "dog", 2.0), ("car", "bus", 1.0)), restrict_vocab=2)
    assert r.oov_pairs == 1


# --- analogies: known answers ----------------------------------------------------------------
def test_analogy_by_hand():
    # king - man + woman = queen, in 3-d
    v = Vectors(["man", "woman", "king", "queen", "apple"],
                [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 1]])
    sections = [AnalogySection("family", [("man", "king", "woman", "queen"),
                                          ("man", "woman", "king", "queen"),
                                          ("man", "woman", "king", "apple"),
                                          ("man", "woman", "king", "pear")]),
                AnalogySection("gram-x", [("king", "man", "queen", "woman")])]
    r = evaluate_analogies(v, sections, restrict_vocab=None)
    assert (r.questions, r.answered, r.correct) == (5, 4, 3)
    assert r.sections[0].accuracy == pytest.approx(2 / 3) and r.sections[1].correct == 1
    assert r.semantic_accuracy == pytest.approx(2 / 3) and r.syntactic_accuracy == 1.0
    assert r.coverage == pytest.approx(4 / 5)
    cosmul = evaluate_analogies(v, sections, restrict_vocab=None, method="3cosmul")
    assert cosmul.correct == 3


def test_readers_and_their_errors(tmp_path, data_dir):
    google = read_analogies(data_dir / "analogy" / "questions-words.txt")
    assert len(google) == 14 and sum(len(s.questions) for s in google) == 19544
    ca8 = read_analogies(data_dir / "analogy" / "CA8-semantic.txt")
    assert ca8[0].name == "geography"
    ws = read_word_pairs(data_dir / "wordsim" / "EN-WS-353-ALL.txt")
    assert len(ws.pairs) == 353 and ws.pairs[0] == ("love", "sex")
    bad = tmp_path / "bad.txt"
    bad.write_text("a b c\n")
    with pytest.raises(FormatError, match="line 1"):
        read_analogies(bad)
    bad.write_text("# comment\nlove\tsex\tmany\n")
    with pytest.raises(FormatError, match="line 2.*not a number"):
        read_word_pairs(bad)


# --- parity with gensim on real vectors -------------------------------------------------------
@pytest.fixture(scope="module")
def trained(data_dir):
    """Small skip-gram vectors trained by gensim (a test-only reference) on Brown."""
    from gensim.models import Word2Vec

    from embedlayer.corpus import TextCorpus
    from embedlayer.text import get_tokenizer

    tok = get_tokenizer("regex", lowercase=True)
    sentences = list(tok.tokenize_many(TextCorpus(data_dir / "corpora" / "en" / "brown.txt")))
    model = Word2Vec(sentences, vector_size=32, min_count=5, workers=1, epochs=1, seed=3)
    kv = model.wv
    return Vectors(kv.index_to_key, kv.vectors), kv


@pytest.mark.parametrize("name", ["EN-WS-353-ALL", "EN-SIMLEX-999", "EN-MEN-TR-3k"])
@pytest.mark.parametrize("oov", ["skip", "zero"])
def test_word_pairs_equal_gensim(trained, data_dir, name, oov):
    ours, kv = trained
    path = data_dir / "wordsim" / f"{name}.txt"
    r = evaluate_word_pairs(ours, path, oov=oov, restrict_vocab=300_000)
    (p, _), (s, _), oov_ratio = kv.evaluate_word_pairs(str(path), dummy4unknown=(oov == "zero"))
    assert r.spearman == pytest.approx(s, abs=1e-6)
    assert r.pearson == pytest.approx(p, abs=1e-5)
    if oov == "skip":
        assert 100 * r.oov_pairs / r.pairs == pytest.approx(oov_ratio)


def test_analogies_3cosadd_equal_gensim(trained, data_dir):
    ours, kv = trained
    path = data_dir / "analogy" / "questions-words.txt"
    r = evaluate_analogies(ours, path, restrict_vocab=10_000)
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=10_000)
    assert r.accuracy == pytest.approx(score)
    for mine, theirs in zip(r.sections, sections[:-1], strict=True):
        assert mine.name == theirs["section"]
        assert mine.correct == len(theirs["correct"])
        assert mine.answered == len(theirs["correct"]) + len(theirs["incorrect"])


def test_analogies_3cosmul_equal_a_gensim_loop(trained, data_dir):
    # gensim's evaluate_word_analogies ignores its similarity_function argument (4.4.0), so
    # the reference is its most_similar_cosmul, question by question, on the top 3,000 rows.
    from gensim.models import KeyedVectors

    ours, kv = trained
    top = KeyedVectors(kv.vector_size)
    top.add_vectors(kv.index_to_key[:3000], kv.vectors[:3000])
    sections = read_analogies(data_dir / "analogy" / "questions-words.txt")
    questions = [q for s in sections for q in s.questions][::7]
    correct = answered = 0
    for q in questions:
        a, b, c, d = (w.lower() for w in q)
        if not all(w in top.key_to_index for w in (a, b, c, d)):
            continue
        answered += 1
        sims = top.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        correct += next(w for w, _ in sims if w not in (a, b, c)) == d
    r = evaluate_analogies(ours, [AnalogySection("all", questions)], method="3cosmul",
                           restrict_vocab=3000)
    assert (r.answered, r.correct) == (answered, correct)


def test_lee_docsim_runs_with_coverage(trained):
    ours, _ = trained
    r = evaluate_lee(ours)
    assert r.pairs == 1225 and r.documents == 50
    assert 0.5 < r.coverage <= 1.0 and -1 <= r.pearson <= 1


def test_suite_report_json_markdown_plot(trained, tmp_path):
    ours, _ = trained
    half = Vectors(ours.keys[:2000], ours.matrix[:2000])
    rep = run_suite({"brown": ours, "top2k": half}, wordsim=["ws353-all", "simlex999"],
                    analogy=["google-analogy"], restrict_vocab=5000)
    doc = json.loads(write_json(rep, tmp_path / "r.json").read_text())
    assert doc["format_version"] == 1
    from embedlayer import data

    registered = data.get("ws353-all").files[0].sha256
    assert doc["datasets"]["ws353-all"]["sha256"]["EN-WS-353-ALL.txt"] == registered
    assert [v["name"] for v in doc["vectors"]] == ["brown", "top2k"]
    assert doc["vectors"][1]["wordsim"][0]["coverage"] < doc["vectors"][0]["wordsim"][0]["coverage"]
    md = to_markdown(rep)
    assert "| ws353-all | Spearman rho (pairs covered) |" in md and "%)" in md
    png = write_plot(rep, tmp_path / "r.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_full_google_set_runs_in_one_batched_call(trained, data_dir):
    # Timing is a benchmark's job (benchmarks/bench_analogy.py), never a test's assertion.
    ours, _ = trained
    r = evaluate_analogies(ours, data_dir / "analogy" / "questions-words.txt", restrict_vocab=30_000)
    assert r.answered > 5000 and r.questions == 19_544 and r.seconds >= 0


def test_zero_coverage_analogies_show_n_a_and_json_null(tmp_path):
    sections = [AnalogySection("capital-world", [("x", "y", "z", "w")]),
                AnalogySection("gram1-adjective-to-adverb", [("cat", "dog", "car", "Bus")])]
    r = evaluate_analogies(TINY, [sections[0]], restrict_vocab=None)
    assert r.answered == 0 and np.isnan(r.accuracy) and np.isnan(r.sections[0].accuracy)
    rep = run_suite({"tiny": TINY}, wordsim=[], analogy=[], docsim=False)
    rep.stores[0].analogy.append(r)
    md = to_markdown(rep)
    assert "nan" not in md and "| n/a (0%) |" in md
    doc = json.loads(write_json(rep, tmp_path / "r.json").read_text())
    assert doc["vectors"][0]["analogy"][0]["accuracy"] is None
    assert doc["vectors"][0]["analogy"][0]["semantic_accuracy"] is None


def test_oov_compose_scores_unknown_words_like_gensim(data_dir):
    from gensim.models.fasttext import load_facebook_vectors
    from scipy import stats

    from embedlayer.vectors.io import load_vectors

    path = data_dir / "formats" / "lee_fasttext.bin"
    sv, kv = load_vectors(path), load_facebook_vectors(str(path))
    pairs = read_word_pairs(data_dir / "wordsim" / "EN-WS-353-ALL.txt")
    r = evaluate_word_pairs(sv, pairs, oov="compose", case_insensitive=False)
    theirs = [float(kv.similarity(a, b)) for a, b in pairs.pairs]  # composes unknown words
    assert r.oov_pairs > 100 and r.scored == r.pairs == len(pairs.pairs)  # every pair scored
    assert round(r.spearman, 3) == round(stats.spearmanr(pairs.scores, theirs)[0], 3)
    assert round(r.pearson, 3) == round(stats.pearsonr(pairs.scores, theirs)[0], 3)
    with pytest.raises(ConfigError, match="oov='compose' builds unknown words from character"):
        evaluate_word_pairs(sv.to_vectors(), pairs, oov="compose")


def test_a_registered_dataset_that_differs_from_the_registry_is_refused(tmp_path, monkeypatch,
                                                                         data_dir):
    from embedlayer.errors import ChecksumError

    copy = tmp_path / "wordsim" / "EN-RG-65.txt"
    copy.parent.mkdir()
    raw = (data_dir / "wordsim" / "EN-RG-65.txt").read_bytes()
    i = raw.index(b"\t", raw.index(b"\t") + 1) + 1  # the first score's first digit
    changed = raw[:i] + (b"1" if raw[i:i + 1] != b"1" else b"2") + raw[i + 1:]  # same size
    copy.write_bytes(changed)
    monkeypatch.setenv("EMBEDLAYER_DATA", str(tmp_path))
    with pytest.raises(ChecksumError, match="dataset 'rg65': .*EN-RG-65.txt has sha256 .*"
                                            "registry expects .*embedlayer data verify rg65"):
        run_suite({"tiny": TINY}, wordsim=["rg65"], analogy=[], docsim=False)
    monkeypatch.setenv("EMBEDLAYER_DATA", str(data_dir))
    rep = run_suite({"tiny": TINY}, wordsim=["rg65"], analogy=[], docsim=False)
    assert rep.datasets["rg65"]["registered"] and rep.datasets["rg65"]["verified"]
