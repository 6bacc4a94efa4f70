"""`embedlayer tag train | eval | predict`: sequence taggers (NER, chunking, POS) over the
embedding layer.

Thin: reads CoNLL column files (``tasks.tag.read_tagged``), builds a ``SequenceTagger`` from
the flags (every ``TaggerConfig`` setting has one, its default shown), calls ``fit`` /
``evaluate`` / ``predict`` and prints; ``eval`` prints conlleval's table and can write the
predictions as a column next to the gold ones; ``predict`` reads CoNLL or JSON lines.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# --workers / --quiet: the classifier's spelling and check
from embedlayer.cli._classify import _check_workers, _common

_PREDICT_CHUNK = 1000  # sentences tagged at a time

# TaggerConfig field -> (flag, argparse options, help). The default comes from TaggerConfig.
_SETTINGS: dict[str, tuple[str, dict[str, Any], str]] = {
    "internal_scheme": ("--internal-scheme", {"choices": ("iobes", "same")},
                        "learn chunk tags in IOBES, or in the data's own scheme"),
    "head": ("--head", {"choices": ("crf", "softmax")},
             "a CRF over the sentence, or a softmax per token"),
    "char_encoder": ("--char-encoder", {"choices": ("cnn", "bilstm", "none")},
                     "character features of each word: CNN, BiLSTM, or none"),
    "char_dim": ("--char-dim", {"type": int}, "character embedding size"),
    "char_hidden": ("--char-hidden", {"type": int},
                    "CNN filters, or character BiLSTM units per direction"),
    "max_word_chars": ("--max-word-chars", {"type": int},
                       "longer tokens keep their first and last half of this many characters"),
    "case_dim": ("--case-dim", {"type": int}, "size of the case-class embedding, 0: none"),
    "hidden": ("--hidden", {"type": int}, "BiLSTM units per direction"),
    "layers": ("--layers", {"type": int}, "stacked BiLSTM layers"),
    "dropout": ("--dropout", {"type": float}, "dropout on the BiLSTM's input and output"),
    "lowercase": ("--lowercase", {"action": argparse.BooleanOptionalAction},
                  "look words up lower-cased"),
    "zeros": ("--zeros", {"action": argparse.BooleanOptionalAction},
              "look words up with every digit made 0"),
    "min_count": ("--min-count", {"type": int}, "training words seen this often get a row"),
    "vocab_from_vectors": ("--vocab-from-vectors", {"action": argparse.BooleanOptionalAction},
                           "give every word of --vectors a row"),
    "oov_init": ("--oov-init", {"choices": ("normal", "uniform", "zeros", "subword")},
                 "rows of words without a pretrained vector"),
    "singleton_unk": ("--singleton-unk", {"type": float},
                      "training words seen once become <unk> with this probability"),
    "optimizer": ("--optimizer", {"choices": ("adam", "sgd")}, "optimizer"),
    "learning_rate": ("--learning-rate", {"type": float}, "learning rate"),
    "momentum": ("--momentum", {"type": float}, "SGD momentum"),
    "lr_decay": ("--lr-decay", {"type": float},
                 "learning rate / (1 + decay x epoch) (Ma & Hovy's SGD: 0.05)"),
    "weight_decay": ("--weight-decay", {"type": float}, "L2 penalty"),
    "batch_size": ("--batch-size", {"type": int}, "sentences per step"),
    "epochs": ("--epochs", {"type": int}, "at most this many epochs"),
    "seed": ("--seed", {"type": int}, "weights, dropout and shuffling derive from it"),
}
# Settings whose "no value" is spelled 0 on the command line.
_ZERO_IS_NONE = {"clip_norm": "--clip-norm", "patience": "--patience"}


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._vectors import add_read_args
    from embedlayer.tasks.tag import TaggerConfig
    from embedlayer.tasks.tagschemes import SCHEMES

    defaults = TaggerConfig()
    parser = sub.add_parser(
        "tag", help="train, evaluate and apply sequence taggers (NER, chunking, POS)",
        description="Sequence tagging: words + characters + case -> BiLSTM -> CRF.")
    cmds = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    train = cmds.add_parser(
        "train", help="train a tagger on a CoNLL file",
        description="Train on the token and tag columns of TRAIN (a CoNLL column file: one "
                    "token a line, a blank line between sentences, -DOCSTART- lines skipped), "
                    "keep the epoch with the best entity F1 on --dev, and save the model "
                    "folder. Any tag set: IOB1 / IOB2 / IOBES chunks (NER, chunking) or "
                    "plain tags (POS, --scheme none).")
    train.add_argument("train", type=Path, metavar="TRAIN", help="training CoNLL file")
    train.add_argument("--dev", type=Path, default=None, metavar="DEV",
                       help="development CoNLL file for early stopping (default: none; "
                            "train all --epochs)")
    train.add_argument("-o", "--output", type=Path, required=True, metavar="MODEL_DIR",
                       help="folder to write the model to (required)")
    train.add_argument("--force", action="store_true",
                       help="replace an existing --output folder (default: refuse)")
    train.add_argument("--vectors", type=Path, default=None, metavar="V",
                       help="pretrained word vectors (any format embedlayer reads) (default: "
                            "none, a random start)")
    train.add_argument("--contextual", default=None, metavar="CHECKPOINT",
                       help="add fixed contextual word vectors from a transformer checkpoint "
                            "(folder or known name) (default: none)")
    train.add_argument("--scheme", choices=("auto", *SCHEMES), default="auto",
                       help="the tags' scheme (default: %(default)s, detected from them)")
    train.add_argument("--dim", type=int, default=None,
                       help="word vector size (default: the vectors', else 100)")
    train.add_argument("--freeze", default="0", metavar="N|all",
                       help="keep the word vectors fixed for N epochs, or all (default: "
                            "%(default)s)")
    for name, (flag, options, text) in _SETTINGS.items():
        train.add_argument(flag, dest=name, default=getattr(defaults, name), **options,
                           help=f"{text} (default: %(default)s)")
    train.add_argument("--clip-norm", type=float, default=defaults.clip_norm,
                       help="clip the gradient's global norm to this, 0: no clipping "
                            "(default: %(default)s)")
    train.add_argument("--patience", type=int, default=defaults.patience,
                       help="stop after N epochs without a better --dev F1, 0: never "
                            "(default: %(default)s)")
    _columns(train)
    _common(train)
    add_read_args(train, from_flag="--vectors-from", limit_flag="--vectors-limit",
                  what="--vectors", quiet=False)
    train.set_defaults(func=_train)

    ev = cmds.add_parser(
        "eval", help="score a saved tagger on a CoNLL file (conlleval's table)",
        description="Tag the tokens of TEST and print conlleval's table: precision, recall "
                    "and F1 per entity type and overall, and the token accuracy. Gold tags "
                    "the model never saw are scored (their recall is 0) and listed.")
    ev.add_argument("model", type=Path, metavar="MODEL_DIR")
    ev.add_argument("test", type=Path, metavar="TEST", help="CoNLL file with gold tags")
    ev.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                    help="write TEST's columns with the predicted tags as one more column "
                         "(conlleval's input) (default: none)")
    ev.add_argument("--json", type=Path, default=None, metavar="FILE",
                    help="also write the scores as JSON (default: none)")
    ev.add_argument("--force", action="store_true",
                    help="replace existing output files (default: refuse)")
    _columns(ev)
    _contextual_location(ev)
    _common(ev)
    ev.set_defaults(func=_eval)

    pr = cmds.add_parser(
        "predict", help="tag sentences: CoNLL or JSON lines",
        description="Tag the sentences of FILE (or stdin). CoNLL input (one token a line, "
                    "blank lines between sentences) comes back with the predicted tag as one "
                    "more column; JSON lines input (a list of tokens, or an object with "
                    "'tokens') comes back as objects with 'tokens' and 'tags'. In JSON lines, "
                    "an empty line is an empty sentence (it gets no tags).")
    pr.add_argument("model", type=Path, metavar="MODEL_DIR")
    pr.add_argument("input", nargs="?", default="-", metavar="FILE|-",
                    help="CoNLL or JSON-lines file (default: stdin)")
    pr.add_argument("--input-format", choices=("auto", "conll", "json"), default="auto",
                    help="auto: JSON lines when the first line that is not blank starts with "
                         "[ or {, else CoNLL (default: %(default)s)")
    pr.add_argument("--token-column", default="0", metavar="N",
                    help="CoNLL input: the token column, 0-based, negative from the end "
                         "(default: %(default)s)")
    pr.add_argument("-o", "--output", type=Path, default=None, metavar="OUT",
                    help="write the tagged sentences to this file (default: stdout)")
    pr.add_argument("--force", action="store_true",
                    help="replace an existing --output file (default: refuse)")
    _contextual_location(pr)
    _common(pr)
    pr.set_defaults(func=_predict)


def _columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("--token-column", default="0", metavar="N",
                   help="the token column, 0-based, negative from the end (default: "
                        "%(default)s)")
    p.add_argument("--tag-column", default="-1", metavar="N",
                   help="the gold tag column (default: %(default)s, the last)")


def _contextual_location(p: argparse.ArgumentParser) -> None:
    p.add_argument("--contextual", default=None, metavar="CHECKPOINT",
                   help="where the transformer checkpoint of a model trained with "
                        "--contextual is (default: the name it recorded)")


def _column(value: str, flag: str) -> int:
    from embedlayer.errors import ConfigError

    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{flag} must be a column number (0-based, negative from the end), "
                          f"got {value!r}") from None


def _flag_error(exc: Exception) -> Exception:
    """A TaggerConfig error reworded to name the command-line flag."""
    from embedlayer.errors import ConfigError

    text = str(exc)
    prefix = "TaggerConfig: "
    if not text.startswith(prefix):
        return exc
    field, _, rest = text[len(prefix):].partition(" ")
    flag = _SETTINGS.get(field, (None,))[0] or _ZERO_IS_NONE.get(field) \
        or "--" + field.replace("_", "-")
    return ConfigError(f"{flag} {rest.replace(' or None', ' (or 0 for none)')}")


def _config(args: argparse.Namespace) -> Any:
    from embedlayer.errors import ConfigError
    from embedlayer.tasks.tag import TaggerConfig

    settings = {name: getattr(args, name) for name in _SETTINGS}
    for name, flag in _ZERO_IS_NONE.items():
        value = getattr(args, name)
        if value is not None and value < 0:
            raise ConfigError(f"{flag} must be >= 0 (0: none), got {value}")
        settings[name] = value or None
    freeze = args.freeze.lower()
    if freeze == "all":
        settings["freeze"] = True
    else:
        try:
            settings["freeze"] = int(freeze) or False
        except ValueError:
            raise ConfigError(f"--freeze must be a number of epochs or 'all', got "
                              f"{args.freeze!r}") from None
    settings.update(scheme=None if args.scheme == "auto" else args.scheme, dim=args.dim)
    try:
        return TaggerConfig(**settings).check()
    except ConfigError as exc:
        raise _flag_error(exc) from None


def _check_model_output(args: argparse.Namespace, inputs: list[Path]) -> None:
    from embedlayer._atomic import check_replaceable
    from embedlayer.cli._outputs import check_not_input
    from embedlayer.errors import ConfigError
    from embedlayer.tasks.tag import _FILES

    check_not_input("-o/--output", args.output, inputs)
    check_replaceable(args.output, "a sequence tagger", _FILES)
    if args.output.exists() and not args.force:
        raise ConfigError(f"-o/--output {args.output}: already exists; pass --force to "
                          "replace it")


def _read(path: Path, args: argparse.Namespace) -> tuple[list[list[str]], list[list[str]]]:
    from embedlayer.tasks.tag import read_tagged

    return read_tagged(path, token_column=_column(args.token_column, "--token-column"),
                       tag_column=_column(args.tag_column, "--tag-column"),
                       progress=not args.quiet)


def _train(args: argparse.Namespace) -> int:
    from embedlayer.tasks.tag import SequenceTagger

    _check_workers(args)
    inputs = [p for p in (args.train, args.dev, args.vectors) if p is not None]
    _check_model_output(args, inputs)
    config = _config(args)
    # the data first: a bad file fails before the vectors or the checkpoint are read
    sentences, tags = _read(args.train, args)
    validation = _read(args.dev, args) if args.dev is not None else None
    contextual = None
    if args.contextual is not None:
        from embedlayer.contextual import TransformerEncoder

        contextual = TransformerEncoder(args.contextual, workers=args.workers)
    vectors = None
    if args.vectors is not None:
        from embedlayer.cli._vectors import load

        vectors = load(args, args.vectors)
    tagger = SequenceTagger(config, vectors=vectors, contextual=contextual,
                            workers=args.workers).fit(sentences, tags, validation=validation,
                                                      progress=not args.quiet)
    tokens = sum(len(s) for s in sentences)
    print(f"trained on {args.train}: {len(sentences):,} sentences, {tokens:,} tokens, scheme "
          f"{tagger.scheme_}, {len(tagger.types_)} types, {len(tagger.vocab_):,} words; best "
          f"epoch {tagger.best_epoch_} of {len(tagger.history_)} ({tagger.train_seconds_:.0f} s)")
    print(f"embedding: {tagger.coverage_}")
    for r in tagger.history_:
        dev = "" if r.val_f1 is None else f"  dev F1 {100 * r.val_f1:.2f}"
        print(f"  epoch {r.epoch:>2}: loss {r.loss:.4f}{dev}  ({r.seconds:.0f} s training)")
    out = tagger.save(args.output)
    print(f"saved the tagger in {out.resolve()}")
    return 0


def _load(args: argparse.Namespace) -> Any:
    import json as _json

    from embedlayer.tasks.tag import SequenceTagger

    contextual = None
    config = args.model / "config.json"
    try:
        identity = _json.loads(config.read_text(encoding="utf-8")).get("contextual")
    except (OSError, ValueError, AttributeError):
        identity = None  # load() reports what is wrong with the folder
    if isinstance(identity, dict) and identity.get("kind") == "transformer":
        from embedlayer.contextual import TransformerEncoder

        keys = ("pooling", "normalize", "max_length", "stride", "layer", "precision")
        contextual = TransformerEncoder(args.contextual or identity.get("checkpoint"),
                                        workers=args.workers,
                                        **{k: identity[k] for k in keys if k in identity})
    return SequenceTagger.load(args.model, contextual=contextual, workers=args.workers)


def _eval(args: argparse.Namespace) -> int:
    from embedlayer._atomic import atomic_write
    from embedlayer.cli._outputs import check_outputs
    from embedlayer.corpus.conll import ConllCorpus, write_conll

    _check_workers(args)
    check_outputs([("-o/--output", args.output), ("--json", args.json)], force=args.force,
                  inputs=[args.model, args.test])
    tagger = _load(args)
    sentences, tags = _read(args.test, args)
    report = tagger.evaluate(sentences, tags)
    print(report.format())
    if report.unknown_tags:
        shown = ", ".join(f"{t} ({n:,})" for t, n in list(report.unknown_tags.items())[:10])
        print(f"note: gold tags the model never saw in training (it cannot predict them): "
              f"{shown}")
    if args.output is not None:
        predicted = tagger.predict(sentences)
        corpus = ConllCorpus(args.test, token_column=_column(args.token_column, "--token-column"),
                             tag_column=_column(args.tag_column, "--tag-column"))
        rows = ((*s.columns, p) for s, p in zip(corpus, predicted, strict=True))
        with atomic_write(args.output, "w", encoding="utf-8") as fh:
            write_conll(fh, rows, sep=corpus.separator or " ")
        print(f"wrote {args.output}")
    if args.json is not None:
        with atomic_write(args.json, "w", encoding="utf-8") as fh:
            json.dump({"model": str(args.model), "data": str(args.test), **report.to_dict()},
                      fh, indent=1)
        print(f"wrote {args.json}")
    return 0


@contextlib.contextmanager
def _input_file(source: str) -> Iterator[Path]:
    """The input as a file path: FILE itself, or stdin copied into a temporary file."""
    from embedlayer.errors import MissingFileError

    if source != "-":
        path = Path(source)
        if not path.is_file():
            raise MissingFileError(f"{path}: no such file")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="embedlayer-tag-") as tmp:
        path = Path(tmp) / "stdin.txt"
        with open(path, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh)
        yield path


def _first_line(path: Path) -> str | None:
    """The first line that is not blank (None: the file has none)."""
    from embedlayer.errors import FormatError

    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    return line.strip()
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return None


def _json_sentences(path: Path, where: str) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """(the object to write back, its tokens) per line; an empty line is an empty sentence."""
    from embedlayer.errors import FormatError

    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                yield {"tokens": []}, []
                continue
            try:
                doc = json.loads(line)
            except ValueError as exc:
                raise FormatError(f"{where}: line {n}: not JSON ({exc})") from None
            obj = doc if isinstance(doc, dict) else {"tokens": doc}
            tokens = obj.get("tokens")
            if not isinstance(tokens, list):
                raise FormatError(f"{where}: line {n}: expected a list of tokens or an object "
                                  f"with a 'tokens' list, got {line.strip()[:80]!r}")
            bad = next((j for j, t in enumerate(tokens) if not isinstance(t, str) or not t),
                       None)
            if bad is not None:
                raise FormatError(f"{where}: line {n}: token {bad + 1} is {tokens[bad]!r}; "
                                  "expected a non-empty string")
            yield obj, tokens


def _chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == _PREDICT_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _predict(args: argparse.Namespace) -> int:
    from embedlayer._atomic import atomic_write
    from embedlayer.cli._outputs import check_outputs
    from embedlayer.corpus.conll import ConllCorpus, write_conll

    _check_workers(args)
    inputs = [args.model] + ([Path(args.input)] if args.input != "-" else [])
    check_outputs([("-o/--output", args.output)], force=args.force, inputs=inputs)
    column = _column(args.token_column, "--token-column")
    tagger = _load(args)
    where = "stdin" if args.input == "-" else args.input
    with contextlib.ExitStack() as stack:
        path = stack.enter_context(_input_file(args.input))
        first = _first_line(path)
        out = sys.stdout if args.output is None else stack.enter_context(
            atomic_write(args.output, "w", encoding="utf-8"))
        if first is None:
            return 0  # nothing to tag: nothing written
        fmt = args.input_format
        if fmt == "auto":
            fmt = "json" if first[0] in "[{" else "conll"
        if fmt == "json":
            for chunk in _chunks(_json_sentences(path, where)):
                for (obj, _), tags in zip(chunk, tagger.predict([t for _, t in chunk]),
                                          strict=True):
                    out.write(json.dumps({**obj, "tags": tags}, ensure_ascii=False) + "\n")
            return 0
        corpus = ConllCorpus(path, token_column=column, tag_column=column)
        for chunk in _chunks(iter(corpus)):
            tagged = tagger.predict([s.tokens for s in chunk])
            write_conll(out, ((*s.columns, t) for s, t in zip(chunk, tagged, strict=True)),
                        sep=corpus.separator or " ")
    return 0
