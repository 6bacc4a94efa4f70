"""Compressing the embedding matrix (layer L3 of DESIGN.md): scalar quantization (int8,
4-bit), product quantization (with OPQ's rotation), low-rank factorization and vocabulary
pruning, chained by one call; every result is again a ``VectorStore``.

What it holds: :func:`compress` (a chain of steps -> a store; ``pipeline.py``),
:func:`parse_steps` (the text form ``"prune:keep=20000+pq:m=25"``), the stores
:class:`CompressedVectors` and :class:`CompressedSubwordVectors` (``store.py``), the codecs
:class:`ScalarCodec`, :class:`PQCodec`, :class:`LowRankCodec` and their fitting functions
:func:`fit_scalar`, :func:`fit_pq`, :func:`fit_lowrank`, :func:`kmeans` (``codecs.py``,
``quantize.py``), pruning (:func:`prune_vectors`, :func:`prune_subword`; ``prune.py``), and
files (:func:`save_compressed`, :func:`load_compressed`; ``io.py``). Each name loads its
module on first use. What it leaves out: the torch layers over the same arrays
(``embedlayer.nn.compressed``) and the quality reports (``embedlayer.eval``, the CLI).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "CompressedSubwordVectors": "store",
    "CompressedVectors": "store",
    "CompressionStats": "store",
    "LowRankCodec": "codecs",
    "PQCodec": "codecs",
    "ScalarCodec": "codecs",
    "compress": "pipeline",
    "fit_lowrank": "quantize",
    "fit_pq": "quantize",
    "fit_scalar": "quantize",
    "is_compressed_folder": "io",
    "kmeans": "quantize",
    "load_compressed": "io",
    "parse_steps": "pipeline",
    "prune_subword": "prune",
    "prune_vectors": "prune",
    "save_compressed": "io",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"embedlayer.compress.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'embedlayer.compress' has no attribute {name!r}")
