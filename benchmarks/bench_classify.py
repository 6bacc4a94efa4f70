"""Text classification: MR (10-fold CV) and TREC (train/test) for every encoder, random vs
pretrained initialization, next to a TF-IDF + logistic regression baseline; the encoder and
its initialization chosen on development data only.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_classify.py
      [--datasets mr,trec] [--encoders lstm,bilstm,cnn,bag,bag2,transformer]
      [--inits random,w2v]
      [--folds 10] [--seeds 3] [--dev-fraction 0.1] [--log FILE] [--quick] [--limit N]
      [--no-baseline] [--baselines tfidf-lr,minilm-lr] [--workers 1]
(needs scikit-learn: ``pip install -e '.[bench]'``). Prints the command line, the per-fold
log (also written to ``--log``) and the Markdown table for docs/benchmarks.md.

Settings: each encoder's are ``embedlayer.tasks.presets.recommended`` (the defaults of
``embedlayer classify train``), so the table and the CLI cannot drift apart; ``bag2`` is
``bag`` with hashed word bigrams (100k buckets); ``transformer`` fine-tunes all-MiniLM-L6-v2
end to end (its preset is the usual BERT recipe, not tuned here). The transformer brings its
own token embeddings, so ``--inits`` does not apply to it: it runs once, whatever the inits,
and its init column says ``minilm`` (the checkpoint it starts from). Pretrained vectors:
``embedlayer.train.Word2Vec`` (skip-gram, negative sampling, dim 300, window 5, min_count 3,
5 epochs, seed 1) on all of corpora/en/*.txt, lower-cased regex tokens (corpora/en includes
the polarity 2.0 reviews: in-domain text for MR, not the MR sentences themselves), trained
once and cached under ``$EMBEDLAYER_CACHE/bench-classify``.

Protocol. MR: stratified 10-fold CV, the same folds for every model. TREC (6 coarse labels):
the standard 5,452 / 500 split, repeated over ``--seeds`` seeds. Each candidate (encoder x
initialization) is trained on the whole training part of a fold (seed) and tested on its test
part: those are the per-candidate rows. The "selected" row never looks at test data: within
each fold (seed), every candidate is also trained on the training part minus a stratified
development split (``--dev-fraction``, seeded by the fold), the candidate with the best
development accuracy is chosen, and its test accuracy on that fold is the one reported
(with a single candidate there is nothing to choose and no development fit is made).
``--only-folds`` runs a subset of MR's folds (its figures are not the 10-fold ones).
Figures are mean ± sample std over the folds (MR: the 10 fold accuracies) or seeds (TREC).
Inside every fit, early stopping holds out a further 10% of the data it is given to choose
the number of epochs, then refits on all of it. "train s" is the mean time of one fit.
The baseline is scikit-learn's TfidfVectorizer (word uni+bigrams incl. one-letter words and
punctuation, sublinear tf) + LogisticRegression (liblinear, one-vs-rest for TREC) with C
chosen by 5-fold CV inside each training part; the second baseline (``minilm-lr``;
``--baselines`` picks them) is frozen all-MiniLM-L6-v2 sentence vectors (mean-pooled,
normalized) + LogisticRegression (lbfgs) with C chosen the same way. ``--quick``: 2 folds / 1 seed, at most 3
epochs; with ``--limit N`` (at most N training texts) it is a smoke test only.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

W2V = {"model": "skipgram", "loss": "ns", "dim": 300, "window": 5, "negative": 5,
       "min_count": 3, "epochs": 5, "seed": 1}
# Table rows: name -> (encoder kind, extra encoder settings over its preset).
MODELS: dict[str, tuple[str, dict]] = {
    "lstm": ("lstm", {}), "bilstm": ("bilstm", {}), "cnn": ("cnn", {}), "bag": ("bag", {}),
    "bag2": ("bag", {"bigrams": True, "bucket": 100_000}),
    "transformer": ("transformer", {}),
}
# Models that start from a checkpoint of their own: model -> the init column's name.
OWN_INIT = {"transformer": "minilm"}
LOG_COLUMNS = ("dataset", "fold", "model", "init", "dev_accuracy", "test_accuracy",
               "test_macro_f1", "train_s", "selected")


def cache_dir() -> Path:
    base = Path(os.environ.get("EMBEDLAYER_CACHE", Path.home() / ".cache" / "embedlayer"))
    return base / "bench-classify"


def pretrained_vectors(progress: bool = True):
    """Train (once) and load the skip-gram vectors of corpora/en (settings: ``W2V``)."""
    from _pretrained import trained_vectors

    name = "w2v-" + "-".join(f"{k}{v}" for k, v in W2V.items())
    return trained_vectors("word2vec", {"workers": 2, **W2V}, cache_dir() / name,
                           progress=progress)


@dataclass
class Row:
    dataset: str
    model: str
    init: str
    accuracy: list[float] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    note: str = ""


def _fmt(values: list[float]) -> str:
    mean = 100 * statistics.fmean(values)
    std = 100 * statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.1f} ± {std:.1f}"


# Which settings belong to the encoder (the rest are ``TextClassifier`` options).
ENCODER_KEYS = {"hidden", "dropout", "widths", "maps", "bigrams", "bucket", "checkpoint",
                "layers", "pooling"}


def make_classifier(name: str, init: str, vectors, args, seed: int,
                    overrides: dict | None = None):
    """The classifier of table row ``name`` with ``init``; ``overrides`` replace preset values
    (encoder settings or classifier options, told apart by ``ENCODER_KEYS``)."""
    from embedlayer.nn.encoders import encoder_config
    from embedlayer.tasks import TextClassifier
    from embedlayer.tasks.presets import recommended

    kind, extra = MODELS[name]
    own = name in OWN_INIT  # its checkpoint is its initialization
    enc, settings = recommended(kind, pretrained=init == "w2v" and not own)
    enc.update(extra)
    for key, value in (overrides or {}).items():
        (enc if key in ENCODER_KEYS else settings)[key] = value
    if init != "w2v" and not own:
        settings["dim"] = vectors.dim if vectors is not None else W2V["dim"]
    if args.quick:
        settings["epochs"] = min(settings["epochs"], 3)
    if args.epochs:
        settings["epochs"] = args.epochs
    if not args.refit:
        settings["refit"] = False
    return TextClassifier(encoder_config(kind, enc),
                          vectors=vectors if init == "w2v" and not own else None,
                          seed=seed, **settings)


def _splits(dataset, args):
    """(fold or seed, training part, test part): MR's outer folds, TREC's seeds."""
    import numpy as np

    from embedlayer.tasks import stratified_folds

    if dataset.test is None:
        data = dataset.train
        for i, test in enumerate(stratified_folds(data.labels, args.folds, seed=0)):
            if args.only_folds is not None and i not in args.only_folds:
                continue
            rest = np.setdiff1d(np.arange(len(data)), test)
            yield i, _limit(data.select(rest), args), data.select(test)
    else:
        for seed in range(args.seeds):
            yield seed, _limit(dataset.train, args), dataset.test


def _limit(part, args):
    """At most ``--limit`` texts (a stratified, seeded subset): smoke tests only."""
    if args.limit is None or len(part) <= args.limit:
        return part
    from embedlayer.tasks import stratified_folds

    k = max(2, -(-len(part) // args.limit))
    return part.select(stratified_folds(part.labels, k, seed=0)[0])


def _dev_split(part, fraction: float, seed: int):
    """(fit part, development part): a stratified ``fraction`` held out, seeded."""
    import numpy as np

    from embedlayer.tasks import stratified_folds

    k = max(2, round(1 / fraction))
    dev = stratified_folds(part.labels, k, seed=seed)[0]
    return part.select(np.setdiff1d(np.arange(len(part)), dev)), part.select(dev)


def run_neural(dataset, candidates, vectors, args, log) -> list[Row]:
    """One row per candidate (its test score per fold/seed) and the dev-selected row."""
    rows = {c: Row(dataset.name, *c) for c in candidates}
    chosen = Row(dataset.name, "selected", "dev", note="")
    picks: list[str] = []
    for fold, train, test in _splits(dataset, args):
        fit_part, dev = _dev_split(train, args.dev_fraction, seed=1000 + fold)
        seed = fold if dataset.test is not None else 0  # TREC: the repeat's seed
        scores = {}
        for c in candidates:
            dev_acc = float("nan")  # one candidate: nothing to choose, no development fit
            if len(candidates) > 1:
                dev_clf = make_classifier(*c, vectors, args, seed).fit(
                    fit_part.texts, fit_part.labels, progress=False)
                dev_acc = dev_clf.evaluate(dev.texts, dev.labels).accuracy
            clf = make_classifier(*c, vectors, args, seed).fit(train.texts, train.labels,
                                                               progress=False)
            report = clf.evaluate(test.texts, test.labels)
            scores[c] = (dev_acc, report, clf.train_seconds_)
            rows[c].accuracy.append(report.accuracy)
            rows[c].macro_f1.append(report.macro_f1)
            rows[c].seconds.append(clf.train_seconds_)
        # Ties on the development accuracy go to the earlier candidate (the cheaper encoder
        # comes first only if listed first: the order is --encoders x --inits).
        best = max(candidates, key=lambda c: (scores[c][0], -candidates.index(c)))
        picks.append(f"{best[0]}/{best[1]}")
        dev_acc, report, seconds = scores[best]
        chosen.accuracy.append(report.accuracy)
        chosen.macro_f1.append(report.macro_f1)
        chosen.seconds.append(seconds)
        for c in candidates:
            d, r, s = scores[c]
            log(dataset.name, fold, c[0], c[1], d, r.accuracy, r.macro_f1, s, int(c == best))
    chosen.note = "picked " + ", ".join(f"{p} x{picks.count(p)}" for p in dict.fromkeys(picks))
    return [*rows.values(), chosen]


def run_baseline(dataset, args, log) -> Row:
    """TF-IDF (word uni+bigrams) + logistic regression, C chosen by 5-fold inner CV.

    The vectorizer is fitted once on each training part (unsupervised; the inner folds share
    its IDF weights), then C is searched on that matrix, without refitting the vectorizer.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.multiclass import OneVsRestClassifier

    def fit_predict(train, test):
        t0 = time.perf_counter()
        # Words of one character and punctuation kept ("?", "I", "!" matter for TREC).
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True,
                              token_pattern=r"(?u)\b\w+\b|[^\w\s]")
        # liblinear is fast on sparse features; one-vs-rest for more than two classes.
        grid = GridSearchCV(OneVsRestClassifier(LogisticRegression(solver="liblinear")),
                            {"estimator__C": [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0,
                                              3000.0, 10000.0]}, cv=5)
        grid.fit(vec.fit_transform(train.texts), train.labels)
        seconds = time.perf_counter() - t0
        return grid, grid.predict(vec.transform(test.texts)), seconds

    return _logistic_rows(dataset, args, log, "tfidf-lr", "-", fit_predict)


def run_minilm_lr(dataset, args, log) -> Row:
    """Frozen all-MiniLM-L6-v2 sentence vectors (mean-pooled, normalized, as the checkpoint's
    sentence-transformers files say) + logistic regression, C chosen by 5-fold inner CV.

    The encoder is frozen, so every text is encoded once; each fold then fits only the
    regression on its training part. "train s" is that fit plus the encoding of the training
    texts (their share of the one encoding pass).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    from embedlayer.contextual import TransformerEncoder

    encoder = TransformerEncoder("all-MiniLM-L6-v2", workers=args.workers)
    parts = [dataset.train] + ([dataset.test] if dataset.test is not None else [])
    texts = [t for part in parts for t in part.texts]
    t0 = time.perf_counter()
    matrix = encoder.encode(texts)
    per_text = (time.perf_counter() - t0) / max(len(texts), 1)
    index = {}
    for i, text in enumerate(texts):
        index.setdefault(text, i)

    def fit_predict(train, test):
        t0 = time.perf_counter()
        grid = GridSearchCV(LogisticRegression(max_iter=2000),
                            {"C": [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]}, cv=5)
        grid.fit(matrix[[index[t] for t in train.texts]], train.labels)
        seconds = time.perf_counter() - t0 + per_text * len(train.texts)
        return grid, grid.predict(matrix[[index[t] for t in test.texts]]), seconds

    return _logistic_rows(dataset, args, log, "minilm-lr", "frozen", fit_predict)


def _logistic_rows(dataset, args, log, name: str, init: str, fit_predict) -> Row:
    """One baseline's row: ``fit_predict(train, test) -> (fitted GridSearchCV, test
    predictions, training seconds)`` on each MR fold, or once for TREC (deterministic: one run
    is every run)."""
    import numpy as np
    from sklearn.metrics import f1_score

    row = Row(dataset.name, name, init)
    cs = set()
    splits = list(_splits(dataset, args))
    if dataset.test is not None:
        splits = splits[:1]
    for fold, train, test in splits:
        grid, pred, seconds = fit_predict(train, test)
        acc = float(np.mean(pred == np.array(test.labels)))
        f1 = float(f1_score(test.labels, pred, average="macro"))
        row.accuracy.append(acc)
        row.macro_f1.append(f1)
        row.seconds.append(seconds)
        cs.add(next(iter(grid.best_params_.values())))
        log(dataset.name, fold, name, init, grid.best_score_, acc, f1, seconds, 0)
    row.note = f"C in {sorted(cs)} (inner 5-fold CV)"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mr,trec",
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--encoders", default="lstm,bilstm,cnn,bag,bag2",
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--inits", default="random,w2v",
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--folds", type=int, default=10, help="MR folds (default: %(default)s)")
    parser.add_argument("--only-folds", default=None,
                        help="comma-separated MR fold indices to run, e.g. 0,1,2 (default: "
                             "all; a subset is not the 10-fold figure)")
    parser.add_argument("--summarize", type=Path, nargs="+", default=None, metavar="LOG",
                        help="train nothing: print the table from these per-fold logs of "
                             "earlier runs (default: off)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="TREC repeats (default: %(default)s)")
    parser.add_argument("--dev-fraction", type=float, default=0.1,
                        help="development split of each training part, for choosing the "
                             "encoder (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="override every model's epochs (default: the preset's)")
    parser.add_argument("--quick", action="store_true",
                        help="2 folds, 1 seed, at most 3 epochs (default: off)")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most this many training texts per fold, for smoke tests "
                             "(default: %(default)s, all)")
    parser.add_argument("--no-refit", dest="refit", action="store_false",
                        help="keep the early-stopped model instead of retraining on the whole "
                             "training part for the chosen number of epochs (default: refit)")
    parser.add_argument("--baselines", default="tfidf-lr,minilm-lr",
                        help="comma-separated baselines: tfidf-lr (TF-IDF + logistic "
                             "regression), minilm-lr (frozen all-MiniLM-L6-v2 + logistic "
                             "regression) (default: %(default)s)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip TF-IDF + logistic regression (default: run it)")
    parser.add_argument("--w2v-dim", type=int, default=W2V["dim"],
                        help="default: %(default)s")
    parser.add_argument("--w2v-epochs", type=int, default=W2V["epochs"],
                        help="default: %(default)s")
    parser.add_argument("--workers", type=int, default=1,
                        help="torch threads (default: %(default)s, fastest on a busy 2-core "
                             "machine)")
    parser.add_argument("--log", type=Path, default=Path("bench_classify_folds.tsv"),
                        help="per-fold log, tab-separated (default: %(default)s)")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return
    if args.only_folds is not None:
        try:
            args.only_folds = {int(f) for f in args.only_folds.split(",") if f.strip()}
        except ValueError:
            raise SystemExit(f"--only-folds takes fold indices, got {args.only_folds!r}") from None
    unknown_b = [b for b in args.baselines.split(",") if b and b not in ("tfidf-lr", "minilm-lr")]
    if unknown_b:
        raise SystemExit(f"unknown baseline {unknown_b[0]!r}; expected tfidf-lr or minilm-lr")
    if args.quick:
        args.folds, args.seeds = 2, 1
    if not 0 < args.dev_fraction < 0.5:
        raise SystemExit(f"--dev-fraction must be in (0, 0.5), got {args.dev_fraction}")

    import torch

    from embedlayer.data.classify import load_classification

    command = "python benchmarks/bench_classify.py " + shlex.join(sys.argv[1:])
    torch.set_num_threads(args.workers)
    inits = [i for i in args.inits.split(",") if i]
    names = [n for n in args.encoders.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit(f"unknown model {unknown[0]!r}; expected one of {sorted(MODELS)}")
    candidates = list(dict.fromkeys((n, OWN_INIT.get(n, i)) for n in names for i in inits))
    W2V.update(dim=args.w2v_dim, epochs=args.w2v_epochs)
    vectors = pretrained_vectors() if "w2v" in inits else None

    log_lines = ["\t".join(LOG_COLUMNS)]

    def log(*values) -> None:
        line = "\t".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in values)
        log_lines.append(line)
        print(line, file=sys.stderr, flush=True)

    rows: list[Row] = []
    for ds_name in filter(None, args.datasets.split(",")):
        dataset = load_classification(ds_name)
        if not args.no_baseline:
            baselines = [b for b in args.baselines.split(",") if b]
            if "tfidf-lr" in baselines:
                rows.append(run_baseline(dataset, args, log))
            if "minilm-lr" in baselines:
                rows.append(run_minilm_lr(dataset, args, log))
        if candidates:
            rows += run_neural(dataset, candidates, vectors, args, log)

    args.log.write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    print(f"command: {command}")
    print(f"torch {torch.__version__}, {args.workers} thread(s); MR: {args.folds}-fold CV; "
          f"TREC: {args.seeds} seed(s); development split {args.dev_fraction} of each "
          f"training part; refit after early stopping: {args.refit}"
          + (" (transformer: no, its preset's)" if "transformer" in names else "")
          + (f"; vectors: word2vec {W2V} on corpora/en" if vectors is not None else "") + "\n")
    print(f"per-fold log ({args.log}; dev_accuracy of tfidf-lr is its inner-CV score):\n")
    print("\n".join(log_lines) + "\n")
    print_table(rows)


def print_table(rows: list[Row]) -> None:
    print("| dataset | model | init | accuracy % | macro-F1 % | train s (one fit) | note |")
    print("| --- | --- | --- | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r.dataset} | {r.model} | {r.init} | {_fmt(r.accuracy)} | {_fmt(r.macro_f1)} | "
              f"{statistics.fmean(r.seconds):.1f} | {r.note} |")


def summarize(logs: list[Path]) -> None:
    """The table from the per-fold logs of earlier runs (e.g. the folds of MR split between
    runs with ``--only-folds``): every (dataset, model, init) over every fold logged; a fold
    logged twice for one model is an error, not an average."""
    rows: dict[tuple[str, str, str], Row] = {}
    seen: set[tuple[str, str, str, str]] = set()
    for log in logs:
        lines = log.read_text(encoding="utf-8").splitlines()
        if not lines or tuple(lines[0].split("\t")) != LOG_COLUMNS:
            raise SystemExit(f"{log}: not a bench_classify log (expected the header "
                             f"{chr(9).join(LOG_COLUMNS)!r})")
        for line in lines[1:]:
            ds, fold, model, init, _dev, acc, f1, seconds, _sel = line.split("\t")
            key = (ds, fold, model, init)
            if key in seen:
                raise SystemExit(f"{log}: {ds} fold {fold} of {model}/{init} is logged twice")
            seen.add(key)
            row = rows.setdefault((ds, model, init), Row(ds, model, init))
            row.accuracy.append(float(acc))
            row.macro_f1.append(float(f1))
            row.seconds.append(float(seconds))
    print("command: python benchmarks/bench_classify.py " + shlex.join(sys.argv[1:]))
    for r in rows.values():
        r.note = f"{len(r.accuracy)} folds/seeds"
    print()
    print_table(list(rows.values()))


if __name__ == "__main__":
    main()
