"""`embedlayer compress`: compress a vector file with one or more methods and report size,
ratio, time and quality before and after.

Thin: loads the vectors, runs ``compress.compress`` per ``--method``, scores the original and
every result with ``eval.run_suite`` (WS-353, SimLex-999, MEN, the Google analogies; unknown
words composed from n-grams for fastText models), prints one table, saves the results and, on
request, a size-vs-quality plot.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

WORDSIM = ("ws353-all", "simlex999", "men3k")
ANALOGY = ("google-analogy",)


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._vectors import add_read_args

    p = sub.add_parser(
        "compress", help="compress vectors (int8, 4-bit, PQ, low rank, pruning) and report",
        description="Compress a vector file or folder (a fastText .bin model keeps its n-gram "
                    "table, so unknown words still get vectors) with each --method, then print "
                    "size, ratio, time and the quality report (WS-353, SimLex-999, MEN and "
                    "the Google analogies, and their mean) of the original and of every "
                    "result. METHOD is a chain of steps joined by '+', each 'name:key=value,"
                    "...': int8, int4 (axis=row|dim), pq (m=, k=256, opq=false, rank=0 (or r: "
                    "PQ of the top r singular directions), iters=25), lowrank (rank=), prune "
                    "(keep=, buckets= for fastText), e.g. "
                    "'prune:keep=20000,buckets=50000+int8'.")
    p.add_argument("vectors", type=Path, metavar="VECTORS",
                   help="a vector file or folder (format auto-detected)")
    p.add_argument("--method", action="append", required=True, metavar="METHOD",
                   help="a compression chain (repeatable: each is fitted and scored) "
                        "(required)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                   help="where to save: with one --method the compressed folder itself, with "
                        "several a folder holding one subfolder per method (default: do not "
                        "save)")
    p.add_argument("--no-eval", action="store_true",
                   help="skip the quality report, print only sizes and errors (default: "
                        "evaluate)")
    p.add_argument("--restrict-vocab", type=int, default=30_000,
                   help="analogies use the top N words; 0 = all (default: %(default)s)")
    p.add_argument("--json", type=Path, default=None, metavar="OUT.json",
                   help="write every figure as JSON (default: none)")
    p.add_argument("--plot", type=Path, default=None, metavar="OUT.png",
                   help="write a size-vs-quality plot, needs the 'plot' extra (default: none)")
    p.add_argument("--force", action="store_true",
                   help="replace existing outputs (default: refuse)")
    add_read_args(p)
    p.set_defaults(func=_run)


def _folder_name(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", spec).strip("_") or "compressed"


def _quality(report: Any) -> dict[str, dict[str, float]]:
    """store name -> {measure: score, "mean": mean of the four}."""
    out = {}
    for store in report.stores:
        scores = {r.dataset: float(r.spearman) for r in store.wordsim}
        scores.update({r.dataset: float(r.accuracy) for r in store.analogy})
        vals = [v for v in scores.values() if v == v]
        scores["mean"] = sum(vals) / len(vals) if vals else float("nan")
        out[store.name] = scores
    return out


def _run(args: argparse.Namespace) -> int:
    from embedlayer.cli._vectors import check_output, flag_hints, load
    from embedlayer.compress import compress, parse_steps, save_compressed
    from embedlayer.errors import ConfigError
    from embedlayer.vectors.io.fasttext_bin_write import bin_keeps_subwords
    from embedlayer.vectors.subword import SubwordVectors

    if args.restrict_vocab < 0:
        raise ConfigError(f"--restrict-vocab must be >= 0, got {args.restrict_vocab}")
    chains = {spec: parse_steps(spec) for spec in args.method}  # bad specs fail before loading
    for flag, path in (("-o/--output", args.output), ("--json", args.json),
                       ("--plot", args.plot)):
        if path is not None:
            check_output(path, force=args.force, flag=flag, inputs=[args.vectors])
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ModuleNotFoundError:
            raise ConfigError("--plot needs matplotlib: pip install 'embedlayer[plot]'") from None
    store = load(args, args.vectors)
    subword = isinstance(store, SubwordVectors)
    if subword and args.output is not None and not bin_keeps_subwords(
            store.no_subwords, store.vocab, store.maxn) and any(
            all(step["method"] == "prune" for step in chain) for chain in chains.values()):
        raise ConfigError(f"{args.vectors}: this fastText model gives n-grams to '</s>' too "
                          f"(no_subwords={sorted(store.no_subwords)}), which a fastText .bin "
                          f"cannot record, so a pruned copy cannot be saved as one; add a codec "
                          f"step (e.g. 'prune:...+int8') to save it in the compressed format")
    results = {}
    for spec, chain in chains.items():
        results[spec] = compress(store, chain)
        if args.output is not None:
            target = args.output if len(chains) == 1 else args.output / _folder_name(spec)
            if hasattr(results[spec], "codec") or hasattr(results[spec], "word_codec"):
                save_compressed(results[spec], target)
            elif isinstance(results[spec], SubwordVectors):  # pruned fastText: a .bin, so
                from embedlayer.vectors.io.fasttext_bin_write import write_fasttext_bin

                write_fasttext_bin(results[spec], target)  # the n-gram table stays
            else:  # pruned dense vectors: the native folder
                from embedlayer.vectors.io import save_vectors

                save_vectors(results[spec], target, progress=not args.quiet)
    quality: dict[str, dict[str, float]] = {}
    if not args.no_eval:
        from embedlayer.eval import run_suite

        with flag_hints(args.format_flag):
            report = run_suite({"original": store, **results}, wordsim=WORDSIM,
                               analogy=ANALOGY, docsim=False,
                               oov="compose" if subword else "skip",
                               restrict_vocab=args.restrict_vocab or None,
                               progress=not args.quiet)
        quality = _quality(report)
    rows = _rows(store, results, quality)
    _print(rows, quality)
    if args.json is not None:
        from embedlayer._atomic import atomic_write

        with atomic_write(args.json) as fh:
            json.dump({"vectors": str(args.vectors), "rows": rows}, fh, indent=2)
        print(f"wrote {args.json}")
    if args.plot is not None:
        print(f"wrote {_plot(rows, args.plot)}")
    if args.output is not None:
        print(f"wrote {args.output}")
    return 0


def _rows(store: Any, results: dict[str, Any],
          quality: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    from embedlayer.compress.store import dense_bytes

    base = dense_bytes(store)
    rows = [{"method": "original", "bytes": base, "ratio": 1.0, "seconds": 0.0,
             "relative_error": 0.0, "mean_cosine": 1.0, "quality": quality.get("original", {})}]
    for spec, result in results.items():
        stats = getattr(result, "stats", None)
        size = result.nbytes if hasattr(result, "nbytes") else dense_bytes(result)
        rows.append({"method": spec, "bytes": int(size), "ratio": base / size,
                     "seconds": stats.seconds if stats else float("nan"),
                     "relative_error": stats.relative_error if stats else float("nan"),
                     "mean_cosine": stats.mean_cosine if stats else float("nan"),
                     "quality": quality.get(spec, {})})
    mean0 = rows[0]["quality"].get("mean")
    for row in rows:
        mean = row["quality"].get("mean")
        row["mean_change_pct"] = (100 * (mean - mean0) / abs(mean0)
                                  if mean is not None and mean0 else None)
    return rows


def _print(rows: list[dict[str, Any]], quality: dict[str, dict[str, float]]) -> None:
    measures = [m for m in next(iter(quality.values()), {}) if m != "mean"]
    head = ["method", "MB", "ratio", "fit s", "rel. error", *measures, "mean", "vs original"]
    print("| " + " | ".join(head) + " |")
    print("| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |")
    for row in rows:
        q = row["quality"]
        change = row["mean_change_pct"]
        cells = [row["method"], f"{row['bytes'] / 1e6:.2f}", f"{row['ratio']:.1f}x",
                 f"{row['seconds']:.1f}", f"{row['relative_error']:.4f}",
                 *(f"{q.get(m, float('nan')):.4f}" for m in measures),
                 f"{q.get('mean', float('nan')):.4f}" if q else "-",
                 "-" if change is None else f"{change:+.2f}%"]
        print("| " + " | ".join(cells) + " |")


def _plot(rows: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from embedlayer._atomic import atomic_write

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for row in rows:
        y = row["quality"].get("mean", row["mean_cosine"])
        ax.scatter(row["bytes"] / 1e6, y, s=30)
        ax.annotate(row["method"], (row["bytes"] / 1e6, y), fontsize=7,
                    xytext=(4, 3), textcoords="offset points")
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("size (MB, log scale)")
    ax.set_ylabel("mean of WS-353, SimLex, MEN, analogy" if rows[0]["quality"]
                  else "mean row cosine to the original")
    ax.set_title("size vs quality")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120)
    plt.close(fig)
    return path
