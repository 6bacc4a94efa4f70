"""Atomic folder writes: fill a temporary folder beside the target, then swap it in.

The folder formats (native, npy, projector-tsv) write every file into a fresh temporary
folder; only when all are written and fsynced does the folder take the target's name. An
exception or Ctrl-C leaves the old folder (if any) untouched and no temporary folder behind.
Replacing an existing folder takes two renames (old -> backup, new -> target; the backup
is renamed back if the second fails), so the target is never half written, though for an
instant it may be absent. A folder is only replaced when it holds nothing but vector files
of these formats, so a mistyped path cannot wipe unrelated data. What it leaves out:
single-file writes (``embedlayer._atomic.atomic_write``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from embedlayer.errors import ConfigError

__all__ = ["FOLDER_FILES", "atomic_folder", "fsync_file"]

# Every file name the folder formats write; a folder holding only these may be replaced.
FOLDER_FILES = frozenset({
    "vectors.safetensors", "keys.json", "meta.json",  # native
    "matrix.npy", "vocab.json", "keys.txt",  # npy
    "vectors.tsv", "metadata.tsv",  # projector-tsv
})


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be fsynced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_replaceable(target: Path, fmt: str) -> None:
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file; the {fmt} format writes a folder (choose another "
                          f"path, or a single-file format such as 'word2vec-binary')")
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir()
                         if p.name not in FOLDER_FILES or not p.is_file())
        if foreign:
            raise ConfigError(f"refusing to replace folder {target}: it holds "
                              f"{', '.join(foreign[:5])}, which are not embedlayer vector files")


@contextlib.contextmanager
def atomic_folder(target: Path, *, fmt: str) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``target`` in one step."""
    target = Path(target)
    _check_replaceable(target, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        for item in tmp.iterdir():
            fsync_file(item)
        _fsync_dir(tmp)
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)


def _swap(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(backup)  # only the unique name is wanted
    os.rename(target, backup)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
