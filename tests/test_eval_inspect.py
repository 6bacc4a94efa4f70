"""The inspection report: figures on a tiny random checkpoint, the files, and the CLI on MiniLM."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.contextual.layer import read_embedding_layer
from embedlayer.errors import ConfigError
from embedlayer.eval._stats import spearman
from embedlayer.eval.inspect import (
    DEFAULT_PROBES,
    WORDSIM_SETS,
    inspect_checkpoint,
    mean_cosine,
    random_pairs,
)
from embedlayer.eval.inspect_report import REPORT_FILES, write_report
from embedlayer.eval.wordsim import evaluate_word_pairs
from embedlayer.transform import all_but_the_top
from embedlayer.vectors import Vectors

from . import _checkpoints as ck


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt") / "bert"
    ck.bert(folder)
    return folder


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("The cat and the dog .\nthe king , the queen\n\nA big red bus\n")
    return path


@pytest.fixture()
def pairs_file(tmp_path):
    path = tmp_path / "pairs.txt"
    rows = [("king", "queen", 8.5), ("cat", "dog", 7.0), ("good", "bad", 2.0),
            ("car", "bus", 6.5), ("sun", "moon", 5.0), ("king", "unknownword", 3.0),
            ("tree", "house", 1.5)]
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows))
    return path


def test_frequencies_are_counted_with_the_checkpoint_tokenizer(bert, corpus, pairs_file):
    report = inspect_checkpoint(bert, corpora=[str(corpus)], pairs=500, wordsim=[str(pairs_file)],
                                probes=["king", "unknownword"], progress=False)
    s = report.summary
    assert (s["vocab_size"], s["dim"], s["layout"]) == (len(ck.VOCAB), 16, "bert")
    vocab = {t: i for i, t in enumerate(ck.VOCAB)}
    assert report.counts[vocab["the"]] == 4  # lower-cased by the tokenizer's normalizer
    assert report.counts[vocab["cat"]] == 1 and report.counts[vocab["[CLS]"]] == 0
    assert report.counts[vocab["[UNK]"]] == 1  # "and" is not in the vocabulary
    assert s["frequency"]["lines"] == 3 and s["frequency"]["tokens"] == 15
    seen = report.counts > 0
    assert s["frequency"]["tokens_seen"] == int(seen.sum())
    rho = spearman(report.norms[seen], np.log(report.counts[seen]))
    assert s["frequency"]["spearman_norm_log_frequency"] == pytest.approx(rho)
    assert s["neighbours"]["unknownword"] is None
    assert len(s["neighbours"]["king"]["neighbours"]) == 8
    # a capped run reads fewer lines
    capped = inspect_checkpoint(bert, corpora=[str(corpus)], max_lines=1, pairs=10,
                                wordsim=[], progress=False)
    assert capped.summary["frequency"]["lines"] == 1


def test_anisotropy_is_the_mean_cosine_of_the_seeded_pairs(bert, corpus):
    report = inspect_checkpoint(bert, corpora=[str(corpus)], pairs=3000, seed=7, wordsim=[],
                                progress=False)
    tables = read_embedding_layer(bert)
    first, second = random_pairs(np.arange(len(ck.VOCAB)), 3000, 7)
    assert not np.any(first == second)
    m = tables.tokens.matrix.astype(np.float64)
    norm = np.linalg.norm(m, axis=1)
    assert norm[0] == 0  # BERT's [PAD] row: its cosines count as 0
    cos = [m[i] @ m[j] / (norm[i] * norm[j]) if norm[i] * norm[j] > 0 else 0.0
           for i, j in zip(first, second, strict=True)]
    a = report.summary["anisotropy"]
    assert a["all_rows"]["before"] == pytest.approx(np.mean(cos))
    after = all_but_the_top(tables.tokens, 1).matrix
    assert a["all_rows"]["after"] == pytest.approx(mean_cosine(after, first, second))
    assert a["n_components"] == 1 and report.singular_values.shape == (16,)
    assert report.position_cosines.shape == (24, 24)
    np.testing.assert_allclose(np.diag(report.position_cosines), 1.0)


def test_word_similarity_uses_single_token_words_and_the_same_pairs_for_both(bert, corpus,
                                                                              pairs_file):
    rng = np.random.default_rng(1)
    words = ["king", "queen", "cat", "dog", "good", "bad", "car", "bus", "unknownword"]
    compare = Vectors(words, rng.standard_normal((len(words), 5)))  # no sun/moon/tree/house
    report = inspect_checkpoint(bert, corpora=[str(corpus)], pairs=10, progress=False,
                                wordsim=[str(pairs_file)], compare=compare, compare_name="w2v")
    (row,) = report.summary["wordsim"]
    assert row["pairs"] == 7 and row["single_token_pairs"] == 6  # "unknownword" is [UNK]
    assert row["scored_pairs"] == 4 and row["compared"] == "w2v"
    same = pairs_file.parent / "same.txt"
    same.write_text("king\tqueen\t8.5\ncat\tdog\t7.0\ngood\tbad\t2.0\ncar\tbus\t6.5\n")
    tables = read_embedding_layer(bert)
    assert row["token_table"] == pytest.approx(evaluate_word_pairs(tables.tokens, same).spearman)
    assert row["compare"] == pytest.approx(evaluate_word_pairs(compare, same).spearman)


def test_report_files_and_the_refusals(bert, corpus, tmp_path):
    report = inspect_checkpoint(bert, corpora=[str(corpus)], pairs=100, wordsim=[],
                                progress=False)
    out = write_report(report, tmp_path / "report")
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    doc = json.loads((out / "report.json").read_text())
    assert doc["format"] == "embedlayer.inspect-report" and doc["format_version"] == 1
    assert doc["vocab_size"] == len(ck.VOCAB)
    assert "| all rows |" in (out / "report.md").read_text()
    with pytest.raises(ConfigError, match="exists; pass --force"):
        write_report(report, out)
    write_report(report, out, force=True)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="notes.txt"):
        write_report(report, out, force=True)
    with pytest.raises(ConfigError, match="n_components"):
        inspect_checkpoint(bert, corpora=[str(corpus)], n_components=16, progress=False)


def test_cli_defaults_are_the_library_defaults():
    from embedlayer.cli import _inspect

    assert _inspect._PROBES.split(",") == list(DEFAULT_PROBES)
    assert _inspect._WORDSIM.split(",") == list(WORDSIM_SETS)


def test_cli_refuses_an_existing_output_before_any_work(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    assert main(["inspect", "minilm", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; pass --force" in err


def test_cli_on_minilm_with_a_line_cap(tmp_path, capsys):
    out = tmp_path / "minilm"
    assert main(["inspect", "minilm", "-o", str(out), "--max-lines", "300", "--pairs", "2000",
                 "--quiet"]) == 0
    assert {p.name for p in out.iterdir()} == REPORT_FILES
    doc = json.loads((out / "report.json").read_text())
    assert (doc["vocab_size"], doc["dim"], doc["positions"]) == (30522, 384, [512, 384])
    assert doc["frequency"]["lines"] == 300
    assert {r["dataset"] for r in doc["wordsim"]} == set(WORDSIM_SETS)
    assert all(r["coverage"] > 0.8 for r in doc["wordsim"])
    assert "wrote" in capsys.readouterr().out


def test_cli_bad_checkpoints_are_one_line_errors(bert, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(bert, broken)
    with open(broken / "model.safetensors", "r+b") as fh:
        fh.write((10**12).to_bytes(8, "little"))
    for checkpoint, expected in ((str(broken), "header length"),
                                 (str(tmp_path / "nowhere"), "no such folder")):
        assert main(["inspect", checkpoint, "-o", str(tmp_path / "out"), "--quiet"]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
