"""Compressing this project's word2vec and fastText vectors (trained on corpora/en): size, fit
time and quality before and after; neighbour search on PQ codes against dense search; our PQ
trainer against faiss's.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_compress.py
      [--parts w2v,fasttext,truncated,search,trainer] [--repeats 5] [--workers 2]
      [--w2v-methods "int8;pq:m=75"] [--ft-methods "..."] [--search-methods "pq:m=30"]
(needs the bench extra for the faiss row). Prints the command, then one Markdown table a part.

- w2v: skip-gram, 300 dimensions, 41,810 words (``bench_classify``'s vectors, trained once and
  cached). Quality: Spearman on WS-353 (all), SimLex-999, MEN, accuracy on the Google
  analogies over the 30,000 most frequent words (3CosAdd), and their mean; "vs dense" is the
  mean's relative change. Sizes are the arrays' bytes (codes, codebooks, scales, factors),
  keys not counted, against 4 bytes a float.
- fasttext: skip-gram, 100 dimensions, 30,469 words and 2,000,000 n-gram buckets
  (``bench_qa``'s fastText, cached); word similarity composes unknown words from their
  n-grams (``oov="compose"``), so pruning is measured with the OOV words it affects; the
  analogy accuracy is over the questions the dense model answers, a pruned model's
  unanswerable ones counted wrong. ``refine=40`` (least-squares refinement of the re-hashed
  n-gram table) is the value ``prune_subword``'s docstring recommends; it was read off a
  curve of these same word-similarity sets (where more steps stop helping), so the pruned
  rows are not a held-out result.
- truncated: PQ of the rows' projection on their top r singular directions (``pq:rank=r``),
  the candidates of ``TRUNCATED`` (r a fifth to a half of the 300 dimensions, 2 or 3 dimensions
  a byte, with and without OPQ, every one at least 16x smaller), and the rule that picks one
  setting per size bar (>= 16x, >= 32x) without any evaluation set: the highest overlap of the
  top-10 neighbours of 300 random words (seed 0) with the dense vectors' top 10 (ties: the
  one without OPQ, then the smaller). The quality columns are printed for every candidate;
  the pick does not read them.
- search: the same rows twice, as PQ codes (``CompressedVectors``: ADC through
  ``block_dots``) and as the dense float32 matrix rebuilt from those codes (``Vectors``):
  ``most_similar`` of 300 words one at a time, and one ``neighbours`` call of 1,000 query
  vectors (top 10); ``--repeats`` interleaved rounds, medians and min-max, and the ratio.
- trainer: codebooks of the w2v rows with ``fit_pq`` (numba k-means) and with faiss's
  ``ProductQuantizer`` (train + compute_codes), same m, k = 256 and the same training rows;
  time and relative reconstruction error.

Every setting is fixed in this file. Apart from ``refine=40`` (above), none was chosen on the
scores it prints: they are the usual sizes (int8 and 4-bit per row or per dimension; PQ at 4,
5, 6, 10 and 12 dimensions a byte, with and without OPQ at two of them; rank 1/5 and 1/10;
20k words and 100k or 50k buckets).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

W2V_METHODS = ["int8", "int8:axis=dim", "int4", "int4:axis=dim", "pq:m=75", "pq:m=60",
               "pq:m=50", "pq:m=50,opq=true", "pq:m=30", "pq:m=30,opq=true", "pq:m=25",
               "lowrank:rank=60", "lowrank:rank=30"]
FT_METHODS = ["int8", "pq:m=25,opq=true", "prune:keep=20000",
              "prune:keep=20000,buckets=100000+int8",
              "prune:keep=20000,buckets=100000,refine=40+int8",
              "prune:keep=20000,buckets=50000,refine=40+int8",
              "prune:keep=20000,buckets=100000,refine=40+pq:m=25,opq=true"]
TRUNCATED = ["pq:m=60,rank=120", "pq:m=50,rank=100", "pq:m=50,rank=150",
             "pq:m=50,rank=100,opq=true", "pq:m=30,rank=60", "pq:m=30,rank=90",
             "pq:m=25,rank=100", "pq:m=30,rank=60,opq=true", "pq:m=30,rank=90,opq=true"]
SEARCH_METHODS = ["pq:m=75", "pq:m=30", "pq:m=30,rank=60"]
WORDSIM = ("ws353-all", "simlex999", "men3k")


def quality(store, *, compose: bool, answered: int | None = None) -> dict[str, float]:
    """Spearman per word-similarity set, analogy accuracy, their mean. ``answered``: count
    the analogy over that many questions (the dense store's answered set), so a pruned store's
    unanswerable questions count as wrong rather than leaving the set."""
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs

    out = {}
    for name in WORDSIM:
        out[name] = evaluate_word_pairs(store, name, oov="compose" if compose else "skip").spearman
    result = evaluate_analogies(store, "google-analogy", restrict_vocab=30_000)
    out["answered"] = result.answered
    out["analogy"] = result.correct / (answered or result.answered)
    out["mean"] = statistics.fmean(out[k] for k in (*WORDSIM, "analogy"))
    return out


def size_row(name: str, size: int, dense: int, seconds: float, err: float, q: dict,
             q0: dict) -> str:
    change = 100 * (q["mean"] - q0["mean"]) / q0["mean"]
    cells = [name, f"{size / 2**20:.1f}", f"{dense / size:.1f}x", f"{seconds:.1f}",
             f"{err:.3f}", *(f"{q[k]:.4f}" for k in (*WORDSIM, "analogy", "mean")),
             f"{change:+.2f}%"]
    return "| " + " | ".join(cells) + " |"


HEAD = ("| method | MiB | ratio | fit s | rel. error | WS-353 | SimLex | MEN | analogy | mean | "
        "vs dense |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: |")


def part_w2v(args) -> None:
    from bench_classify import pretrained_vectors
    from embedlayer.compress import compress

    store = pretrained_vectors()
    dense = len(store) * store.dim * 4
    q0 = quality(store, compose=False)
    print(f"\n### word2vec: {len(store):,} x {store.dim}\n\n{HEAD}")
    print(size_row("dense float32", dense, dense, 0.0, 0.0, q0, q0), flush=True)
    rows = [{"method": "dense", "bytes": dense, "quality": q0, "mean_cosine": 1.0}]
    for spec in args.w2v_methods.split(";"):
        c = compress(store, spec)
        q = quality(c, compose=False)
        print(size_row(spec, c.nbytes, dense, c.stats.seconds, c.stats.relative_error, q, q0),
              flush=True)
        rows.append({"method": spec, "bytes": c.nbytes, "quality": q,
                     "mean_cosine": c.stats.mean_cosine})
    if args.plot is not None:
        from embedlayer.cli._compress import _plot

        print(f"\nwrote {_plot(rows, args.plot)}")


def part_fasttext(args) -> None:
    from bench_qa import fasttext_vectors
    from embedlayer.compress import compress

    store = fasttext_vectors()
    dense = (len(store) + store.bucket) * store.dim * 4
    q0 = quality(store, compose=True)
    print(f"\n### fastText: {len(store):,} words + {store.bucket:,} buckets x {store.dim}\n\n"
          f"{HEAD}")
    print(size_row("dense float32", dense, dense, 0.0, 0.0, q0, q0), flush=True)
    for spec in args.ft_methods.split(";"):
        t0 = time.perf_counter()
        c = compress(store, spec)
        seconds = time.perf_counter() - t0
        size = c.nbytes if hasattr(c, "nbytes") else (len(c) + c.bucket) * c.dim * 4
        err = c.stats.relative_error if getattr(c, "stats", None) else float("nan")
        print(size_row(spec, size, dense, seconds, err,
                       quality(c, compose=True, answered=q0["answered"]), q0), flush=True)
    print(f"\nanalogy: accuracy over the {q0['answered']:,} questions the dense model answers "
          f"(top 30,000 words); a pruned model's unanswerable questions count as wrong")


def part_truncated(args) -> None:
    import numpy as np

    from bench_classify import pretrained_vectors
    from embedlayer.compress import compress

    store = pretrained_vectors()
    dense = len(store) * store.dim * 4
    rng = np.random.default_rng(0)
    words = [store.keys[i] for i in rng.choice(len(store), 300, replace=False)]
    top = {w: {x for x, _ in store.most_similar(w, topn=10)} for w in words}
    q0 = quality(store, compose=False)
    print(f"\n### word2vec, PQ of a truncation: {len(store):,} x {store.dim}\n")
    print("| method | MiB | ratio | fit s | rel. error | top-10 overlap | WS-353 | SimLex | "
          "MEN | analogy | mean | vs dense |\n| --- | ---: | ---: | ---: | ---: | ---: | "
          "---: | ---: | ---: | ---: | ---: | ---: |")
    picks: dict[int, tuple] = {}
    for spec in args.truncated_methods.split(";"):
        c = compress(store, spec)
        overlap = float(np.mean([len(top[w] & {x for x, _ in c.most_similar(w, topn=10)})
                                 / 10 for w in words]))
        q = quality(c, compose=False)
        ratio = dense / c.nbytes
        print(f"| {spec} | {c.nbytes / 2**20:.1f} | {ratio:.1f}x | {c.stats.seconds:.1f} | "
              f"{c.stats.relative_error:.3f} | {overlap:.3f} | "
              + " | ".join(f"{q[k]:.4f}" for k in (*WORDSIM, "analogy", "mean"))
              + f" | {100 * (q['mean'] - q0['mean']) / q0['mean']:+.2f}% |", flush=True)
        key = (round(overlap, 3), "opq=true" not in spec, -c.nbytes)
        for bar in (16, 32):
            if ratio >= bar and (bar not in picks or key > picks[bar][0]):
                picks[bar] = (key, spec, q)
    print(f"\ndense: mean {q0['mean']:.4f}")
    for bar, (_, spec, q) in sorted(picks.items()):
        print(f"picked for >= {bar}x by top-10 overlap: {spec} "
              f"({100 * (q['mean'] - q0['mean']) / q0['mean']:+.2f}% vs dense)")


def part_search(args) -> None:
    import numpy as np

    from bench_classify import pretrained_vectors
    from embedlayer.compress import compress
    from embedlayer.vectors import Vectors

    store = pretrained_vectors()
    for spec in args.search_methods.split(";"):
        pq = compress(store, spec)
        dense = Vectors(pq.vocab, pq.matrix)  # the same rows, rebuilt once, as floats
        words = pq.keys[100:400]
        rng = np.random.default_rng(0)
        batch = rng.standard_normal((1000, store.dim)).astype(np.float32)
        timings: dict[str, list[float]] = {k: [] for k in
                                           ("single pq", "single dense", "batch pq",
                                            "batch dense")}
        same = 0
        for _ in range(args.repeats):
            for name, s in (("pq", pq), ("dense", dense)):
                t0 = time.perf_counter()
                answers = [s.most_similar(w, topn=10) for w in words]
                timings[f"single {name}"].append(time.perf_counter() - t0)
                if name == "pq":
                    first = answers
                else:
                    same = sum(a == b for a, b in zip(
                        ([w for w, _ in x] for x in first), ([w for w, _ in x] for x in answers),
                        strict=True))
                t0 = time.perf_counter()
                s.neighbours(batch, topn=10)
                timings[f"batch {name}"].append(time.perf_counter() - t0)
        print(f"\n### neighbour search, {spec} codes against the same rows as floats "
              f"({len(store):,} x {store.dim}; {args.repeats} rounds, {args.workers} threads)\n")
        print("| query | PQ codes median s (min-max) | dense median s (min-max) | "
              "dense / PQ time |\n| --- | ---: | ---: | ---: |")
        for kind, label in (("single", "300 x most_similar(word), one at a time"),
                            ("batch", "neighbours(1,000 vectors), top 10")):
            a, b = timings[f"{kind} pq"], timings[f"{kind} dense"]
            print(f"| {label} | {statistics.median(a):.3f} ({min(a):.3f}-{max(a):.3f}) | "
                  f"{statistics.median(b):.3f} ({min(b):.3f}-{max(b):.3f}) | "
                  f"{statistics.median(b) / statistics.median(a):.2f} |")
        print(f"\nsame top-10 words in {same} of {len(words)} single queries "
              f"(ties in float rounding aside)")


def part_trainer(args) -> None:
    import numpy as np

    from bench_classify import pretrained_vectors
    from embedlayer.compress import fit_pq

    store = pretrained_vectors()
    x = np.ascontiguousarray(store.matrix, dtype=np.float32)
    print("\n### PQ trainer: fit_pq (numba k-means) against faiss ProductQuantizer, "
          f"{len(x):,} x {x.shape[1]}, k = 256, 25 iterations, all rows trained on\n")
    print("| m | trainer | median s (min-max) | rel. error |\n| ---: | --- | ---: | ---: |")
    for m in (75, 30):
        ours, theirs = [], []
        err_ours = err_theirs = float("nan")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            codec = fit_pq(x, m=m, k=256, iters=25, sample=len(x))
            ours.append(time.perf_counter() - t0)
            err_ours = float(np.linalg.norm(codec.decode_range(0, len(x)) - x)
                             / np.linalg.norm(x))
            try:
                import faiss
            except ModuleNotFoundError:
                continue
            t0 = time.perf_counter()
            pq = faiss.ProductQuantizer(x.shape[1], m, 8)
            pq.cp.niter = 25
            pq.cp.max_points_per_centroid = len(x)  # train on every row, as fit_pq here
            pq.train(x)
            codes = pq.compute_codes(x)
            theirs.append(time.perf_counter() - t0)
            err_theirs = float(np.linalg.norm(pq.decode(codes) - x) / np.linalg.norm(x))
        print(f"| {m} | fit_pq | {statistics.median(ours):.1f} ({min(ours):.1f}-{max(ours):.1f})"
              f" | {err_ours:.4f} |")
        if theirs:
            print(f"| {m} | faiss | {statistics.median(theirs):.1f} ({min(theirs):.1f}-"
                  f"{max(theirs):.1f}) | {err_theirs:.4f} |")


def plot_from(outputs: list[Path], path: Path, section: str) -> Path:
    """The size-vs-quality plot of the rows of one table (``section``: "word2vec" or
    "fastText") printed by earlier runs of this script (their saved output)."""
    from embedlayer.cli._compress import _plot

    rows = []
    for out in outputs:
        inside = False
        mean = 9
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.startswith("### "):
                inside = line.startswith(f"### {section}")
            elif inside and line.startswith("| method"):
                mean = [c.strip() for c in line.strip("|").split("|")].index("mean")
            elif inside and line.startswith("| ") and not line.startswith("| ---"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if cells[0] == "dense float32" and any(r["method"] == "dense" for r in rows):
                    continue
                rows.append({"method": "dense" if cells[0] == "dense float32" else cells[0],
                             "bytes": float(cells[1]) * 2**20,
                             "quality": {"mean": float(cells[mean])}, "mean_cosine": 1.0})
    return _plot(rows, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="w2v,fasttext,truncated,search,trainer",
                        help="comma-separated parts (default: %(default)s)")
    parser.add_argument("--w2v-methods", default=";".join(W2V_METHODS),
                        help="the word2vec rows, ';'-separated (default: %(default)s)")
    parser.add_argument("--ft-methods", default=";".join(FT_METHODS),
                        help="the fastText rows, ';'-separated (default: %(default)s)")
    parser.add_argument("--truncated-methods", default=";".join(TRUNCATED),
                        help="the candidates of the truncated part, ';'-separated (default: "
                             "%(default)s)")
    parser.add_argument("--search-methods", default=";".join(SEARCH_METHODS),
                        help="the PQ settings the search part times, ';'-separated (default: "
                             "%(default)s)")
    parser.add_argument("--plot", type=Path, default=None,
                        help="write the word2vec rows' size-vs-quality plot here (default: none)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timing rounds for search and trainer (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2,
                        help="numba / BLAS threads (default: %(default)s)")
    parser.add_argument("--plot-from", type=Path, nargs="+", default=None,
                        help="compute nothing: plot the tables of these saved outputs into "
                             "--plot, the --plot-section table (default: off)")
    parser.add_argument("--plot-section", default="word2vec",
                        help="which table --plot-from plots (default: %(default)s)")
    args = parser.parse_args()
    if args.plot_from:
        print(f"wrote {plot_from(args.plot_from, args.plot, args.plot_section)}")
        return
    os.environ.setdefault("EMBEDLAYER_PROGRESS", "0")
    import numba

    numba.set_num_threads(args.workers)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.workers)
    except ModuleNotFoundError:
        pass
    print(f"command: python benchmarks/bench_compress.py {shlex.join(sys.argv[1:])}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    for part in args.parts.split(","):
        {"w2v": part_w2v, "fasttext": part_fasttext, "truncated": part_truncated,
         "search": part_search, "trainer": part_trainer}[part.strip()](args)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; {time.perf_counter() - t0:.0f} s "
          f"in all")


if __name__ == "__main__":
    main()
