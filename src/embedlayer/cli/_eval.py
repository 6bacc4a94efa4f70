"""`embedlayer eval`: score vector files on word similarity, analogies and Lee docsim.

Thin: loads each vector file, calls ``eval.run_suite``, prints the table and writes the
requested JSON / Markdown / PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._vectors import add_read_args

    p = sub.add_parser(
        "eval", help="evaluate vector files (similarity, analogies, docsim)",
        description="Evaluate one or more vector files side by side. With no --wordsim, "
                    "--analogy or --docsim the standard suite runs (8 word-similarity sets, the "
                    "Google analogies, Lee docsim). Registered datasets are checked against "
                    "their sha256 first; a changed copy is refused.")
    p.add_argument("vectors", nargs="+", type=Path, metavar="VECTORS",
                   help="vector files or native folders (format auto-detected)")
    p.add_argument("--suite", choices=["standard"], default=None,
                   help="run the standard suite (also added to any sets named below) "
                        "(default: only when no set is named)")
    p.add_argument("--wordsim", action="append", default=[], metavar="SETS",
                   help="word-pair similarity sets, comma-separated: files or dataset names "
                        "such as simlex999,ws353-all (repeatable; default: none)")
    p.add_argument("--analogy", action="append", default=[], metavar="SETS",
                   help="analogy sets, comma-separated: files or dataset names "
                        "(google-analogy, ca8-semantic) (repeatable; default: none)")
    p.add_argument("--docsim", choices=["lee"], default=None,
                   help="document similarity set (default: none)")
    p.add_argument("--oov", choices=["skip", "zero", "mean", "compose"], default="skip",
                   help="word pairs with unknown words: skip (report coverage), score 0, use "
                        "the mean vector, or compose them from character n-grams (fastText "
                        ".bin models only) (default: %(default)s)")
    p.add_argument("--restrict-vocab", type=int, default=30_000,
                   help="analogies use the top N words; 0 = all (default: %(default)s)")
    p.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd",
                   help="analogy method (default: %(default)s)")
    p.add_argument("--case-sensitive", action="store_true",
                   help="match words case-sensitively (default: case-insensitive, as gensim)")
    p.add_argument("--json", type=Path, default=None, metavar="OUT",
                   help="write the JSON report (default: none)")
    p.add_argument("--markdown", type=Path, default=None, metavar="OUT",
                   help="write a Markdown table (default: none)")
    p.add_argument("--plot", type=Path, default=None, metavar="OUT.png",
                   help="write a bar chart, needs the 'plot' extra (default: none)")
    p.add_argument("--force", action="store_true",
                   help="replace existing --json/--markdown/--plot files (default: refuse)")
    add_read_args(p)
    p.set_defaults(func=_run)


def _names(paths: list[Path]) -> list[str]:
    names = [p.stem or p.name for p in paths]
    if len(set(names)) < len(names):  # same stem twice: fall back to the full paths
        names = [str(p) for p in paths]
    return names


def _split(values: list[str]) -> list[str]:
    """Comma-separated lists, from one or several uses of a flag, in order."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _run(args: argparse.Namespace) -> int:
    from embedlayer.cli._vectors import check_output, flag_hints, load
    from embedlayer.errors import ConfigError
    from embedlayer.eval import STANDARD_ANALOGY, STANDARD_WORDSIM, run_suite
    from embedlayer.eval.report import print_table, write_json, write_markdown, write_plot

    if args.restrict_vocab < 0:
        raise ConfigError(f"--restrict-vocab must be >= 0, got {args.restrict_vocab}")
    outputs = [(flag, path, writer) for flag, path, writer in (
        ("--json", args.json, write_json), ("--markdown", args.markdown, write_markdown),
        ("--plot", args.plot, write_plot)) if path is not None]
    for flag, path, _ in outputs:  # before any vectors are read or scored
        check_output(path, force=args.force, flag=flag, inputs=args.vectors)
    extra_ws, extra_an = _split(args.wordsim), _split(args.analogy)
    standard = args.suite == "standard" or not (extra_ws or extra_an or args.docsim)
    wordsim = [*(STANDARD_WORDSIM if standard else ()), *extra_ws]
    analogy = [*(STANDARD_ANALOGY if standard else ()), *extra_an]
    stores = {name: load(args, path)
              for name, path in zip(_names(args.vectors), args.vectors, strict=True)}
    with flag_hints(args.format_flag):
        report = run_suite(
            stores, wordsim=list(dict.fromkeys(wordsim)), analogy=list(dict.fromkeys(analogy)),
            docsim=standard or args.docsim == "lee", oov=args.oov,
            restrict_vocab=args.restrict_vocab or None, method=args.method,
            case_insensitive=not args.case_sensitive, progress=not args.quiet,
        )
    print_table(report)
    for _, path, writer in outputs:
        print(f"wrote {writer(report, path)}")
    return 0
