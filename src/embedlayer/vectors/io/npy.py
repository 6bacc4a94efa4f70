"""A folder with a NumPy ``matrix.npy`` and its keys: the simplest layout other tools make.

Layout: ``<folder>/matrix.npy`` (``np.save``, a 2-D float array, never pickled) and
``<folder>/vocab.json`` (``embedlayer.vocab.save_vocab``'s JSON) — or, for folders made by
hand, ``<folder>/keys.txt`` with one UTF-8 key per line. The .npy header is read and checked
against the file size before ``np.load`` runs (which is always ``allow_pickle=False``, and
memory-mapped read-only with ``mmap``); float16/float64 matrices are converted to float32
(a copy, so not memory-mapped). A matrix read into memory is checked to be finite unless
``allow_nonfinite``; a memory-mapped one is not scanned (that would read every page).
What it leaves out: checksums (the native format has them).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from embedlayer.errors import MissingFileError
from embedlayer.vectors.io._folder import atomic_folder
from embedlayer.vectors.io._limits import check_finite, decode_keys, fail
from embedlayer.vectors.io._vocab import make_vocab, parse_vocab_json
from embedlayer.vectors.io.formats import UnicodeErrors
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import save_vocab

__all__ = ["KEYS_TXT", "MATRIX_FILE", "VOCAB_FILE", "read_npy", "read_npy_header", "write_npy"]

MATRIX_FILE = "matrix.npy"
VOCAB_FILE = "vocab.json"
KEYS_TXT = "keys.txt"
_HEADER_MAX = 1 << 16
_CHECK_ROWS = 1 << 14


def read_npy_header(path: Path) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """(dtype, shape, fortran_order, data offset) of a .npy file, checked against its size."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=_HEADER_MAX)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=_HEADER_MAX)
            else:
                raise ValueError(f"version {version} is not read (np.save writes 1.0 or 2.0)")
        except Exception as exc:  # numpy's header parser raises many types (even TokenError)
            raise fail(path, f"not a valid .npy header ({str(exc).splitlines()[0][:120]})",
                       where="byte 0") from None
        offset = fh.tell()
    if dtype.hasobject or dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
        raise fail(path, f"dtype {dtype} is not a float16/32/64 matrix (objects are never "
                         f"unpickled)")
    if len(shape) != 2:
        raise fail(path, f"shape {shape} is not 2-D (rows, dim)")
    if shape[1] < 1:
        raise fail(path, f"shape {shape}: dimension must be >= 1")
    needed = math.prod(shape) * dtype.itemsize
    if offset + needed != size:
        raise fail(path, f"shape {shape} of {dtype} needs {needed:,} bytes after the "
                         f"{offset}-byte header, but the file holds {size - offset:,}; it is "
                         f"truncated or the header is wrong")
    return dtype, shape, fortran, offset


def _folder(path: Path) -> tuple[Path, Path]:
    if path.is_dir():
        return path, path / MATRIX_FILE
    return path.parent, path


def _read_keys(folder: Path, unicode_errors: UnicodeErrors,
               encoding: str) -> tuple[Path, list[str], dict]:
    vocab_path, txt_path = folder / VOCAB_FILE, folder / KEYS_TXT
    if vocab_path.is_file():
        tokens, counts, specials, unk = parse_vocab_json(vocab_path, vocab_path.read_bytes())
        return vocab_path, tokens, {"counts": counts, "specials": specials, "unk_token": unk}
    if txt_path.is_file():
        raw = txt_path.read_bytes().split(b"\n")
        if raw and raw[-1] == b"":
            raw.pop()
        raw = [line[:-1] if line.endswith(b"\r") else line for line in raw]
        keys = decode_keys(txt_path, raw, unicode_errors, lambda i: f"line {i + 1}",
                           encoding=encoding)
        return txt_path, keys, {}
    raise fail(folder, f"no keys for {MATRIX_FILE}: expected {VOCAB_FILE} or {KEYS_TXT} beside it")


def read_npy(
    path: Path, *, limit: int | None = None, mmap: bool = True,
    unicode_errors: UnicodeErrors = "strict", allow_nonfinite: bool = False,
    encoding: str = "utf-8",
) -> Vectors:
    """Load ``matrix.npy`` and its keys (``path``: the folder or the .npy file)."""
    folder, matrix_path = _folder(path)
    if not matrix_path.is_file():
        if not folder.exists():
            raise MissingFileError(f"{folder}: no such folder")
        raise fail(folder, f"{MATRIX_FILE} is missing")
    dtype, shape, _, _ = read_npy_header(matrix_path)
    keys_path, keys, extra = _read_keys(folder, unicode_errors, encoding)
    if len(keys) != shape[0]:
        raise fail(keys_path, f"{len(keys):,} keys for the {shape[0]:,} rows of {MATRIX_FILE}")
    rows = shape[0] if limit is None else min(shape[0], limit)
    keep_map = mmap and dtype == np.dtype("<f4") and rows > 0
    try:
        loaded = np.load(matrix_path, allow_pickle=False,
                         mmap_mode="r" if (keep_map or rows < shape[0]) else None)
    except (ValueError, OSError) as exc:  # pragma: no cover - the header was checked
        raise fail(matrix_path, f"cannot be loaded ({exc})") from None
    matrix = loaded[:rows]
    if not keep_map:
        matrix = np.array(matrix, dtype=np.float32)  # our copy: float32, in memory
        matrix.setflags(write=False)
    for start in range(0, 0 if keep_map else rows, _CHECK_ROWS):  # a map stays unread
        check_finite(matrix_path, np.asarray(matrix[start:start + _CHECK_ROWS]),
                     lambda i, s=start: f"row {s + i + 1}", allow=allow_nonfinite)
    if rows < shape[0]:
        keys = keys[:rows]
        if extra.get("counts") is not None:
            extra["counts"] = extra["counts"][:rows]
        if "specials" in extra:
            extra["specials"] = extra["specials"][:rows]
    vocab = make_vocab(keys_path, keys, lambda i: f"key {i + 1}", **extra)
    return Vectors(vocab, matrix)


def write_npy(vectors, path: Path) -> Path:
    """Write the folder ``path``: ``matrix.npy`` (float32) and ``vocab.json``."""
    with atomic_folder(path, fmt="npy") as tmp:
        with open(tmp / MATRIX_FILE, "wb") as fh:
            np.save(fh, np.asarray(vectors.matrix, dtype="<f4"), allow_pickle=False)
        save_vocab(vectors.vocab, tmp / VOCAB_FILE)
    return path
