"""embedlayer.dist.glove: GloVe's co-occurrences counted by 2 ranks (gloo on 127.0.0.1, spawned
by tests/_dist.py), summed on rank 0, against one process counting the whole corpus."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from embedlayer.corpus import TextCorpus
from embedlayer.dist.glove import sum_triples
from embedlayer.text import TokenStream, get_tokenizer
from embedlayer.train import GloVe
from embedlayer.train._cooccur import RECORD, open_triples

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _dist  # noqa: E402 - the launcher next to this file

SMALL = ("lee_background.txt", "genesis.txt", "inaugural.txt")
GLOVE = {"dim": 8, "window": 5, "min_count": 2, "epochs": 2, "workers": 1, "seed": 2,
         "memory_mib": 256}


def _files(data_dir: Path, names: tuple[str, ...]) -> list[str]:
    return [str(data_dir / "corpora" / "en" / n) for n in names]


def _tokens(files: list[str]) -> TokenStream:
    return TokenStream(TextCorpus(files), get_tokenizer("regex", lowercase=True))


def test_sum_triples_adds_duplicates_in_order():
    a = np.array([(0, 1, 1.0), (2, 0, 0.5)], dtype=RECORD)
    b = np.array([(2, 0, 0.25), (1, 1, 3.0), (0, 1, 2.0)], dtype=RECORD)
    got = sum_triples([a, b], 3)
    assert got.tolist() == [(0, 1, 3.0), (1, 1, 3.0), (2, 0, 0.75)]
    assert sum_triples([], 3).shape == (0,)


@pytest.mark.parametrize("names", [SMALL, ("inaugural.txt",)], ids=["by-file", "by-range"])
def test_two_rank_counts_equal_single_process(data_dir: Path, tmp_path: Path,
                                              names: tuple[str, ...]):
    files = _files(data_dir, names)
    runs = {  # integer increments: the sums are exact whatever the order
        "plain": {"settings": {"distance_weighting": False}, "train": False,
                  "work_dir": str(tmp_path / "plain")}}
    weighted = names == SMALL  # 1/distance increments, counted and trained on rank 0: once
    if weighted:
        runs["weighted"] = {"settings": {}, "work_dir": str(tmp_path / "weighted"),
                            "vectors": str(tmp_path / "dist.vec")}
    procs = _dist.start({"scenario": "glove", "files": files, "settings": GLOVE, "runs": runs},
                        tmp_path / "run")
    singles = {}
    for name, extra in (("plain", {"distance_weighting": False}), ("weighted", {}))[
            :2 if weighted else 1]:
        model = GloVe(**{**GLOVE, **extra})
        model.count(_tokens(files), work_dir=tmp_path / f"single-{name}", progress=False)
        singles[name] = (model, open_triples(tmp_path / f"single-{name}" / "cooccurrence.npy"))
    codes = _dist.wait(procs, 120)
    results = [json.loads((tmp_path / "run" / f"rank{r}.json").read_text()) for r in range(2)]
    assert codes == [0, 0], results

    plain = open_triples(tmp_path / "plain" / "cooccurrence.npy")
    assert np.array_equal(plain, singles["plain"][1])  # rows, cols and sums: bit for bit
    for name, (model, _) in singles.items():
        for res in results:
            assert res[name]["words"] == model.words_
            assert res[name]["vocab_size"] == len(model.vocab_)
    if not weighted:
        return
    merged = open_triples(tmp_path / "weighted" / "cooccurrence.npy")
    single = singles["weighted"][1]
    assert np.array_equal(merged["row"], single["row"])
    assert np.array_equal(merged["col"], single["col"])
    np.testing.assert_allclose(merged["val"], single["val"], rtol=1e-10)
    # Rank 0 alone trains; the others return with the vocabulary only.
    assert results[0]["weighted"]["fitted"] and not results[1]["weighted"]["fitted"]
    assert len(results[0]["weighted"]["loss"]) == GLOVE["epochs"]
    assert np.isfinite(results[0]["weighted"]["loss"]).all()
    assert (tmp_path / "weighted" / "rank1" / "cooccurrence.npy").is_file()  # kept: work_dir


def test_cli_glove_under_torchrun(tmp_path: Path, data_dir: Path):
    import subprocess

    out = tmp_path / "out.vec"
    env = {**_dist.os.environ, "PYTHONPATH": str(_dist.ROOT / "src"), "NUMBA_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
           "--master-addr", "127.0.0.1", "--master-port", str(_dist.free_port()),
           "-m", "embedlayer", "train", "glove", *_files(data_dir, SMALL[:2]), "-o",
           str(out), "--format", "word2vec-text", "--distributed", "--dim", "8",
           "--epochs", "1", "--min-count", "3", "--workers", "1", "--memory-mib", "256",
           "--quiet"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 ranks counted the co-occurrences" in proc.stdout
    header = out.read_text().splitlines()[0].split()
    assert int(header[1]) == 8 and int(header[0]) > 1000


def test_cli_glove_distributed_refuses_resume(tmp_path: Path, data_dir: Path, capsys):
    from embedlayer.cli.main import main

    code = main(["train", "glove", *_files(data_dir, SMALL[:1]), "-o", str(tmp_path / "v"),
                 "--distributed", "--resume", "--quiet"])
    assert code == 1
    assert "--resume is not supported for GloVe with --distributed" in capsys.readouterr().err


def test_empty_part_counts_nothing_but_takes_part(tmp_path: Path):
    corpus = tmp_path / "one-line.txt"  # one line: the byte-range cut leaves rank 1 nothing
    rng = np.random.default_rng(0)
    corpus.write_text(" ".join(rng.choice([f"w{i}" for i in range(30)], size=2000)) + "\n")
    codes, results = _dist.run({"scenario": "glove", "files": [str(corpus)], "settings": GLOVE,
                                "runs": {"plain": {"settings": {}, "train": False,
                                                   "work_dir": str(tmp_path / "w")}}},
                               tmp_path / "run")
    assert codes == [0, 0], results
    single = GloVe(**GLOVE)
    single.count(_tokens([str(corpus)]), work_dir=tmp_path / "single", progress=False)
    assert np.array_equal(open_triples(tmp_path / "w" / "cooccurrence.npy"),
                          open_triples(tmp_path / "single" / "cooccurrence.npy"))
