"""embedlayer: the embedding representation layer of language models.

Importing the package is cheap: subpackages load on first use, and optional heavy parts
(torch, tokenizers, jieba) load only inside the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "corpus", "data", "errors", "text", "vocab"]

_SUBMODULES = {"contextual", "corpus", "data", "errors", "eval", "nn", "tasks", "text", "train",
               "vectors", "vocab"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"embedlayer.{name}")
    raise AttributeError(f"module 'embedlayer' has no attribute {name!r}")
