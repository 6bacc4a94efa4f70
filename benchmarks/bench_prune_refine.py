"""prune_subword with and without the least-squares refinement of its n-gram table.

Prunes this project's fastText model (bench-pretrained cache: 30k words, 2M buckets, dim
100) to ``--keep`` word rows and each of ``--buckets`` n-gram rows, with each ``--refine``
iteration count and each ``--power`` of the word weights (c_w = count ** power), and prints
the mean Spearman of WS-353 (all), SimLex-999 and MEN (oov="compose"), the Google analogy
accuracy (restrict_vocab=30000) and the time prune_subword took. These three word-similarity
sets are also the sets the defaults were chosen on: the numbers are not a held-out score.

    EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_prune_refine.py
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

SIM_SETS = ("ws353-all", "simlex999", "men3k")


def score(store) -> tuple[float, str]:
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs

    sims = [evaluate_word_pairs(store, name, oov="compose").spearman for name in SIM_SETS]
    res = evaluate_analogies(store, "google-analogy", restrict_vocab=30000)
    return float(np.mean(sims)), f"{res.accuracy:.4f} ({res.answered})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=int, default=20000)
    ap.add_argument("--buckets", type=int, nargs="+", default=[100000, 50000])
    ap.add_argument("--refine", type=int, nargs="+", default=[0, 5, 10, 20, 40])
    ap.add_argument("--power", type=float, nargs="+", default=[0.5, 1.0])
    ap.add_argument("--no-original", action="store_true")
    args = ap.parse_args()

    from embedlayer.compress import prune
    from embedlayer.vectors.io import load_vectors

    cache = Path(os.environ.get("EMBEDLAYER_CACHE", Path.home() / ".cache" / "embedlayer"))
    path = next((cache / "bench-pretrained").glob("ft-*.bin"))
    store = load_vectors(path)
    print(f"model {path.name[:40]}...: {store!r}; load average {os.getloadavg()[0]:.2f}")
    print("| keep | buckets | refine | weight | mean Spearman (3 sets) | Google analogy (answered) | s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    if not args.no_original:
        sim, acc = score(store)
        print(f"| all | {store.bucket} | - | - | {sim:.4f} | {acc} | - |", flush=True)
    for buckets in args.buckets:
        for refine in args.refine:
            for power in args.power if refine else [None]:
                if power is not None:
                    prune._WEIGHT_POWER = power
                t0 = time.perf_counter()
                small = prune.prune_subword(store, keep_words=args.keep, buckets=buckets,
                                            refine=refine)
                seconds = time.perf_counter() - t0
                sim, acc = score(small)
                weight = "-" if power is None else f"count^{power:g}"
                print(f"| {args.keep} | {buckets} | {refine} | {weight} | {sim:.4f} | "
                      f"{acc} | {seconds:.1f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
