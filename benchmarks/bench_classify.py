"""Text classification: MR (10-fold CV) and TREC (train/test) for every encoder, random vs
pretrained initialization, next to a TF-IDF + logistic regression baseline.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_classify.py
      [--datasets mr,trec] [--encoders lstm,bilstm,cnn,bag,bag2] [--inits random,w2v]
      [--folds 10] [--seeds 3] [--quick] [--no-baseline] [--threads 1]
(needs scikit-learn: ``pip install -e '.[bench]'``). Prints Markdown for docs/benchmarks.md.

Pretrained vectors: ``embedlayer.train.Word2Vec`` (skip-gram, negative sampling, dim 300,
window 5, min_count 3, 5 epochs, seed 1) on all of corpora/en/*.txt, lower-cased regex
tokens. corpora/en includes the polarity 2.0 movie reviews, in-domain text for MR (not the
MR sentences themselves). They are trained once and cached (native format) under
``$EMBEDLAYER_CACHE/bench-classify`` (default ``~/.cache/embedlayer/bench-classify``).

Protocol: MR, stratified 10-fold CV (the same folds for every model); TREC (6 coarse
labels), the standard 5,452 / 500 split, repeated over ``--seeds`` seeds. Neural models hold
out 10% of their training part (stratified) for early stopping, which chooses the number of
epochs; a fresh model (same seed) is then trained on the whole training part for that many
epochs (``refit``; ``--no-refit`` keeps the early-stopped model).
Figures: accuracy and macro-F1 as mean ± sample std over folds (MR) or seeds (TREC); "train s"
is the mean training time of one fit (vocabulary, training, early stopping). The baseline is
scikit-learn's TfidfVectorizer (word uni+bigrams incl. one-letter words and punctuation,
sublinear tf) + LogisticRegression (liblinear, one-vs-rest for TREC) with C chosen by 5-fold inner CV on each training part. ``--quick``: 2 folds /
1 seed, at most 3 epochs, for trying settings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_word2vec import CORPORA  # noqa: E402 - the same English corpora

W2V = {"model": "skipgram", "loss": "ns", "dim": 300, "window": 5, "negative": 5,
       "min_count": 3, "epochs": 5, "seed": 1}

# The settings of each model in the table: an encoder and its TextClassifier options.
# "bag2" is the bag of embeddings with hashed word bigrams.
MODELS: dict[str, tuple[str, dict, dict]] = {
    # name: (encoder kind, encoder settings, classifier settings)
    "lstm": ("lstm", {}, {"epochs": 10, "batch_size": 32, "patience": 2}),
    "bilstm": ("bilstm", {"hidden": 64, "dropout": 0.5},
               {"epochs": 10, "batch_size": 50, "patience": 2}),
    "cnn": ("cnn", {"widths": (3, 4, 5), "maps": 100, "dropout": 0.5},
            {"epochs": 10, "batch_size": 50, "patience": 2}),
    "bag": ("bag", {}, {"epochs": 20, "batch_size": 32, "lr": 5e-3, "patience": 2}),
    "bag2": ("bag", {"bigrams": True, "buckets": 100_000},
             {"epochs": 20, "batch_size": 32, "lr": 5e-3, "patience": 2}),
}
# Extra settings when the embedding starts from the pretrained vectors: keep them fixed for
# the first epoch (the encoder learns to read them), then fine-tune; every word of the
# vectors gets a row, so test words unseen in training keep their pretrained vector.
PRETRAINED = {"freeze": 1, "vocab_from_vectors": True}


def cache_dir() -> Path:
    base = Path(os.environ.get("EMBEDLAYER_CACHE", Path.home() / ".cache" / "embedlayer"))
    return base / "bench-classify"


def pretrained_vectors(progress: bool = True):
    """Train (once) and load the skip-gram vectors of corpora/en (settings: ``W2V``)."""
    from embedlayer import data
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import Word2Vec
    from embedlayer.vectors.io import load_vectors

    name = "w2v-" + "-".join(f"{k}{v}" for k, v in W2V.items())
    folder = cache_dir() / name
    if not folder.exists():
        files = [data.path(n, progress=progress) for n in CORPORA]
        stream = TokenStream(TextCorpus(files), get_tokenizer("regex", lowercase=True))
        t0 = time.perf_counter()
        model = Word2Vec(workers=2, **W2V).fit(stream, progress=progress)
        print(f"trained {name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        model.save(folder)
    return load_vectors(folder)


@dataclass
class Row:
    dataset: str
    model: str
    init: str
    accuracy: list[float]
    macro_f1: list[float]
    seconds: list[float]
    note: str = ""


def _fmt(values: list[float]) -> str:
    mean = 100 * statistics.fmean(values)
    std = 100 * statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.1f} ± {std:.1f}"


def run_neural(name: str, init: str, dataset, vectors, args) -> Row:
    from embedlayer.nn.encoders import encoder_config
    from embedlayer.tasks import TextClassifier, cross_validate

    kind, enc_settings, settings = MODELS[name]
    settings = dict(settings)
    if init == "w2v":
        settings.update(PRETRAINED)
    else:
        settings["dim"] = vectors.dim if vectors is not None else W2V["dim"]
        settings["oov_init"] = "uniform"
    if args.quick:
        settings["epochs"] = min(settings["epochs"], 3)
    if args.epochs:
        settings["epochs"] = args.epochs
    if args.refit:
        settings["refit"] = True
    encoder = encoder_config(kind, enc_settings)
    store = vectors if init == "w2v" else None

    def make(seed: int = 0):
        return TextClassifier(encoder, vectors=store, seed=seed, progress=False, **settings)

    if dataset.test is None:  # cross-validation
        result = cross_validate(
            make, dataset.train, folds=args.folds, seed=0,
            on_fold=lambda i, r: print(f"  {dataset.name} {name} {init} fold {i + 1}: "
                                       f"{r.accuracy:.4f} (macro-F1 {r.macro_f1:.4f})",
                                       file=sys.stderr, flush=True))
        return Row(dataset.name, name, init, result.accuracies, result.macro_f1s, result.seconds)
    accs, f1s, secs = [], [], []
    for seed in range(args.seeds):
        clf = make(seed).fit(dataset.train.texts, dataset.train.labels)
        report = clf.evaluate(dataset.test.texts, dataset.test.labels)
        print(f"  {dataset.name} {name} {init} seed {seed}: {report.accuracy:.4f} (macro-F1 "
              f"{report.macro_f1:.4f}, {clf.train_seconds_:.0f} s)",
              file=sys.stderr, flush=True)
        accs.append(report.accuracy)
        f1s.append(report.macro_f1)
        secs.append(clf.train_seconds_)
    return Row(dataset.name, name, init, accs, f1s, secs)


def run_baseline(dataset, args) -> Row:
    """TF-IDF (word uni+bigrams) + logistic regression, C chosen by 5-fold inner CV.

    The vectorizer is fitted once on each training part (unsupervised; the inner folds share
    its IDF weights), then C is searched on that matrix, without refitting the vectorizer.
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GridSearchCV
    from sklearn.multiclass import OneVsRestClassifier

    from embedlayer.tasks import stratified_folds

    def one(train, test) -> tuple[float, float, float, float]:
        t0 = time.perf_counter()
        # Words of one character and punctuation kept ("?", "I", "!" matter for TREC).
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
                              token_pattern=r"(?u)\b\w+\b|[^\w\s]")
        x = vec.fit_transform(train.texts)
        # liblinear is fast on sparse features; one-vs-rest for more than two classes.
        grid = GridSearchCV(OneVsRestClassifier(LogisticRegression(solver="liblinear")),
                            {"estimator__C": [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0,
                                              3000.0, 10000.0]}, cv=5)
        grid.fit(x, train.labels)
        seconds = time.perf_counter() - t0
        pred = grid.predict(vec.transform(test.texts))
        acc = float(np.mean(pred == np.array(test.labels)))
        return (acc, f1_score(test.labels, pred, average="macro"), seconds,
                grid.best_params_["estimator__C"])

    runs = []
    if dataset.test is None:
        data = dataset.train
        for fold in stratified_folds(data.labels, args.folds, seed=0):
            rest = np.setdiff1d(np.arange(len(data)), fold)
            runs.append(one(data.select(rest), data.select(fold)))
    else:
        runs.append(one(dataset.train, dataset.test))
    cs = sorted({r[3] for r in runs})
    return Row(dataset.name, "tfidf-lr", "-", [r[0] for r in runs], [r[1] for r in runs],
               [r[2] for r in runs], note=f"C in {cs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mr,trec")
    parser.add_argument("--encoders", default="lstm,bilstm,cnn,bag,bag2")
    parser.add_argument("--inits", default="random,w2v")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="override every model's epochs")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-refit", dest="refit", action="store_false",
                        help="keep the early-stopped model instead of retraining on the whole "
                             "training part for the chosen number of epochs")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--w2v-dim", type=int, default=W2V["dim"])
    parser.add_argument("--w2v-epochs", type=int, default=W2V["epochs"])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest on a busy 2-core machine)")
    args = parser.parse_args()
    if args.quick:
        args.folds, args.seeds = 2, 1

    import torch

    from embedlayer.data.classify import load_classification

    torch.set_num_threads(args.threads)
    inits = args.inits.split(",")
    W2V.update(dim=args.w2v_dim, epochs=args.w2v_epochs)
    vectors = pretrained_vectors() if "w2v" in inits else None
    rows: list[Row] = []
    for ds_name in args.datasets.split(","):
        dataset = load_classification(ds_name)
        if not args.no_baseline:
            rows.append(run_baseline(dataset, args))
            print(f"{ds_name} tfidf-lr: {_fmt(rows[-1].accuracy)}", file=sys.stderr, flush=True)
        for name in filter(None, args.encoders.split(",")):
            if name not in MODELS:
                raise SystemExit(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
            for init in inits:
                rows.append(run_neural(name, init, dataset, vectors, args))
                print(f"{ds_name} {name} {init}: {_fmt(rows[-1].accuracy)}", file=sys.stderr,
                      flush=True)

    print(f"torch {torch.__version__}, {args.threads} thread(s); MR: {args.folds}-fold CV; "
          f"TREC: {args.seeds} seed(s); refit after early stopping: {args.refit}; "
          f"vectors: word2vec {W2V} on corpora/en\n")
    print("| dataset | model | init | accuracy % | macro-F1 % | train s (one fit) | note |")
    print("| --- | --- | --- | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r.dataset} | {r.model} | {r.init} | {_fmt(r.accuracy)} | {_fmt(r.macro_f1)} | "
              f"{statistics.fmean(r.seconds):.1f} | {r.note} |")


if __name__ == "__main__":
    main()
