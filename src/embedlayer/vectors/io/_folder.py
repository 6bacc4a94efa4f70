"""The vector folder formats' file names, for atomic folder replacement, and the check of an
output path made before any work (``check_target``).

The folder formats (native, npy, projector-tsv) write through ``embedlayer._atomic.
atomic_folder``; a folder is only replaced when it holds nothing but these files. The file
formats never replace a folder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from embedlayer._atomic import atomic_folder as _atomic_folder
from embedlayer._atomic import check_replaceable, fsync_file
from embedlayer.errors import ConfigError

__all__ = ["FOLDER_FILES", "FOLDER_FORMATS", "atomic_folder", "check_target", "fsync_file"]

# Every file name the folder formats write; a folder holding only these may be replaced.
FOLDER_FILES = frozenset({
    "vectors.safetensors", "keys.json", "meta.json",  # native
    "matrix.npy", "vocab.json", "keys.txt",  # npy
    "vectors.tsv", "metadata.tsv",  # projector-tsv
})
FOLDER_FORMATS = ("native", "npy", "projector-tsv")


def check_target(path: Path, fmt: str) -> None:
    """``ConfigError`` when writing ``fmt`` at ``path`` would be refused: a file format onto
    a folder, a folder format onto a file or a folder holding other files. The same rules
    the writers apply, checked before the vectors exist (e.g. before training)."""
    path = Path(path)
    if fmt in FOLDER_FORMATS:
        check_replaceable(path, f"the {fmt} format", FOLDER_FILES)
    elif path.is_dir():
        raise ConfigError(f"{path} is a folder; the {fmt} format writes one file")


@contextlib.contextmanager
def atomic_folder(target: Path, *, fmt: str) -> Iterator[Path]:
    with _atomic_folder(target, fmt=f"the {fmt} format", allowed=FOLDER_FILES) as tmp:
        yield tmp
