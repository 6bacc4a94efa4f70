"""Plain ``.npy`` arrays: the one checked reader behind every saved folder's arrays.

What it holds: :func:`read_npy`, which loads a ``.npy`` with ``allow_pickle=False`` (loading
never runs code) and checks its dtype (and shape, when given), so every loader reports a
missing file, an object array or a foreign dtype in the same words, naming the file. What it
leaves out: writing (atomic writes: ``_atomic``) and memory-mapped reads (``vectors.io.npy``,
``train._cooccur``), which check sizes before mapping.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedlayer.errors import FormatError, MissingFileError

__all__ = ["read_npy"]


def read_npy(path: Path, dtype: type[np.generic], shape: tuple[int, ...] | None = None, *,
             missing: str = "no such file") -> np.ndarray:
    """The C-contiguous, writable array at ``path``, of ``dtype`` (and ``shape`` if given).

    ``missing`` is the message when the file does not exist.
    """
    if not path.is_file():
        raise MissingFileError(f"{path}: {missing}")
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
