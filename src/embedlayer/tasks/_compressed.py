"""Post-training compression of a task model's embedding matrix, shared by ``TextClassifier``
and ``SequenceTagger``: a method string -> the compressed layer that replaces the
``EmbeddingLayer``.

What it holds: :func:`compressed_layer`. What it leaves out: the layers (``nn.compressed``)
and the codecs (``embedlayer.compress``).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from embedlayer.errors import ConfigError
from embedlayer.nn import EmbeddingLayer

__all__ = ["METHODS", "compressed_layer"]

METHODS = ("int8", "int4", "scalar", "pq", "lowrank")


def compressed_layer(layer: Any, method: str, where: str) -> nn.Module:
    """The compressed copy of a trained ``EmbeddingLayer``: ``"int8"``, ``"int4"`` (with
    ``":axis=dim"`` for a scale per dimension), ``"scalar:bits=..."``, ``"pq:m=..."``
    (``embedlayer.compress.fit_pq``'s options) or ``"lowrank:rank=..."`` (truncated SVD). The
    padding row stays exactly zero. ``where`` names the caller in errors."""
    from embedlayer.compress import fit_pq, parse_steps
    from embedlayer.nn import LowRankEmbedding, PQEmbedding, QuantizedEmbedding

    if not isinstance(layer, EmbeddingLayer):
        raise ConfigError(f"{where}: the embedding is a {type(layer).__name__}; only a trained "
                          f"full matrix (EmbeddingLayer) is compressed")
    steps = parse_steps(method)
    if len(steps) != 1 or steps[0]["method"] not in METHODS:
        raise ConfigError(f"{where}: method must be one of {', '.join(METHODS)} (one step), got "
                          f"{method!r}")
    step = dict(steps[0])
    kind = step.pop("method")
    try:
        if kind in ("int8", "int4", "scalar"):
            bits = {"int8": 8, "int4": 4}.get(kind, step.pop("bits", 8))
            new: nn.Module = QuantizedEmbedding.from_layer(layer, bits=bits,
                                                           axis=step.pop("axis", "row"))
        elif kind == "lowrank":
            new = LowRankEmbedding.from_layer(layer, step.pop("rank"))
        else:
            options = {k: step.pop(k) for k in list(step)
                       if k in ("k", "iters", "opq", "rank", "sample", "seed")}
            if step.get("normalize"):
                raise ConfigError(f"{where}: normalize=true is for vectors (cosine queries); "
                                  f"a layer's rows are looked up as they are")
            step.pop("normalize", None)
            if options.get("sample") == 0:  # as in compress(): 0 means the default
                options["sample"] = None
            codec = fit_pq(layer.weight.detach().cpu().numpy(), m=step.pop("m"), **options)
            new = PQEmbedding.from_arrays(codec.codes, codec.codebooks, codec.rotation,
                                          vocab=layer.vocab, padding_idx=layer.padding_idx)
    except KeyError as exc:
        raise ConfigError(f"{where}: {kind} needs {exc.args[0]}") from None
    if step:
        raise ConfigError(f"{where}: unknown option(s) {', '.join(step)} for {kind}")
    return new
