"""What the three `embedlayer train` commands share: flags, output checks, the run itself.

What it holds: the vector formats, the checkpoint path next to the output, the corpus and
tokenizer flags, each algorithm's settings as ``Setting`` rows (flag, config field, help; the
flag's parser default is ``None`` so a flag given on the command line can be told from one
left out, and the help shows the config's default), the output checks made before any work
(exists -> refused unless ``--force``; missing or read-only folder -> refused; a path the
writer would refuse even with ``--force`` — a folder for a one-file format, a folder holding
files the writer did not write, a corpus input — refused before training), and
``run(...)``: fit, ``--resume`` (settings and corpus checked against the checkpoint) or
``--continue`` (a saved model trained further, its settings kept), then the vectors, the
optional ``--save-model`` folder and a summary. Error messages from the estimators name their
Python keywords; ``flagify`` turns them into the command's flags.
What it leaves out: each command's flags and summary lines (``_train.py``,
``_train_fasttext.py``, ``_train_glove.py``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from embedlayer.errors import ConfigError, EmbedlayerError

__all__ = ["VECTOR_FORMATS", "Setting", "add_common", "add_settings", "checkpoint_path",
           "check_output", "flagify", "run"]

VECTOR_FORMATS = ("native", "word2vec-text", "word2vec-binary", "glove", "fasttext-vec",
                  "projector-tsv", "npy")


@dataclass(frozen=True)
class Setting:
    """One command-line flag that sets one config field."""

    flag: str  # "--min-count"
    field: str  # "min_count"
    help: str
    type: Callable[[str], Any] | None = None
    choices: Sequence[str] | None = None
    switch: bool = False  # a flag without a value: sets the field to ``not invert``
    invert: bool = False  # the switch turns the field off ("--no-shuffle": shuffle=False)
    both: bool = False  # --flag / --no-flag (argparse.BooleanOptionalAction)

    @property
    def dest(self) -> str:
        return "set_" + self.field


def checkpoint_path(output: Path) -> Path:
    """Where a run writing ``output`` keeps its checkpoint: next to it."""
    return output.with_name(output.name + ".checkpoint")


def _default(config_cls: type, field: str) -> Any:
    for f in fields(config_cls):
        if f.name == field:
            return f.default if f.default is not MISSING else None
    raise KeyError(field)


def add_settings(parser: argparse.ArgumentParser, settings: Sequence[Setting],
                 config_cls: type) -> None:
    """One flag per setting; its parser default is ``None`` (left out), its help shows the
    config's default."""
    group = parser.add_argument_group("training settings (with --continue: from the model)")
    for s in settings:
        default = _default(config_cls, s.field)
        if s.both:
            shown = "auto" if default is None else ("on" if default else "off")
            group.add_argument(s.flag, dest=s.dest, action=argparse.BooleanOptionalAction,
                               default=None, help=f"{s.help} (default: {shown})")
        elif s.switch:
            group.add_argument(s.flag, dest=s.dest, action="store_const", const=not s.invert,
                               default=None, help=f"{s.help} (default: off)")
        else:
            group.add_argument(s.flag, dest=s.dest, type=s.type, choices=s.choices,
                               default=None, metavar=s.field.upper() if not s.choices else None,
                               help=f"{s.help} (default: "
                                    f"{'no cap' if default is None else default})")


def add_common(parser: argparse.ArgumentParser, *, formats: Sequence[str], default_format: str,
               what: str, checkpoint_minutes: bool) -> None:
    """Corpus, tokenizer, output, model and checkpoint flags of every `train` command."""
    parser.add_argument("corpus", nargs="+", metavar="CORPUS",
                        help="text files, folders or globs (.gz/.bz2/.xz streamed)")
    parser.add_argument("-o", "--output", required=True, type=Path,
                        help=f"where to write the {what} (required)")
    parser.add_argument("--format", choices=formats, default=default_format,
                        help="output format (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="replace existing outputs and start over from a left checkpoint "
                             "(default: refuse)")
    parser.add_argument("--save-model", type=Path, default=None, metavar="DIR",
                        help="also write the whole model (every matrix, counts, settings) to "
                             "this folder, to train further later with --continue "
                             "(default: vectors only)")
    parser.add_argument("--continue", dest="continue_from", type=Path, default=None,
                        metavar="MODEL",
                        help="train the model saved with --save-model further on CORPUS; its "
                             "settings are kept (only --epochs may be given) "
                             "(default: a new model)")
    parser.add_argument("--update-vocab", action="store_true",
                        help="with --continue: add the new words that reach the model's "
                             "min_count (default: off)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the interrupted run whose checkpoint is next to the "
                             "output; give the same command and corpus (default: off)")
    if checkpoint_minutes:
        parser.add_argument("--checkpoint-minutes", type=float, default=10.0,
                            help="save a checkpoint next to the output this often (and on "
                                 "Ctrl-C) (default: %(default)s)")
    parser.add_argument("--tokenizer", default="regex",
                        help="tokenizer name or saved pipeline .json (default: %(default)s)")
    parser.add_argument("--lower", action="store_true",
                        help="lower-case before tokenizing (default: off)")
    parser.add_argument("--encoding", default="utf-8", help="(default: %(default)s)")
    parser.add_argument("--errors", choices=("strict", "replace", "skip-line"), default="strict",
                        help="invalid bytes in the corpus: stop with an error, replace them "
                             "with U+FFFD, or skip the line (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar (default: off)")


# --- checks made before any work ------------------------------------------------------------
def check_output(path: Path, *, flag: str, force: bool,
                 replaceable: Callable[[Path], None] | None = None,
                 inputs: Sequence[str] = ()) -> None:
    """Refuse an output that exists (unless ``force``), whose folder is missing or read-only,
    that is one of the corpus ``inputs``, or that ``replaceable(path)`` (the writer's own
    rule) refuses even with ``force``: found now, not after minutes of training."""
    resolved = path.resolve()
    for source in inputs:
        if Path(source).exists() and Path(source).resolve() == resolved:
            raise ConfigError(f"{flag} {path}: is also a corpus input; expected a new path")
    if path.exists() and not force:
        raise ConfigError(f"{flag} {path} exists: refusing to replace it (add --force)")
    if path.exists() and replaceable is not None:
        try:
            replaceable(path)
        except ConfigError as exc:
            raise ConfigError(f"{flag} {path}: {exc}") from None
    parent = path.absolute().parent
    if not parent.is_dir():
        raise ConfigError(f"{flag} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag} {path}: folder {parent} is not writable")


def _explicit(args: argparse.Namespace, settings: Sequence[Setting]) -> list[Setting]:
    return [s for s in settings if getattr(args, s.dest, None) is not None]


def _config_kwargs(args: argparse.Namespace, settings: Sequence[Setting]) -> dict[str, Any]:
    return {s.field: getattr(args, s.dest) for s in _explicit(args, settings)}


def _describe(s: Setting, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return f"{s.field} {value} ({s.flag})"
    return f"{s.flag} {value}"


def flagify(message: str, settings: Sequence[Setting]) -> str:
    """An estimator's message with its keyword names turned into the command's flags
    (``sample=0.001`` -> ``--sample 0.001``, ``lower learning_rate`` -> ``lower
    --learning-rate``)."""
    for s in sorted(settings, key=lambda s: -len(s.field)):
        name = re.escape(s.field)
        if (s.switch or s.both) and "_" in s.field:
            message = re.sub(rf"(?<![\w-]){name}(?= applies| must)", s.flag, message)
        if s.switch or s.both:
            continue
        message = re.sub(rf"(?<![\w-]){name}=", f"{s.flag} ", message)
        if "_" in s.field:
            message = re.sub(rf"(?<![\w-]){name}(?!\w)", s.flag, message)
        else:
            message = re.sub(rf"(?<![\w-]){name}(?= must| \(| or | <=| = )", s.flag, message)
            message = re.sub(rf"(?<=lower ){name}(?!\w)", s.flag, message)
    # "max_vocab must be an integer >= 1 or None": on the command line, None is a flag left out.
    return re.sub(r"(>= 1) or None\b", r"\1 or leave it unset", message)


# --- the run ----------------------------------------------------------------------------------
def run(args: argparse.Namespace, *, estimator: type, settings: Sequence[Setting],
        fit_options: dict[str, Any], resume_options: dict[str, Any],
        summary: Callable[[Any], list[str]]) -> int:
    """Fit / resume / continue ``estimator`` as the flags say, write the outputs, print."""
    from embedlayer.cli._outputs import flag_hints

    try:
        with flag_hints():  # a decoding error's hint names --errors, not errors=
            return _run(args, estimator, settings, fit_options, resume_options, summary)
    except EmbedlayerError as exc:
        text = flagify(str(exc), settings)
        if text == str(exc):
            raise
        raise type(exc)(text) from None


def _run(args: argparse.Namespace, estimator: type, settings: Sequence[Setting],
         fit_options: dict[str, Any], resume_options: dict[str, Any],
         summary: Callable[[Any], list[str]]) -> int:
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer

    algo, ckpt = args.algorithm, checkpoint_path(args.output)
    explicit = _explicit(args, settings)
    if args.resume and args.continue_from is not None:
        raise ConfigError("--resume and --continue exclude each other: --resume finishes an "
                          "interrupted run, --continue trains a saved model further")
    if args.update_vocab and args.continue_from is None:
        raise ConfigError("--update-vocab needs --continue MODEL")
    if args.continue_from is not None:
        conflicting = [s.flag for s in explicit if s.field != "epochs"]
        if conflicting:
            raise ConfigError(f"{', '.join(conflicting)} conflicts with --continue: the "
                              f"settings come from the saved model {args.continue_from} "
                              "(only --epochs may be given)")
    kwargs = _config_kwargs(args, settings)
    config = estimator.CONFIG(**kwargs).check()
    # Outputs before any work: nothing is counted or trained for minutes and then lost, and
    # --force cannot get past a rule the writers apply only at the end.
    from embedlayer.vectors.io._folder import check_target

    check_output(args.output, flag="-o", force=args.force, inputs=args.corpus,
                 replaceable=lambda p: check_target(p, args.format))
    model = None
    if args.continue_from is not None:  # the saved model's settings decide its file names
        model = estimator.load(args.continue_from)
    if args.save_model is not None:
        if args.save_model.resolve() == args.output.resolve():
            raise ConfigError(f"--save-model {args.save_model}: the same path as -o; expected "
                              "two different outputs")
        owner = model if model is not None else estimator.from_config(config)
        check_output(args.save_model, flag="--save-model", force=args.force,
                     inputs=args.corpus, replaceable=owner._check_save_target)
    if args.resume and not ckpt.is_dir():
        raise ConfigError(f"--resume: no checkpoint at {ckpt} (an interrupted run of -o "
                          f"{args.output} leaves one there); run without --resume to start")
    fresh = not args.resume and args.continue_from is None  # this run writes the checkpoint
    if fresh and ckpt.exists() and not args.force:
        raise ConfigError(f"{ckpt} holds the checkpoint of an interrupted run: add --resume to "
                          "continue it, or --force to start over")
    tokens = TokenStream(TextCorpus(args.corpus, encoding=args.encoding, errors=args.errors),
                         get_tokenizer(args.tokenizer, lowercase=args.lower))
    if fresh and ckpt.exists():  # --force: starting over, so a Ctrl-C never points at it
        _remove_checkpoint(ckpt)
    progress = not args.quiet
    try:
        if model is not None:
            model.partial_fit(tokens, update_vocab=args.update_vocab,
                              epochs=kwargs.get("epochs"), progress=progress)
        elif args.resume:
            saved = estimator.checkpoint_config(ckpt)
            by_field = {s.field: s for s in settings}
            diffs = [(by_field[name], now, then) for name, now, then in
                     _differences(config, saved) if name in by_field]
            if diffs:
                raise ConfigError("; ".join(
                    f"{_describe(s, now)} but the checkpoint was trained with {s.field} {then}"
                    for s, now, then in diffs) + f" ({ckpt}): give the settings of the "
                    "interrupted run, or start over with --force")
            model = estimator.resume(ckpt, tokens, config=saved, progress=progress,
                                     **resume_options)
        else:
            model = estimator.from_config(config).fit(tokens, progress=progress,
                                                      checkpoint_dir=ckpt, **fit_options)
    except KeyboardInterrupt:
        if args.continue_from is None and ckpt.exists():
            print(f"embedlayer train {algo}: interrupted; the checkpoint is in {ckpt}: run the "
                  "same command again with --resume to continue", file=sys.stderr)
        elif args.continue_from is None:
            print(f"embedlayer train {algo}: interrupted before training started; no "
                  "checkpoint was written", file=sys.stderr)
        raise
    path = model.save_vectors(args.output, format=args.format)
    lines = []
    if getattr(model, "resumed_from_", None):
        lines.append(model.resumed_from_)
    lines += summary(model)
    lines.append(f"{model.tokens_per_second_:,.0f} tokens/s over {model.train_seconds_:.1f} s"
                 if model.tokens_trained_ > 0 and model.train_seconds_ > 0 else "")
    lines.append(f"wrote {path}")
    if args.save_model is not None:
        lines.append(f"saved the model to {model.save(args.save_model)}")
    if args.continue_from is None:  # this run's checkpoint (--continue writes none): obsolete
        shutil.rmtree(ckpt, ignore_errors=True)
    print("\n".join(line for line in lines if line))
    return 0


def _remove_checkpoint(ckpt: Path) -> None:
    """Delete a left checkpoint folder; refuse one holding files no checkpoint writes (the
    trainer could not replace it either)."""
    foreign = ([ckpt.name] if ckpt.is_symlink() or not ckpt.is_dir() else
               sorted(p.name for p in ckpt.iterdir() if p.is_symlink() or not p.is_file()
                      or not (p.name in _CHECKPOINT_FILES or p.suffix == ".npy")))
    if foreign:
        raise ConfigError(f"{ckpt}: holds {', '.join(foreign[:5])}, which no checkpoint "
                          "writes; move it away to start over here")
    shutil.rmtree(ckpt)


_CHECKPOINT_FILES = frozenset({"checkpoint.json", "vocab.json", "counts.json"})


def _differences(config: Any, saved: Any) -> list[tuple[str, Any, Any]]:
    from embedlayer.train.config import config_differences

    return config_differences(config, saved)
