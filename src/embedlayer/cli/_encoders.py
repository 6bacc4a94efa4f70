"""The encoder options shared by the commands that turn texts into vectors (``encode``,
``index build``/``search``, ``qa eval``) and the ``Encoder`` a MODEL names: a transformer
checkpoint (folder or known name; ``contextual.TransformerEncoder``) or a vectors file/folder
composed with mean or SIF (``vectors.encoder.StaticEncoder``), so every command reads MODEL the
same way.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_encoder_options", "build_encoder", "check_encoder_numbers", "encoder_from_args",
           "is_checkpoint"]


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
    """A folder with ``config.json``, or a known checkpoint name that is not a local path."""
    from embedlayer.contextual.checkpoint import _ALIASES, KNOWN_CHECKPOINTS

    path = Path(model)
    if path.is_dir():
        return (path / "config.json").is_file()
    return not path.exists() and _ALIASES.get(model, model) in KNOWN_CHECKPOINTS


def build_encoder(model: str, *, fit_texts: Sequence[str], label: str = "MODEL",
                  method: str = "mean", tokenizer: str = "regex", pooling: str | None = None,
                  normalize: bool | None = None, max_length: int | None = None,
                  stride: int | None = None, batch_size: int = 32, precision: str = "fp32",
                  workers: int | None = None) -> Any:
    """``TransformerEncoder`` for a checkpoint, else ``StaticEncoder`` over the vectors at
    ``model`` (SIF fitted on ``fit_texts``). ``label`` names the argument in errors."""
    from embedlayer.contextual.checkpoint import KNOWN_CHECKPOINTS
    from embedlayer.errors import ConfigError, MissingFileError

    if not Path(model).exists() and not is_checkpoint(model):
        raise MissingFileError(f"{label} {model}: no such checkpoint folder or vectors "
                               f"file, and not a known checkpoint name "
                               f"({', '.join(KNOWN_CHECKPOINTS)}, minilm)")

    if is_checkpoint(model):
        from embedlayer.contextual import TransformerEncoder

        if method != "mean" or tokenizer != "regex":
            raise ConfigError(f"--method and --tokenizer are for static vectors; {label} is a "
                              f"transformer checkpoint")
        return TransformerEncoder(model, pooling=pooling, normalize=normalize,
                                  max_length=max_length, stride=stride,
                                  batch_size=batch_size, precision=precision, workers=workers)
    for flag, value in (("--pooling", pooling), ("--max-length", max_length),
                        ("--stride", stride)):
        if value is not None:
            raise ConfigError(f"{flag} is for transformer checkpoints; {label} {model} is "
                              f"read as static vectors")
    if precision != "fp32":
        raise ConfigError("--precision is for transformer checkpoints")
    from embedlayer.cli._vectors import load_compressed_folder
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors import SIF
    from embedlayer.vectors.encoder import StaticEncoder
    from embedlayer.vectors.io import load_vectors

    store = load_compressed_folder(Path(model)) or load_vectors(model)
    tok = get_tokenizer(tokenizer, lowercase=True)
    sif = None
    if method == "sif":
        sif = SIF(store).fit([tok.tokenize(t) for t in fit_texts])
    return StaticEncoder(store, tok, method=method, sif=sif, normalize=bool(normalize))

def encoder_from_args(model: str, args: argparse.Namespace, texts: Sequence[str], *,
                      label: str = "MODEL") -> Any:
    """:func:`build_encoder` with the options of :func:`add_encoder_options` in ``args``."""
    return build_encoder(model, fit_texts=texts, label=label, method=args.method,
                         tokenizer=args.tokenizer, pooling=args.pooling,
                         normalize=args.normalize, max_length=args.max_length,
                         stride=args.stride, batch_size=args.batch_size,
                         precision=args.precision, workers=args.workers)


def check_encoder_numbers(args: argparse.Namespace) -> None:
    """``ConfigError`` for a number option of :func:`add_encoder_options` below its minimum."""
    from embedlayer.errors import ConfigError

    for flag, value, low in (("--batch-size", args.batch_size, 1), ("--workers", args.workers, 1),
                             ("--max-length", args.max_length, 4), ("--stride", args.stride, 0)):
        if value is not None and value < low:
            raise ConfigError(f"{flag} must be >= {low}, got {value}")
