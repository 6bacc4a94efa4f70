"""Streaming sha256 of a file, in fixed-size chunks so memory stays flat for any file size.

Leaves out what to compare the digest with (``_verify``, ``_download``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["CHUNK", "sha256_file"]

CHUNK = 1 << 20  # 1 MiB: large enough that hashing runs at disk speed


def sha256_file(path: Path, *, advance: Callable[[int], object] | None = None) -> str:
    """The lower-case hex sha256 of ``path``; ``advance(n)`` is told each chunk's size."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if advance is not None:
                advance(len(chunk))
    return digest.hexdigest()
