"""Saved training state, shared by the trainers: checkpoints and whole models, one writer, one
checked reader.

What it holds: :func:`write_state` (a folder of a JSON document — ``checkpoint.json`` or
``model.json`` —, ``vocab.json``, optionally ``counts.json`` (every type counted, for
extending the vocabulary later) and ``.npy`` arrays, replaced atomically so a crash leaves the
previous folder whole; the JSON lists each array's file size and sha256) and
:func:`read_state` (the JSON's format, version and required fields checked, every array's
size and sha256 checked, then loaded with ``allow_pickle=False``; each problem named).
Nothing is pickled. Each trainer chooses its format name, its arrays and its JSON fields.
What it leaves out: what a position means and how training resumes (the trainers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer._atomic import atomic_folder, check_replaceable
from embedlayer._jsondoc import read_json_doc
from embedlayer._npyfile import read_npy
from embedlayer.errors import FormatError
from embedlayer.vocab import TokenCounter, Vocab, load_vocab
from embedlayer.vocab.io import load_counter, save_counter, save_vocab

__all__ = ["SavedState", "check_state_target", "file_sha256", "read_state", "write_state"]

_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "int32": np.int32}


@dataclass
class SavedState:
    meta: dict[str, Any]  # the JSON document
    vocab: Vocab
    arrays: dict[str, np.ndarray]  # writable, C-contiguous
    counter: TokenCounter | None  # every type counted, when it was saved


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _state_files(doc: str, arrays: Iterable[str]) -> frozenset[str]:
    return frozenset({doc, "vocab.json", "counts.json", *(f"{k}.npy" for k in arrays)})


def check_state_target(folder: Path, *, what: str, doc: str, arrays: Iterable[str]) -> None:
    """``ConfigError`` now when :func:`write_state` would refuse to replace ``folder`` (a
    file, or a folder holding files it did not write): checked before training."""
    check_replaceable(Path(folder), what, _state_files(doc, arrays))


def write_state(
    folder: Path, *, what: str, doc: str, meta: Mapping[str, Any], vocab: Vocab,
    arrays: Mapping[str, np.ndarray], counter: TokenCounter | None = None,
) -> Path:
    """Replace ``folder`` with ``doc`` (``meta`` plus an ``arrays`` table of file sizes and
    sha256), ``vocab.json``, ``counts.json`` (if ``counter``) and ``<name>.npy`` per array;
    ``what`` names the folder in errors ("a GloVe checkpoint")."""
    folder = Path(folder)
    with atomic_folder(folder, fmt=what, allowed=_state_files(doc, arrays)) as tmp:
        table = {}
        for name, arr in arrays.items():
            path = tmp / f"{name}.npy"
            np.save(path, np.ascontiguousarray(arr), allow_pickle=False)
            table[name] = {"dtype": str(arr.dtype), "shape": list(arr.shape),
                           "size": path.stat().st_size, "sha256": file_sha256(path)}
        save_vocab(vocab, tmp / "vocab.json")
        if counter is not None:
            save_counter(counter, tmp / "counts.json")
        (tmp / doc).write_text(json.dumps({**meta, "arrays": table}), encoding="utf-8")
    return folder


def read_state(
    folder: Path, *, doc: str, fmt: str, version: int, required: Iterable[str],
    missing: str,
) -> SavedState:
    """Read what :func:`write_state` wrote, every array checked against its size and sha256."""
    folder = Path(folder)
    meta = read_json_doc(folder / doc, fmt=fmt, version=version,
                         required=("arrays", *required), missing=missing)
    table = meta["arrays"]
    if not isinstance(table, dict):
        raise FormatError(f"{folder / doc}: field 'arrays' must be an object, got {table!r}")
    arrays = {}
    for name, entry in table.items():
        path = folder / f"{name}.npy"
        try:
            dtype = _DTYPES[entry["dtype"]]
            shape = tuple(int(n) for n in entry["shape"])
            size, sha = int(entry["size"]), str(entry["sha256"])
        except (KeyError, TypeError, ValueError):
            raise FormatError(f"{folder / doc}: array {name!r} needs dtype (one of "
                              f"{sorted(_DTYPES)}), shape, size and sha256, got {entry!r}") from None
        if path.is_file() and path.stat().st_size != size:
            raise FormatError(f"{path}: {path.stat().st_size:,} bytes, expected {size:,} "
                              f"(truncated or replaced)")
        if path.is_file() and file_sha256(path) != sha:
            raise FormatError(f"{path}: sha256 differs from the one recorded in {doc} "
                              f"(the file is corrupt or was changed)")
        arrays[name] = read_npy(path, dtype, shape)
    vocab = load_vocab(folder / "vocab.json")
    counts = folder / "counts.json"
    counter = load_counter(counts) if counts.is_file() else None
    return SavedState(meta, vocab, arrays, counter)
