"""`embedlayer qa eval wikiqa | lee` end to end through ``main([...])``, and its one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import save_vectors

HEADER = "QuestionID\tQuestion\tDocumentID\tDocumentTitle\tSentenceID\tSentence\tLabel\n"
ROWS = [
    ("Q1", "where do cats sleep", "Cat", "Cats sleep in boxes .", 1),
    ("Q1", "where do cats sleep", "Cat", "Dogs bark at night .", 0),
    ("Q2", "what do dogs eat", "Dog", "Dogs bark .", 0),
    ("Q2", "what do dogs eat", "Dog", "Dogs eat meat .", 1),
    ("Q3", "who sleeps at night", "Owl", "Owls hunt at night .", 1),
    ("Q3", "who sleeps at night", "Owl", "Cats eat meat .", 0),
    ("Q4", "what barks", "Dog", "A dog barks .", 1),
    ("Q4", "what barks", "Dog", "Boxes are square .", 0),
]


@pytest.fixture()
def wikiqa(tmp_path):
    path = tmp_path / "tiny.tsv"
    path.write_text(HEADER + "".join(f"{q}\t{t}\tD{q}\t{d}\t{q}-{i}\t{s}\t{lab}\n"
                                     for i, (q, t, d, s, lab) in enumerate(ROWS)),
                    encoding="utf-8")
    return path


@pytest.fixture()
def vectors(tmp_path):
    words = ["cats", "sleep", "dogs", "eat", "meat", "bark", "barks", "night", "owls", "boxes",
             "what", "where", "who", "a", "dog", "at"]
    rng = np.random.default_rng(0)
    folder = tmp_path / "vecs"
    save_vectors(Vectors(words, rng.standard_normal((len(words), 8)).astype(np.float32)), folder)
    return folder


def test_bm25_alone_with_a_per_question_report(wikiqa, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["qa", "eval", "wikiqa", "--encoder", "bm25", "--data", str(wikiqa),
                 "-o", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "MAP 1.0000" in printed and "(4 questions with a correct sentence" in printed
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["method"] == {"scorers": ["bm25"], "hybrid": None}
    assert [r["qid"] for r in doc["per_question"]] == ["Q1", "Q2", "Q3", "Q4"]
    assert doc["per_question"][1]["ranked"][0]["sentence"] == "Dogs eat meat ."


def test_static_vectors_hybrid_prints_each_folds_choice(wikiqa, vectors, capsys):
    assert main(["qa", "eval", "wikiqa", "--encoder", str(vectors), "--method", "sif",
                 "--data", str(wikiqa), "--hybrid", "--folds", "2", "--seed", "3",
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "scorers: dense + bm25; hybrid linear, 2 folds, seed 3" in printed
    assert "fold 0: linear w=" in printed and "fold 1: linear w=" in printed
    assert main(["qa", "eval", "wikiqa", "--encoder", str(vectors), "--data", str(wikiqa),
                 "--hybrid", "logistic", "--context", "both", "--folds", "2", "--quiet"]) == 0
    assert "scorers: dense + dense+title + bm25" in capsys.readouterr().out
    assert main(["qa", "eval", "wikiqa", "--encoder", str(vectors), "--data", str(wikiqa),
                 "--hybrid", "logistic", "--context", "all", "--select-features", "--folds",
                 "2", "--quiet"]) == 0
    assert "scorers: dense + dense+title + dense+title+previous + bm25" in (
        capsys.readouterr().out)


def test_lee_with_tfidf(tmp_path, capsys):
    out = tmp_path / "lee.json"
    assert main(["qa", "eval", "lee", "--encoder", "tfidf", "-o", str(out), "--quiet"]) == 0
    assert "lee-docsim: Pearson 0.58" in capsys.readouterr().out
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["pairs"] == 1225 and doc["encoders"][0]["kind"] == "tfidf"


@pytest.mark.parametrize(("argv", "message"), [
    (["wikiqa", "--encoder", "bm25", "--hybrid"], "--hybrid and --context need a dense"),
    (["wikiqa", "--encoder", "VECS", "--context", "both"], "only --hybrid logistic"),
    (["wikiqa", "--encoder", "VECS", "--context", "all", "--hybrid", "rrf"],
     "only --hybrid logistic"),
    (["wikiqa", "--encoder", "VECS", "--hybrid", "--select-features"], "needs --hybrid logistic"),
    (["wikiqa", "--encoder", "VECS", "--hybrid", "--folds", "1"], "--folds must be >= 2, got 1"),
    (["wikiqa", "--encoder", "bm25", "--b", "2"], "--b in [0, 1]"),
    (["wikiqa", "--encoder", "no-such-model"], "--encoder no-such-model: no such checkpoint"),
    (["wikiqa", "--encoder", "VECS", "--max-length", "64"], "--max-length is for transformer"),
    (["wikiqa", "--encoder", "bm25", "--data", "missing.tsv"], "missing.tsv: no such file"),
    (["lee", "--encoder", "tfidf", "--tfidf-weight", "2"], "--tfidf-weight must be in [0, 1]"),
    (["lee", "--encoder", "tfidf", "--tfidf-weight", "0.5"], "--encoder tfidf is TF-IDF alone"),
])
def test_bad_input_is_one_line(argv, message, wikiqa, vectors, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    argv = [str(vectors) if a == "VECS" else a for a in argv]
    if argv[0] == "wikiqa" and "--data" not in argv:
        argv += ["--data", str(wikiqa)]
    assert main(["qa", "eval", *argv, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_existing_output_is_refused_before_any_work(wikiqa, tmp_path, capsys):
    out = tmp_path / "r.json"
    out.write_text("keep me", encoding="utf-8")
    assert main(["qa", "eval", "wikiqa", "--encoder", "no-such-model", "--data", str(wikiqa),
                 "-o", str(out)]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me"


def test_a_checkpoint_with_title_context(wikiqa, capsys):
    assert main(["qa", "eval", "wikiqa", "--encoder", "minilm", "--context", "title",
                 "--workers", "1", "--data", str(wikiqa)]) == 0
    assert "scorers: dense+title" in capsys.readouterr().out
