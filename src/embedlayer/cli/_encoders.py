"""Building an ``Encoder`` from a command-line name: a transformer checkpoint (folder or known
name) or a vectors file/folder composed with mean or SIF. Shared by ``embedlayer encode`` and
``embedlayer qa``, so both read MODEL the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["build_encoder", "is_checkpoint"]


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
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors import SIF
    from embedlayer.vectors.encoder import StaticEncoder
    from embedlayer.vectors.io import load_vectors

    store = load_vectors(model)
    tok = get_tokenizer(tokenizer, lowercase=True)
    sif = None
    if method == "sif":
        sif = SIF(store).fit([tok.tokenize(t) for t in fit_texts])
    return StaticEncoder(store, tok, method=method, sif=sif, normalize=bool(normalize))
