"""`embedlayer vectors`: inspect, convert and query word-vector files of any supported format.

``info`` summarizes a file (format, size, norms, a few keys); ``convert`` reads one format and
writes another; ``similar`` and ``analogy`` answer nearest-neighbour questions. Each command
calls one public function of ``embedlayer.vectors`` and prints; errors are embedlayer's own
and become one line on stderr in ``cli/main.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from embedlayer.vectors.io.formats import FORMATS, READ_ONLY_FORMATS

_WRITABLE = [f for f in FORMATS if f not in READ_ONLY_FORMATS]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("vectors", help="inspect, convert and query word-vector files",
                            description="Inspect, convert and query word-vector files "
                                        f"({', '.join(FORMATS)}).")
    cmds = parser.add_subparsers(dest="vectors_command", metavar="SUBCOMMAND", required=True)

    info = cmds.add_parser("info", help="summarize a vectors file",
                           description="Print the format, the number of vectors, the dimension, "
                                       "the dtype, a summary of the row norms and a few keys.")
    info.add_argument("file", type=Path, metavar="FILE", help="vectors file or folder")
    _read_args(info, "--format")
    info.add_argument("--keys", type=int, default=10, help="how many keys to list (default 10)")
    info.set_defaults(func=_info)

    convert = cmds.add_parser("convert", help="convert vectors from one format to another",
                              description="Read IN (format detected from its content unless "
                                          "--from is given) and write OUT atomically.")
    convert.add_argument("input", type=Path, metavar="IN", help="vectors file or folder to read")
    convert.add_argument("output", type=Path, metavar="OUT", help="file or folder to write")
    convert.add_argument("--to", required=True, choices=_WRITABLE, metavar="FORMAT",
                         help=f"format to write: {', '.join(_WRITABLE)}")
    _read_args(convert, "--from")
    convert.set_defaults(func=_convert)

    similar = cmds.add_parser("similar", help="nearest neighbours of a word by cosine",
                              description="List the keys nearest to WORD by cosine similarity.")
    similar.add_argument("file", type=Path, metavar="FILE", help="vectors file or folder")
    similar.add_argument("word", metavar="WORD")
    similar.add_argument("--topn", type=int, default=10, help="how many neighbours (default 10)")
    _read_args(similar, "--format")
    similar.set_defaults(func=_similar)

    analogy = cmds.add_parser("analogy", help="answer A : B :: C : ?",
                              description="Answer the analogy A is to B as C is to ? (e.g. man "
                                          "king woman -> queen); A, B and C are never answers.")
    analogy.add_argument("file", type=Path, metavar="FILE", help="vectors file or folder")
    analogy.add_argument("a", metavar="A")
    analogy.add_argument("b", metavar="B")
    analogy.add_argument("c", metavar="C")
    analogy.add_argument("--topn", type=int, default=5, help="how many answers (default 5)")
    analogy.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd",
                         help="3CosAdd (gensim's most_similar) or 3CosMul (default 3cosadd)")
    _read_args(analogy, "--format")
    analogy.set_defaults(func=_analogy)


def _read_args(p: argparse.ArgumentParser, flag: str) -> None:
    p.add_argument(flag, dest="format", default=None, choices=FORMATS, metavar="FORMAT",
                   help=f"format of the input: {', '.join(FORMATS)} (default: detect it)")
    p.add_argument("--limit", type=int, default=None, help="read only the first N vectors")
    p.add_argument("--unicode-errors", default="strict", choices=["strict", "replace", "ignore"],
                   help="keys that are not valid UTF-8: refuse the file, replace or drop the "
                        "bad bytes (default strict)")


def _load(args: argparse.Namespace, path: Path):
    from embedlayer.vectors.io import load_vectors

    return load_vectors(path, format=args.format, limit=args.limit,
                        unicode_errors=args.unicode_errors)


def _info(args: argparse.Namespace) -> int:
    import numpy as np

    from embedlayer.vectors.io import detect_format
    from embedlayer.vectors.query import row_norms

    fmt = args.format or detect_format(args.file)
    vectors = _load(args, args.file)
    matrix = vectors.matrix
    norms = row_norms(matrix)
    print(f"file         {args.file}")
    print(f"format       {fmt}")
    print(f"vectors      {len(vectors):>12,}")
    print(f"dim          {vectors.dim:>12,}")
    print(f"dtype        {matrix.dtype}")
    if norms.size:
        print(f"norms        min {norms.min():.4g}  mean {norms.mean():.4g}  "
              f"max {norms.max():.4g}  (zero rows: {int(np.count_nonzero(norms == 0)):,})")
    keys = vectors.vocab.tokens[: max(args.keys, 0)]
    more = ", ..." if len(vectors) > len(keys) else ""
    print(f"keys         {', '.join(keys)}{more}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from embedlayer.vectors.io import save_vectors

    vectors = _load(args, args.input)
    path = save_vectors(vectors, args.output, format=args.to)
    print(f"wrote {path} ({args.to}, {len(vectors):,} x {vectors.dim})")
    return 0


def _check_topn(topn: int) -> None:
    from embedlayer.errors import ConfigError

    if topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {topn}")


def _print_pairs(pairs: list[tuple[str, float]]) -> None:
    for rank, (key, score) in enumerate(pairs, start=1):
        print(f"{rank:>4}  {key:<24} {score:.4f}")


def _similar(args: argparse.Namespace) -> int:
    _check_topn(args.topn)
    vectors = _load(args, args.file)  # subword models answer for unknown words too
    _print_pairs(vectors.most_similar(args.word, topn=args.topn))
    return 0


def _analogy(args: argparse.Namespace) -> int:
    _check_topn(args.topn)
    vectors = _load(args, args.file)  # subword models answer for unknown words too
    _print_pairs(vectors.analogy(args.a, args.b, args.c, method=args.method, topn=args.topn))
    return 0
