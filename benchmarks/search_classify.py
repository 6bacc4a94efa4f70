"""Choose each encoder's default settings on development data: a small grid per encoder,
scored by development accuracy only (no test text is read).

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/search_classify.py
      [--encoders lstm,bilstm,cnn,bag] [--inits random,w2v] [--mr-folds 3] [--trec-seeds 3]
      [--dev-fraction 0.1] [--log FILE] [--workers 1] [--limit N]

Protocol. MR: the first ``--mr-folds`` of bench_classify.py's ten stratified folds; for each,
its training part (the other nine tenths) is split into a fit part and a stratified
development part (``--dev-fraction``, seeded by the fold, exactly as bench_classify.py does);
the fold's test tenth is never loaded into a model. TREC: the 5,452 training questions, split
the same way once per seed (the 500 test questions are never read). Every grid point of every
(encoder, initialization) is trained on the fit part (with the preset's own early stopping
and refit inside it) and scored on the development part. A setting's score is its mean
development accuracy over the MR folds and TREC seeds and both initializations, MR and TREC
weighted equally; the best score per encoder is printed as the setting to put in
``embedlayer.tasks.presets``. Every other value is the preset's. Writes the log as it goes
(``--log``), so a partial run keeps what it measured.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classify import _dev_split, _splits, make_classifier, pretrained_vectors  # noqa: E402


def _grid(**axes) -> list[dict]:
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


# encoder -> the grid points tried (every other setting is the preset's).
GRID: dict[str, list[dict]] = {
    "lstm": _grid(learning_rate=[1e-3, 3e-3], hidden=[64, 128]),
    "bilstm": _grid(learning_rate=[1e-3, 3e-3], dropout=[0.5, 0.3]),
    "cnn": _grid(learning_rate=[1e-3, 3e-3], dropout=[0.5, 0.3]),
    "bag": _grid(learning_rate=[5e-3, 2e-3, 1e-2, 2e-2]),
}


def _label(point: dict) -> str:
    return ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in point.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", default=",".join(GRID),
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--inits", default="random,w2v",
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--mr-folds", type=int, default=3,
                        help="how many of MR's 10 folds give a development split "
                             "(default: %(default)s)")
    parser.add_argument("--trec-seeds", type=int, default=3,
                        help="TREC development splits (default: %(default)s)")
    parser.add_argument("--dev-fraction", type=float, default=0.1,
                        help="development split of each training part (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most this many training texts, for smoke tests "
                             "(default: %(default)s, all)")
    parser.add_argument("--workers", type=int, default=1,
                        help="torch threads (default: %(default)s)")
    parser.add_argument("--log", type=Path, default=Path("search_classify.tsv"),
                        help="per-fit log, tab-separated (default: %(default)s)")
    parser.add_argument("--summarize", type=Path, nargs="+", default=None, metavar="LOG",
                        help="train nothing: print the tables from these logs of earlier runs "
                             "(default: off)")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.summarize, [n for n in args.encoders.split(",") if n],
                  [i for i in args.inits.split(",") if i])
        return
    names = [n for n in args.encoders.split(",") if n]
    unknown = [n for n in names if n not in GRID]
    if unknown:
        raise SystemExit(f"unknown encoder {unknown[0]!r}; expected one of {sorted(GRID)}")
    inits = [i for i in args.inits.split(",") if i]

    import torch

    from embedlayer.data.classify import load_classification

    torch.set_num_threads(args.workers)
    command = "python benchmarks/search_classify.py " + shlex.join(sys.argv[1:])
    vectors = pretrained_vectors() if "w2v" in inits else None
    # bench_classify's split helpers read these attributes.
    split_args = argparse.Namespace(folds=10, seeds=args.trec_seeds, limit=args.limit,
                                    quick=False, epochs=None, refit=True)

    log_file = args.log.open("w", encoding="utf-8")
    columns = ("dataset", "split", "model", "init", "setting", "dev_accuracy", "train_s")
    log_file.write("\t".join(columns) + "\n")
    scores: dict[tuple[str, str, str, str], list[float]] = {}
    t_start = time.perf_counter()
    for ds_name, n_splits in (("trec", args.trec_seeds), ("mr", args.mr_folds)):
        dataset = load_classification(ds_name)
        for split, train, _test in itertools.islice(_splits(dataset, split_args), n_splits):
            fit_part, dev = _dev_split(train, args.dev_fraction, seed=1000 + split)
            seed = split if dataset.test is not None else 0
            for name in names:
                for init in inits:
                    for point in GRID[name]:
                        clf = make_classifier(name, init, vectors, split_args, seed,
                                              overrides=point)
                        clf.fit(fit_part.texts, fit_part.labels, progress=False)
                        acc = clf.evaluate(dev.texts, dev.labels).accuracy
                        label = _label(point)
                        scores.setdefault((ds_name, name, init, label), []).append(acc)
                        line = (f"{ds_name}\t{split}\t{name}\t{init}\t{label}\t{acc:.4f}\t"
                                f"{clf.train_seconds_:.1f}")
                        log_file.write(line + "\n")
                        log_file.flush()
                        print(line, file=sys.stderr, flush=True)
    log_file.close()

    print(f"command: {command}")
    print(f"torch {torch.__version__}, {args.workers} thread(s); TREC: {args.trec_seeds} "
          f"development split(s) of the training set; MR: the training parts of folds "
          f"0-{args.mr_folds - 1}; development fraction {args.dev_fraction}; "
          f"{time.perf_counter() - t_start:.0f} s in all\n")
    print_tables(scores, names, inits)


def summarize(logs: list[Path], names: list[str], inits: list[str]) -> None:
    """Read earlier runs' logs (the per-fit TSV this script writes) and print the tables."""
    scores: dict[tuple[str, str, str, str], list[float]] = {}
    for log in logs:
        lines = log.read_text(encoding="utf-8").splitlines()
        for line in lines[1:]:
            ds, _split, name, init, label, acc, _s = line.split("\t")
            scores.setdefault((ds, name, init, label), []).append(float(acc))
    print(f"command: python benchmarks/search_classify.py {shlex.join(sys.argv[1:])}\n")
    print_tables(scores, [n for n in names if any(k[1] == n for k in scores)], inits)


def print_tables(scores: dict, names: list[str], inits: list[str]) -> None:
    """The per-setting table and the chosen setting per encoder."""
    print("| model | setting | init | TREC dev % | MR dev % |")
    print("| --- | --- | --- | ---: | ---: |")
    for name in names:
        for point in GRID[name]:
            label = _label(point)
            for init in inits:
                cells = [f"{100 * statistics.fmean(scores[(d, name, init, label)]):.2f}"
                         if (d, name, init, label) in scores else "-" for d in ("trec", "mr")]
                print(f"| {name} | {label} | {init} | " + " | ".join(cells) + " |")
    print("\n| model | chosen setting | score (mean dev %, MR and TREC weighted equally) |")
    print("| --- | --- | ---: |")
    for name in names:
        def score(point, name=name):
            label = _label(point)
            per_dataset = []
            for d in ("trec", "mr"):
                cells = [statistics.fmean(scores[(d, name, i, label)]) for i in inits
                         if (d, name, i, label) in scores]
                if cells:
                    per_dataset.append(statistics.fmean(cells))
            return statistics.fmean(per_dataset)
        # Ties go to the earlier grid point (the grids list the current preset first).
        best = max(GRID[name], key=lambda p: (score(p), -GRID[name].index(p)))
        print(f"| {name} | {_label(best)} | {100 * score(best):.2f} |")


if __name__ == "__main__":
    main()
