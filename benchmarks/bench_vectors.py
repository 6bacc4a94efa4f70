"""Vectors against gensim's KeyedVectors on a 200k x 300 random matrix, in one run.

Run:  .venv/bin/python benchmarks/bench_vectors.py [--rows 200000 --dim 300 --repeats 5]
(needs gensim: ``pip install -e '.[bench]'``). Prints Markdown for docs/benchmarks.md.

Measured, each ``--repeats`` times, contenders interleaved (medians and min-max):
- load: our native folder (memory-mapped, metadata checksums; and read fully with the
  matrix checksum), gensim's own ``KeyedVectors.load`` (pickle + .npy), and word2vec binary
  read by us and by gensim;
- ``most_similar``: one query (median over 20 words), and a batch of 1,000 query words
  (ours: one blocked ``nearest`` call; gensim has no batch call, so 1,000 ``most_similar``);
- peak memory (tracemalloc: every numpy allocation) during the batch, next to the matrix size.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embedlayer.vectors import Vectors, nearest
from embedlayer.vectors.io import load_vectors, save_vectors


def _time(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _peak(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    keys = [f"word{i}" for i in range(args.rows)]
    matrix = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    ours = Vectors(keys, matrix)
    kv = KeyedVectors(args.dim)
    kv.add_vectors(keys, matrix)

    tmp = Path(tempfile.mkdtemp(prefix="bench-vectors-"))
    save_vectors(ours, tmp / "native", format="native")
    save_vectors(ours, tmp / "w2v.bin", format="word2vec-binary")
    kv.save(str(tmp / "gensim.kv"))

    loads: dict[str, Callable[[], object]] = {
        "embedlayer native (mmap, metadata verified)": lambda: load_vectors(tmp / "native"),
        # Keys of a verified native folder are parsed on first use: this row pays for that.
        "embedlayer native (mmap) + first lookup": lambda: load_vectors(tmp / "native")["word7"],
        "embedlayer native (read, full sha256)": lambda: load_vectors(
            tmp / "native", mmap=False, verify="full"),
        "gensim KeyedVectors.load (own format)": lambda: KeyedVectors.load(str(tmp / "gensim.kv")),
        "embedlayer word2vec binary": lambda: load_vectors(tmp / "w2v.bin"),
        "gensim load_word2vec_format binary": lambda: KeyedVectors.load_word2vec_format(
            str(tmp / "w2v.bin"), binary=True),
    }
    single_words = [keys[i] for i in rng.integers(0, args.rows, size=20)]
    batch_words = [keys[i] for i in rng.integers(0, args.rows, size=1000)]
    batch_ids = [[ours.vocab[w]] for w in batch_words]

    def ours_single() -> None:
        for w in single_words:
            ours.most_similar(w, topn=10)

    def gensim_single() -> None:
        for w in single_words:
            kv.most_similar(w, topn=10)

    def ours_batch() -> None:
        nearest(ours, ours.lookup(batch_words), topn=10, exclude=batch_ids)

    def gensim_batch() -> None:
        for w in batch_words:
            kv.most_similar(w, topn=10)

    queries = {
        "most_similar, 1 query (per query)": (ours_single, gensim_single, len(single_words)),
        "most_similar, batch of 1,000": (ours_batch, gensim_batch, 1),
    }
    ours.norms  # noqa: B018 - both sides get their norms cached before timing
    kv.fill_norms()
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        for name, fn in loads.items():
            times.setdefault(f"load: {name}", []).append(_time(fn))
        for name, (mine, theirs, per) in queries.items():
            times.setdefault(f"{name}: embedlayer", []).append(_time(mine) / per)
            times.setdefault(f"{name}: gensim", []).append(_time(theirs) / per)

    print(f"{args.rows:,} x {args.dim} float32 ({matrix.nbytes / 2**20:.0f} MiB), "
          f"{args.repeats} interleaved repeats\n")
    print("| what | median s | min-max s |")
    print("| --- | ---: | ---: |")
    for name, ts in times.items():
        print(f"| {name} | {statistics.median(ts):.4f} | {min(ts):.4f}-{max(ts):.4f} |")

    def ratio(slow: str, fast: str) -> float:
        return statistics.median(times[slow]) / statistics.median(times[fast])

    print()
    print(f"- native load vs gensim's own format: "
          f"{ratio('load: gensim KeyedVectors.load (own format)', 'load: embedlayer native (mmap, metadata verified)'):.0f}x faster "
          f"(fully read with sha256: "
          f"{ratio('load: gensim KeyedVectors.load (own format)', 'load: embedlayer native (read, full sha256)'):.1f}x)")
    print(f"- native load + first key lookup vs gensim's own format: "
          f"{ratio('load: gensim KeyedVectors.load (own format)', 'load: embedlayer native (mmap) + first lookup'):.1f}x faster")
    print(f"- word2vec binary load vs gensim: "
          f"{ratio('load: gensim load_word2vec_format binary', 'load: embedlayer word2vec binary'):.1f}x faster")
    for name in queries:
        print(f"- {name}: {ratio(f'{name}: gensim', f'{name}: embedlayer'):.1f}x faster than gensim")

    peak_ours = _peak(ours_batch)
    peak_gensim = _peak(lambda: [kv.most_similar(w, topn=10) for w in batch_words[:50]])
    print(f"- peak memory during the 1,000-query batch: {peak_ours / 2**20:.0f} MiB of "
          f"temporaries (one score block is at most 64 MiB of float32), against a {matrix.nbytes / 2**20:.0f} MiB matrix; gensim (one query at a "
          f"time): {peak_gensim / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
