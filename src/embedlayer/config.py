"""Where embedlayer looks for data and keeps its cache.

Only environment lookups live here; everything that configures an algorithm is a frozen
dataclass next to that algorithm.

- ``EMBEDLAYER_DATA``: a local mirror of the datasets (the tests and CI point it at
  ``../shared/data``). Several folders may be given, separated by ``os.pathsep``.
- ``EMBEDLAYER_CACHE``: where verified downloads go (default ``~/.cache/embedlayer``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "data_paths"]

DATA_ENV = "EMBEDLAYER_DATA"
CACHE_ENV = "EMBEDLAYER_CACHE"


def data_paths() -> list[Path]:
    """The local data folders named by ``EMBEDLAYER_DATA``, in order (may be empty)."""
    raw = os.environ.get(DATA_ENV, "")
    return [Path(p).expanduser().absolute() for p in raw.split(os.pathsep) if p.strip()]


def cache_dir() -> Path:
    """The download cache: ``EMBEDLAYER_CACHE`` or ``$XDG_CACHE_HOME/embedlayer``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "embedlayer"
