"""`embedlayer encode`: a checkpoint or static vectors, stdin/file in, JSON lines/npy out."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.contextual import TransformerEncoder
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import save_vectors


@pytest.fixture()
def texts(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("A cat sat on the mat.\n\nDogs bark at night\n", encoding="utf-8")
    return path


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_checkpoint_to_npy_equals_the_api(tmp_path, texts, capsys):
    out = tmp_path / "v.npy"
    assert main(["encode", "minilm", "-i", str(texts), "-o", str(out), "--workers", "1"]) == 0
    got = np.load(out, allow_pickle=False)
    want = TransformerEncoder("minilm", workers=1).encode(
        ["A cat sat on the mat.", "", "Dogs bark at night"])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    err = capsys.readouterr().err
    assert "encoded 3 texts to 384 dimensions" in err and "1 empty" in err


def test_stdin_to_json_lines(monkeypatch, capsys):
    _stdin(monkeypatch, b"first text\nsecond\n")
    assert main(["encode", "minilm", "--quiet", "--pooling", "cls", "--no-normalize"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = np.array([json.loads(line) for line in lines], dtype=np.float32)
    want = TransformerEncoder("minilm", pooling="cls", normalize=False).encode(
        ["first text", "second"])
    np.testing.assert_allclose(rows, want, rtol=1e-5, atol=1e-5)


def test_static_vectors_mean_and_sif(tmp_path, texts, capsys):
    rng = np.random.default_rng(0)
    words = ["a", "cat", "sat", "on", "the", "mat", "dogs", "bark", "at", "night", "."]
    folder = tmp_path / "vec"
    save_vectors(Vectors(words, rng.standard_normal((len(words), 5)).astype(np.float32)), folder)
    out = tmp_path / "m.npy"
    assert main(["encode", str(folder), "-i", str(texts), "-o", str(out), "--quiet"]) == 0
    got = np.load(out)
    from embedlayer.vectors.io import load_vectors

    store = load_vectors(folder)
    assert got.shape == (3, 5) and np.all(got[1] == 0)  # the empty line: no known word
    # "a cat sat on the mat ." with the regex tokenizer, lower-cased
    np.testing.assert_allclose(got[0], store.matrix[[0, 1, 2, 3, 4, 5, 10]].mean(0), rtol=1e-5)
    assert main(["encode", str(folder), "-i", str(texts), "-o", str(tmp_path / "s.npy"),
                 "--method", "sif", "--quiet"]) == 0
    assert np.load(tmp_path / "s.npy").shape == (3, 5)


@pytest.mark.parametrize("argv, match", [
    (["--precision", "int8"], "--precision is for transformer"),
    (["--pooling", "cls"], "--pooling is for transformer"),
])
def test_transformer_options_on_static_vectors_are_refused(tmp_path, texts, capsys, argv, match):
    folder = tmp_path / "vec"
    save_vectors(Vectors(["a"], np.ones((1, 3), np.float32)), folder)
    assert main(["encode", str(folder), "-i", str(texts), *argv]) == 1
    assert match in capsys.readouterr().err


def test_bad_input_is_one_line(tmp_path, texts, monkeypatch, capsys):
    _stdin(monkeypatch, b"ok\ncaf\xe9\n")
    assert main(["encode", "minilm", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "line 2" in err and "0xe9" in err and len(err.strip().splitlines()) == 1
    _stdin(monkeypatch, b"caf\xe9\n")
    assert main(["encode", "minilm", "--quiet", "--unicode-errors", "replace"]) == 0
    out = tmp_path / "exists.npy"
    out.write_bytes(b"keep me")
    assert main(["encode", "minilm", "-i", str(texts), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert main(["encode", str(tmp_path / "missing"), "-i", str(texts)]) == 1
    assert "no such checkpoint folder or vectors file" in capsys.readouterr().err
    assert main(["encode", "minilm", "-i", str(tmp_path / "nope.txt")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["encode", "minilm", "-i", str(texts), "--batch-size", "0"]) == 1
