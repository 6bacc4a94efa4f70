"""Resolving what a caller names (files, folders, glob patterns) into a fixed list of files.

Holds only path resolution: a corpus resolves its paths once, at construction, so every
iteration reads the same files in the same order. Opening and decoding live elsewhere
(``_open.py``, ``_lines.py``).

Rules:

- a path that exists and is a file is taken as is;
- a folder means every regular file inside it, recursively, sorted by relative path, skipping
  hidden files and hidden folders (names starting with ``.``);
- a path that does not exist but contains ``*``, ``?`` or ``[`` is a glob pattern
  (``**`` recurses); its matches are sorted, and folders it matches are expanded as above;
- anything else that does not exist is a :class:`MissingFileError`.

Several paths keep the caller's order (each one expanded in sorted order); a file named twice
is read once, at its first place.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

from embedlayer._types import PathLike
from embedlayer.errors import CorpusError, MissingFileError

__all__ = ["PathSpec", "resolve_paths"]

PathSpec = PathLike | Sequence[PathLike]

_GLOB_CHARS = frozenset("*?[")


def _is_hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _folder_files(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        # Prune hidden folders in place so os.walk never descends into them (.git, .cache).
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            if path.is_file():
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _expand_one(spec: PathLike) -> list[Path]:
    path = Path(spec).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        files = _folder_files(path)
        if not files:
            raise CorpusError(f"corpus folder {str(path)!r} holds no (non-hidden) files")
        return files
    text = os.fspath(spec)
    if path.exists():
        raise CorpusError(f"corpus path {text!r} is neither a regular file nor a folder")
    if not _GLOB_CHARS.intersection(text):
        raise MissingFileError(f"corpus file {text!r} does not exist")
    files = []
    for match in sorted(glob.glob(os.path.expanduser(text), recursive=True)):
        m = Path(match)
        if m.is_file():
            files.append(m)
        elif m.is_dir():
            files.extend(_folder_files(m))
    if not files:
        raise CorpusError(f"glob pattern {text!r} matches no files")
    return files


def resolve_paths(paths: PathSpec) -> tuple[Path, ...]:
    """The files ``paths`` names, in a deterministic order (see the module docstring)."""
    specs: Sequence[PathLike]
    if isinstance(paths, str | os.PathLike):
        specs = [paths]
    elif isinstance(paths, bytes):
        raise CorpusError(f"corpus paths must be str or os.PathLike, got bytes {paths!r}")
    else:
        specs = list(paths)
    if not specs:
        raise CorpusError("no corpus paths given; expected a file, folder or glob pattern")
    seen: set[Path] = set()
    files: list[Path] = []
    for spec in specs:
        for path in _expand_one(spec):
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                files.append(path)
    return tuple(files)
