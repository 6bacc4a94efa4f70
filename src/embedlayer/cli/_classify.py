"""`embedlayer classify train | eval | predict`: text classifiers over the embedding layer.

Thin: reads the data (``embedlayer.data.classify``), builds a ``TextClassifier`` from the
flags, calls ``fit`` / ``cross_validate`` / ``evaluate`` / ``predict_proba`` and prints.
DATA is a dataset name (mr, trec, polarity2.0) or a CSV/TSV/JSONL file of ``text,label``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_ENCODERS = ("lstm", "bilstm", "cnn", "bag")
_PREDICT_CHUNK = 1024  # lines classified at a time, so stdin streams


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "classify", help="train, evaluate and apply text classifiers",
        description="Text classification: embedding layer -> encoder -> labels.")
    cmds = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    train = cmds.add_parser(
        "train", help="train a classifier (or cross-validate one)",
        description="Train on DATA and save the model folder. DATA with a test part (trec) is "
                    "also evaluated on it. --cv K runs stratified K-fold cross-validation "
                    "instead (the standard protocol for mr) and saves nothing.")
    train.add_argument("data", metavar="DATA",
                       help="dataset name (mr, trec, polarity2.0) or a .csv/.tsv/.jsonl file")
    train.add_argument("-o", "--output", type=Path, default=None, metavar="MODEL_DIR",
                       help="folder to write the model to (required unless --cv)")
    train.add_argument("--encoder", choices=_ENCODERS, default="lstm",
                       help="lstm (the seed's LSTM(64)), bilstm (max pooling), cnn (Kim 2014), "
                            "bag (fastText-style mean); default lstm")
    train.add_argument("--vectors", type=Path, default=None, metavar="V",
                       help="pretrained vectors (any format embedlayer reads) to start from")
    train.add_argument("--vocab-from-vectors", action="store_true",
                       help="give every word of --vectors a row (test words unseen in training "
                            "keep their pretrained vector instead of <unk>)")
    train.add_argument("--dim", type=int, default=None,
                       help="embedding size without --vectors (default 100)")
    train.add_argument("--oov-init", choices=["normal", "uniform", "zeros", "subword"],
                       default="normal", help="rows of words without a pretrained vector")
    train.add_argument("--freeze", default="0", metavar="N|all",
                       help="keep the embedding fixed for N epochs, or 'all' (default 0)")
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    train.add_argument("--embedding-lr", type=float, default=None,
                       help="the embedding matrix's own learning rate (default: --lr)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--dev-split", type=float, default=0.1,
                       help="share of the training data held out for early stopping (0: none)")
    train.add_argument("--patience", type=int, default=3,
                       help="stop after N epochs without a better held-out accuracy")
    train.add_argument("--refit", action="store_true",
                       help="after early stopping, train again on all the training data for "
                            "the epochs it chose")
    train.add_argument("--min-count", type=int, default=1, help="vocabulary min_count")
    train.add_argument("--max-length", type=int, default=None, help="tokens kept per text")
    train.add_argument("--embedding-dropout", type=float, default=0.0)
    train.add_argument("--dense-updates", action="store_true",
                       help="train the embedding with dense Adam (every row, every step) "
                            "instead of lazy Adam on the rows each batch uses (the default, "
                            "several times faster on a large vocabulary)")
    train.add_argument("--hidden", type=int, default=None, help="lstm/bilstm units")
    train.add_argument("--maps", type=int, default=None, help="cnn feature maps per width")
    train.add_argument("--widths", default=None, help="cnn filter widths, e.g. 3,4,5")
    train.add_argument("--bigrams", action="store_true", help="bag: add hashed word bigrams")
    train.add_argument("--buckets", type=int, default=None, help="bag: bigram hash buckets")
    train.add_argument("--dropout", type=float, default=None,
                       help="dropout on the encoder's output")
    train.add_argument("--fine", action="store_true", help="trec: the 50 fine labels")
    train.add_argument("--cv", type=int, default=None, metavar="K",
                       help="K-fold cross-validation; prints mean ± std, saves no model")
    _common(train)
    train.set_defaults(func=_train)

    ev = cmds.add_parser(
        "eval", help="evaluate a saved classifier",
        description="Loss, accuracy, precision / recall / F1 and the confusion matrix of "
                    "MODEL_DIR on DATA (its test part when it has one, else all of it).")
    ev.add_argument("model", type=Path, metavar="MODEL_DIR")
    ev.add_argument("data", metavar="DATA",
                    help="dataset name (mr, trec, polarity2.0) or a .csv/.tsv/.jsonl file")
    ev.add_argument("--json", type=Path, default=None, metavar="OUT",
                    help="also write the scores as JSON")
    _common(ev)
    ev.set_defaults(func=_eval)

    pr = cmds.add_parser(
        "predict", help="label texts, one a line",
        description="Classify each line of FILE (or stdin) and print one JSON object a line: "
                    "text, label, probabilities. An empty line is an empty text (it gets the "
                    "model's answer for an unknown word).")
    pr.add_argument("model", type=Path, metavar="MODEL_DIR")
    pr.add_argument("input", nargs="?", default="-", metavar="FILE|-",
                    help="text file, one text a line (default: stdin)")
    _common(pr)
    pr.set_defaults(func=_predict)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: torch's choice)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _setup(args: argparse.Namespace) -> None:
    import torch

    from embedlayer.errors import ConfigError

    if args.threads is not None:
        if args.threads < 1:
            raise ConfigError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)


def _freeze(value: str) -> bool | int:
    from embedlayer.errors import ConfigError

    if value.lower() in ("all", "true", "yes"):
        return True
    try:
        n = int(value)
    except ValueError:
        raise ConfigError(f"--freeze must be a number of epochs or 'all', got {value!r}") from None
    if n < 0:
        raise ConfigError(f"--freeze must be >= 0, got {n}")
    return n if n else False


def _encoder(args: argparse.Namespace) -> Any:
    from embedlayer.errors import ConfigError
    from embedlayer.nn.encoders import encoder_config

    settings: dict[str, Any] = {}
    for key in ("hidden", "maps", "buckets", "dropout"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.widths is not None:
        try:
            settings["widths"] = tuple(int(w) for w in args.widths.split(","))
        except ValueError:
            raise ConfigError(f"--widths must be integers separated by commas, "
                              f"got {args.widths!r}") from None
    if args.bigrams:
        settings["bigrams"] = True
    try:
        return encoder_config(args.encoder, settings)
    except ConfigError as exc:  # name the flag rather than the field
        raise ConfigError(f"--encoder {args.encoder}: {exc}") from None


def _train(args: argparse.Namespace) -> int:
    from embedlayer.data.classify import load_classification
    from embedlayer.errors import ConfigError
    from embedlayer.tasks import TextClassifier, cross_validate

    _setup(args)
    if args.cv is None and args.output is None:
        raise ConfigError("give -o MODEL_DIR (where to save the model), or --cv K to "
                          "cross-validate")
    if args.cv is not None and args.output is not None:
        raise ConfigError("--cv saves no model: drop -o, or drop --cv to train and save one")
    encoder = _encoder(args)
    vectors = None
    if args.vectors is not None:
        from embedlayer.vectors.io import load_vectors

        vectors = load_vectors(args.vectors)
    dataset = load_classification(args.data, fine=args.fine, progress=not args.quiet)
    settings = {
        "dim": args.dim, "oov_init": args.oov_init, "freeze": _freeze(args.freeze),
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
        "dev_split": args.dev_split, "patience": args.patience, "min_count": args.min_count,
        "max_length": args.max_length, "embedding_dropout": args.embedding_dropout,
        "vocab_from_vectors": args.vocab_from_vectors, "embedding_lr": args.embedding_lr,
        "refit": args.refit, "sparse": not args.dense_updates,
    }

    def make() -> TextClassifier:
        return TextClassifier(encoder, vectors=vectors, progress=not args.quiet, **settings)

    make()  # check the settings before reading or training anything
    if args.cv is not None:
        data = dataset.train
        print(f"{args.cv}-fold cross-validation of {args.encoder} on {data.source} "
              f"({len(data):,} texts, {len(data.classes)} classes)")
        result = cross_validate(
            make, data, folds=args.cv, seed=args.seed,
            on_fold=lambda i, r: print(f"fold {i + 1:>2}: accuracy {r.accuracy:.4f}  "
                                       f"macro-F1 {r.macro_f1:.4f}", flush=True))
        (acc, acc_sd), (f1, f1_sd) = result.accuracy, result.macro_f1
        print(f"accuracy {100 * acc:.2f} ± {100 * acc_sd:.2f}   macro-F1 {100 * f1:.2f} ± "
              f"{100 * f1_sd:.2f}   (mean ± std over {args.cv} folds; "
              f"{sum(result.seconds):.0f} s training)")
        return 0

    train = dataset.train
    clf = make().fit(train.texts, train.labels)
    print(f"trained {args.encoder} on {train.source}: {len(train):,} texts, "
          f"{len(clf.labels_)} classes, {len(clf.vocab_):,} words, best epoch "
          f"{clf.best_epoch_} of {len(clf.history_)} ({clf.train_seconds_:.1f} s)")
    if vectors is not None:
        print(f"embedding: {clf.coverage_}")
    for r in clf.history_:
        held = "" if r.val_accuracy is None else \
            f"  held-out loss {r.val_loss:.4f} accuracy {r.val_accuracy:.4f}"
        print(f"  epoch {r.epoch:>2}: loss {r.loss:.4f} accuracy {r.accuracy:.4f}{held}")
    if dataset.test is not None:
        print(f"\n{dataset.test.source}:")
        print(clf.evaluate(dataset.test.texts, dataset.test.labels).format())
    out = clf.save(args.output)
    print(f"\nsaved the classifier in {out.resolve()}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from embedlayer._atomic import atomic_write
    from embedlayer.data.classify import load_classification
    from embedlayer.tasks import TextClassifier

    _setup(args)
    clf = TextClassifier.load(args.model, progress=not args.quiet)
    fine = any(":" in label for label in clf.labels_)  # a TREC model trained with --fine
    dataset = load_classification(args.data, fine=fine, progress=not args.quiet)
    part = dataset.test if dataset.test is not None else dataset.train
    report = clf.evaluate(part.texts, part.labels)
    print(f"{part.source}:")
    print(report.format())
    if args.json is not None:
        with atomic_write(args.json, "w", encoding="utf-8") as fh:
            json.dump({"model": str(args.model), "data": part.source, **report.to_dict()}, fh,
                      indent=1)
        print(f"wrote {args.json}")
    return 0


def _lines(source: str) -> Iterator[list[str]]:
    from embedlayer.errors import FormatError, MissingFileError

    if source == "-":
        fh = sys.stdin
    else:
        path = Path(source)
        if not path.is_file():
            raise MissingFileError(f"{path}: no such file")
        fh = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        chunk: list[str] = []
        for line in fh:
            chunk.append(line.rstrip("\r\n"))
            if len(chunk) == _PREDICT_CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
    except UnicodeDecodeError as exc:
        raise FormatError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    finally:
        if fh is not sys.stdin:
            fh.close()


def _predict(args: argparse.Namespace) -> int:
    from embedlayer.tasks import TextClassifier

    _setup(args)
    clf = TextClassifier.load(args.model, progress=not args.quiet)
    for texts in _lines(args.input):
        probs = clf.predict_proba(texts)
        for text, row in zip(texts, probs, strict=True):
            out = {"text": text, "label": clf.labels_[int(row.argmax())],
                   "probabilities": {label: round(float(p), 6)
                                     for label, p in zip(clf.labels_, row, strict=True)}}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 0
