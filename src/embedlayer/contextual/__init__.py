"""Transformer checkpoints: their embedding layer opened up, and their encoders behind the
same ``Encoder`` protocol as static composition (layer L3 of DESIGN.md).

What it holds: :class:`TransformerEncoder` (sentence, token and word vectors from a
checkpoint, fp32 or int8), :class:`ContextualEmbedding` (a checkpoint as a frozen or
fine-tuned embedding layer inside a torch model, with its tokenizer, a scalar mix of layers,
pooling and a word-level view), :func:`open_checkpoint` (find and check a local checkpoint
folder, or a known name shipped in an installed package, never a hub download),
:func:`offline`, and :func:`read_embedding_layer` (the token, position and type tables of a
checkpoint as :class:`EmbeddingTables`, memory-mapped from safetensors). Each name loads its
module on first use, so reading a checkpoint's embedding tables needs neither torch nor
transformers. What it leaves out: the tasks that use encoders (``embedlayer.tasks``) and the
inspection report of a checkpoint's tables (``embedlayer.eval.inspect``, which measures them
with eval's word similarity).
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it (imported on first use)
_LAZY = {
    "Checkpoint": "checkpoint",
    "ContextualEmbedding": "module",
    "EmbeddingTables": "layer",
    "EncodeStats": "encoder",
    "WordVectors": "module",
    "KNOWN_CHECKPOINTS": "checkpoint",
    "TokenVectors": "encoder",
    "TransformerEncoder": "encoder",
    "offline": "checkpoint",
    "open_checkpoint": "checkpoint",
    "read_embedding_layer": "layer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"embedlayer.contextual.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'embedlayer.contextual' has no attribute {name!r}")
