"""Loading and querying vector files: embedlayer.vectors.io against gensim, in one run.

Run:  .venv/bin/python benchmarks/bench_vectors_io.py [--repeats 5] [--cache DIR] [--quick]
(needs the bench extra: ``pip install -e '.[bench]'``, which brings gensim and facebook's
fasttext). Prints a Markdown table for docs/benchmarks.md, headed by the command line and the
machine's load. Every contender runs ``--repeats`` times, interleaved, so machine noise hits
all alike; the table shows the median, the min-max spread and the ratio to gensim (> 1: we
are faster). Files are read warm (from the page cache).

Cases (sizes from ``SETTINGS``; ``--quick`` shrinks every one for a smoke run):
- word2vec binary and text, 100k x 100: ``load_vectors`` vs ``KeyedVectors.load_word2vec_format``.
- native 200k x 300 vs gensim's own format, both memory-mapped (``load_vectors`` vs
  ``KeyedVectors.load(path, mmap="r")``), measured twice: load + the first lookup (what a
  memory map makes cheap), and a full read that touches every row (what it only defers).
  gensim's pickle load without ``mmap`` is listed too.
- fastText .bin: a realistically sized model (trained once by facebook fastText on the
  English corpora of the data path, dim 100, the default 2M n-gram buckets, and kept in
  ``--cache``): load + 1,000 in-vocabulary lookups + 1,000 compositions of unknown words,
  word by word, vs gensim's ``load_facebook_vectors`` doing the same.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from embedlayer.vectors import Vectors
from embedlayer.vectors.io import load_vectors, save_vectors

# Both sides' settings, from one place. "quick" is a smoke run only: never publish it.
SETTINGS = {
    "full": {"w2v_rows": 100_000, "w2v_dim": 100, "native_rows": 200_000, "native_dim": 300,
             "ft_dim": 100, "ft_bucket": 2_000_000, "ft_epoch": 5, "ft_min_count": 5,
             "ft_corpus_lines": None, "ft_threads": 4, "queries": 1000},
    "quick": {"w2v_rows": 2_000, "w2v_dim": 20, "native_rows": 4_000, "native_dim": 30,
              "ft_dim": 16, "ft_bucket": 100_000, "ft_epoch": 1, "ft_min_count": 5,
              "ft_corpus_lines": 20_000, "ft_threads": 1, "queries": 50},
}
CORPORA = ("brown", "movie_reviews", "abc", "state_union", "inaugural", "webtext", "genesis",
           "lee_background")


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


def _rows(case: str, times: dict[str, list[float]], base_name: str) -> list[str]:
    base = statistics.median(times[base_name])
    out = []
    for name, secs in times.items():
        med = statistics.median(secs)
        out.append(f"| {case} | {name} | {med * 1000:,.1f} ms | {min(secs) * 1000:,.1f}-"
                   f"{max(secs) * 1000:,.1f} | {base / med:.2f}x |")
    return out


# --- the fastText model ------------------------------------------------------------------
def _corpus_file(data: Path, out: Path, max_lines: int | None) -> Path:
    """The English corpora concatenated into one file (fastText reads one file)."""
    with open(out, "w", encoding="utf-8") as fh:
        written = 0
        for name in CORPORA:
            for line in (data / "corpora" / "en" / f"{name}.txt").read_text(
                    encoding="utf-8").splitlines():
                fh.write(line.lower() + "\n")
                written += 1
                if max_lines is not None and written >= max_lines:
                    return out
    return out


def fasttext_model(cache: Path, data: Path, s: dict) -> Path:
    """The .bin for these settings, trained once by facebook fastText and kept in ``cache``."""
    path = cache / f"fasttext-en-d{s['ft_dim']}-b{s['ft_bucket']}-e{s['ft_epoch']}.bin"
    if path.is_file():
        return path
    import fasttext

    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        corpus = _corpus_file(data, Path(tmp) / "corpus.txt", s["ft_corpus_lines"])
        print(f"training {path.name} with facebook fastText (once)...", file=sys.stderr)
        model = fasttext.train_unsupervised(
            str(corpus), model="skipgram", dim=s["ft_dim"], bucket=s["ft_bucket"],
            epoch=s["ft_epoch"], minCount=s["ft_min_count"], thread=s["ft_threads"], verbose=0)
        partial = Path(tmp) / path.name
        model.save_model(str(partial))
        os.replace(partial, path)  # complete or absent: never a half-written model
    return path


def _ft_queries(path: Path, n: int) -> tuple[list[str], list[str]]:
    """``n`` vocabulary words (spread over the frequency ranks) and ``n`` unknown words."""
    keys = load_vectors(path, progress=False).keys
    step = max(1, len(keys) // n)
    known = keys[::step][:n]
    unknown = [w + "zq" for w in known]  # "zq" follows no English word: never in the vocabulary
    return known, unknown


def _ours_bin(path: Path, known: list[str], unknown: list[str]) -> None:
    sv = load_vectors(path, progress=False)
    for w in known:
        sv[w]
    for w in unknown:
        sv[w]


def _gensim_bin(path: Path, known: list[str], unknown: list[str]) -> None:
    from gensim.models.fasttext import load_facebook_vectors

    kv = load_facebook_vectors(str(path))
    for w in known:
        kv[w]
    for w in unknown:
        kv[w]


# --- runs -----------------------------------------------------------------------------
def _native_vs_gensim(root: Path, s: dict, repeats: int) -> list[str]:
    from gensim.models import KeyedVectors

    big = _vectors(s["native_rows"], s["native_dim"], seed=1)
    folder = save_vectors(big, root / "native", progress=False)
    kv = KeyedVectors(big.dim)
    kv.add_vectors(big.keys, np.asarray(big.matrix))
    kv.save(str(root / "gensim.kv"))
    del kv
    gkv = str(root / "gensim.kv")
    probe = big.keys[len(big) // 2]

    def ours_first() -> None:
        load_vectors(folder, progress=False)[probe]

    def gensim_first() -> None:
        KeyedVectors.load(gkv, mmap="r")[probe]

    def ours_full() -> None:
        m = load_vectors(folder, progress=False).matrix
        float(np.asarray(m, dtype=np.float32).sum(dtype=np.float64))  # touches every row

    def gensim_full() -> None:
        m = KeyedVectors.load(gkv, mmap="r").vectors
        float(np.asarray(m, dtype=np.float32).sum(dtype=np.float64))

    case = f"native {len(big):,} x {big.dim}"
    lines = _rows(f"{case}, load + first lookup", _race({
        "gensim KeyedVectors.load(mmap='r')": gensim_first,
        "embedlayer load_vectors (mmap, verify=metadata)": ours_first,
    }, repeats), "gensim KeyedVectors.load(mmap='r')")
    lines += _rows(f"{case}, load + read every row", _race({
        "gensim KeyedVectors.load(mmap='r')": gensim_full,
        "gensim KeyedVectors.load (pickle, no mmap)": lambda: KeyedVectors.load(gkv).vectors.sum(),
        "embedlayer load_vectors (mmap, verify=metadata)": ours_full,
        "embedlayer load_vectors (mmap=False, verify=full)":
            lambda: load_vectors(folder, mmap=False, progress=False).matrix.sum(),
    }, repeats), "gensim KeyedVectors.load(mmap='r')")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="interleaved repeats per contender (default: %(default)s)")
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("EMBEDLAYER_CACHE",
                                                    Path.home() / ".cache" / "embedlayer")) / "bench",
                        help="where the trained fastText model is kept (default: %(default)s)")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("EMBEDLAYER_DATA",
                                                                         "../shared/data")),
                        help="the data path holding corpora/en (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes for a smoke run; never publish its numbers "
                             "(default: the full sizes)")
    args = parser.parse_args()
    s = SETTINGS["quick" if args.quick else "full"]
    os.environ.setdefault("EMBEDLAYER_PROGRESS", "0")
    logging.getLogger("gensim").setLevel(logging.ERROR)
    from gensim.models import KeyedVectors

    model = fasttext_model(args.cache, args.data, s)
    known, unknown = _ft_queries(model, s["queries"])
    load1, load5, load15 = os.getloadavg()
    lines = [f"`{shlex.join(['python', *sys.argv])}` — load average {load1:.2f} / {load5:.2f} / "
             f"{load15:.2f}, {os.cpu_count()} CPUs", "",
             "| case | reader | median | min-max | vs gensim |",
             "| --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        w2v = _vectors(s["w2v_rows"], s["w2v_dim"])
        for fmt, name, binary in (("word2vec-binary", "v.bin", True),
                                  ("word2vec-text", "v.txt", False)):
            path = save_vectors(w2v, root / name, format=fmt, progress=False)
            lines += _rows(f"{fmt} {len(w2v):,} x {w2v.dim}", _race({
                "gensim load_word2vec_format": lambda p=path, b=binary:
                    KeyedVectors.load_word2vec_format(str(p), binary=b),
                "embedlayer load_vectors": lambda p=path: load_vectors(p, progress=False),
            }, args.repeats), "gensim load_word2vec_format")
        lines += _native_vs_gensim(root, s, args.repeats)
    size_mb = model.stat().st_size / 1e6
    lines += _rows(f"fastText .bin ({size_mb:,.0f} MB, dim {s['ft_dim']}, {s['ft_bucket']:,} "
                   f"buckets): load + {len(known):,} lookups + {len(unknown):,} unknown words",
                   _race({
                       "gensim load_facebook_vectors": lambda: _gensim_bin(model, known, unknown),
                       "embedlayer load_vectors": lambda: _ours_bin(model, known, unknown),
                   }, args.repeats), "gensim load_facebook_vectors")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
