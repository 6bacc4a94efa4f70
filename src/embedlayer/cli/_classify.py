"""`embedlayer classify train | eval | predict`: text classifiers over the embedding layer.

Thin: reads the data (``embedlayer.data.classify``), builds a ``TextClassifier`` from the
flags over the encoder's default settings (``embedlayer.tasks.presets``), calls ``fit``
/ ``cross_validate`` / ``evaluate`` / ``predict_proba`` and prints. DATA is a dataset name
(mr, trec, polarity2.0) or a CSV/TSV/JSONL file with a text and a label column.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

_ENCODERS = ("lstm", "bilstm", "cnn", "bag", "transformer")
# Options about the classifier's own word embedding: a transformer brings its own.
_WORD_ONLY = {"dim": "--dim", "oov_init": "--oov-init", "vocab_from_vectors":
              "--vocab-from-vectors", "max_vocab": "--max-vocab",
              "embedding_rank": "--embedding-rank"}
_PREDICT_CHUNK = 1024  # lines classified at a time, so stdin streams
# ClassifierConfig fields whose CLI flag is not the field's name with dashes.
_FLAGS = {"sparse": "--dense-updates", "lr": "--learning-rate"}
# Python keywords that library messages suggest -> the flags that set them here.
_HINTS = {"text_column / label_column": "--text-column / --label-column",
          " or None": " (or leave it unset)", "leave dim out": "drop --dim"}


_TRAIN_DESCRIPTION = """\
Train on DATA and save the model folder. DATA with a test part (trec) is also
evaluated on it. --cv K runs stratified K-fold cross-validation instead (the
standard protocol for mr) and saves nothing.

Defaults are per encoder, fixed from earlier runs of benchmarks/bench_classify.py
(docs/benchmarks.md, "Text classification"; not tuned on development data);
a flag overrides one. Every
encoder: early stopping (--patience 2) on a held-out 10% (--dev-split 0.1),
then --refit on all the training data; with --vectors: --freeze 1
--vocab-from-vectors; without: --dim 300 --oov-init uniform.

--encoder transformer fine-tunes a transformer checkpoint end to end (--checkpoint,
all-MiniLM-L6-v2 by default, read offline from its folder or installed package):
texts go through the checkpoint's own tokenizer, cut at --max-length sub-word
tokens (the number cut is reported), pooled (--pooling) into a dropout + linear
head. Its preset is the usual BERT fine-tuning recipe, not tuned here; --freeze
all keeps the transformer fixed and trains the head only.
"""


def _preset_table() -> str:
    from embedlayer.tasks.presets import ENCODER_PRESETS

    def flag(key: str, value: Any) -> str:
        name = key.replace("_", "-")
        if key == "freeze":
            return f"--freeze {'all' if value is True else int(value)}"
        if isinstance(value, bool):
            return f"--{name}" if value else f"--no-{name}"
        shown = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        return f"--{name} {shown}"

    lines = []
    for kind, (enc, opts) in ENCODER_PRESETS.items():
        shown = {**enc, **opts}
        lines.append(f"  {kind:<11} " + ", ".join(flag(k, v) for k, v in shown.items()))
    return "\n" + "\n".join(lines)


def _preset_help(key: str, *, encoder: bool = False) -> str:
    """'lstm 32, bilstm 50, ...': the per-encoder default of one setting, for --help."""
    from embedlayer.tasks.presets import ENCODER_PRESETS

    out = []
    for kind, (enc, opts) in ENCODER_PRESETS.items():
        value = (enc if encoder else opts).get(key)
        if value is not None:
            shown = ",".join(map(str, value)) if isinstance(value, tuple) else value
            out.append(f"{kind} {shown}")
    return ", ".join(out) if out else "the encoder's own"


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._outputs import add_hidden_alias
    from embedlayer.cli._vectors import add_read_args

    parser = sub.add_parser(
        "classify", help="train, evaluate and apply text classifiers",
        description="Text classification: embedding layer -> encoder -> labels.")
    cmds = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    train = cmds.add_parser(
        "train", help="train a classifier (or cross-validate one)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_TRAIN_DESCRIPTION + _preset_table())
    train.add_argument("data", metavar="DATA",
                       help="dataset name (mr, trec, polarity2.0) or a .csv/.tsv/.jsonl file")
    train.add_argument("-o", "--output", type=Path, default=None, metavar="MODEL_DIR",
                       help="folder to write the model to (required unless --cv)")
    train.add_argument("--force", action="store_true",
                       help="replace an existing --output folder (default: refuse)")
    train.add_argument("--encoder", choices=_ENCODERS, default="lstm",
                       help="lstm (the founding LSTM(64)), bilstm (max pooling), cnn (Kim "
                            "2014), bag (fastText-style mean), transformer (a fine-tuned "
                            "--checkpoint) (default: %(default)s)")
    train.add_argument("--vectors", type=Path, default=None, metavar="V",
                       help="pretrained vectors (any format embedlayer reads; see "
                            "--vectors-from) to start from (default: none, a random start)")
    train.add_argument("--vocab-from-vectors", action=argparse.BooleanOptionalAction,
                       default=None,
                       help="give every word of --vectors a row (test words unseen in training "
                            "keep their pretrained vector instead of <unk>) (default: on with "
                            "--vectors)")
    train.add_argument("--dim", type=int, default=None,
                       help="embedding size without --vectors (default: 300; with --vectors "
                            "their size)")
    train.add_argument("--oov-init", choices=["normal", "uniform", "zeros", "subword"],
                       default=None,
                       help="rows of words without a pretrained vector (default: normal with "
                            "--vectors, uniform without)")
    train.add_argument("--freeze", default=None, metavar="N|all",
                       help="keep the embedding fixed for N epochs, or 'all' (default: 1 with "
                            "--vectors, else 0)")
    train.add_argument("--epochs", type=int, default=None,
                       help=f"at most this many epochs (default: {_preset_help('epochs')})")
    train.add_argument("--batch-size", type=int, default=None,
                       help=f"default: {_preset_help('batch_size')}")
    train.add_argument("--learning-rate", type=float, default=None,
                       help=f"Adam's learning rate (a transformer: its head's) (default: "
                            f"{_preset_help('learning_rate')})")
    train.add_argument("--embedding-learning-rate", type=float, default=None,
                       help="the embedding matrix's (a transformer's) own learning rate "
                            f"(default: {_preset_help('embedding_learning_rate')}, others "
                            "the --learning-rate)")
    train.add_argument("--weight-decay", type=float, default=None,
                       help=f"Adam's weight decay (default: {_preset_help('weight_decay')}, "
                            "others 0)")
    train.add_argument("--decoupled-weight-decay", action=argparse.BooleanOptionalAction,
                       default=None,
                       help="AdamW's decoupled weight decay, none on biases and LayerNorm, "
                            "instead of an L2 penalty (default: on for transformer, else off)")
    train.add_argument("--warmup", type=float, default=None,
                       help="share of the steps with a linear warmup of the learning rates, "
                            "then a linear decay to 0 (default: "
                            f"{_preset_help('warmup')}, others constant rates)")
    train.add_argument("--seed", type=int, default=0,
                       help="weights, shuffling and splits derive from it (default: "
                            "%(default)s)")
    train.add_argument("--dev-split", type=float, default=None,
                       help="share of the training data held out for early stopping, 0: none "
                            "(default: 0.1)")
    train.add_argument("--patience", type=int, default=None,
                       help="stop after N epochs without a better held-out accuracy "
                            "(default: 2)")
    train.add_argument("--refit", action=argparse.BooleanOptionalAction, default=None,
                       help="after early stopping, train again on all the training data for "
                            "the epochs it chose (default: on)")
    train.add_argument("--min-count", type=int, default=1,
                       help="vocabulary: words seen at least this often (default: "
                            "%(default)s)")
    train.add_argument("--max-vocab", type=int, default=None,
                       help="vocabulary: keep at most this many words, the most frequent "
                            "(default: no cap)")
    train.add_argument("--max-length", type=int, default=None,
                       help="tokens kept per text; transformer: sub-word tokens, special "
                            "tokens included, texts cut are counted (default: no cap; "
                            f"{_preset_help('max_length')})")
    train.add_argument("--embedding-dropout", type=float, default=0.0,
                       help="drop whole word vectors while training (default: %(default)s)")
    train.add_argument("--dense-updates", action="store_true",
                       help="train the embedding with dense Adam (every row, every step) "
                            "instead of lazy Adam on the rows each batch uses (default: lazy, "
                            "several times faster on a large vocabulary)")
    train.add_argument("--embedding-rank", type=int, default=None, metavar="R",
                       help="train a low-rank embedding A @ B of rank R (started from the SVD "
                            "of the usual initial matrix) instead of the full matrix "
                            "(default: the full matrix)")
    train.add_argument("--hidden", type=int, default=None,
                       help=f"lstm/bilstm units (default: "
                            f"{_preset_help('hidden', encoder=True)})")
    train.add_argument("--maps", type=int, default=None,
                       help=f"cnn feature maps per width (default: "
                            f"{_preset_help('maps', encoder=True)})")
    train.add_argument("--widths", default=None,
                       help=f"cnn filter widths, comma-separated (default: "
                            f"{_preset_help('widths', encoder=True)})")
    train.add_argument("--checkpoint", default=None, metavar="NAME_OR_FOLDER",
                       help="transformer: a checkpoint folder (config.json, *.safetensors, "
                            "tokenizer.json) or a known name (default: "
                            f"{_preset_help('checkpoint', encoder=True)})")
    train.add_argument("--layers", choices=["last", "mix"], default=None,
                       help="transformer: the last layer, or a learned scalar mix of all "
                            "(default: last)")
    train.add_argument("--pooling", choices=["mean", "cls", "max"], default=None,
                       help="transformer: pooling over the real tokens (default: mean)")
    train.add_argument("--bigrams", action="store_true",
                       help="bag: add hashed word bigrams (default: off)")
    train.add_argument("--bucket", type=int, default=None,
                       help="bag: bigram hash buckets, as fastText's -bucket (default: 100000)")
    add_hidden_alias(train, "--buckets", "bucket", type=int)  # the old name
    train.add_argument("--dropout", type=float, default=None,
                       help=f"dropout on the encoder's output (default: "
                            f"{_preset_help('dropout', encoder=True)}, lstm and bag 0.0)")
    train.add_argument("--fine", action="store_true",
                       help="trec: the 50 fine labels (default: the 6 coarse ones)")
    train.add_argument("--cv", type=int, default=None, metavar="K",
                       help="K-fold cross-validation; prints mean ± std, saves no model "
                            "(default: none, train and save with -o)")
    _columns(train)
    _common(train)
    add_read_args(train, from_flag="--vectors-from", limit_flag="--vectors-limit",
                  what="--vectors", quiet=False)
    train.set_defaults(func=_train)

    ev = cmds.add_parser(
        "eval", help="evaluate a saved classifier",
        description="Loss, accuracy, precision / recall / F1 and the confusion matrix of "
                    "MODEL_DIR on DATA (its test part when it has one, else all of it).")
    ev.add_argument("model", type=Path, metavar="MODEL_DIR")
    ev.add_argument("data", metavar="DATA",
                    help="dataset name (mr, trec, polarity2.0) or a .csv/.tsv/.jsonl file")
    ev.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                    help="also write the scores as JSON (default: none)")
    ev.add_argument("--force", action="store_true",
                    help="replace an existing --output file (default: refuse)")
    _columns(ev)
    _common(ev)
    ev.set_defaults(func=_eval)

    cp = cmds.add_parser(
        "compress", help="compress a trained classifier's embedding matrix",
        description="Replace MODEL_DIR's trained embedding matrix by a compressed layer "
                    "(post-training compression; the rest of the network is unchanged) and "
                    "save the result to --output. METHOD: int8, int4 (':axis=dim' for a scale "
                    "per dimension), 'pq:m=M[,k=K,opq=true,rank=R]' or 'lowrank:rank=R'. "
                    "Prints the "
                    "embedding's size before and after.")
    cp.add_argument("model", type=Path, metavar="MODEL_DIR")
    cp.add_argument("--method", default="int8", metavar="METHOD",
                    help="the compression (default: %(default)s)")
    cp.add_argument("-o", "--output", type=Path, required=True, metavar="OUT_DIR",
                    help="folder for the compressed classifier (required)")
    cp.add_argument("--force", action="store_true",
                    help="replace an existing --output classifier folder (default: refuse)")
    _common(cp)
    cp.set_defaults(func=_compress)

    pr = cmds.add_parser(
        "predict", help="label texts, one a line",
        description="Classify each line of FILE (or stdin) and print one JSON object a line: "
                    "text, label, probabilities. An empty line is an empty text (it gets the "
                    "model's answer for an unknown word).")
    pr.add_argument("model", type=Path, metavar="MODEL_DIR")
    pr.add_argument("input", nargs="?", default="-", metavar="FILE|-",
                    help="text file, one text a line (default: stdin)")
    pr.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                    help="write the JSON lines to this file (default: stdout)")
    pr.add_argument("--force", action="store_true",
                    help="replace an existing --output file (default: refuse)")
    _common(pr)
    pr.set_defaults(func=_predict)


def _columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-column", default="text", metavar="NAME",
                   help="CSV/TSV header (or JSONL field) of the texts (default: %(default)s)")
    p.add_argument("--label-column", default="label", metavar="NAME",
                   help="CSV/TSV header (or JSONL field) of the labels (default: %(default)s)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None,
                   help="torch CPU threads (default: torch's choice)")
    p.add_argument("--quiet", action="store_true", help="no progress bars (default: show them)")


def _check_workers(args: argparse.Namespace) -> None:
    from embedlayer.errors import ConfigError

    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")


def _check_output(path: Path | None, *, force: bool, folder: bool,
                  inputs: Sequence[str | Path] = ()) -> None:
    """Refuse an existing output unless --force, before any work (never at the end of it).

    An output that is one of ``inputs`` (paths; a dataset name or ``-`` is not a file), or a
    folder holding one, is refused even with --force.
    """
    from embedlayer.cli._outputs import check_not_input
    from embedlayer.errors import ConfigError

    if path is None:
        return
    check_not_input("--output", path, [Path(p) for p in inputs if p != "-" and Path(p).exists()])
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to replace it, or choose another "
                          "--output")
    if folder:
        from embedlayer._atomic import _check_replaceable
        from embedlayer.tasks.classify import _FILES, _FOLDERS

        _check_replaceable(path, "a text classifier", _FILES, _FOLDERS)  # as save() checks
    elif path.is_dir():
        raise ConfigError(f"{path} is a folder; --output names a file")
    parent = next((p for p in path.absolute().parents if p.exists()), None)
    if parent is not None and not os.access(parent, os.W_OK):
        raise ConfigError(f"{parent}: not writable; cannot create --output {path}")


def _cli_words(text: str) -> str:
    """``text`` with the Python keywords it suggests written as this command's flags."""
    for python, cli in _HINTS.items():
        text = text.replace(python, cli)
    return text


def _flag_error(exc: Exception) -> Exception:
    """A ConfigError about a classifier or encoder setting, reworded to name the CLI flag."""
    from embedlayer.errors import ConfigError

    text = str(exc)
    for prefix in ("ClassifierConfig: ", "TextClassifier: ", *(
            f"{kind}Config: " for kind in ("LSTM", "BiLSTM", "CNN", "Bag", "Transformer"))):
        if text.startswith(prefix):
            field, _, rest = text[len(prefix):].partition(" ")
            flag = _FLAGS.get(field, "--" + field.replace("_", "-"))
            return ConfigError(f"{flag} {_cli_words(rest)}")
    return exc


@contextlib.contextmanager
def _cli_hints() -> Iterator[None]:
    """Re-raise an embedlayer error whose hint names Python keywords with the flags instead."""
    from embedlayer.errors import EmbedlayerError

    try:
        yield
    except EmbedlayerError as exc:
        better = _cli_words(str(exc))
        if better == str(exc):
            raise
        raise type(exc)(better) from None


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


def _settings(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """(encoder config, TextClassifier options): the encoder's preset, then the flags."""
    from embedlayer.errors import ConfigError
    from embedlayer.nn.encoders import encoder_config
    from embedlayer.tasks.presets import recommended

    transformer = args.encoder == "transformer"
    if transformer and args.vectors is not None:
        raise ConfigError("--vectors does not apply to --encoder transformer (it brings its "
                          "own token embeddings); drop --vectors")
    given = [flag for key, flag in _WORD_ONLY.items() if getattr(args, key) is not None]
    if transformer and given:
        raise ConfigError(f"{given[0]} does not apply to --encoder transformer (it brings its "
                          f"own token embeddings); drop {given[0]}")
    own_flags = [flag for key, flag in (("checkpoint", "--checkpoint"), ("layers", "--layers"),
                                         ("pooling", "--pooling")) if getattr(args, key)]
    if own_flags and not transformer:
        raise ConfigError(f"{own_flags[0]} applies to --encoder transformer only")
    enc, opts = recommended(args.encoder, pretrained=args.vectors is not None)
    for key in ("hidden", "maps", "bucket", "dropout", "checkpoint", "layers", "pooling"):
        if getattr(args, key) is not None:
            enc[key] = getattr(args, key)
    if args.widths is not None:
        try:
            enc["widths"] = tuple(int(w) for w in args.widths.split(","))
        except ValueError:
            raise ConfigError(f"--widths must be integers separated by commas, "
                              f"got {args.widths!r}") from None
    if args.bigrams:
        enc["bigrams"] = True
    try:
        encoder = encoder_config(args.encoder, enc)
    except ConfigError as exc:  # name the flag rather than the field
        raise ConfigError(f"--encoder {args.encoder}: {_flag_error(exc)}") from None
    if args.vectors is not None:
        opts.pop("dim", None)  # the vectors' size
    flags = {
        "dim": args.dim, "oov_init": args.oov_init, "epochs": args.epochs,
        "batch_size": args.batch_size, "learning_rate": args.learning_rate,
        "embedding_learning_rate": args.embedding_learning_rate, "dev_split": args.dev_split,
        "patience": args.patience, "refit": args.refit, "weight_decay": args.weight_decay,
        "decoupled_weight_decay": args.decoupled_weight_decay, "warmup": args.warmup,
        "vocab_from_vectors": args.vocab_from_vectors, "max_vocab": args.max_vocab,
        "max_length": args.max_length, "embedding_rank": args.embedding_rank,
    }
    opts.update({k: v for k, v in flags.items() if v is not None})
    if args.freeze is not None:
        opts["freeze"] = _freeze(args.freeze)
    if transformer:
        opts.pop("dim", None)  # the transformer's hidden size
    opts.update(seed=args.seed, min_count=args.min_count, workers=args.workers,
                embedding_dropout=args.embedding_dropout, sparse=not args.dense_updates)
    return encoder, opts


@_cli_hints()
def _train(args: argparse.Namespace) -> int:
    from embedlayer.data.classify import load_classification
    from embedlayer.errors import ConfigError
    from embedlayer.tasks import TextClassifier, cross_validate

    _check_workers(args)
    if args.cv is None and args.output is None:
        raise ConfigError("give -o MODEL_DIR (where to save the model), or --cv K to "
                          "cross-validate")
    if args.cv is not None and args.output is not None:
        raise ConfigError("--cv saves no model: drop -o, or drop --cv to train and save one")
    if args.cv is not None and args.cv < 2:
        raise ConfigError(f"--cv must be >= 2 folds, got {args.cv}")
    _check_output(args.output, force=args.force, folder=True,
                  inputs=[args.data, *([args.vectors] if args.vectors else [])])
    encoder, settings = _settings(args)

    def make() -> TextClassifier:
        return TextClassifier(encoder, vectors=vectors, **settings)

    vectors = None
    try:
        make()  # check the settings before reading or training anything
    except ConfigError as exc:
        raise _flag_error(exc) from None
    if args.vectors is not None:
        from embedlayer.cli._vectors import load

        vectors = load(args, args.vectors)
    checkpoint = None
    if args.encoder == "transformer":
        from embedlayer.contextual import open_checkpoint

        checkpoint = open_checkpoint(encoder.checkpoint)  # a missing file fails here, not later
        limit = checkpoint.config.get("max_position_embeddings")
        if isinstance(limit, int) and (settings.get("max_length") or 0) > limit:
            raise ConfigError(f"--max-length {settings['max_length']} is more than the "
                              f"checkpoint's max_position_embeddings ({limit}); give "
                              f"--max-length {limit} or less")
    dataset = load_classification(args.data, fine=args.fine, progress=not args.quiet,
                                  text_column=args.text_column,
                                  label_column=args.label_column)
    if args.cv is not None:
        data = dataset.train
        print(f"{args.cv}-fold cross-validation of {args.encoder} on {data.source} "
              f"({len(data):,} texts, {len(data.classes)} classes)")
        if checkpoint is not None:
            from embedlayer.contextual.module import count_truncated

            limit = settings.get("max_length")
            cut = count_truncated(checkpoint, data.texts, limit)
            print(f"{cut:,} of {len(data):,} texts are longer than --max-length {limit} "
                  f"sub-word tokens and are cut to it")
        result = cross_validate(
            make, data, folds=args.cv, seed=args.seed, progress=not args.quiet,
            on_fold=lambda i, r: print(f"fold {i + 1:>2}: accuracy {r.accuracy:.4f}  "
                                       f"macro-F1 {r.macro_f1:.4f}", flush=True))
        (acc, acc_sd), (f1, f1_sd) = result.accuracy, result.macro_f1
        print(f"accuracy {100 * acc:.2f} ± {100 * acc_sd:.2f}   macro-F1 {100 * f1:.2f} ± "
              f"{100 * f1_sd:.2f}   (mean ± std over {args.cv} folds; "
              f"{sum(result.seconds):.0f} s training)")
        return 0

    train = dataset.train
    clf = make().fit(train.texts, train.labels, progress=not args.quiet)
    inputs = f"{len(clf.vocab_):,} words" if clf.vocab_ is not None else \
        f"checkpoint {encoder.checkpoint}, {clf.truncated_:,} texts cut at " \
        f"{clf.model_.embedding.max_length} sub-word tokens"
    print(f"trained {args.encoder} on {train.source}: {len(train):,} texts, "
          f"{len(clf.labels_)} classes, {inputs}, best epoch "
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


@_cli_hints()
def _eval(args: argparse.Namespace) -> int:
    from embedlayer._atomic import atomic_write
    from embedlayer.data.classify import load_classification
    from embedlayer.tasks import TextClassifier

    _check_workers(args)
    _check_output(args.output, force=args.force, folder=False, inputs=[args.model, args.data])
    clf = TextClassifier.load(args.model, workers=args.workers)
    fine = any(":" in label for label in clf.labels_)  # a TREC model trained with --fine
    dataset = load_classification(args.data, fine=fine, progress=not args.quiet,
                                  text_column=args.text_column,
                                  label_column=args.label_column)
    part = dataset.test if dataset.test is not None else dataset.train
    report = clf.evaluate(part.texts, part.labels)
    print(f"{part.source}:")
    print(report.format())
    if args.output is not None:
        with atomic_write(args.output, "w", encoding="utf-8") as fh:
            json.dump({"model": str(args.model), "data": part.source, **report.to_dict()}, fh,
                      indent=1)
        print(f"wrote {args.output}")
    return 0


def _compress(args: argparse.Namespace) -> int:
    from embedlayer.tasks import TextClassifier

    _check_workers(args)
    _check_output(args.output, force=args.force, folder=True, inputs=[args.model])
    clf = TextClassifier.load(args.model, workers=args.workers)
    before = _embedding_bytes(clf.model_.embedding)
    clf.compress_embedding(args.method)
    after = _embedding_bytes(clf.model_.embedding)
    clf.save(args.output)
    print(f"embedding: {before:,} -> {after:,} bytes ({before / after:.1f}x smaller) with "
          f"{args.method}")
    print(f"wrote {args.output}")
    return 0


def _embedding_bytes(layer: Any) -> int:
    count = getattr(layer, "parameter_count", None)
    if count is not None:
        return int(count["nbytes"])
    return sum(t.numel() * t.element_size() for t in (*layer.parameters(), *layer.buffers()))


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
    from embedlayer._atomic import atomic_write
    from embedlayer.tasks import TextClassifier

    _check_workers(args)
    _check_output(args.output, force=args.force, folder=False,
                  inputs=[args.model, args.input])
    clf = TextClassifier.load(args.model, workers=args.workers)
    with contextlib.ExitStack() as stack:
        out = sys.stdout if args.output is None else stack.enter_context(
            atomic_write(args.output, "w", encoding="utf-8"))
        for texts in _lines(args.input):
            probs = clf.predict_proba(texts)
            for text, row in zip(texts, probs, strict=True):
                doc = {"text": text, "label": clf.labels_[int(row.argmax())],
                       "probabilities": {label: round(float(p), 6)
                                         for label, p in zip(clf.labels_, row, strict=True)}}
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return 0
