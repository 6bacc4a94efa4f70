"""embedlayer.dist: 2 ranks on 127.0.0.1 with gloo, spawned by the tests (tests/_dist.py).

Each spawned run is bounded (generously: only a hang trips the limit); the single-process
baselines run in this process while the ranks train, so the file takes about 75 s on 2 cores.
"""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embedlayer.corpus import TextCorpus
from embedlayer.corpus.shard import TextShard, plan_shards
from embedlayer.text import TokenStream, get_tokenizer
from embedlayer.vocab import TokenCounter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _dist  # noqa: E402 - the launcher next to this file

SMALL = ("lee_background.txt", "genesis.txt", "inaugural.txt")
W2V = {"dim": 16, "epochs": 2, "min_count": 2, "workers": 1, "seed": 3}


def _files(data_dir: Path, names: tuple[str, ...]) -> list[str]:
    return [str(data_dir / "corpora" / "en" / n) for n in names]


def _tokens(files: list[str]) -> TokenStream:
    return TokenStream(TextCorpus(files), get_tokenizer("regex", lowercase=True))


# --- parts of a corpus (no processes) ---------------------------------------------------------
@pytest.mark.parametrize("names", [("inaugural.txt",), SMALL], ids=["one-file", "three-files"])
@pytest.mark.parametrize("parts", [2, 3, 5])
def test_shards_read_every_line_once(data_dir: Path, names: tuple[str, ...], parts: int):
    files = _files(data_dir, names)
    whole = collections.Counter(TextCorpus(files))
    got: collections.Counter[str] = collections.Counter()
    for part in range(parts):
        got.update(TextShard(files, part=part, parts=parts))
    assert got == whole


def test_shard_plan_cuts_at_line_starts(tmp_path: Path):
    f = tmp_path / "one.txt"
    f.write_bytes(b"aaaa\nbb\r\ncccccc\nd\n")
    plan = plan_shards((f,), 2)
    (first,), (second,) = plan
    assert first.start == 0 and second.start == first.stop == 9  # the line holding byte 9
    assert list(TextShard([f], part=1, parts=2)) == ["cccccc", "d"]
    one_line = tmp_path / "line.txt"
    one_line.write_text("only one line here\n")
    assert list(TextShard([one_line], part=1, parts=2)) == []  # an empty part: no error


# --- counting ----------------------------------------------------------------------------------
@pytest.mark.parametrize("names", [SMALL, ("inaugural.txt",)], ids=["by-file", "by-range"])
def test_merged_counts_equal_single_process(data_dir: Path, tmp_path: Path,
                                            names: tuple[str, ...]):
    files = _files(data_dir, names)
    procs = _dist.start({"scenario": "count", "files": files}, tmp_path)
    single = TokenCounter().update_many(_tokens(files))
    codes = _dist.wait(procs, 120)
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert codes == [0, 0], results
    for res in results:
        assert res["counts"] == dict(single.items())
        assert (res["tokens"], res["sentences"]) == (single.tokens, single.sentences)
    assert results[0]["vocab"] == results[1]["vocab"]
    assert 0 < results[0]["local_tokens"] < single.tokens
    assert results[0]["local_tokens"] + results[1]["local_tokens"] == single.tokens


# --- word2vec -----------------------------------------------------------------------------------
def test_two_rank_word2vec_matches_single_process_quality(data_dir: Path, tmp_path: Path):
    """The small version of the benchmark's comparison (benchmarks/bench_dist.py): the same
    total epochs on Brown, 2 ranks averaging every 100k words vs one process."""
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs
    from embedlayer.train import Word2Vec
    from embedlayer.vectors.io import load_vectors

    files = _files(data_dir, ("brown.txt",))
    settings = {"dim": 50, "epochs": 3, "min_count": 5, "workers": 1, "seed": 1}
    vec = tmp_path / "dist.vec"
    procs = _dist.start({"scenario": "word2vec", "files": files, "settings": settings,
                         "sync_every": 100_000, "vectors": str(vec)}, tmp_path / "run")
    single = Word2Vec(**settings).fit(_tokens(files), progress=False).vectors_
    assert _dist.wait(procs, 120) == [0, 0]
    dist = load_vectors(vec)

    def scores(v):
        return (evaluate_word_pairs(v, "ws353-all").spearman,
                evaluate_analogies(v, "google-analogy", restrict_vocab=10_000).accuracy)

    (ws1, an1), (ws2, an2) = scores(single), scores(dist)
    # Brown alone is small: seed-to-seed spread here is about 0.03 (WS-353) and 0.01
    # (analogies), wider than the benchmark's 0.02 / 1.5 points on the full corpora.
    assert abs(ws2 - ws1) <= 0.05, (ws1, ws2)
    assert abs(an2 - an1) <= 0.02, (an1, an2)


def test_killed_rank_leaves_a_checkpoint_that_resumes(data_dir: Path, tmp_path: Path):
    from embedlayer.vectors.io import load_vectors

    files = _files(data_dir, SMALL)
    base = {"scenario": "word2vec", "files": files, "settings": W2V, "sync_every": 50_000,
            "checkpoint": str(tmp_path / "ckpt"), "checkpoint_minutes": 0}
    straight = _dist.start({**base, "checkpoint": str(tmp_path / "other"),
                            "vectors": str(tmp_path / "straight")}, tmp_path / "straight-run")
    assert _dist.wait(straight, 120) == [0, 0]
    codes, results = _dist.run({**base, "kill_rank_after": [1, 0, 3]}, tmp_path / "killed")
    assert codes[1] == -signal.SIGKILL
    assert codes[0] == 1 and results[0]["error"] == "DistributedError"
    assert "rank 0 of 2" in results[0]["message"]
    meta = json.loads((tmp_path / "ckpt" / "checkpoint.json").read_text())
    assert meta["position"] == {"epoch": 0, "round": 4}  # rounds 0-3 synchronized and saved
    codes, results = _dist.run({**base, "resume": True, "vectors": str(tmp_path / "resumed")},
                               tmp_path / "resumed-run")
    assert codes == [0, 0], results
    assert results[0]["report"]["rounds"] == 2 * 6 - 4
    # One worker per rank: the resumed run repeats the uninterrupted one bit for bit.
    a, b = load_vectors(tmp_path / "resumed"), load_vectors(tmp_path / "straight")
    assert a.keys == b.keys and np.array_equal(a.matrix, b.matrix)


def test_empty_shard_trains_nothing_but_takes_part(tmp_path: Path):
    corpus = tmp_path / "one-line.txt"  # one line: the byte-range cut leaves rank 1 nothing
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    corpus.write_text(" ".join(rng.choice(words, size=3000)) + "\n")
    codes, results = _dist.run({"scenario": "word2vec", "trainer": "fasttext",  # fastText too
                                "files": [str(corpus)], "sync_every": 1000,
                                "settings": {**W2V, "sample": 0, "bucket": 1000}},
                               tmp_path / "run")
    assert codes == [0, 0], results
    assert results[1]["report"]["local_words"] == 0
    assert results[0]["report"]["local_words"] == 3000
    assert results[0]["report"]["rounds"] == results[1]["report"]["rounds"] == 2 * 3
    assert results[0]["loss"] == results[1]["loss"] and np.isfinite(results[0]["loss"]).all()


# --- bad launches -----------------------------------------------------------------------------
def test_ranks_with_different_settings_are_refused(data_dir: Path, tmp_path: Path):
    codes, results = _dist.run({"scenario": "word2vec", "files": _files(data_dir, SMALL[:1]),
                                "settings": W2V, "sync_every": 50_000,
                                "rank_settings": [{}, {"window": 7}]}, tmp_path)
    assert codes == [1, 1]
    for res in results:
        assert res["error"] == "ConfigError"
        assert "window: rank 0 5, rank 1 7" in res["message"]


def test_lost_rank_stops_the_run_within_the_timeout(tmp_path: Path):
    procs = _dist.start({"scenario": "lost", "sleep": 60, "timeout": 3}, tmp_path)
    try:
        assert _dist.wait(procs[:1], 30) == [1]
    finally:
        procs[1].kill()
        procs[1].wait()
    res = json.loads((tmp_path / "rank0.json").read_text())
    assert res["error"] == "DistributedError"
    assert "rank 0 of 2: the test exchange failed" in res["message"]
    assert "timeout 3 s" in res["message"]
    assert json.loads((tmp_path / "elapsed.json").read_text()) < 30


def test_cli_distributed_needs_torchrun(tmp_path: Path, data_dir: Path, monkeypatch,
                                        capsys):
    from embedlayer.cli.main import main

    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    code = main(["train", "word2vec", *_files(data_dir, SMALL[:1]), "-o",
                 str(tmp_path / "v"), "--distributed", "--quiet"])
    assert code == 1
    assert "launch with torchrun" in capsys.readouterr().err


def test_cli_under_torchrun(tmp_path: Path, data_dir: Path):
    out = tmp_path / "out.vec"
    env = {**_dist.os.environ, "PYTHONPATH": str(_dist.ROOT / "src"), "NUMBA_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
           "--master-addr", "127.0.0.1", "--master-port", str(_dist.free_port()),
           "-m", "embedlayer", "train", "word2vec", *_files(data_dir, SMALL[:2]), "-o",
           str(out), "--format", "word2vec-text", "--distributed", "--sync-every", "30000",
           "--dim", "8", "--epochs", "1", "--min-count", "3", "--workers", "1", "--quiet"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 ranks:" in proc.stdout and "synchronizations" in proc.stdout
    header = out.read_text().splitlines()[0].split()
    assert int(header[1]) == 8 and int(header[0]) > 1000
    assert not (tmp_path / "out.vec.checkpoint").exists()


# --- DDP ------------------------------------------------------------------------------------------
def test_ddp_classifier_matches_single_process(data_dir: Path, tmp_path: Path):
    from embedlayer.data.classify import read_trec
    from embedlayer.tasks import TextClassifier

    train = read_trec(data_dir / "classify" / "trec" / "train.txt")
    test = read_trec(data_dir / "classify" / "trec" / "test.txt")
    data = tmp_path / "trec.json"
    data.write_text(json.dumps({"train": [list(train.texts), list(train.labels)],
                                "test": [list(test.texts), list(test.labels)]}))
    settings = {"dim": 50, "epochs": 4, "patience": None, "dev_split": 0, "batch_size": 32,
                "learning_rate": 5e-3, "seed": 0, "workers": 1, "sparse": False}
    procs = _dist.start({"scenario": "classify", "data": str(data), "encoder": "bag",
                         "settings": settings}, tmp_path / "run")
    single = TextClassifier("bag", **settings).fit(train.texts, train.labels, progress=False)
    acc1 = single.evaluate(test.texts, test.labels).accuracy
    assert _dist.wait(procs, 120) == [0, 0]
    r0, r1 = (json.loads((tmp_path / "run" / f"rank{r}.json").read_text()) for r in range(2))
    assert r0["accuracy"] == r1["accuracy"]  # DDP: the same weights on every rank
    assert r0["first_weights"] == r1["first_weights"]
    # Seeds 0-2 on one process: 0.834, 0.848, 0.838 (500 test questions).
    assert abs(r0["accuracy"] - acc1) <= 0.03, (acc1, r0["accuracy"])
