"""Text classification with compressed embedding layers: MR (10-fold CV) and TREC, the dense
model against the same trained model with its embedding compressed after training (int8, 4-bit,
PQ, low rank) and against a CNN trained with a low-rank embedding from the start; and
facebook fastText's ``quantize`` on its supervised TREC model against ours.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_classify_compress.py
      [--parts classify,fasttext] [--model bag] [--datasets mr,trec] [--folds 10] [--seeds 3]
      [--only-folds 0,1] [--log FILE] [--summarize LOG...] [--workers 1]
(needs the bench extra: fasttext, scikit-learn). Prints the command, the per-fold log (also
appended to ``--log``) and the Markdown tables.

classify: ``--model`` (default ``bag``, the fastText-style mean of word vectors and a linear
layer, where the embedding is nearly the whole model; ``cnn`` is Kim's CNN) of
``bench_classify.py`` with this project's word2vec vectors (300 dimensions; settings:
``embedlayer.tasks.presets.recommended(model, pretrained=True)``), the same MR folds
(stratified, seed 0) and TREC seeds. ``bag`` is the default for time: on 2 busy cores one
fold of the CNN with its low-rank refit took 13 minutes. In each fold (seed) the dense model is
trained once; each post-training row is that same trained model after
``TextClassifier.compress_embedding(method)`` (no retraining), so its difference to the dense
row is the compression alone; "low-rank trained" is a separate fit with
``embedding_rank=50`` (6x fewer embedding parameters than 300 columns: N x 50 + 50 x 300
against N x 300). Fixed before any run: int8 and 4-bit per row, PQ with m = 75 (4 dimensions a
byte, 16x), post-training low rank 60 (5x), trained low rank 50. "Δ" is the mean over folds of
(row - dense) in accuracy points, with its sample std.

fasttext: TREC (coarse labels) with facebook fastText ``train_supervised`` (its
text-classification tutorial's 25 epochs and unigrams at lr 0.5: the tutorial's lr 1.0
diverged here, "Encountered NaN", on the first seed; dim 100, the default), saved as ``.bin``, then ``quantize(input=train, qnorm=True, retrain=True,
cutoff=100000)`` (the tutorial's call) saved as ``.ftz``; accuracy is ``test()``'s precision
at 1 (one label per question). Ours: the ``bag`` model (the same algorithm: the mean of word
vectors and a linear layer; dim 100, no pretrained vectors, its preset's 20 epochs), folder
size (weights + vocabulary + config) dense, after ``compress_embedding("int8")`` and after
``compress_embedding("pq:m=25")``. Three seeds each; sizes are from the first. Its table's
size column is the whole model file (fastText) or folder (ours), against the ``.bin``.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

POST = ["int8", "int4", "pq:m=75", "lowrank:rank=60"]
TRAINED_RANK = 50
COLUMNS = ("dataset", "fold", "row", "accuracy", "embedding_bytes", "embedding_params",
           "seconds")


def _embedding_size(layer) -> tuple[int, int]:
    count = getattr(layer, "parameter_count", None)
    if count is not None:
        return int(count["nbytes"]), int(count["n_parameters"])
    n = layer.weight.numel()
    return 4 * n, n


def part_classify(args, log) -> None:
    from bench_classify import _splits, make_classifier, pretrained_vectors
    from embedlayer.data.classify import load_classification
    from embedlayer.tasks import TextClassifier

    vectors = pretrained_vectors(progress=False)
    for name in args.datasets.split(","):
        dataset = load_classification(name, progress=False)
        for fold, train, test in _splits(dataset, args):
            seed = fold if dataset.test is not None else 0
            t0 = time.perf_counter()
            dense = make_classifier(args.model, "w2v", vectors, args, seed).fit(
                train.texts, train.labels, progress=False)
            seconds = time.perf_counter() - t0
            log(name, fold, "dense", dense.evaluate(test.texts, test.labels).accuracy,
                *_embedding_size(dense.model_.embedding), seconds)
            with tempfile.TemporaryDirectory() as tmp:
                folder = dense.save(Path(tmp) / "dense")
                for method in POST:
                    t0 = time.perf_counter()
                    clf = TextClassifier.load(folder, workers=args.workers)
                    clf.compress_embedding(method)
                    seconds = time.perf_counter() - t0
                    log(name, fold, method, clf.evaluate(test.texts, test.labels).accuracy,
                        *_embedding_size(clf.model_.embedding), seconds)
            t0 = time.perf_counter()
            low = make_classifier(args.model, "w2v", vectors, args, seed,
                                  overrides={"embedding_rank": TRAINED_RANK}).fit(
                train.texts, train.labels, progress=False)
            seconds = time.perf_counter() - t0
            log(name, fold, f"low-rank trained (rank {TRAINED_RANK})",
                low.evaluate(test.texts, test.labels).accuracy,
                *_embedding_size(low.model_.embedding), seconds)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def part_fasttext(args, log) -> None:
    import fasttext

    from embedlayer.data.classify import load_classification
    from embedlayer.nn.encoders import encoder_config
    from embedlayer.tasks import TextClassifier
    from embedlayer.tasks.presets import recommended

    data = load_classification("trec", progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for part, split in (("train", data.train), ("test", data.test)):
            with open(tmp / f"{part}.txt", "w", encoding="utf-8") as fh:
                for text, label in zip(split.texts, split.labels, strict=True):
                    fh.write(f"__label__{label} {' '.join(text.split())}\n")
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            model = fasttext.train_supervised(input=str(tmp / "train.txt"), lr=0.5, epoch=25,
                                              wordNgrams=1, seed=seed, thread=args.workers,
                                              verbose=0)
            seconds = time.perf_counter() - t0
            model.save_model(str(tmp / "m.bin"))
            log("trec", seed, "fastText .bin", model.test(str(tmp / "test.txt"))[1],
                (tmp / "m.bin").stat().st_size, 0, seconds)
            t0 = time.perf_counter()
            model.quantize(input=str(tmp / "train.txt"), qnorm=True, retrain=True,
                           cutoff=100_000, thread=args.workers, verbose=0)
            seconds = time.perf_counter() - t0
            model.save_model(str(tmp / "m.ftz"))
            log("trec", seed, "fastText .ftz (quantize)", model.test(str(tmp / "test.txt"))[1],
                (tmp / "m.ftz").stat().st_size, 0, seconds)
            t0 = time.perf_counter()
            enc, settings = recommended("bag", pretrained=False)
            settings["dim"] = 100
            ours = TextClassifier(encoder_config("bag", enc), seed=seed, workers=args.workers,
                                  **settings).fit(data.train.texts, data.train.labels,
                                                  progress=False)
            seconds = time.perf_counter() - t0
            folder = ours.save(tmp / "bag")
            log("trec", seed, "ours bag, dense", ours.evaluate(data.test.texts,
                                                              data.test.labels).accuracy,
                _folder_bytes(folder), 0, seconds)
            for method in ("int8", "pq:m=25"):
                t0 = time.perf_counter()
                clf = TextClassifier.load(folder).compress_embedding(method)
                seconds = time.perf_counter() - t0
                small = clf.save(tmp / f"bag-{method.replace(':', '_')}")
                log("trec", seed, f"ours bag, {method}",
                    clf.evaluate(data.test.texts, data.test.labels).accuracy,
                    _folder_bytes(small), 0, seconds)


def summarize(paths: list[Path]) -> None:
    rows: list[dict] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh, delimiter="\t"))
    for name in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == name]
        dense = {r["fold"]: float(r["accuracy"]) for r in mine if r["row"] == "dense"}
        order = list(dict.fromkeys(r["row"] for r in mine))
        folds = sorted({r["fold"] for r in mine}, key=int)
        print(f"\n### {name}: {len(folds)} fold(s)/seed(s)\n")
        peer = any(r["row"].startswith("fastText") for r in mine)
        what = "model file MB" if peer else "embedding MB"
        ref_name = "fastText .bin" if peer else "dense"
        print(f"| row | accuracy % | Δ vs dense (points) | {what} | embedding numbers "
              f"| size vs {ref_name} | s (median) |\n"
              f"| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        base = next((r for r in mine if r["row"] in ("dense", "fastText .bin")), mine[0])
        for row in order:
            rs = [r for r in mine if r["row"] == row]
            acc = [100 * float(r["accuracy"]) for r in rs]
            diffs = [100 * (float(r["accuracy"]) - dense[r["fold"]]) for r in rs
                     if r["fold"] in dense]
            std = statistics.stdev(acc) if len(acc) > 1 else 0.0
            dstd = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
            size = int(rs[0]["embedding_bytes"])
            ref = int(base["embedding_bytes"])
            delta = f"{statistics.fmean(diffs):+.2f} ± {dstd:.2f}" if diffs else "-"
            params = int(rs[0]["embedding_params"])
            print(f"| {row} | {statistics.fmean(acc):.2f} ± {std:.2f} | {delta} | "
                  f"{size / 1e6:.2f} | {f'{params:,}' if params else '-'} | "
                  f"{ref / size:.1f}x smaller | "
                  f"{statistics.median(float(r['seconds']) for r in rs):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="classify,fasttext",
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--datasets", default="mr,trec", help="default: %(default)s")
    parser.add_argument("--model", default="bag", choices=["bag", "cnn", "lstm", "bilstm"],
                        help="the classifier (bench_classify's presets) (default: %(default)s)")
    parser.add_argument("--folds", type=int, default=10, help="MR folds (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="TREC seeds (default: %(default)s)")
    parser.add_argument("--only-folds", default=None,
                        help="comma-separated MR folds to run (default: all)")
    parser.add_argument("--workers", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--log", type=Path, default=Path("bench_classify_compress.tsv"),
                        help="per-run log, appended to (default: %(default)s)")
    parser.add_argument("--summarize", type=Path, nargs="+", default=None,
                        help="train nothing: print the tables from these logs")
    args = parser.parse_args()
    args.quick, args.epochs, args.refit, args.limit = False, None, True, None
    args.only_folds = (None if args.only_folds is None
                       else {int(f) for f in args.only_folds.split(",")})
    if args.summarize:
        summarize(args.summarize)
        return
    import torch

    os.environ.setdefault("EMBEDLAYER_PROGRESS", "0")
    torch.set_num_threads(args.workers)
    print(f"command: python benchmarks/bench_classify_compress.py {shlex.join(sys.argv[1:])}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.workers} torch thread(s)")
    new = not args.log.exists()
    with open(args.log, "a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        if new:
            writer.writerow(COLUMNS)

        def log(*values) -> None:
            writer.writerow(values)
            fh.flush()
            print("\t".join(str(v) for v in values), flush=True)

        for part in args.parts.split(","):
            {"classify": part_classify, "fasttext": part_fasttext}[part.strip()](args, log)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    summarize([args.log])


if __name__ == "__main__":
    main()
