"""`embedlayer eval`: score vector files on word similarity, analogies and Lee docsim.

Thin: loads each vector file, calls ``eval.run_suite``, prints the table and writes the
requested JSON / Markdown / PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="evaluate vector files (similarity, analogies, docsim)",
        description="Evaluate one or more vector files side by side. With no --wordsim, "
                    "--analogy or --docsim the standard suite runs (8 word-similarity sets, the "
                    "Google analogies, Lee docsim).")
    p.add_argument("vectors", nargs="+", type=Path, metavar="VECTORS",
                   help="vector files or native folders (format auto-detected)")
    p.add_argument("--suite", choices=["standard"], default=None,
                   help="run the standard suite (also added to any sets named below)")
    p.add_argument("--wordsim", action="append", default=[], metavar="FILE_OR_NAME",
                   help="word-pair similarity set: a file or a dataset name such as simlex999")
    p.add_argument("--analogy", action="append", default=[], metavar="FILE_OR_NAME",
                   help="analogy set: a file or a dataset name (google-analogy, ca8-semantic)")
    p.add_argument("--docsim", choices=["lee"], default=None, help="document similarity set")
    p.add_argument("--oov", choices=["skip", "zero", "mean"], default="skip",
                   help="word pairs with unknown words: skip (report coverage), score 0, or use "
                        "the mean vector (default skip)")
    p.add_argument("--restrict-vocab", type=int, default=30_000,
                   help="analogies use the top N words (default 30000; 0 = all)")
    p.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd",
                   help="analogy method (default 3cosadd)")
    p.add_argument("--case-sensitive", action="store_true", help="match words case-sensitively")
    p.add_argument("--json", type=Path, default=None, metavar="OUT", help="write the JSON report")
    p.add_argument("--markdown", type=Path, default=None, metavar="OUT",
                   help="write a Markdown table")
    p.add_argument("--plot", type=Path, default=None, metavar="OUT.png",
                   help="write a bar chart (needs the 'plot' extra)")
    p.set_defaults(func=_run)


def _names(paths: list[Path]) -> list[str]:
    names = [p.stem or p.name for p in paths]
    if len(set(names)) < len(names):  # same stem twice: fall back to the full paths
        names = [str(p) for p in paths]
    return names


def _run(args: argparse.Namespace) -> int:
    from embedlayer.errors import ConfigError
    from embedlayer.eval import STANDARD_ANALOGY, STANDARD_WORDSIM, run_suite
    from embedlayer.eval.report import print_table, write_json, write_markdown, write_plot
    from embedlayer.vectors.io import load_vectors

    if args.restrict_vocab < 0:
        raise ConfigError(f"--restrict-vocab must be >= 0, got {args.restrict_vocab}")
    standard = args.suite == "standard" or not (args.wordsim or args.analogy or args.docsim)
    wordsim = [*(STANDARD_WORDSIM if standard else ()), *args.wordsim]
    analogy = [*(STANDARD_ANALOGY if standard else ()), *args.analogy]
    stores = {name: load_vectors(path)
              for name, path in zip(_names(args.vectors), args.vectors, strict=True)}
    report = run_suite(
        stores, wordsim=list(dict.fromkeys(wordsim)), analogy=list(dict.fromkeys(analogy)),
        docsim=standard or args.docsim == "lee", oov=args.oov,
        restrict_vocab=args.restrict_vocab or None, method=args.method,
        case_insensitive=not args.case_sensitive,
    )
    print_table(report)
    for path, writer in ((args.json, write_json), (args.markdown, write_markdown),
                         (args.plot, write_plot)):
        if path is not None:
            print(f"wrote {writer(report, path)}")
    return 0
