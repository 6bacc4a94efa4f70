"""`embedlayer tag train | eval | predict`, and the CoNLL writer behind them."""

from __future__ import annotations

import io
import json
import sys

import pytest

from embedlayer.cli.main import main
from embedlayer.corpus import ConllCorpus, write_conll
from embedlayer.errors import ConfigError

from .test_tag import toy_ner

SMALL_FLAGS = ["--dim", "8", "--char-dim", "4", "--char-hidden", "4", "--case-dim", "2",
               "--hidden", "8", "--epochs", "2", "--batch-size", "8", "--workers", "1",
               "--quiet"]


def _write(path, sentences, tags, pos: bool = True):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("-DOCSTART- -X- O\n\n")
        write_conll(fh, (([*s], ["X"] * len(s), [*t]) if pos else ([*s], [*t])
                         for s, t in zip(sentences, tags, strict=True)))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tag")
    train = _write(folder / "train.conll", *toy_ner(60, seed=1))
    dev = _write(folder / "dev.conll", *toy_ner(20, seed=2))
    model = folder / "model"
    assert main(["tag", "train", str(train), "--dev", str(dev), "-o", str(model),
                 *SMALL_FLAGS]) == 0
    return folder, train, dev, model


def test_train_prints_the_epochs_and_saves(files, capsys):
    folder, train, dev, model = files
    assert (model / "config.json").is_file()
    assert main(["tag", "train", str(train), "--dev", str(dev), "-o", str(model),
                 *SMALL_FLAGS]) == 1  # exists
    assert "pass --force" in capsys.readouterr().err


def test_eval_prints_conlleval_s_table_and_writes_the_predictions(files, tmp_path, capsys):
    folder, train, dev, model = files
    out, scores = tmp_path / "pred.conll", tmp_path / "scores.json"
    assert main(["tag", "eval", str(model), str(dev), "-o", str(out), "--json", str(scores),
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("processed ")
    assert "accuracy:" in printed and "FB1:" in printed
    rows = [line.split(" ") for line in out.read_text().splitlines() if line]
    assert all(len(r) == 4 for r in rows)  # token, POS, gold, predicted
    doc = json.loads(scores.read_text())
    assert 0.0 <= doc["f1"] <= 1.0 and doc["scheme"] == "iob2"


def test_eval_names_gold_tags_the_model_never_saw(files, tmp_path, capsys):
    folder, train, dev, model = files
    test = _write(tmp_path / "test.conll", [["Juan", "vive", "desde", "2001"]],
                  [["B-PER", "O", "O", "B-DATE"]], pos=False)
    assert main(["tag", "eval", str(model), str(test), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "DATE: precision:   0.00%; recall:   0.00%" in out
    assert "note: gold tags the model never saw in training" in out and "B-DATE (1)" in out


def test_predict_conll_and_json_lines(files, tmp_path, monkeypatch, capsys):
    folder, train, dev, model = files
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("Juan\nvive\nen\nMadrid\n\nLa\nONU\n")
    assert main(["tag", "predict", str(model), str(tokens), "--quiet"]) == 0
    blocks = capsys.readouterr().out.strip().split("\n\n")
    assert [len(b.splitlines()) for b in blocks] == [4, 2]
    assert all(len(line.split(" ")) == 2 for b in blocks for line in b.splitlines())

    lines = '["Juan", "vive", "en", "New York"]\n\n{"tokens": ["La", "ONU"], "id": 7}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    assert main(["tag", "predict", str(model), "--quiet"]) == 0
    docs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(docs) == 3 and len(docs[0]["tags"]) == 4
    assert docs[1] == {"tokens": [], "tags": []}  # an empty line: an empty sentence
    assert docs[2]["id"] == 7 and len(docs[2]["tags"]) == 2

    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert main(["tag", "predict", str(model), str(empty), "--quiet"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("content", "message"), [
    ("", "is empty"),
    ("Juan NP B-PER\nvive VMI\n", "line 2: 2 column(s)"),
])
def test_bad_training_files_are_one_line_errors(tmp_path, capsys, content, message):
    path = tmp_path / "bad.conll"
    path.write_text(content)
    assert main(["tag", "train", str(path), "-o", str(tmp_path / "m"), *SMALL_FLAGS]) == 1
    err = capsys.readouterr().err
    assert message in err and "bad.conll" in err and err.count("\n") == 1


def test_bad_flags_and_json_input_are_named(files, tmp_path, capsys):
    folder, train, dev, model = files
    assert main(["tag", "train", str(train), "-o", str(tmp_path / "m"), "--learning-rate",
                 "-1", *SMALL_FLAGS]) == 1
    assert "--learning-rate must be a finite number > 0" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('["Juan", ""]\n')
    assert main(["tag", "predict", str(model), str(bad), "--quiet"]) == 1
    assert "line 1: token 2 is ''" in capsys.readouterr().err


def test_write_conll_round_trips_and_refuses_what_it_cannot_write(tmp_path):
    sentences = [(["Juan", "vive"], ["NP", "VMI"], ["B-PER", "O"]), (["Madrid"], ["NP"], ["B-LOC"])]
    path = tmp_path / "out.conll"
    with open(path, "w", encoding="utf-8") as fh:
        assert write_conll(fh, sentences) == 2
    corpus = ConllCorpus(path)
    assert [s.columns for s in corpus] == [tuple(map(list, s)) for s in sentences]
    assert corpus.separator == " "
    spaced = [(["New York"], ["B-LOC"])]
    with pytest.raises(ConfigError, match="sentence 1, token 1, column 1 is 'New York'"):
        write_conll(io.StringIO(), spaced)
    with open(path, "w", encoding="utf-8") as fh:
        write_conll(fh, spaced, sep="\t")
    corpus = ConllCorpus(path)
    assert [s.tokens for s in corpus] == [["New York"]] and corpus.separator == "\t"
