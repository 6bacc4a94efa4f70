"""`embedlayer inspect`: the inspection report of a transformer checkpoint's embedding layer.

Thin: checks the output folder first, loads the ``--compare`` vectors, calls
``eval.inspect.inspect_checkpoint`` and ``eval.inspect_report.write_report``, prints the Markdown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

_PROBES = "king,paris,good,bank,run,computer,three,##ing,the,."  # eval.inspect.DEFAULT_PROBES
_WORDSIM = "ws353-all,simlex999,men3k"  # eval.inspect.WORDSIM_SETS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect", help="report on a transformer checkpoint's embedding layer",
        description="Read the embedding tables of a local checkpoint folder (or a known name "
                    "such as minilm) and write report.json, report.md and plots into a folder: "
                    "norm vs token frequency (counted with the checkpoint's tokenizer on the "
                    "English corpora), anisotropy before/after all-but-the-top, the singular-"
                    "value spectrum, position cosines, nearest tokens and word similarity of "
                    "the token table. Nothing is downloaded.")
    p.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="checkpoint folder (config.json, *.safetensors, tokenizer.json) or a "
                        "known name: all-MiniLM-L6-v2 / minilm")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FOLDER",
                   help="folder for report.json, report.md and the PNGs (required)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing --output folder of an earlier report (default: "
                        "refuse)")
    p.add_argument("--corpus", action="append", default=None, metavar="NAME",
                   help="dataset names to count token frequencies on (repeatable or comma-"
                        "separated; default: the English corpora of corpora/en)")
    p.add_argument("--max-lines", type=int, default=0,
                   help="read at most this many corpus lines in all; 0 = every line "
                        "(default: %(default)s)")
    p.add_argument("--pairs", type=int, default=100_000,
                   help="random token pairs for the anisotropy (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pairs (default: %(default)s)")
    p.add_argument("--components", type=int, default=0,
                   help="principal components all-but-the-top removes; 0 = dim / 100, at "
                        "least 1 (default: %(default)s)")
    p.add_argument("--probes", default=_PROBES,
                   help="comma-separated probe tokens for nearest neighbours (default: "
                        "%(default)s)")
    p.add_argument("--neighbours", type=int, default=8,
                   help="nearest tokens listed per probe (default: %(default)s)")
    p.add_argument("--wordsim", default=_WORDSIM,
                   help="comma-separated word-similarity sets (default: %(default)s)")
    p.add_argument("--compare", type=Path, default=None, metavar="VECTORS",
                   help="vectors file or folder scored on the same word pairs as the token "
                        "table, e.g. word2vec from `embedlayer train word2vec` (default: none)")
    p.add_argument("--quiet", action="store_true", help="no progress bars (default: show them)")
    p.set_defaults(func=_run)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _run(args: argparse.Namespace) -> int:
    from embedlayer.cli._outputs import check_not_input
    from embedlayer.errors import ConfigError
    from embedlayer.eval.inspect import ENGLISH_CORPORA, inspect_checkpoint
    from embedlayer.eval.inspect_report import check_report_folder, to_markdown, write_report

    for flag, value, low in (("--max-lines", args.max_lines, 0), ("--pairs", args.pairs, 1),
                             ("--seed", args.seed, 0), ("--components", args.components, 0),
                             ("--neighbours", args.neighbours, 1)):
        if value < low:
            raise ConfigError(f"{flag} must be >= {low}, got {value}")
    check_report_folder(args.output, force=args.force)  # before any work
    inputs = [Path(args.checkpoint)] if Path(args.checkpoint).exists() else []
    if args.compare is not None:
        inputs.append(args.compare)
    check_not_input("-o/--output", args.output, inputs)
    compare = None
    if args.compare is not None:
        from embedlayer.cli._vectors import load_compressed_folder
        from embedlayer.vectors.io import load_vectors

        compare = load_compressed_folder(args.compare) or load_vectors(args.compare)
    corpora = tuple(n for spec in args.corpus for n in _split(spec)) if args.corpus \
        else ENGLISH_CORPORA
    result = inspect_checkpoint(
        args.checkpoint, corpora=corpora, max_lines=args.max_lines or None, pairs=args.pairs,
        seed=args.seed, n_components=args.components or None, probes=_split(args.probes),
        neighbours=args.neighbours, wordsim=_split(args.wordsim), compare=compare,
        compare_name=(args.compare.stem or args.compare.name) if args.compare else "compare",
        progress=not args.quiet)
    print(to_markdown(result), end="")
    print(f"wrote {write_report(result, args.output, force=args.force)}")
    return 0
