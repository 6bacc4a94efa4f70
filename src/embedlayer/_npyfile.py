"""Plain ``.npy`` arrays: the one checked reader behind every saved folder's arrays.

What it holds: :func:`read_npy`, which loads a ``.npy`` with ``allow_pickle=False`` (loading
never runs code) and checks its dtype (and shape, when given), so every loader reports a
missing file, an object array or a foreign dtype in the same words, naming the file. What it
leaves out: writing (atomic writes: ``_atomic``) and memory-mapped reads (``vectors.io.npy``,
``train._cooccur``), which check sizes before mapping.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

from embedlayer.errors import FormatError, MissingFileError

__all__ = ["read_npy"]


def _check_size(path: Path) -> None:
    """The header's shape x itemsize must equal the bytes after it, before any allocation.

    ``np.load`` allocates what the header claims first: a 16-byte file claiming terabytes
    would be a ``MemoryError`` rather than a ``FormatError`` naming the file.
    """
    with open(path, "rb") as fh:
        try:
            version = npformat.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = npformat.read_array_header_1_0(fh)
            else:
                shape, _, dtype = npformat.read_array_header_2_0(fh)
        except ValueError as exc:
            raise FormatError(f"{path}: not a plain .npy array ({exc})") from None
        start = fh.tell()
    if dtype.hasobject:
        raise FormatError(f"{path}: holds Python objects (dtype {dtype}); expected plain numbers")
    need = math.prod(shape) * dtype.itemsize
    have = path.stat().st_size - start
    if need != have:
        raise FormatError(f"{path}: the header claims shape {shape} of {dtype} ({need:,} bytes), "
                          f"but {have:,} bytes follow it (truncated or damaged file)")


def read_npy(path: Path, dtype: type[np.generic], shape: tuple[int, ...] | None = None, *,
             missing: str = "no such file") -> np.ndarray:
    """The C-contiguous, writable array at ``path``, of ``dtype`` (and ``shape`` if given).

    ``missing`` is the message when the file does not exist.
    """
    if not path.is_file():
        raise MissingFileError(f"{path}: {missing}")
    _check_size(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise FormatError(f"{path}: not a plain .npy array ({exc})") from None
    want = np.dtype(dtype)
    if shape is None:
        if arr.dtype != want:
            raise FormatError(f"{path}: dtype {arr.dtype}, expected {want}")
    elif arr.dtype != want or arr.shape != shape:
        raise FormatError(f"{path}: expected {want} {shape}, got {arr.dtype} {arr.shape}")
    return np.ascontiguousarray(arr)
