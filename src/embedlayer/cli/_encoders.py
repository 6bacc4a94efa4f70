"""The encoder options shared by the commands that turn texts into vectors (``encode``,
``index build``/``search``, ``qa eval``): one spelling and one help text for each, and the
``Encoder`` they describe — a transformer checkpoint (``contextual.TransformerEncoder``) or
static vectors composed by mean or SIF (``vectors.encoder.StaticEncoder``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_encoder_options", "build_encoder", "check_encoder_numbers", "is_checkpoint"]


def add_encoder_options(p: argparse.ArgumentParser, *, methods: tuple[str, ...] = ("mean", "sif"),
                        ) -> None:
    """Transformer options (pooling, normalization, windows, batch, precision, threads) and
    static-vector options (composition method, tokenizer)."""
    p.add_argument("--pooling", choices=("mean", "cls", "max"), default=None,
                   help="transformer: pool tokens by mean (padding masked), the first token, "
                        "or max (default: the checkpoint's sentence-transformers setting, else "
                        "mean)")
    norm = p.add_mutually_exclusive_group()
    norm.add_argument("--normalize", dest="normalize", action="store_true", default=None,
                      help="L2-normalize each vector (default: the checkpoint's setting; "
                           "static vectors: off)")
    norm.add_argument("--no-normalize", dest="normalize", action="store_false",
                      help="do not normalize (default: the checkpoint's setting)")
    p.add_argument("--max-length", type=int, default=None, metavar="N",
                   help="transformer: tokens per window, special tokens included (default: "
                        "the checkpoint's max_seq_length, else its positions)")
    p.add_argument("--stride", type=int, default=None, metavar="N",
                   help="transformer: tokens shared by consecutive windows of a long text "
                        "(default: max-length / 4)")
    p.add_argument("--batch-size", type=int, default=32,
                   help="transformer: windows per forward pass (default: %(default)s)")
    p.add_argument("--precision", choices=("fp32", "int8"), default="fp32",
                   help="transformer: fp32, or int8 matrix products (faster, cosine to fp32 "
                        "about 0.99+) (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None,
                   help="torch CPU threads (default: torch's setting)")
    p.add_argument("--method", choices=methods, default="mean",
                   help="static vectors: mean of the word vectors, or SIF (fitted on the "
                        "input) (default: %(default)s)")
    p.add_argument("--tokenizer", default="regex",
                   help="static vectors: tokenizer name or saved pipeline (default: "
                        "%(default)s, lower-cased)")


def is_checkpoint(model: str) -> bool:
    from embedlayer.contextual.checkpoint import _ALIASES, KNOWN_CHECKPOINTS

    path = Path(model)
    if path.is_dir():
        return (path / "config.json").is_file()
    return not path.exists() and _ALIASES.get(model, model) in KNOWN_CHECKPOINTS


def build_encoder(model: str, args: argparse.Namespace, texts: list[str]) -> Any:
    """The ``Encoder`` that MODEL and the options of :func:`add_encoder_options` describe;
    ``texts`` fit SIF (``--method sif``)."""
    from embedlayer.contextual.checkpoint import KNOWN_CHECKPOINTS
    from embedlayer.errors import ConfigError, MissingFileError

    if not Path(model).exists() and not is_checkpoint(model):
        raise MissingFileError(f"MODEL {model}: no such checkpoint folder or vectors "
                               f"file, and not a known checkpoint name "
                               f"({', '.join(KNOWN_CHECKPOINTS)}, minilm)")

    if is_checkpoint(model):
        from embedlayer.contextual import TransformerEncoder

        if args.method != "mean" or args.tokenizer != "regex":
            raise ConfigError("--method and --tokenizer are for static vectors; MODEL is a "
                              "transformer checkpoint")
        return TransformerEncoder(model, pooling=args.pooling, normalize=args.normalize,
                                  max_length=args.max_length, stride=args.stride,
                                  batch_size=args.batch_size, precision=args.precision,
                                  workers=args.workers)
    for flag, value in (("--pooling", args.pooling), ("--max-length", args.max_length),
                        ("--stride", args.stride)):
        if value is not None:
            raise ConfigError(f"{flag} is for transformer checkpoints; MODEL {model} is "
                              f"read as static vectors")
    if args.precision != "fp32":
        raise ConfigError("--precision is for transformer checkpoints")
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors import SIF
    from embedlayer.vectors.encoder import StaticEncoder
    from embedlayer.vectors.io import load_vectors

    store = load_vectors(model)
    tokenizer = get_tokenizer(args.tokenizer, lowercase=True)
    sif = None
    if args.method == "sif":
        sif = SIF(store).fit([tokenizer.tokenize(t) for t in texts])
    return StaticEncoder(store, tokenizer, method=args.method, sif=sif,
                         normalize=bool(args.normalize))


def check_encoder_numbers(args: argparse.Namespace) -> None:
    """``ConfigError`` for a number option of :func:`add_encoder_options` below its minimum."""
    from embedlayer.errors import ConfigError

    for flag, value, low in (("--batch-size", args.batch_size, 1), ("--workers", args.workers, 1),
                             ("--max-length", args.max_length, 4), ("--stride", args.stride, 0)):
        if value is not None and value < low:
            raise ConfigError(f"{flag} must be >= {low}, got {value}")
