"""`embedlayer compress`: fits each method, saves folders every command reads back, prints the
size / quality table, writes JSON and a plot; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.compress import CompressedSubwordVectors, CompressedVectors, load_compressed
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import load_vectors, save_vectors


@pytest.fixture(scope="module")
def dense(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    words = ["king", "queen", "man", "woman", "cat", "dog", "car", "tiger"] + [
        f"w{i}" for i in range(392)]
    v = Vectors(words, rng.standard_normal((400, 24)).astype(np.float32))
    return save_vectors(v, tmp_path_factory.mktemp("v") / "vec", progress=False)


def test_several_methods_saved_and_reported(dense: Path, tmp_path: Path, capsys):
    out, report = tmp_path / "out", tmp_path / "r.json"
    code = main(["compress", str(dense), "--method", "int8", "--method", "pq:m=6,k=16",
                 "--method", "prune:keep=100", "--no-eval", "--quiet", "-o", str(out),
                 "--json", str(report)])
    assert code == 0
    table = capsys.readouterr().out
    assert "| int8 |" in table and "| pq:m=6,k=16 |" in table
    int8 = load_compressed(out / "int8")
    assert isinstance(int8, CompressedVectors) and len(int8) == 400
    assert isinstance(load_compressed(out / "pq_m=6_k=16"), CompressedVectors)
    assert len(load_vectors(out / "prune_keep=100")) == 100  # pruning alone: dense again
    rows = json.loads(report.read_text())["rows"]
    assert [r["method"] for r in rows] == ["original", "int8", "pq:m=6,k=16", "prune:keep=100"]
    assert rows[2]["ratio"] > 8  # 6 bytes a row against 96, plus the codebooks
    # every vector command reads the compressed folder
    assert main(["vectors", "info", str(out / "int8")]) == 0
    assert "400" in capsys.readouterr().out


def test_fasttext_with_quality_report_and_plot(data_dir: Path, tmp_path: Path, capsys):
    model = data_dir / "formats" / "lee_fasttext.bin"
    out, plot = tmp_path / "ft", tmp_path / "size.png"
    code = main(["compress", str(model), "--method", "prune:keep=300,buckets=5000+int8",
                 "-o", str(out), "--plot", str(plot), "--quiet"])
    assert code == 0
    table = capsys.readouterr().out
    assert "ws353-all" in table and "google-analogy" in table and "vs original" in table
    store = load_compressed(out)
    assert isinstance(store, CompressedSubwordVectors) and len(store) <= 302
    assert store.bucket == 5000
    assert store["unseenword"].shape == (store.dim,)  # composed from n-grams
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["--method", "pq:m=5"], "do not divide"),
    (["--method", "zip"], "unknown method"),
    (["--method", "int8", "--restrict-vocab", "-1"], "--restrict-vocab"),
])
def test_bad_input_is_one_line(dense: Path, capsys, argv, message):
    assert main(["compress", str(dense), "--no-eval", "--quiet", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_outputs_are_checked_first(dense: Path, tmp_path: Path, capsys):
    existing = tmp_path / "exists"
    existing.mkdir()
    assert main(["compress", str(dense), "--method", "int8", "-o", str(existing)]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["compress", str(dense), "--method", "int8", "-o", str(dense)]) == 1
    capsys.readouterr()
    assert main(["compress", str(tmp_path / "missing"), "--method", "int8"]) == 1
    assert "missing" in capsys.readouterr().err


def test_pruning_fasttext_alone_keeps_its_ngrams(data_dir: Path, tmp_path: Path, capsys):
    from embedlayer.vectors.io.fasttext_bin_write import write_fasttext_bin
    from embedlayer.vectors.subword import SubwordVectors

    rng = np.random.default_rng(1)
    words = ["</s>"] + [a + b for a in ("cat", "dog", "bird", "fish") for b in
                        ("", "s", "ly", "ish", "ness", "house")]
    model = write_fasttext_bin(SubwordVectors(
        words, rng.standard_normal((len(words), 8)).astype(np.float32),
        rng.standard_normal((500, 8)).astype(np.float32), minn=2, maxn=4, bucket=500),
        tmp_path / "model.bin")
    out = tmp_path / "pruned.bin"
    assert main(["compress", str(model), "--method", "prune:keep=10,buckets=50",
                 "--no-eval", "--quiet", "-o", str(out)]) == 0
    back = load_vectors(out)
    assert isinstance(back, SubwordVectors) and back.bucket == 50 and len(back) == 10
    assert np.any(back["unseenword"] != 0)  # composed from the kept n-gram table
    # a model whose '</s>' has n-grams cannot be a .bin: said before any work
    code = main(["compress", str(data_dir / "formats" / "lee_fasttext.bin"), "--method",
                 "prune:keep=10",
                 "--no-eval", "--quiet", "-o", str(tmp_path / "x.bin")])
    assert code == 1 and "add a codec step" in capsys.readouterr().err
