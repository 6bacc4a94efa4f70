"""The vector folder formats' file names, for atomic folder replacement.

The folder formats (native, npy, projector-tsv) write through ``embedlayer._atomic.
atomic_folder``; a folder is only replaced when it holds nothing but these files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from embedlayer._atomic import atomic_folder as _atomic_folder
from embedlayer._atomic import fsync_file

__all__ = ["FOLDER_FILES", "atomic_folder", "fsync_file"]

# Every file name the folder formats write; a folder holding only these may be replaced.
FOLDER_FILES = frozenset({
    "vectors.safetensors", "keys.json", "meta.json",  # native
    "matrix.npy", "vocab.json", "keys.txt",  # npy
    "vectors.tsv", "metadata.tsv",  # projector-tsv
})


@contextlib.contextmanager
def atomic_folder(target: Path, *, fmt: str) -> Iterator[Path]:
    with _atomic_folder(target, fmt=f"the {fmt} format", allowed=FOLDER_FILES) as tmp:
        yield tmp
