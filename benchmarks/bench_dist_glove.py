"""GloVe's co-occurrence counting on 1 process against 2 ranks (embedlayer.dist.glove).

    EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_dist_glove.py \
        [--files brown.txt abc.txt ...] [--window 10] [--min-count 5]

Counts corpora/en files (by default brown, abc, movie_reviews, state_union, webtext) three
ways, each from the raw text to the sorted matrix ``cooccurrence.npy`` (word counts and
vocabulary, encoding, pair counting, and for 2 ranks the gather and sum on rank 0; no
shuffle, no training): one process with 1 thread, one process with 2 threads, and 2 ranks of
1 thread (launched with torchrun, gloo on 127.0.0.1). Prints the seconds of each and whether
the 2-rank matrix equals the single-process one: bit for bit with integer increments
(``--no-distance-weighting``, run first), and the largest relative difference of the sums with
1/distance increments (the default).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_FILES = ("brown.txt", "abc.txt", "movie_reviews.txt", "state_union.txt", "webtext.txt")


def _tokens(files: list[str], part: int = 0, parts: int = 1):
    from embedlayer.corpus.shard import TextShard
    from embedlayer.text import TokenStream, get_tokenizer

    return TokenStream(TextShard(files, part=part, parts=parts),
                       get_tokenizer("regex", lowercase=True))


def _settings(args: argparse.Namespace, weighting: bool, workers: int) -> dict:
    return {"dim": 8, "window": args.window, "min_count": args.min_count, "workers": workers,
            "memory_mib": 1024, "distance_weighting": weighting, "seed": 1}


def _single(files: list[str], settings: dict, folder: Path) -> tuple[float, dict]:
    from embedlayer.train import GloVe

    model = GloVe(**settings)
    t = time.perf_counter()
    model._vocabulary(_tokens(files), False)
    model._count_pairs(_tokens(files), folder, False)
    return time.perf_counter() - t, model.timings_


def _parts(timings: dict) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in timings.items())


def _rank(args: argparse.Namespace) -> int:
    from embedlayer.dist import fit_glove_distributed, process_group
    from embedlayer.train import GloVe

    spec = json.loads(Path(args.rank_spec).read_text())
    with process_group(timeout=600) as group:
        part = _tokens(spec["files"], group.rank, group.world_size)
        model = GloVe(**spec["settings"])
        t = time.perf_counter()
        fit_glove_distributed(model, group, part, progress=False, work_dir=spec["work_dir"],
                              train=False)
        seconds = time.perf_counter() - t
        if group.is_main:
            Path(spec["out"]).write_text(json.dumps({"seconds": seconds,
                                                     "timings": model.timings_}))
    return 0


def _two_ranks(files: list[str], settings: dict, folder: Path) -> dict:
    spec = folder / "spec.json"
    out = folder / "result.json"
    spec.write_text(json.dumps({"files": files, "settings": settings,
                                "work_dir": str(folder / "dist"), "out": str(out)}))
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                    "--master-addr", "127.0.0.1", "--master-port", "29517",
                    str(Path(__file__).resolve()), "--rank-spec", str(spec)],
                   env=env, check=True)
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", default=list(DEFAULT_FILES))
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--rank-spec", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank_spec:
        return _rank(args)
    from embedlayer.train._cooccur import open_triples

    root = Path(os.environ.get("EMBEDLAYER_DATA", "../shared/data"))
    files = [str(root / "corpora" / "en" / f) for f in args.files]
    size = sum(os.path.getsize(f) for f in files) / 2**20
    print(f"GloVe co-occurrence counting, {len(files)} files ({size:.1f} MiB), window "
          f"{args.window}, min_count {args.min_count}")
    print("| increments | 1 process x 1 thread (s) | 1 process x 2 threads (s) | "
          "2 ranks x 1 thread (s) | non-zero pairs | 2-rank matrix vs 1 process |")
    print("|---|---|---|---|---|---|")
    breakdown = []
    for weighting in (False, True):
        with tempfile.TemporaryDirectory(prefix="bench-dist-glove-") as tmp:
            base = Path(tmp)
            t1, parts1 = _single(files, _settings(args, weighting, 1), base / "one")
            t2, _ = _single(files, _settings(args, weighting, 2), base / "two")
            dist = _two_ranks(files, _settings(args, weighting, 1), base)
            a = open_triples(base / "one" / "cooccurrence.npy")
            b = open_triples(base / "dist" / "cooccurrence.npy")
            same_pairs = (a.shape == b.shape and np.array_equal(a["row"], b["row"])
                          and np.array_equal(a["col"], b["col"]))
            if not same_pairs:
                verdict = "different pairs"
            elif np.array_equal(a["val"], b["val"]):
                verdict = "identical (bit for bit)"
            else:
                rel = float(np.max(np.abs(a["val"] - b["val"]) / np.abs(a["val"])))
                verdict = f"same pairs, sums within {rel:.1e} relative"
            print(f"| {'1/distance' if weighting else 'integer (1)'} | {t1:.1f} | {t2:.1f} | "
                  f"{dist['seconds']:.1f} | {a.shape[0]:,} | {verdict} |", flush=True)
            breakdown.append(f"- {'1/distance' if weighting else 'integer'}: 1 process x 1 "
                             f"thread: {_parts(parts1)} s; 2 ranks, rank 0: "
                             f"{_parts(dist['timings'])} s")
    print("\nSeconds by phase (count: the slowest rank's, merge: its shards' merge):")
    print("\n".join(breakdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
