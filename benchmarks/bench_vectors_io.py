"""Loading vector files: embedlayer.vectors.io against gensim, on generated files.

Run:  .venv/bin/python benchmarks/bench_vectors_io.py [--repeats 3] [--small]
(needs the bench extra: ``pip install -e '.[bench]'``). Prints a Markdown table. Every
contender runs ``--repeats`` times, interleaved, so machine noise hits all alike; the table
shows the median and the min-max spread. The files are generated (random float32, keys
``w0``, ``w1``, ...) in a temporary folder and read warm (from the page cache).

Cases:
- word2vec binary, 100k x 100: ``load_vectors`` vs ``KeyedVectors.load_word2vec_format``
- word2vec text, 100k x 100: the same, text
- native, 200k x 300: ``load_vectors`` (memory-mapped, ``verify="metadata"``) vs gensim's
  own ``KeyedVectors.load`` (pickle + .npy), and vs ``KeyedVectors.load(mmap="r")``
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embedlayer.vectors import Vectors
from embedlayer.vectors.io import load_vectors, save_vectors


def _vectors(rows: int, dim: int, seed: int = 0) -> Vectors:
    rng = np.random.default_rng(seed)
    return Vectors([f"w{i}" for i in range(rows)], rng.standard_normal((rows, dim), dtype=np.float32))


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _race(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            times[name].append(_time(fn))
    return times


def _row(case: str, name: str, secs: list[float], base: float) -> str:
    med = statistics.median(secs)
    return (f"| {case} | {name} | {med * 1000:,.1f} ms | {min(secs) * 1000:,.1f}-"
            f"{max(secs) * 1000:,.1f} | {base / med:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="10x smaller files (a smoke run)")
    args = parser.parse_args()
    os.environ.setdefault("EMBEDLAYER_PROGRESS", "0")
    logging.getLogger("gensim").setLevel(logging.ERROR)
    from gensim.models import KeyedVectors

    scale = 10 if args.small else 1
    lines = ["| case | reader | median | min-max | vs gensim |", "| --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        w2v = _vectors(100_000 // scale, 100)
        for fmt, name, binary in (("word2vec-binary", "v.bin", True),
                                  ("word2vec-text", "v.txt", False)):
            path = save_vectors(w2v, root / name, format=fmt)
            times = _race({
                "gensim load_word2vec_format": lambda p=path, b=binary:
                    KeyedVectors.load_word2vec_format(str(p), binary=b),
                "embedlayer load_vectors": lambda p=path: load_vectors(p),
            }, args.repeats)
            base = statistics.median(times["gensim load_word2vec_format"])
            case = f"{fmt} {len(w2v):,} x {w2v.dim}"
            lines += [_row(case, n, t, base) for n, t in times.items()]

        big = _vectors(200_000 // scale, 300, seed=1)
        folder = save_vectors(big, root / "native")
        kv = KeyedVectors(big.dim)
        kv.add_vectors(big.keys, np.asarray(big.matrix))
        kv.save(str(root / "gensim.kv"))
        del kv
        times = _race({
            "gensim KeyedVectors.load": lambda: KeyedVectors.load(str(root / "gensim.kv")),
            "gensim KeyedVectors.load(mmap='r')":
                lambda: KeyedVectors.load(str(root / "gensim.kv"), mmap="r"),
            "embedlayer load_vectors (mmap, verify=metadata)": lambda: load_vectors(folder),
            "embedlayer load_vectors (mmap=False, verify=full)":
                lambda: load_vectors(folder, mmap=False),
        }, args.repeats)
        base = statistics.median(times["gensim KeyedVectors.load"])
        case = f"native {len(big):,} x {big.dim}"
        lines += [_row(case, n, t, base) for n, t in times.items()]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
