"""Atomic writes: a file or a whole folder is written beside its target, then renamed.

A crash, Ctrl-C or an exception inside the ``with`` block leaves the old file or folder (if
any) untouched and nothing temporary behind. Replacing an existing folder takes two renames
(old -> backup, new -> target; the backup is renamed back if the second fails), so the
target is never half written, though for an instant it may be absent.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError

__all__ = ["atomic_folder", "atomic_write", "fsync_file"]


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on success, fsync it and rename it onto ``path``."""
    if "w" not in mode:
        raise ValueError(f"atomic_write needs a write mode, got {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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


def _check_replaceable(target: Path, fmt: str, allowed: frozenset[str]) -> None:
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file; {fmt} writes a folder: choose another path")
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir()
                         if p.name not in allowed or not p.is_file())
        if foreign:
            raise ConfigError(f"refusing to replace folder {target}: it holds "
                              f"{', '.join(foreign[:5])}, which {fmt} did not write")


@contextlib.contextmanager
def atomic_folder(target: Path, *, fmt: str, allowed: frozenset[str]) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``target`` in one step.

    An existing ``target`` is replaced only if it holds nothing but files named in
    ``allowed`` (so a mistyped path cannot wipe unrelated data).
    """
    target = Path(target)
    _check_replaceable(target, fmt, allowed)
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
