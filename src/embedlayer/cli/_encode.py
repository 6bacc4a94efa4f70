"""`embedlayer encode`: texts (one a line) to vectors, by a transformer checkpoint or by
static vectors composed with mean or SIF.

Thin: reads and decodes the lines, builds the ``Encoder`` (``contextual.TransformerEncoder``
or ``vectors.encoder.StaticEncoder``), writes ``.npy`` or JSON lines. The output is checked
before the model loads; a file is written atomically, standard output as it goes.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from typing import IO

import numpy as np

_UNICODE_ERRORS = ("strict", "replace", "ignore", "backslashreplace", "surrogateescape")


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._encoders import add_encoder_options
    from embedlayer.cli._outputs import add_force

    p = sub.add_parser(
        "encode", help="texts (one a line) to vectors: a transformer checkpoint or static vectors",
        description="Encode each input line into one vector. MODEL is a transformer checkpoint "
                    "folder (config.json, *.safetensors, tokenizer.json) or a known name "
                    "(all-MiniLM-L6-v2 / minilm), run offline; or a vectors file or folder, "
                    "whose word vectors are averaged (--method mean) or SIF-weighted (--method "
                    "sif, fitted on the input texts). Texts longer than the model's window are "
                    "split into overlapping windows and pooled, never cut; an empty line gets "
                    "the vector of the empty text.")
    p.add_argument("model", metavar="MODEL",
                   help="checkpoint folder or name, or a vectors file/folder")
    p.add_argument("-i", "--input", type=Path, default=None, metavar="FILE",
                   help="text file, one text a line (default: standard input)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="where the vectors go; .npy writes a float32 (n, dim) array, anything "
                        "else JSON lines (default: standard output, JSON lines)")
    p.add_argument("--format", dest="output_format", choices=("npy", "jsonl"), default=None,
                   help="output format (default: npy for a -o ending in .npy, else jsonl)")
    p.add_argument("--encoding", default="utf-8", metavar="CODEC",
                   help="encoding of the input text (default: %(default)s)")
    p.add_argument("--unicode-errors", default="strict", choices=_UNICODE_ERRORS,
                   help="input bytes not valid in --encoding: refuse with the line number "
                        "(strict) or replace / ignore / backslashreplace / surrogateescape them "
                        "(default: %(default)s)")
    add_encoder_options(p)
    add_force(p)
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar or summary on stderr (default: show them)")
    p.set_defaults(func=_run)


def _read_lines(source: IO[bytes], name: str, encoding: str, errors: str) -> list[str]:
    from embedlayer.errors import ConfigError, DecodeError

    try:
        "".encode(encoding)
    except LookupError:
        raise ConfigError(f"--encoding {encoding!r}: not a codec Python knows") from None
    texts = []
    for number, raw in enumerate(source, start=1):
        line = raw.rstrip(b"\n").rstrip(b"\r")
        try:
            texts.append(line.decode(encoding, errors))
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{name}: line {number}: byte {exc.start + 1} (0x"
                              f"{line[exc.start]:02x}) is not valid {encoding}; pass "
                              f"--encoding or --unicode-errors replace") from None
    return texts


def _jsonl(matrix: np.ndarray, out: IO[str]) -> None:
    for row in matrix:
        out.write("[" + ",".join(f"{v:.7g}" for v in row.tolist()) + "]\n")


def _run(args: argparse.Namespace) -> int:
    from embedlayer._atomic import atomic_write
    from embedlayer.cli._encoders import check_encoder_numbers, encoder_from_args
    from embedlayer.cli._outputs import check_outputs
    from embedlayer.errors import ConfigError, MissingFileError

    check_encoder_numbers(args)
    fmt = args.output_format or ("npy" if args.output is not None
                                 and args.output.suffix == ".npy" else "jsonl")
    if fmt == "npy" and args.output is None and sys.stdout.isatty():
        raise ConfigError("--format npy to a terminal; give -o FILE.npy or redirect stdout")
    inputs = [p for p in (args.input, Path(args.model)) if p is not None and p.exists()]
    check_outputs([("-o/--output", args.output)], force=args.force, inputs=inputs)
    if args.input is not None:
        if not args.input.is_file():
            raise MissingFileError(f"-i/--input {args.input}: no such file")
        with open(args.input, "rb") as fh:
            texts = _read_lines(fh, str(args.input), args.encoding, args.unicode_errors)
    else:
        texts = _read_lines(sys.stdin.buffer, "standard input", args.encoding,
                            args.unicode_errors)
    t0 = time.perf_counter()
    encoder = encoder_from_args(args.model, args, texts)
    matrix = encoder.encode(texts, progress=not args.quiet)
    seconds = time.perf_counter() - t0
    if args.output is not None:
        with atomic_write(args.output, "wb" if fmt == "npy" else "w",
                          **({} if fmt == "npy" else {"encoding": "utf-8"})) as fh:
            if fmt == "npy":
                np.save(fh, matrix, allow_pickle=False)
            else:
                _jsonl(matrix, fh)
    elif fmt == "npy":
        buffer = io.BytesIO()
        np.save(buffer, matrix, allow_pickle=False)
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()
    else:
        _jsonl(matrix, sys.stdout)
        sys.stdout.flush()
    if not args.quiet:
        stats = encoder.stats_
        extra = ""
        if hasattr(stats, "windowed_texts"):
            extra = (f"; {stats.windowed_texts} text(s) longer than {encoder.max_length} "
                     f"tokens split into windows; {stats.empty_texts} empty")
        elif hasattr(stats, "empty_documents"):
            extra = f"; {stats.empty_documents} text(s) with no known word (zero vectors)"
        where = args.output if args.output is not None else "standard output"
        print(f"encoded {len(texts):,} texts to {matrix.shape[1]} dimensions ({fmt}) in "
              f"{seconds:.1f} s -> {where}{extra}", file=sys.stderr)
    return 0
