"""`embedlayer index build | search | info`: texts and word vectors, every kind, bad input."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.tasks.index import VectorIndex
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import save_vectors

pytest.importorskip("hnswlib")  # the test extra installs it: never skipped in CI

_TEXTS = ["a cat sat on the mat", "dogs bark at night", "the cat and the dog",
          "stock markets fell sharply", "shares and bonds rallied", "a dog chased a cat"]


@pytest.fixture()
def words(tmp_path):
    rng = np.random.default_rng(0)
    vocab = sorted({w for t in _TEXTS for w in t.split()} | {"kitten", "puppy"})
    matrix = rng.standard_normal((len(vocab), 16)).astype(np.float32)
    matrix[vocab.index("kitten")] = matrix[vocab.index("cat")] + 0.05
    path = tmp_path / "words.vec"
    save_vectors(Vectors(vocab, matrix), path, format="word2vec-text")
    return path


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(_TEXTS) + "\n", encoding="utf-8")
    return path


def _hits(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("kind", ["exact", "hnsw"])
def test_texts_build_and_search(tmp_path, corpus, words, capsys, kind):
    out = tmp_path / "idx"
    assert main(["index", "build", str(corpus), "--encoder", str(words), "-o", str(out),
                 "--kind", kind, "--quiet", "--workers", "1"]) == 0
    assert main(["index", "search", str(out), "a cat sat on the mat", "-k", "2"]) == 0
    hits = _hits(capsys)
    assert [h["rank"] for h in hits] == [1, 2]
    assert hits[0]["id"] == 1 and hits[0]["text"] == _TEXTS[0]
    assert hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
    # the same answer from the Python API
    index = VectorIndex.load(out)
    assert index.info["encoder_options"]["method"] == "mean"
    assert len(index) == len(_TEXTS)


def test_tsv_ids_stdin_queries_and_info(tmp_path, words, capsys, monkeypatch):
    src = tmp_path / "docs.tsv"
    src.write_text("".join(f"doc-{i}\t{t}\n" for i, t in enumerate(_TEXTS)), encoding="utf-8")
    out = tmp_path / "idx"
    assert main(["index", "build", str(src), "--tsv", "--encoder", str(words), "-o", str(out),
                 "--quiet"]) == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        b"stock markets fell sharply\nthe dog\n"), encoding="utf-8"))
    assert main(["index", "search", str(out), "-k", "1"]) == 0
    hits = _hits(capsys)
    assert [h["id"] for h in hits][0] == "doc-3" and len(hits) == 2
    assert main(["index", "info", str(out)]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["kind"] == "exact" and meta["id_type"] == "str"


def test_word_vectors_index_answers_like_most_similar(tmp_path, words, capsys):
    out = tmp_path / "widx"
    assert main(["index", "build", str(words), "-o", str(out), "--quiet"]) == 0
    assert main(["index", "search", str(out), "cat", "-k", "3"]) == 0
    hits = _hits(capsys)
    assert hits[0]["id"] == "kitten" and "cat" not in [h["id"] for h in hits]


def test_bad_input_is_one_line(tmp_path, corpus, words, capsys):
    out = tmp_path / "idx"
    assert main(["index", "build", str(corpus), "--encoder", str(words), "-o", str(out),
                 "--quiet"]) == 0
    capsys.readouterr()
    cases = [
        (["index", "build", str(corpus), "--encoder", str(words), "-o", str(out)],
         "already exists"),
        (["index", "search", str(out), "cat", "-k", "0"], "-k must be >= 1"),
        (["index", "search", str(out), "cat", "-k", "99"], "larger than the index"),
        (["index", "search", str(tmp_path / "none"), "cat"], "no such index folder"),
        (["index", "search", str(out), "cat", "--nprobe", "3"], "for ivf indexes"),
        (["index", "build", str(tmp_path / "missing.txt"), "--encoder", str(words), "-o",
          str(tmp_path / "x")], "no such text file"),
        (["index", "build", str(corpus), "--encoder", str(words), "-o", str(tmp_path / "y"),
          "--kind", "ivf", "--nlist", "50"], "needs at least 50 rows"),
        (["index", "build", str(corpus), "--tsv", "--encoder", str(words), "-o",
          str(tmp_path / "z")], "expected id<TAB>text"),
    ]
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1, err
    # a query encoded by another model is refused: same dim, other words
    other = tmp_path / "other.vec"
    rng = np.random.default_rng(1)
    save_vectors(Vectors(["cat", "dog"], rng.standard_normal((2, 16)).astype(np.float32)),
                 other, format="word2vec-text")
    assert main(["index", "search", str(out), "cat", "--encoder", str(other)]) == 1
    assert "another encoder" in capsys.readouterr().err
    # a truncated index file
    rows = out / "vectors.npy"
    rows.write_bytes(rows.read_bytes()[:-10])
    assert main(["index", "search", str(out), "cat"]) == 1
    assert "truncated" in capsys.readouterr().err
