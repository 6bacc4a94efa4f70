"""`embedlayer qa eval wikiqa | lee`: answer-sentence selection (MAP / MRR) and Lee document
similarity (Pearson / Spearman) through any encoder, BM25 or TF-IDF.

Thin: builds the encoder (``cli._encoders``) and the scorers, calls
``tasks.qa.evaluate_answer_selection`` or ``eval.docsim.evaluate_docsim``, prints one summary
and writes the JSON report atomically. Outputs are checked before any model loads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

_CONTEXTS = ("sentence", "title", "title-previous", "both", "all")


def register(sub: argparse._SubParsersAction) -> None:
    qa = sub.add_parser("qa", help="question answering: answer selection on WikiQA, Lee "
                                   "document similarity",
                        description="Evaluate encoders, BM25 and hybrids on answer-sentence "
                                    "selection (WikiQA) and document similarity (Lee).")
    qa_sub = qa.add_subparsers(dest="qa_command", metavar="COMMAND", required=True)
    ev = qa_sub.add_parser("eval", help="score one benchmark",
                           description="Score an encoder (or BM25 / TF-IDF) on one benchmark.")
    bench = ev.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    _register_wikiqa(bench)
    _register_lee(bench)


def _common(p: argparse.ArgumentParser, lexical: str) -> None:
    from embedlayer.cli._encoders import add_encoder_options
    from embedlayer.cli._outputs import add_force

    p.add_argument("--encoder", required=True, metavar="E",
                   help=f"a transformer checkpoint folder or known name (all-MiniLM-L6-v2 / "
                        f"minilm), a vectors file or folder (composed by --method), or "
                        f"'{lexical}' (required)")
    add_encoder_options(p)
    add_force(p)
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar on stderr (default: show it)")


def _register_wikiqa(bench: argparse._SubParsersAction) -> None:
    p = bench.add_parser(
        "wikiqa", help="answer-sentence selection: MAP and MRR over WikiQA questions",
        description="Rank each question's candidate sentences and report MAP and MRR over the "
                    "questions with at least one correct sentence (243 in the test split). "
                    "--hybrid fuses the encoder's cosine with BM25; its weight (or the "
                    "logistic regression's coefficients) is chosen on the other folds of a "
                    "k-fold split over questions, never on the fold it scores.")
    _common(p, "bm25")
    p.add_argument("--data", default="wikiqa-test", metavar="NAME|FILE",
                   help="a registered data set or a WikiQA .tsv file (default: %(default)s)")
    p.add_argument("--hybrid", nargs="?", const="linear", default=None,
                   choices=("rrf", "linear", "logistic"),
                   help="fuse with BM25: reciprocal-rank fusion, a min-max/z-score linear "
                        "mix, or a logistic regression over the scores, chosen by "
                        "cross-validation; --hybrid alone means linear (default: no fusion)")
    p.add_argument("--context", choices=_CONTEXTS, default="sentence",
                   help="encode each candidate alone, as '<document title>. <sentence>', as "
                        "'<title>. <previous sentence> <sentence>', both of the first two, or "
                        "all three (several dense scores; needs --hybrid logistic) (default: "
                        "%(default)s)")
    p.add_argument("--folds", type=int, default=5,
                   help="cross-validation folds over questions for --hybrid (default: "
                        "%(default)s)")
    p.add_argument("--select-features", action="store_true",
                   help="--hybrid logistic: also choose which scores it uses, per fold, by a "
                        "cross-validation nested inside the other folds (default: use all)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the question folds (default: %(default)s)")
    p.add_argument("--k1", type=float, default=1.5,
                   help="BM25 term-frequency saturation (default: %(default)s)")
    p.add_argument("--b", type=float, default=0.75,
                   help="BM25 length normalization (default: %(default)s)")
    p.add_argument("--variant", default="lucene",
                   choices=("lucene", "robertson", "atire", "bm25l", "bm25+"),
                   help="BM25 variant, as bm25s names them (default: %(default)s)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="JSON report with every question's AP, RR and ranked candidates "
                        "(default: print the summary only)")
    p.set_defaults(func=_run_wikiqa)


def _register_lee(bench: argparse._SubParsersAction) -> None:
    p = bench.add_parser(
        "lee", help="Lee document similarity: Pearson r of document cosines with ratings",
        description="Encode the 50 Lee documents, correlate the cosine of each of the 1,225 "
                    "pairs with the mean human rating. TF-IDF (and SIF for static vectors) "
                    "is fitted on the lee-background corpus plus the 50 documents.")
    _common(p, "tfidf")
    p.add_argument("--tfidf-weight", type=float, default=0.0, metavar="W",
                   help="mix: W * TF-IDF cosine + (1 - W) * encoder cosine, W fixed in "
                        "advance (Lee has no development split) (default: %(default)s)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="JSON result (default: print the summary only)")
    p.set_defaults(func=_run_lee)


def _check_numbers(args: argparse.Namespace) -> None:
    from embedlayer.cli._encoders import check_encoder_numbers
    from embedlayer.errors import ConfigError

    check_encoder_numbers(args)
    for flag, value, low in (("--folds", getattr(args, "folds", None), 2),
                             ("--seed", getattr(args, "seed", None), 0)):
        if value is not None and value < low:
            raise ConfigError(f"{flag} must be >= {low}, got {value}")


def _encoder(args: argparse.Namespace, texts: list[str]) -> Any:
    from embedlayer.cli._encoders import encoder_from_args

    return encoder_from_args(args.encoder, args, texts, label="--encoder")


def _run_wikiqa(args: argparse.Namespace) -> int:
    from embedlayer.cli._outputs import check_outputs
    from embedlayer.data.readers import read_wikiqa, resolve_benchmark
    from embedlayer.errors import ConfigError
    from embedlayer.tasks.qa import BM25Scorer, DenseScorer, evaluate_answer_selection

    _check_numbers(args)
    lexical_only = args.encoder == "bm25"
    if lexical_only and (args.hybrid or args.context != "sentence"):
        raise ConfigError("--encoder bm25 is BM25 alone; --hybrid and --context need a dense "
                          "encoder")
    if args.context in ("both", "all") and args.hybrid != "logistic":
        raise ConfigError(f"--context {args.context} gives several dense scores; only --hybrid "
                          f"logistic combines them, got --hybrid {args.hybrid}")
    check_outputs([("-o/--output", args.output)], force=args.force)
    if not args.k1 >= 0 or not 0 <= args.b <= 1:
        raise ConfigError(f"--k1 must be >= 0 and --b in [0, 1], got {args.k1} and {args.b}")
    bm25 = BM25Scorer(k1=args.k1, b=args.b, variant=args.variant)
    questions = read_wikiqa(resolve_benchmark(args.data, progress=not args.quiet))
    scorers: list[Any] = []
    if not lexical_only:
        texts = list(dict.fromkeys([q.question for q in questions]
                                   + [c for q in questions for c in q.candidates]))
        encoder = _encoder(args, texts)
        contexts = {"both": ("sentence", "title"),
                    "all": ("sentence", "title", "title-previous")}.get(args.context,
                                                                        (args.context,))
        scorers += [DenseScorer(encoder, context=c) for c in contexts]
    if lexical_only or args.hybrid:
        scorers.append(bm25)
    if args.select_features and args.hybrid != "logistic":
        raise ConfigError(f"--select-features chooses among the logistic regression's scores; "
                          f"it needs --hybrid logistic, got --hybrid {args.hybrid}")
    report = evaluate_answer_selection(questions, scorers, hybrid=args.hybrid,
                                       folds=args.folds, seed=args.seed,
                                       select_features=args.select_features,
                                       progress=not args.quiet)
    r = report.result
    print(f"{args.data}: MAP {r.map:.4f}  MRR {r.mrr:.4f}  ({r.questions} questions with a "
          f"correct sentence; {r.skipped} without, skipped); scorers: "
          f"{' + '.join(report.method['scorers'])}"
          + (f"; hybrid {args.hybrid}, {args.folds} folds, seed {args.seed}" if args.hybrid
             else ""))
    for f, chosen in enumerate(report.method.get("chosen_per_fold", [])):
        print(f"  fold {f}: {chosen}")
    if args.output is not None:
        report.write_json(args.output)
        print(f"per-question report -> {args.output}", file=sys.stderr)
    return 0


def _run_lee(args: argparse.Namespace) -> int:
    import json

    from embedlayer import data
    from embedlayer._atomic import atomic_write
    from embedlayer.cli._outputs import check_outputs
    from embedlayer.errors import ConfigError
    from embedlayer.eval.docsim import evaluate_docsim, load_lee
    from embedlayer.tasks.tfidf import TfidfEncoder

    _check_numbers(args)
    if not 0 <= args.tfidf_weight <= 1:
        raise ConfigError(f"--tfidf-weight must be in [0, 1], got {args.tfidf_weight}")
    if args.encoder == "tfidf" and args.tfidf_weight:
        raise ConfigError("--tfidf-weight mixes an encoder with TF-IDF; --encoder tfidf is "
                          "TF-IDF alone")
    check_outputs([("-o/--output", args.output)], force=args.force)
    ds = load_lee(progress=not args.quiet)
    background = Path(data.path("lee-background", progress=not args.quiet)).read_text(
        encoding="utf-8").splitlines()
    fit_texts = [line for line in background if line.strip()] + ds.documents
    tfidf = TfidfEncoder().fit(fit_texts)
    if args.encoder == "tfidf":
        encoders, weights = [tfidf], [1.0]
    else:
        encoder = _encoder(args, fit_texts)
        encoders, weights = [encoder], [1.0]
        if args.tfidf_weight:
            encoders, weights = [encoder, tfidf], [1.0 - args.tfidf_weight, args.tfidf_weight]
    result = evaluate_docsim(encoders, weights=weights, docsim=ds, dataset="lee-docsim",
                             progress=not args.quiet)
    kinds = " + ".join(f"{w:g} x {e.get('checkpoint', e.get('kind'))}"
                       for w, e in zip(result.weights, result.encoders, strict=True))
    print(f"lee-docsim: Pearson {result.pearson:.4f}  Spearman {result.spearman:.4f}  "
          f"({result.pairs:,} pairs of {result.documents} documents); cosine: {kinds}")
    if args.output is not None:
        with atomic_write(args.output, "w", encoding="utf-8") as fh:
            json.dump({"format_version": 1, **result.as_dict()}, fh, indent=1)
            fh.write("\n")
    return 0
