"""`embedlayer plot words | loss | report`: PNG pictures of vectors, training runs and reports.

Thin: each subcommand checks its output first, calls ``embedlayer.viz`` and prints what it
wrote.
"""

from __future__ import annotations

import argparse
from pathlib import Path

_DEFAULT_TOP = 40


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._vectors import add_read_args
    from embedlayer.transform.project import PROJECTION_METHODS

    p = sub.add_parser("plot", help="draw PNG pictures: words in 2-D, loss curves, eval charts",
                       description="Draw pictures with matplotlib (the 'plot' extra).")
    cmds = p.add_subparsers(dest="plot_command", metavar="PICTURE", required=True)

    w = cmds.add_parser(
        "words", help="chosen words' vectors projected to 2-D, labelled",
        description="Project the vectors of chosen words to 2-D (PCA; t-SNE with "
                    "scikit-learn installed, UMAP with umap-learn) and label every point. "
                    "A word missing from the vectors is an error that names it.")
    w.add_argument("vectors", type=Path, metavar="VECTORS",
                   help="vector file or native/compressed folder (format auto-detected)")
    w.add_argument("--words", action="append", default=[], metavar="W1,W2,...",
                   help="words to draw, comma-separated (repeatable; default: none, or the "
                        f"--top {_DEFAULT_TOP} most frequent when nothing else is chosen)")
    w.add_argument("--top", type=int, default=None, metavar="N",
                   help="also draw the first N words of the file that hold a letter or digit "
                        "(most frequent first in files embedlayer writes) (default: "
                        f"{_DEFAULT_TOP} when no --words or --neighbours, else none)")
    w.add_argument("--neighbours", action="append", default=[], metavar="WORD,...",
                   help="also draw each WORD and its --topn nearest neighbours, one colour "
                        "per WORD (repeatable, comma-separated; default: none)")
    w.add_argument("--topn", type=int, default=10,
                   help="neighbours drawn per --neighbours word (default: %(default)s)")
    w.add_argument("--method", choices=PROJECTION_METHODS, default="pca",
                   help="projection: pca, tsne (needs scikit-learn) or umap (needs "
                        "umap-learn) (default: %(default)s)")
    w.add_argument("--seed", type=int, default=0,
                   help="random seed of tsne and umap; pca is exact (default: %(default)s)")
    _add_common(w)
    add_read_args(w)
    w.set_defaults(func=_words)

    lo = cmds.add_parser(
        "loss", help="training loss curves of one or more runs on one chart",
        description="Plot the training loss (and held-out loss, where recorded) that the "
                    "trainers save: word2vec / fastText / GloVe model or checkpoint folders "
                    "(--save-model), classifier, tagger and language-model folders, and "
                    "fine-tuned encoders. Several runs share one chart, one colour each.")
    lo.add_argument("runs", nargs="+", type=Path, metavar="MODEL_OR_LOG",
                    help="a saved model / checkpoint folder or its JSON document "
                         "(model.json, checkpoint.json, config.json)")
    lo.add_argument("--label", action="append", default=[], metavar="NAME",
                    help="legend name of each run, in order (repeatable; default: the "
                         "folder names)")
    lo.add_argument("--log-scale", action="store_true",
                    help="logarithmic loss axis (default: linear)")
    _add_common(lo)
    lo.set_defaults(func=_loss)

    r = cmds.add_parser(
        "report", help="the evaluation report's chart from a saved JSON report",
        description="Redraw the bar chart of `embedlayer eval --plot` from a JSON report "
                    "(`embedlayer eval --json`, or eval.json in a demo folder).")
    r.add_argument("report", type=Path, metavar="REPORT.json",
                   help="a JSON evaluation report, or a folder holding eval.json")
    _add_common(r, title=False)
    r.set_defaults(func=_report)


def _add_common(p: argparse.ArgumentParser, *, title: bool = True) -> None:
    p.add_argument("-o", "--output", type=Path, default=None, metavar="OUT.png",
                   help="the PNG to write (required)")
    if title:
        p.add_argument("--title", default=None,
                       help="chart title (default: says what is drawn)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing output file (default: refuse)")


def _check(args: argparse.Namespace, inputs: list[Path]) -> Path:
    from embedlayer.cli._vectors import check_output
    from embedlayer.errors import ConfigError

    if args.output is not None and args.output.is_dir():
        raise ConfigError(f"-o/--output {args.output}: is a folder; expected a .png file path")
    path = check_output(args.output, force=args.force, inputs=inputs)
    if path.suffix.lower() != ".png":
        raise ConfigError(f"-o/--output {path}: pictures are written as PNG; expected a path "
                          f"ending in .png")
    return path


def _split(values: list[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _words(args: argparse.Namespace) -> int:
    from embedlayer.cli._vectors import load
    from embedlayer.errors import ConfigError
    from embedlayer.viz import plot_words, project_words, select_words
    from embedlayer.viz._figure import pyplot

    out = _check(args, [args.vectors])
    pyplot()  # a missing matplotlib is named before the vectors are read
    if args.top is not None and args.top < 1:
        raise ConfigError(f"--top must be >= 1, got {args.top}")
    if args.topn < 1:
        raise ConfigError(f"--topn must be >= 1, got {args.topn}")
    words, seeds = _split(args.words), _split(args.neighbours)
    if (args.words or args.neighbours) and not (words or seeds):
        raise ConfigError("--words / --neighbours name no word (only commas or spaces)")
    top = args.top if args.top is not None else (None if words or seeds else _DEFAULT_TOP)
    store = load(args, args.vectors)
    chosen = select_words(store, words=words, top=top, neighbours=seeds, topn=args.topn)
    projection = project_words(store, chosen, method=args.method, seed=args.seed)
    print(f"wrote {plot_words(projection, out, title=args.title)} "
          f"({len(projection.words)} words, {args.method})")
    return 0


def _loss(args: argparse.Namespace) -> int:
    from embedlayer.errors import ConfigError
    from embedlayer.viz import plot_loss, read_loss_history

    if args.label and len(args.label) != len(args.runs):
        raise ConfigError(f"--label given {len(args.label)} times for {len(args.runs)} runs; "
                          f"expected one per run, or none")
    out = _check(args, args.runs)
    labels = args.label or _names(args.runs)
    curves = [read_loss_history(path, label=label)
              for path, label in zip(args.runs, labels, strict=True)]
    path = plot_loss(curves, out, title=args.title, log_scale=args.log_scale)
    for c in curves:
        print(f"{c.label}: {c.source}, {len(c.loss)} {c.unit}s, last loss {c.loss[-1]:.4f}")
    print(f"wrote {path}")
    return 0


def _names(paths: list[Path]) -> list[str]:
    """Each run's folder name (a JSON document's folder); the paths when two names clash."""
    names = [(p.parent if p.suffix == ".json" else p).resolve().name for p in paths]
    return names if len(set(names)) == len(names) else [str(p) for p in paths]


def _report(args: argparse.Namespace) -> int:
    from embedlayer.viz import plot_report

    out = _check(args, [args.report])
    print(f"wrote {plot_report(args.report, out)}")
    return 0
