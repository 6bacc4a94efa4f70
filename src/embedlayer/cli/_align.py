"""`embedlayer align` and `embedlayer translate`: map one language's vectors into another's
space from a bilingual dictionary, and translate words with the result.

Thin: ``align`` checks its outputs, loads both vector files and the dictionary, calls
``transform.align`` (or ``transform.self_learning``), writes the mapped source vectors (and,
on request, the normalized target vectors) with ``save_vectors``, and reports the
dictionary's coverage on stderr. ``translate`` loads the mapped vectors and the target
vectors, applies ``--normalize`` to the target (the same steps ``align`` used), and prints
each word's best translations with their scores (``transform.translate``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from embedlayer.vectors.io.formats import FORMATS, READ_ONLY_FORMATS

_WRITABLE = [f for f in FORMATS if f not in READ_ONLY_FORMATS]
_DEFAULT_STEPS = "unit,center,unit"


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._vectors import add_read_args

    p = sub.add_parser(
        "align", help="map source-language vectors into a target language's space",
        description="Fit a linear map from SRC's vectors into TGT's space on a bilingual "
                    "dictionary ('source target' a line) and write the mapped SRC vectors to "
                    "-o. Orthogonal Procrustes (default) or least squares; with "
                    "--self-learning, VecMap-style iterations grow the dictionary from a tiny "
                    "seed (--dict) or from words spelled the same in both (--identical). Both "
                    "sides are normalized first (--normalize); translate with the same "
                    "--normalize on TGT. The dictionary's coverage is reported on stderr.")
    p.add_argument("source", type=Path, metavar="SRC", help="source-language vectors")
    p.add_argument("target", type=Path, metavar="TGT", help="target-language vectors")
    p.add_argument("--dict", "--seed-dict", dest="dict", type=Path, default=None,
                   metavar="PAIRS",
                   help="bilingual dictionary, 'source target' a line: the training pairs, or "
                        "the seed with --self-learning (required unless --identical)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="MAPPED",
                   help="where to write the mapped source vectors (required)")
    p.add_argument("--format", default="native", choices=_WRITABLE, metavar="FORMAT",
                   help=f"format to write: {', '.join(_WRITABLE)} (default: %(default)s)")
    p.add_argument("--method", choices=["procrustes", "lstsq"], default="procrustes",
                   help="orthogonal Procrustes, or unconstrained least squares (gensim's "
                        "TranslationMatrix) (default: %(default)s)")
    p.add_argument("--normalize", default=_DEFAULT_STEPS, metavar="STEPS",
                   help="steps applied to both sides first, from unit and center, or 'none' "
                        "(default: %(default)s)")
    p.add_argument("--self-learning", action="store_true",
                   help="iterate: refit, re-induce the dictionary from mutual nearest "
                        "neighbours (default: fit once on the dictionary)")
    p.add_argument("--identical", action="store_true",
                   help="add the words spelled the same in both vocabularies (numerals, "
                        "names) to the dictionary (default: off)")
    p.add_argument("--iterations", type=int, default=50, metavar="N",
                   help="--self-learning: at most N fits (default: %(default)s)")
    p.add_argument("--vocab-size", type=int, default=20_000, metavar="N",
                   help="--self-learning: induce the dictionary among the N most frequent "
                        "words of each side (default: %(default)s)")
    p.add_argument("--induction", choices=["nn", "csls"], default="nn",
                   help="--self-learning: mutual nearest neighbours by cosine or by CSLS "
                        "(default: %(default)s)")
    p.add_argument("--csls-k", type=int, default=10, metavar="K",
                   help="CSLS neighbourhood size (default: %(default)s)")
    p.add_argument("--target-output", type=Path, default=None, metavar="PATH",
                   help="also write the normalized target vectors there, to translate "
                        "without --normalize (default: not written)")
    p.add_argument("--force", action="store_true",
                   help="replace existing outputs, never an input (default: refuse)")
    add_read_args(p, what="both inputs")
    p.set_defaults(func=_align)

    t = sub.add_parser(
        "translate", help="translate words with mapped vectors (nearest neighbour or CSLS)",
        description="Print the --k best translations of each WORD: its vector in MAPPED "
                    "(written by 'embedlayer align') against every vector of TGT, by cosine "
                    "(nn) or CSLS. Pass the --normalize that align used, unless TGT is "
                    "align's --target-output.")
    t.add_argument("mapped", type=Path, metavar="MAPPED", help="mapped source vectors")
    t.add_argument("target", type=Path, metavar="TGT", help="target-language vectors")
    t.add_argument("words", nargs="+", metavar="WORD", help="source words to translate")
    t.add_argument("--k", type=int, default=5, metavar="K",
                   help="translations per word (default: %(default)s)")
    t.add_argument("--retrieval", choices=["nn", "csls"], default="nn",
                   help="nearest neighbour by cosine, or CSLS (default: %(default)s)")
    t.add_argument("--csls-k", type=int, default=10, metavar="K",
                   help="CSLS neighbourhood size (default: %(default)s)")
    t.add_argument("--normalize", default="none", metavar="STEPS",
                   help=f"steps applied to TGT first: align's --normalize (its default is "
                        f"{_DEFAULT_STEPS}) (default: %(default)s)")
    t.add_argument("--restrict-vocab", type=int, default=0, metavar="N",
                   help="only the N most frequent target words are candidates; 0 = all "
                        "(default: %(default)s)")
    add_read_args(t, what="both inputs")
    t.set_defaults(func=_translate)


def _positive(flag: str, value: int, *, zero: bool = False) -> None:
    from embedlayer.errors import ConfigError

    if value < (0 if zero else 1):
        raise ConfigError(f"{flag} must be >= {0 if zero else 1}, got {value}")


def _align(args: argparse.Namespace) -> int:
    from embedlayer.cli._vectors import check_output, load
    from embedlayer.errors import ConfigError
    from embedlayer.transform import (
        align,
        identical_pairs,
        parse_normalization,
        read_dictionary,
        self_learning,
    )
    from embedlayer.vectors.io import save_vectors

    if args.output is None:
        raise ConfigError("-o/--output is required: where to write the mapped source vectors")
    if args.dict is None and not args.identical:
        raise ConfigError("--dict is required (the dictionary, or the seed with "
                          "--self-learning), unless --identical seeds it with identical words")
    for flag, value in (("--iterations", args.iterations), ("--vocab-size", args.vocab_size),
                        ("--csls-k", args.csls_k)):
        _positive(flag, value)
    steps = parse_normalization(args.normalize)  # a bad spec fails before anything is read
    inputs = [args.source, args.target] + ([args.dict] if args.dict else [])
    check_output(args.output, force=args.force, inputs=inputs)
    if args.target_output is not None:
        if args.target_output.resolve() == args.output.resolve():
            raise ConfigError(f"--target-output {args.target_output}: the same path as "
                              f"-o/--output; expected two different outputs")
        check_output(args.target_output, force=args.force, flag="--target-output",
                     inputs=inputs)
    pairs = read_dictionary(args.dict) if args.dict is not None else []
    source, target = load(args, args.source), load(args, args.target)
    if args.identical:
        extra = identical_pairs(source, target)
        print(f"identical words in both vocabularies: {len(extra):,}", file=sys.stderr)
        pairs = pairs + extra
    if args.self_learning:
        result = self_learning(source, target, pairs, method=args.method, normalize=steps,
                               vocab_size=args.vocab_size, max_iterations=args.iterations,
                               induction=args.induction, csls_k=args.csls_k,
                               progress=not args.quiet)
    else:
        result = align(source, target, pairs, method=args.method, normalize=steps)
    what = "seed dictionary" if args.self_learning else "dictionary"
    print(f"{what}: {result.coverage.describe()}", file=sys.stderr)
    if args.self_learning:
        print(f"self-learning: {result.iterations} fits, final dictionary "
              f"{len(result.pairs):,} pairs", file=sys.stderr)
    save_vectors(result.source, args.output, format=args.format, progress=not args.quiet)
    print(f"wrote {args.output} ({len(result.source):,} x {result.source.dim}, {args.method}, "
          f"normalize {','.join(steps) or 'none'})")
    if args.target_output is not None:
        save_vectors(result.target, args.target_output, format=args.format,
                     progress=not args.quiet)
        print(f"wrote {args.target_output} (normalized target vectors)")
    elif steps:
        print(f"translate with: embedlayer translate {args.output} {args.target} WORD "
              f"--normalize {','.join(steps)}", file=sys.stderr)
    return 0


def _translate(args: argparse.Namespace) -> int:
    from embedlayer.cli._vectors import load
    from embedlayer.transform import normalize_vectors, parse_normalization, translate

    _positive("--k", args.k)
    _positive("--csls-k", args.csls_k)
    _positive("--restrict-vocab", args.restrict_vocab, zero=True)
    steps = parse_normalization(args.normalize)
    mapped = load(args, args.mapped)
    target = normalize_vectors(load(args, args.target), steps)
    answers = translate(mapped, target, args.words, k=args.k, retrieval=args.retrieval,
                        csls_k=args.csls_k, restrict_vocab=args.restrict_vocab or None)
    for word, pairs in zip(args.words, answers, strict=True):
        print(word)
        for rank, (key, score) in enumerate(pairs, start=1):
            print(f"{rank:>4}  {key:<24} {score:.4f}")
    return 0
