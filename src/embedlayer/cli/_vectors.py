"""`embedlayer vectors`: inspect, convert and query word-vector files of any supported format.

``info`` summarizes a file (format, size, norms, a few keys); ``convert IN -o OUT --format F``
reads one format and writes another; ``similar`` and ``analogy`` answer nearest-neighbour
questions. Each command calls one public function of ``embedlayer.vectors`` and prints; errors
are embedlayer's own and become one line on stderr in ``cli/main.py``. As everywhere in the
CLI, ``--from`` is the format of a file read and ``--format`` the format of a file written.
Also here, for ``eval`` and ``classify train --vectors`` too: the reading options every command
shares (``add_read_args``) and ``cli_hints``, which rewrites the Python keywords that library
messages suggest (``limit=2``) into this command line's flags (``--limit 2``).
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from embedlayer.cli._outputs import add_hidden_alias
from embedlayer.vectors.io.formats import FORMATS, READ_ONLY_FORMATS, UNICODE_ERRORS

_WRITABLE = [f for f in FORMATS if f not in READ_ONLY_FORMATS]
# What a query word outside the vocabulary does: refuse it, or compose it from character
# n-grams (fastText models only). The same names as `eval --oov`.
QUERY_OOV = ("error", "compose")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("vectors", help="inspect, convert and query word-vector files",
                            description="Inspect, convert and query word-vector files "
                                        f"({', '.join(FORMATS)}).")
    cmds = parser.add_subparsers(dest="vectors_command", metavar="SUBCOMMAND", required=True)

    info = cmds.add_parser("info", help="summarize a vectors file",
                           description="Print the format, the number of vectors, the dimension, "
                                       "the dtype, a summary of the row norms and a few keys.")
    info.add_argument("file", type=Path, metavar="FILE", help="vectors file or folder")
    add_read_args(info)
    info.add_argument("--topn", type=int, default=10,
                      help="how many keys to list, in file order (default: %(default)s)")
    add_hidden_alias(info, "--keys", "topn", type=int)
    info.set_defaults(func=_info)

    convert = cmds.add_parser(
        "convert", help="convert vectors from one format to another",
        description="Read IN (format detected from its content unless --from is given) and "
                    "write it to -o/--output in --format, atomically. An existing output is "
                    "refused before IN is read, unless --force; IN itself (or a folder "
                    "holding it) is never replaced.")
    convert.add_argument("input", type=Path, metavar="IN", help="vectors file or folder to read")
    # The old positional OUT, kept only to answer it with a hint.
    convert.add_argument("old_output", nargs="?", default=None, help=argparse.SUPPRESS)
    convert.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                         help="file or folder to write (required)")
    convert.add_argument("--format", dest="format", default=None, choices=_WRITABLE,
                         metavar="FORMAT",
                         help=f"format to write: {', '.join(_WRITABLE)} (required)")
    add_hidden_alias(convert, "--to", "format", choices=_WRITABLE)  # the old name of --format
    convert.add_argument("--to-encoding", default="utf-8", metavar="CODEC",
                         help="encoding of the keys in the written file (text and word2vec "
                              "formats; default: %(default)s)")
    convert.add_argument("--force", action="store_true",
                         help="replace an existing output, never IN itself (default: refuse)")
    add_read_args(convert)
    convert.set_defaults(func=_convert)

    similar = cmds.add_parser("similar", help="nearest neighbours of a word by cosine",
                              description="List the keys nearest to WORD by cosine similarity.")
    similar.add_argument("file", type=Path, metavar="FILE", help="vectors file or folder")
    similar.add_argument("word", metavar="WORD")
    similar.add_argument("--topn", type=int, default=10,
                         help="how many neighbours (default: %(default)s)")
    _oov_arg(similar)
    add_read_args(similar)
    similar.set_defaults(func=_similar)

    analogy = cmds.add_parser("analogy", help="answer A : B :: C : ?",
                              description="Answer the analogy A is to B as C is to ? (e.g. man "
                                          "king woman -> queen); A, B and C are never answers.")
    analogy.add_argument("file", type=Path, metavar="FILE", help="vectors file or folder")
    analogy.add_argument("a", metavar="A")
    analogy.add_argument("b", metavar="B")
    analogy.add_argument("c", metavar="C")
    analogy.add_argument("--topn", type=int, default=5, help="how many answers (default: %(default)s)")
    analogy.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd",
                         help="3CosAdd (gensim's most_similar) or 3CosMul "
                              "(default: %(default)s)")
    _oov_arg(analogy)
    add_read_args(analogy)
    analogy.set_defaults(func=_analogy)


def _oov_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--oov", choices=QUERY_OOV, default="error",
                   help="a query word outside the vocabulary: error, or compose its vector from "
                        "character n-grams (fastText .bin models only) (default: %(default)s)")


def add_read_args(p: argparse.ArgumentParser, *, from_flag: str = "--from",
                  limit_flag: str = "--limit", what: str = "the input",
                  quiet: bool = True) -> None:
    """The options of every command that reads vector files.

    ``from_flag`` names the input format (``--from``; ``--format`` is always a format
    written) and ``limit_flag`` the row limit: a command whose --from / --limit would be
    ambiguous passes ``--vectors-from`` / ``--vectors-limit``. ``what``: the file they apply
    to, for the help texts; ``quiet``: also add ``--quiet``.
    """
    p.add_argument(from_flag, dest="from_format", default=None, choices=FORMATS,
                   metavar="FORMAT",
                   help=f"format of {what}: {', '.join(FORMATS)} (default: detect it)")
    p.set_defaults(format_flag=from_flag, limit_flag=limit_flag)
    p.add_argument(limit_flag, dest="limit", type=int, default=None, metavar="N",
                   help=f"read only the first N vectors of {what} (default: all)")
    p.add_argument("--encoding", default="utf-8", metavar="CODEC",
                   help=f"encoding of the keys in {what} (text, word2vec and fastText files), "
                        f"e.g. cp1252, cp852, latin-1 (default: %(default)s)")
    p.add_argument("--unicode-errors", default="strict", choices=UNICODE_ERRORS,
                   help=f"keys in {what} not valid in --encoding: refuse the file (strict), "
                        "keep the exact bytes losslessly (surrogateescape; written back "
                        "unchanged), or replace / ignore / backslashreplace them inside the "
                        "key (vector files only; the corpus and vocab commands use "
                        "--errors, which can also skip a whole line) (default: %(default)s)")
    p.add_argument("--allow-nonfinite", action="store_true",
                   help=f"keep NaN and infinite values in {what} (default: refuse the file)")
    if quiet:
        p.add_argument("--quiet", action="store_true",
                       help="no progress bars (default: show them)")


# Python keywords that library messages suggest, and the flags that set them here.
_KEYWORD = re.compile(r"\b(unicode_errors|encoding|limit|format|allow_nonfinite|oov)="
                      r"(?:'([^']*)'|(\w+))")


def cli_hints(message: str, *, format_flag: str = "--format",
              limit_flag: str = "--limit") -> str:
    """``message`` with suggested Python keywords (``limit=2``) written as flags (``--limit 2``).

    ``format_flag`` / ``limit_flag``: the flags that set ``format=`` / ``limit=`` here.
    """
    def flag(m: re.Match[str]) -> str:
        name, value = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        if name == "allow_nonfinite":
            return "--allow-nonfinite"
        option = {"format": format_flag, "limit": limit_flag}.get(
            name, "--" + name.replace("_", "-"))
        return f"{option} {value}"

    return _KEYWORD.sub(flag, message)


@contextlib.contextmanager
def flag_hints(format_flag: str = "--format", limit_flag: str = "--limit") -> Iterator[None]:
    """Re-raise embedlayer errors with their hints in this command line's flags."""
    from embedlayer.errors import EmbedlayerError

    try:
        yield
    except EmbedlayerError as exc:
        message = str(exc)
        better = cli_hints(message, format_flag=format_flag, limit_flag=limit_flag)
        if better == message:
            raise
        raise type(exc)(better) from None


def load_compressed_folder(path: Path) -> Any:
    """The store of a folder ``embedlayer compress`` wrote, else None (any other file)."""
    from embedlayer.compress import is_compressed_folder, load_compressed

    return load_compressed(path) if is_compressed_folder(path) else None


def load(args: argparse.Namespace, path: Path) -> Any:
    """``load_vectors`` with the shared reading options of ``args``."""
    from embedlayer.errors import ConfigError
    from embedlayer.vectors.io import load_vectors

    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"{args.limit_flag} must be >= 1, got {args.limit} (leave it unset "
                          f"to read every vector)")
    compressed = load_compressed_folder(path)
    if compressed is not None:
        if args.limit is not None:
            raise ConfigError(f"{args.limit_flag} does not apply to a compressed folder "
                              f"({path}): it is read whole")
        return compressed
    with flag_hints(args.format_flag, args.limit_flag):
        return load_vectors(path, format=args.from_format, limit=args.limit,
                            unicode_errors=args.unicode_errors, encoding=args.encoding,
                            allow_nonfinite=args.allow_nonfinite, progress=not args.quiet)


def _info(args: argparse.Namespace) -> int:
    import numpy as np

    from embedlayer.vectors.io import detect_format
    from embedlayer.vectors.query import row_norms

    with flag_hints(args.format_flag):
        fmt = args.from_format or detect_format(args.file)
    vectors = load(args, args.file)
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
    keys = vectors.vocab.tokens[: max(args.topn, 0)]
    more = ", ..." if len(vectors) > len(keys) else ""
    print(f"keys         {', '.join(keys)}{more}")
    return 0


def check_output(path: Path | None, *, force: bool, flag: str = "-o/--output",
                 inputs: Sequence[Path] = ()) -> Path:
    """Refuse a missing or existing output before any work starts (unless ``force``).

    An output that is one of ``inputs`` (or a folder holding one) is refused even with
    ``force``: the command would destroy what it reads.
    """
    from embedlayer.cli._outputs import check_not_input
    from embedlayer.errors import ConfigError

    if path is None:
        raise ConfigError(f"{flag} is required: where to write the result")
    check_not_input(flag, path, inputs)
    if path.exists() and not force:
        kind = "folder" if path.is_dir() else "file"
        raise ConfigError(f"{path}: the output {kind} exists; pass --force to replace it, or "
                          f"choose another {flag}")
    return path


def _convert(args: argparse.Namespace) -> int:
    from embedlayer.errors import ConfigError
    from embedlayer.vectors.io import save_vectors
    from embedlayer.vectors.io.formats import check_encoding

    if args.format is None:
        raise ConfigError(f"--format is required: the format to write, one of "
                          f"{', '.join(_WRITABLE)}")
    if args.old_output is not None:
        raise ConfigError(f"the output is now named with -o: embedlayer vectors convert "
                          f"{args.input} -o {args.old_output} --format {args.format}")
    out = check_output(args.output, force=args.force, inputs=[args.input])
    check_encoding(args.to_encoding)  # a bad codec fails before the input is read
    vectors = load(args, args.input)
    with flag_hints("--format"):  # format= is the written format here
        path = save_vectors(vectors, out, format=args.format, encoding=args.to_encoding,
                            progress=not args.quiet)
    print(f"wrote {path} ({args.format}, {len(vectors):,} x {vectors.dim})")
    return 0


def _check_topn(topn: int) -> None:
    from embedlayer.errors import ConfigError

    if topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {topn}")


def _print_pairs(pairs: list[tuple[str, float]]) -> None:
    for rank, (key, score) in enumerate(pairs, start=1):
        print(f"{rank:>4}  {key:<24} {score:.4f}")


def check_query_words(vectors: Any, words: list[str], oov: str) -> None:
    """Apply ``--oov`` to the query words: refuse unknown ones, or compose them (fastText)."""
    from embedlayer.errors import ConfigError, UnknownTokenError
    from embedlayer.vectors.subword import SubwordVectors

    for word in words:
        if not word:
            raise ConfigError("a query word must be non-empty, got ''")
    composes = isinstance(vectors, SubwordVectors)
    if oov == "compose" and not composes:
        raise ConfigError(f"--oov compose needs a fastText .bin model (character n-grams); "
                          f"these are plain {type(vectors).__name__}: use --oov error")
    unknown = [w for w in words if w not in vectors.vocab]
    if unknown and oov == "error":
        hint = ("; pass --oov compose to compose it from character n-grams" if composes
                else "")
        raise UnknownTokenError(f"{unknown[0]!r} is not among the {len(vectors):,} keys of "
                                f"these vectors (--oov error){hint}")


def _similar(args: argparse.Namespace) -> int:
    _check_topn(args.topn)
    vectors = load(args, args.file)
    check_query_words(vectors, [args.word], args.oov)
    _print_pairs(vectors.most_similar(args.word, topn=args.topn))
    return 0


def _analogy(args: argparse.Namespace) -> int:
    _check_topn(args.topn)
    vectors = load(args, args.file)
    check_query_words(vectors, [args.a, args.b, args.c], args.oov)
    _print_pairs(vectors.analogy(args.a, args.b, args.c, method=args.method, topn=args.topn))
    return 0
