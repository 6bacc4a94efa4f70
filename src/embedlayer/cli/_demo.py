"""`embedlayer demo`: the project's founding story, end to end, on the default data.

Thin: parses the flags, calls :func:`embedlayer.demo.run_demo` (which prints each stage as it
goes) and prints where the results are. The pipeline itself lives in ``embedlayer.demo``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="run the whole pipeline on the default data",
        description="Build a vocabulary over the default English corpora, train word2vec on "
                    "them, evaluate the vectors (similarity, analogies), train the founding "
                    "Embedding -> LSTM(64) -> Dense classifier on MR from those vectors, "
                    "and save everything in one folder.")
    p.add_argument("-o", "--output", type=Path, default=Path("embedlayer-demo"),
                   help="folder for the results (default: ./%(default)s)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --output folder of an earlier demo (default: "
                        "refuse)")
    p.add_argument("--min-count", type=int, default=None,
                   help="vocabulary min_count (default: 5; 2 with --quick)")
    p.add_argument("--corpus", action="append", default=None, metavar="NAME",
                   help="dataset name to read instead of the default English corpora "
                        "(repeatable, or comma-separated; see `embedlayer data list`; "
                        "default: the English corpora)")
    p.add_argument("--quick", action="store_true",
                   help="small settings: cbow, 24 dims, 1 epoch; the classifier on 1,200 MR "
                        "sentences for 2 epochs (default: the full run)")
    p.add_argument("--workers", dest="workers", type=int, default=None,
                   help="threads for word2vec and the classifier (default: 2 for word2vec, "
                        "1 torch thread for the classifier, whose batches of 32 short "
                        "sentences gain little from more)")
    p.add_argument("--quiet", action="store_true", help="no progress bars (default: show them)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from embedlayer.demo import DEFAULT_CORPORA, DemoSettings, run_demo
    from embedlayer.errors import ConfigError

    min_count = args.min_count if args.min_count is not None else (2 if args.quick else 5)
    if min_count < 1:
        raise ConfigError(f"--min-count must be >= 1, got {min_count}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    threads = {} if args.workers is None else {"workers": args.workers,
                                                "clf_workers": args.workers}
    settings = DemoSettings.quick(min_count, **threads) if args.quick else \
        DemoSettings(min_count=min_count, **threads)
    corpora = tuple(n for spec in args.corpus for n in spec.split(",") if n) if args.corpus \
        else DEFAULT_CORPORA
    start = time.perf_counter()
    result = run_demo(output=args.output, corpora=corpora, settings=settings, force=args.force,
                      progress=not args.quiet, force_hint="--force")
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in result.output.iterdir())
    print(f"\n== 5/5 saved in {result.output.resolve()} ==")
    print("  " + "  ".join(names))
    stages = ", ".join(f"{k[2:]} {v:.0f} s" for k, v in result.stages.items())
    print(f"done in {time.perf_counter() - start:.0f} s ({stages})")
    return 0
