"""Atomic writes: a file or a whole folder is written beside its target, then renamed.

A crash, Ctrl-C or an exception inside the ``with`` block leaves the old file or folder (if
any) untouched and nothing temporary behind. Replacing an existing folder takes two renames
(old -> backup, new -> target; the backup is renamed back if the second fails), so the
target is never half written, though for an instant it may be absent.

Files and folders get the permissions a plain ``open``/``mkdir`` would give (0666/0777 minus
the user's umask): ``tempfile`` creates them private (0600/0700), and a rename keeps that.
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

__all__ = ["atomic_folder", "atomic_write", "check_replaceable", "current_umask", "fsync_file"]


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    # Elsewhere the only way is to set and restore it (a brief window other threads could see).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on success, fsync it and rename it onto ``path``."""
    if "w" not in mode:
        raise ValueError(f"atomic_write needs a write mode, got {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if hasattr(os, "fchmod"):  # mkstemp's 0600 would survive the rename
            os.fchmod(fd, 0o666 & ~current_umask())
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


def check_replaceable(target: Path, fmt: str, allowed: frozenset[str],
                      folders: frozenset[str] = frozenset()) -> None:
    """``ConfigError`` when ``atomic_folder(target, fmt=fmt, allowed=allowed, folders=folders)``
    would refuse ``target`` (a file, or a folder holding anything but files named in
    ``allowed`` and subfolders named in ``folders``): callers check it before long work, not
    only when writing."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file; {fmt} writes a folder: choose another path")
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir()
                         if not (p.name in allowed and p.is_file())
                         and not (p.name in folders and p.is_dir()))
        if foreign:
            raise ConfigError(f"refusing to replace folder {target}: it holds "
                              f"{', '.join(foreign[:5])}, which {fmt} did not write")


_check_replaceable = check_replaceable  # the former name, still imported by callers


@contextlib.contextmanager
def atomic_folder(target: Path, *, fmt: str, allowed: frozenset[str],
                  folders: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``target`` in one step.

    An existing ``target`` is replaced only if it holds nothing but files named in
    ``allowed`` and subfolders named in ``folders`` (so a mistyped path cannot wipe unrelated
    data).
    """
    target = Path(target)
    check_replaceable(target, fmt, allowed, folders)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp's 0700 would survive the rename
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
