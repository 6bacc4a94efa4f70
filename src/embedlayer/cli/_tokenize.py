"""`embedlayer tokenize`: run a tokenizer, train a subword one, score a Chinese segmenter.

::

    embedlayer tokenize run [--tokenizer SPEC] [--lower] [FILE...] [-o OUT]  (stdin/stdout)
    embedlayer tokenize train CORPUS... --model bpe|wordpiece --vocab-size N -o OUT.json
    embedlayer tokenize segment-eval --gold FILE --input FILE [--tokenizer SPEC]

Outputs are checked before any work and never replaced without ``--force``.

Thin: each subcommand parses, calls one function of ``embedlayer.text`` and prints. Files are
read line by line as UTF-8 (no corpus machinery: that is ``embedlayer corpus``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from embedlayer.cli._outputs import add_force, check_outputs
from embedlayer.errors import ConfigError, DecodeError, MissingFileError

_SPEC_HELP = (
    "a tokenizer name (whitespace, regex, jieba, jieba-t2s) or the path of a saved "
    "tokenizer .json (default: %(default)s)"
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "tokenize",
        help="tokenize text, train BPE/WordPiece, score Chinese segmentation",
        description="Tokenize text, train subword tokenizers, score word segmentation.",
    )
    commands = parser.add_subparsers(dest="tokenize_command", metavar="SUBCOMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="print the tokens of each line, space-separated",
        description="Tokenize each input line; print its tokens joined by spaces, one line each.",
    )
    run.add_argument("files", nargs="*", metavar="FILE",
                     help="UTF-8 text files, space-separated (default: stdin)")
    run.add_argument("-t", "--tokenizer", default="regex", metavar="SPEC", help=_SPEC_HELP)
    run.add_argument("--lower", action="store_true",
                     help="lower-case the text first (default: keep case)")
    run.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                     help="file to write, atomically (default: stdout)")
    add_force(run)
    run.set_defaults(func=_run)

    train = commands.add_parser(
        "train",
        help="train a BPE or WordPiece tokenizer and save it as one JSON file",
        description="Train a subword tokenizer on text files (one sentence or line per line).",
    )
    train.add_argument("corpus", nargs="+", metavar="CORPUS",
                       help="UTF-8 text files, space-separated")
    train.add_argument("--model", required=True, choices=("bpe", "wordpiece"),
                       help="subword model to learn (required)")
    train.add_argument("--vocab-size", required=True, type=int, metavar="N",
                       help="target vocabulary size, special tokens and alphabet included "
                            "(required)")
    train.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.json",
                       help="tokenizer file to write (required)")
    train.add_argument("--min-count", type=int, default=2, metavar="N",
                       help="never merge a pair seen fewer times (default: %(default)s)")
    train.add_argument("--special-tokens", default="<unk>", metavar="TOKENS",
                       help="comma-separated tokens kept whole, given the first ids "
                            "(default: %(default)s)")
    train.add_argument("--unk-token", default="<unk>", metavar="TOKEN",
                       help="unknown token (default: %(default)s)")
    train.add_argument(
        "--pre-tokenizer",
        default="regex",
        metavar="NAME",
        help="word tokenizer applied before the subword model (default: %(default)s)",
    )
    train.add_argument("--lower", action="store_true",
                       help="lower-case the text first (default: keep case)")
    train.add_argument("--quiet", action="store_true", help="no progress bar (default: show it)")
    add_force(train)
    train.set_defaults(func=_train)

    seg = commands.add_parser(
        "segment-eval",
        help="score a word segmenter against a gold segmentation (precision, recall, F1)",
        description=(
            "Segment each line of --input and compare the word spans with --gold "
            "(the same sentences, words separated by spaces)."
        ),
    )
    seg.add_argument("--gold", required=True, metavar="FILE",
                     help="gold segmentation, words separated by spaces (required)")
    seg.add_argument("--input", required=True, metavar="FILE",
                     help="the same sentences unsegmented (required)")
    seg.add_argument("-t", "--tokenizer", default="jieba", metavar="SPEC", help=_SPEC_HELP)
    seg.set_defaults(func=_segment_eval)


def _checked(paths: Sequence[str]) -> list[Path]:
    """All paths exist, checked before any output is written."""
    out = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise MissingFileError(f"{name}: no such file")
        out.append(path)
    return out


def _lines(paths: Sequence[Path]) -> Iterator[str]:
    if not paths:
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        return
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    yield line.rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{path}: not valid UTF-8 (byte offset {exc.start})") from None


def _run(args: argparse.Namespace) -> int:
    from embedlayer._atomic import atomic_write
    from embedlayer.text import get_tokenizer

    paths = _checked(args.files)
    check_outputs([("-o/--output", args.output)], force=args.force, inputs=paths)
    tokenizer = get_tokenizer(args.tokenizer, lowercase=args.lower)
    lines = (" ".join(tokens) + "\n" for tokens in tokenizer.tokenize_many(_lines(paths)))
    if args.output is None:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
        return 0
    with atomic_write(args.output, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(lines)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _specials(raw: str) -> list[str]:
    return [s for s in (x.strip() for x in raw.split(",")) if s]


def _train(args: argparse.Namespace) -> int:
    from embedlayer.text import train_subword

    paths = _checked(args.corpus)
    if args.min_count < 0:
        raise ConfigError(f"--min-count must be >= 0, got {args.min_count}")
    if args.vocab_size < 1:
        raise ConfigError(f"--vocab-size must be >= 1, got {args.vocab_size}")
    check_outputs([("-o/--output", args.output)], force=args.force, inputs=paths)
    pipeline = train_subword(
        _lines(paths),
        model=args.model,
        vocab_size=args.vocab_size,
        min_count=args.min_count,
        special_tokens=_specials(args.special_tokens),
        unk_token=args.unk_token,
        lowercase=args.lower,
        pre_tokenizer=args.pre_tokenizer,
        progress=not args.quiet,
    )
    pipeline.save(args.output)
    size = len(pipeline.model.vocab())  # type: ignore[attr-defined]
    print(f"trained {pipeline.model.kind}: {size} tokens -> {args.output}")  # type: ignore[attr-defined]
    return 0


def _segment_eval(args: argparse.Namespace) -> int:
    from embedlayer.text import evaluate_segmenter, get_tokenizer

    tokenizer = get_tokenizer(args.tokenizer)
    gold, raw = _checked([args.gold, args.input])
    score = evaluate_segmenter(tokenizer, _lines([raw]), _lines([gold]))
    print(f"precision\t{score.precision:.4f}")
    print(f"recall\t{score.recall:.4f}")
    print(f"f1\t{score.f1:.4f}")
    print(
        f"lines\t{score.lines}\ngold words\t{score.gold}\n"
        f"predicted words\t{score.predicted}\ncorrect words\t{score.correct}"
    )
    return 0
