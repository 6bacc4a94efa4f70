"""embedlayer's own format: a folder with the matrix as safetensors, the keys and a manifest.

Layout (``format_version`` 1)::

    <folder>/vectors.safetensors   one tensor "vectors", float32 little-endian, (N, D)
    <folder>/keys.json             the vocabulary, as ``embedlayer.vocab.save_vocab`` writes it
                                   (keys in row order, counts, special tokens)
    <folder>/meta.json             {"format": "embedlayer.vectors", "format_version": 1,
                                    "shape": [N, D], "dtype": "float32",
                                    "files": {name: {"size": bytes, "sha256": hex}}}

Loading reads the safetensors header by hand (``_safetensors.py``) and memory-maps the data
region read-only at its offset: no copy, no code from the file, and a load costs O(keys)
rather than O(N x D). ``verify`` chooses what is checked against meta.json: "metadata"
(keys.json's checksum, both sizes, the header against the shape; the default with
``mmap``), "full" (also the matrix file's sha256 and that every value is finite; the
default without ``mmap``) or "none". Writing goes to a temporary folder that replaces the
target in one step (``_folder.py``). What it leaves out: other containers (``npy.py``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer import __version__
from embedlayer._progress import progress_bar
from embedlayer.data._hashing import sha256_file
from embedlayer.errors import MissingFileError
from embedlayer.vectors.io._folder import atomic_folder
from embedlayer.vectors.io._limits import check_finite, fail, show_progress
from embedlayer.vectors.io._safetensors import header_bytes, read_header
from embedlayer.vectors.io._text import PROGRESS_BYTES
from embedlayer.vectors.io._vocab import make_vocab, parse_json, parse_vocab_json
from embedlayer.vectors.io.formats import VerifyMode
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import Vocab, save_vocab

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "KEYS_FILE",
    "MATRIX_FILE",
    "META_FILE",
    "native_folder",
    "read_native",
    "write_native",
]

FORMAT_NAME = "embedlayer.vectors"
FORMAT_VERSION = 1
MATRIX_FILE = "vectors.safetensors"
KEYS_FILE = "keys.json"
META_FILE = "meta.json"
TENSOR = "vectors"
_META_LIMIT = 1 << 20  # meta.json is a few hundred bytes
_WRITE_ROWS = 1 << 14


def native_folder(path: Path) -> Path:
    """The folder, also when ``path`` names one of its files."""
    if path.name in (MATRIX_FILE, KEYS_FILE, META_FILE) and not path.is_dir():
        return path.parent
    return path


# --- writing ------------------------------------------------------------------------------
def _write_matrix(matrix: np.ndarray, target: Path, *, name: str) -> dict[str, Any]:
    n, dim = matrix.shape
    head = header_bytes({TENSOR: ("F32", (n, dim))}, {"format": FORMAT_NAME})
    digest = hashlib.sha256(head)
    with open(target, "wb") as fh, progress_bar(
        total=n, desc=f"writing {name}", unit="row",
        enabled=show_progress(n * dim * 4 >= PROGRESS_BYTES),
    ) as bar:
        fh.write(head)
        for start in range(0, n, _WRITE_ROWS):
            block = np.ascontiguousarray(matrix[start:start + _WRITE_ROWS], dtype="<f4")
            fh.write(block.data)
            digest.update(block.data)
            bar.update(len(block))
    return {"size": target.stat().st_size, "sha256": digest.hexdigest()}


def write_native(vectors, path: Path) -> Path:
    """Write the folder ``path`` (replacing an existing vectors folder in one step)."""
    matrix = vectors.matrix
    with atomic_folder(path, fmt="native") as tmp:
        files = {MATRIX_FILE: _write_matrix(matrix, tmp / MATRIX_FILE, name=path.name)}
        save_vocab(vectors.vocab, tmp / KEYS_FILE)
        raw = (tmp / KEYS_FILE).read_bytes()
        files[KEYS_FILE] = {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
        meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "shape": list(matrix.shape), "dtype": "float32", "files": files,
                "created_by": f"embedlayer {__version__}"}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


# --- reading ------------------------------------------------------------------------------
def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    if not folder.exists():
        raise MissingFileError(f"{folder}: no such folder")
    if not path.is_file():
        raise fail(folder, f"not a native vectors folder: {META_FILE} is missing")
    if path.stat().st_size > _META_LIMIT:
        raise fail(path, f"{path.stat().st_size:,} bytes; a manifest is a few hundred")
    meta = parse_json(path, path.read_bytes())
    if not isinstance(meta, dict):
        raise fail(path, "expected a JSON object")
    if meta.get("format") == "embedlayer.compressed":
        raise fail(folder, "a compressed vectors folder (written by embedlayer compress): load "
                           "it with embedlayer.compress.load_compressed; the command line "
                           "reads it directly")
    if meta.get("format") != FORMAT_NAME:
        raise fail(path, f"field 'format' is {meta.get('format')!r}, expected {FORMAT_NAME!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise fail(path, f"field 'format_version' is {meta.get('format_version')!r}; this "
                         f"embedlayer reads version {FORMAT_VERSION}")
    shape = meta.get("shape")
    if not (isinstance(shape, list) and len(shape) == 2 and all(map(_is_count, shape))
            and shape[1] >= 1):
        raise fail(path, f"field 'shape' is {shape!r}, expected [rows >= 0, dim >= 1]")
    if meta.get("dtype") != "float32":
        raise fail(path, f"field 'dtype' is {meta.get('dtype')!r}, expected 'float32'")
    files = meta.get("files")
    for name in (MATRIX_FILE, KEYS_FILE):
        entry = files.get(name) if isinstance(files, dict) else None
        if not (isinstance(entry, dict) and _is_count(entry.get("size"))
                and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64):
            raise fail(path, f"field 'files' needs {{'size', 'sha256'}} for {name}, got {entry!r}")
    return meta


def _check_size(path: Path, actual: int, expected: dict[str, Any]) -> None:
    if actual != expected["size"]:
        raise fail(path, f"{actual:,} bytes, but {META_FILE} records {expected['size']:,}; the "
                         f"file was changed, truncated or replaced")


def _check_digest(path: Path, digest: str, expected: dict[str, Any]) -> None:
    if digest != expected["sha256"]:
        raise fail(path, f"sha256 {digest[:16]}... differs from {expected['sha256'][:16]}... "
                         f"recorded in {META_FILE}; the file was changed or damaged")


def read_native(
    path: Path, *, limit: int | None = None, mmap: bool = True, verify: VerifyMode | None = None,
    allow_nonfinite: bool = False,
) -> Vectors:
    """Load a native folder (``path`` may also name one of its three files)."""
    folder = native_folder(path)
    mode: VerifyMode = verify or ("metadata" if mmap else "full")
    meta = _read_meta(folder)
    rows_total, dim = meta["shape"]
    files = meta["files"]

    keys_path = folder / KEYS_FILE
    if not keys_path.is_file():
        raise fail(folder, f"{KEYS_FILE} is missing")
    if mode != "none":
        _check_size(keys_path, keys_path.stat().st_size, files[KEYS_FILE])
    raw = keys_path.read_bytes()
    if mode != "none":
        _check_digest(keys_path, hashlib.sha256(raw).hexdigest(), files[KEYS_FILE])
    rows = rows_total if limit is None else min(rows_total, limit)

    def load_keys() -> Vocab:
        tokens, counts, specials, unk = parse_vocab_json(keys_path, raw)
        if len(tokens) != rows_total:
            raise fail(keys_path, f"{len(tokens):,} keys, but {META_FILE} gives {rows_total:,} rows")
        if rows < rows_total:
            tokens = tokens[:rows]
            counts = None if counts is None else counts[:rows]
            specials = specials[:rows]
        return make_vocab(keys_path, tokens, lambda i: f"key {i + 1}", counts=counts,
                          specials=specials, unk_token=unk)

    # Keys whose checksum matched were written by save_vectors: parsing them (tens of ms for
    # 200k keys) waits for the first lookup. Unverified keys are parsed now, so a bad file
    # fails at load time.
    vocab = Vocab.deferred(rows, load_keys) if mode != "none" else load_keys()

    matrix_path = folder / MATRIX_FILE
    if not matrix_path.is_file():
        raise fail(folder, f"{MATRIX_FILE} is missing")
    size = matrix_path.stat().st_size
    if mode != "none":
        _check_size(matrix_path, size, files[MATRIX_FILE])
    with open(matrix_path, "rb") as fh:
        tensors, _ = read_header(matrix_path, fh, size)
        info = tensors.get(TENSOR)
        if info is None:
            raise fail(matrix_path, f"no tensor named {TENSOR!r} (found {sorted(tensors)})")
        if info.dtype != "F32" or info.shape != (rows_total, dim):
            raise fail(matrix_path, f"tensor {TENSOR!r} is {info.dtype} {list(info.shape)}, but "
                                    f"{META_FILE} gives F32 {[rows_total, dim]}")
        if mode == "full":
            _check_digest(matrix_path, sha256_file(matrix_path), files[MATRIX_FILE])
        if mmap and rows > 0:
            matrix = np.memmap(matrix_path, dtype="<f4", mode="r", offset=info.offset,
                               shape=(rows, dim))
        else:
            fh.seek(info.offset)
            matrix = np.fromfile(fh, dtype="<f4", count=rows * dim).reshape(rows, dim)
            matrix.setflags(write=False)
    if mode == "full":
        for start in range(0, rows, _WRITE_ROWS):
            check_finite(matrix_path, np.asarray(matrix[start:start + _WRITE_ROWS]),
                         lambda i, s=start: f"row {s + i + 1}", allow=allow_nonfinite)
    return Vectors(vocab, matrix)
