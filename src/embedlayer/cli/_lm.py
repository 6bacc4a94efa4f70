"""`embedlayer lm train | eval | generate`: a small causal language model.

Thin: builds an ``LMConfig`` from the flags, calls ``CausalLM.fit`` / ``evaluate`` /
``generate`` and prints. The model folder is checked before any work: an existing one is
replaced only with ``--force``, or continued with ``--resume``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# LMConfig field -> (flag, argparse options, help without the default)
_SETTINGS: dict[str, tuple[str, dict[str, Any], str]] = {
    "tokenizer": ("--tokenizer", {"choices": ["bpe", "word"]},
                  "bpe: the project's BPE; word: regex words, the most frequent kept, the "
                  "others <unk>"),
    "vocab_size": ("--vocab-size", {"type": int}, "vocabulary size (BPE: special tokens and "
                                                  "the alphabet included; word: at most this "
                                                  "many tokens, <unk> and <|endoftext|> "
                                                  "included)"),
    "min_count": ("--min-count", {"type": int}, "BPE: pairs seen fewer times are not merged; "
                                                "word: words seen fewer times are <unk>"),
    "context": ("--context", {"type": int}, "tokens per window (the longest the model sees)"),
    "dim": ("--dim", {"type": int}, "model width"),
    "layers": ("--layers", {"type": int}, "transformer blocks"),
    "heads": ("--heads", {"type": int}, "attention heads"),
    "positions": ("--positions", {"choices": ["none", "sinusoidal", "learned", "rotary"]},
                  "position encoding; learned with a tied head is GPT-2 (transformers loads "
                  "it)"),
    "dropout": ("--dropout", {"type": float}, "dropout on embeddings, attention, residuals"),
    "steps": ("--steps", {"type": int}, "optimizer steps"),
    "batch_size": ("--batch-size", {"type": int}, "windows per step"),
    "learning_rate": ("--learning-rate", {"type": float}, "AdamW's peak learning rate"),
    "warmup": ("--warmup", {"type": int}, "steps of linear warm-up before the cosine decay"),
    "weight_decay": ("--weight-decay", {"type": float}, "AdamW's weight decay (matrices)"),
    "clip_norm": ("--clip-norm", {"type": float}, "clip the gradient's global norm; 0: none"),
    "val_fraction": ("--val-fraction", {"type": float}, "share of the token stream held out "
                                                        "(its end) for validation"),
    "eval_every": ("--eval-every", {"type": int}, "validate and write a checkpoint every N "
                                                  "steps"),
    "seed": ("--seed", {"type": int}, "weights, batches and dropout derive from it"),
}


_GENERATE_FLAGS = {"max_new_tokens": "--max-new-tokens", "top_k": "--top-k",
                   "temperature": "--temperature", "seed": "--seed"}


@contextlib.contextmanager
def _flag_names(names: dict[str, str]) -> Iterator[None]:
    """Re-raise a ``ConfigError`` saying ``name must ...`` with the command's flag."""
    from embedlayer.errors import ConfigError

    try:
        yield
    except ConfigError as exc:
        message = str(exc)
        for field, flag in sorted(names.items(), key=lambda kv: -len(kv[0])):
            message = re.sub(rf"(?<![\w-]){re.escape(field)}(?= must)", flag, message)
        if message == str(exc):
            raise
        raise ConfigError(message) from None


def register(sub: argparse._SubParsersAction) -> None:
    from embedlayer.cli._classify import _common
    from embedlayer.tasks.lm import MAX_NEW_TOKENS, LMConfig

    defaults = LMConfig()
    parser = sub.add_parser(
        "lm", help="train, evaluate and sample a small causal language model",
        description="A GPT-style causal language model over the embedding layer.")
    cmds = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    train = cmds.add_parser(
        "train", help="train a language model on a corpus",
        description="Train the tokenizer and the model on CORPUS (files, folders or globs "
                    "of text, one line a document), hold out the end of the token stream for "
                    "validation, and save the model folder (config.json, model.safetensors, "
                    "tokenizer.json: GPT-2's layout) with a checkpoint at every --eval-every "
                    "steps; --resume continues from it.")
    train.add_argument("corpus", nargs="+", metavar="CORPUS",
                       help="text files, folders or globs to train on, one line a document "
                            "(.gz/.bz2/.xz streamed) (required)")
    train.add_argument("-o", "--output", type=Path, required=True, metavar="MODEL_DIR",
                       help="folder for the model and its checkpoints (required)")
    train.add_argument("--force", action="store_true",
                       help="replace an existing --output folder (default: refuse)")
    train.add_argument("--resume", action="store_true",
                       help="continue the checkpoint in --output with its own settings "
                            "(default: start afresh)")
    for field, (flag, opts, text) in _SETTINGS.items():
        train.add_argument(flag, dest=field, default=None, **opts,
                           help=f"{text} (default: {getattr(defaults, field)})")
    train.add_argument("--tied", action=argparse.BooleanOptionalAction, default=None,
                       help="share the output head with the token table (default: tied)")
    train.add_argument("--init-vectors", type=Path, default=None, metavar="VECTORS",
                       help="word vectors (any format `embedlayer vectors` reads, or a "
                            "compressed folder) of dimension --dim that start the token "
                            "table's rows of the tokens they hold, rescaled to the random "
                            "init's RMS 0.02 (default: random init only)")
    _common(train)
    train.set_defaults(func=_train)

    ev = cmds.add_parser(
        "eval", help="loss and perplexity of a model on a text file",
        description="Mean next-token loss (nats) and perplexity of MODEL on FILE, encoded "
                    "like the training stream and scored in windows of the model's context "
                    "(or --context tokens).")
    ev.add_argument("model", type=Path, metavar="MODEL", help="model folder (required)")
    ev.add_argument("file", type=Path, metavar="FILE", help="text file (required)")
    ev.add_argument("--context", type=int, default=None, metavar="N",
                    help="window length to score in; longer than in training works for "
                         "positions none, sinusoidal and rotary, not learned (default: the "
                         "model's training context)")
    ev.add_argument("--rope-scaling", choices=("none", "ntk"), default="none",
                    help="rotary models scoring windows longer than their training context: "
                         "ntk stretches the rotation frequencies by window / context (NTK-aware "
                         "scaling, no retraining); none keeps the trained ones (default: none)")
    ev.add_argument("--json", action="store_true",
                    help="print the scores as one JSON object (default: text)")
    _common(ev)
    ev.set_defaults(func=_eval)

    gen = cmds.add_parser(
        "generate", help="continue a prompt",
        description="Continue PROMPT with MODEL. The prompt is read as the start of a line "
                    "(an empty one generates a line from scratch); characters never seen in "
                    "training become <unk>. Generation stops at the end of a line "
                    "(<|endoftext|>) unless --no-stop.")
    gen.add_argument("model", type=Path, metavar="MODEL", help="model folder (required)")
    gen.add_argument("prompt", metavar="PROMPT", help="text to continue (required; may be '')")
    gen.add_argument("--max-new-tokens", type=int, default=50,
                     help=f"tokens to add, 0 to {MAX_NEW_TOKENS:,} (default: %(default)s)")
    gen.add_argument("--greedy", action="store_true",
                     help="take the likeliest token each step (default: sample)")
    gen.add_argument("--temperature", type=float, default=1.0,
                     help="sampling temperature (default: %(default)s)")
    gen.add_argument("--top-k", type=int, default=None,
                     help="sample among the K likeliest tokens (default: all)")
    gen.add_argument("--seed", type=int, default=0,
                     help="sampling seed; the same seed gives the same text (default: "
                          "%(default)s)")
    gen.add_argument("--no-stop", action="store_true",
                     help="go on past the end of a line (default: stop there)")
    _common(gen)
    gen.set_defaults(func=_generate)


def _config(args: argparse.Namespace) -> Any:
    from embedlayer.errors import ConfigError
    from embedlayer.tasks.lm import LMConfig

    settings = {f: getattr(args, f) for f in (*_SETTINGS, "tied") if getattr(args, f) is not None}
    if settings.get("clip_norm") == 0:
        settings["clip_norm"] = None
    try:
        return LMConfig(**settings).check()
    except ConfigError as exc:
        message = str(exc)
        for field, (flag, _, _) in _SETTINGS.items():
            message = message.replace(f"LMConfig: {field} ", f"{flag} ")
        raise ConfigError(message) from None


def _train(args: argparse.Namespace) -> int:
    from embedlayer._atomic import check_replaceable
    from embedlayer.cli._classify import _check_workers
    from embedlayer.cli._outputs import check_not_input
    from embedlayer.errors import ConfigError
    from embedlayer.tasks.lm import CausalLM
    from embedlayer.tasks.lm._folder import _ALLOWED, _read_config

    _check_workers(args)
    check_not_input("-o/--output", args.output,
                    [Path(c) for c in args.corpus if Path(c).exists()])
    check_replaceable(args.output, "a causal language model", _ALLOWED)
    if args.resume:
        if args.init_vectors is not None:
            raise ConfigError("--resume continues the checkpoint's token table; drop "
                              "--init-vectors")
        given = [f for f in (*_SETTINGS, "tied") if getattr(args, f) is not None]
        if given:
            raise ConfigError(f"--resume continues with the checkpoint's own settings; drop "
                              f"{_SETTINGS[given[0]][0] if given[0] in _SETTINGS else '--tied'}")
        from embedlayer.tasks.lm import LMConfig

        _, values = _read_config(args.output)
        config = LMConfig(**values)
    else:
        if args.output.exists() and any(args.output.iterdir()) and not args.force:
            raise ConfigError(f"-o/--output {args.output}: already exists; pass --force to "
                              "replace it or --resume to continue it")
        config = _config(args)
    init = None
    if args.init_vectors is not None:
        from embedlayer.cli._vectors import load_compressed_folder
        from embedlayer.vectors.io import load_vectors

        init = load_compressed_folder(args.init_vectors) or load_vectors(
            args.init_vectors, progress=not args.quiet)
    from embedlayer.corpus import TextCorpus

    lm = CausalLM(config, workers=args.workers).fit(TextCorpus(args.corpus), output=args.output,
                                                    resume=args.resume, init_vectors=init,
                                                    progress=not args.quiet)
    if init is not None:
        print(f"token table: {lm.init_rows_:,} of {len(lm.vocab_):,} rows started from "
              f"{args.init_vectors} (scaled by {lm.init_scale_:.4g})")
    for r in lm.history_:
        val = "" if r.val_loss is None else \
            f"  val_loss {r.val_loss:.4f}  val_ppl {r.val_perplexity:.2f}"
        print(f"step {r.step:>6}  loss {r.loss:.4f}  lr {r.learning_rate:.2e}{val}")
    print(f"saved {lm!r} to {args.output}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from embedlayer.cli._classify import _check_workers
    from embedlayer.errors import MissingFileError
    from embedlayer.tasks.lm import CausalLM

    _check_workers(args)
    if not args.file.is_file():
        raise MissingFileError(f"{args.file}: no such file")
    lm = CausalLM.load(args.model, workers=args.workers)
    score = lm.evaluate(str(args.file), context=args.context, rope_scaling=args.rope_scaling)
    if args.json:
        print(json.dumps(score.to_dict()))
    else:
        print(f"loss {score.loss:.4f}  perplexity {score.perplexity:.2f}  "
              f"tokens {score.tokens:,}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from embedlayer.cli._classify import _check_workers
    from embedlayer.tasks.lm import CausalLM

    _check_workers(args)
    lm = CausalLM.load(args.model, workers=args.workers)
    with _flag_names(_GENERATE_FLAGS):
        text = lm.generate(args.prompt, args.max_new_tokens,
                           strategy="greedy" if args.greedy else "sample",
                           temperature=args.temperature, top_k=args.top_k, seed=args.seed,
                           stop_at_end=not args.no_stop)
    print(text.rstrip("\n"))
    return 0
