"""Checkpoint folders shared by the trainers: one atomic write, one checked read.

What it holds: :func:`write_checkpoint` (a folder of ``checkpoint.json``, ``vocab.json`` and
``.npy`` arrays, replaced atomically so a crash leaves the previous checkpoint whole),
:func:`read_checkpoint_meta` (the JSON, its format, version and required fields checked, each
problem named) and :func:`load_array` (a plain float32 ``.npy`` of the expected shape, never
pickled). Each trainer chooses its format name, its arrays and the fields of its JSON.
What it leaves out: what a position means and how training resumes (the trainers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer._atomic import atomic_folder
from embedlayer._jsondoc import read_json_doc
from embedlayer._npyfile import read_npy
from embedlayer.vocab import Vocab, save_vocab

__all__ = ["load_array", "read_checkpoint_meta", "write_checkpoint"]


def write_checkpoint(
    folder: Path, *, what: str, meta: Mapping[str, Any], vocab: Vocab,
    arrays: Mapping[str, np.ndarray],
) -> None:
    """Replace ``folder`` with ``checkpoint.json`` (``meta``), ``vocab.json`` and
    ``<name>.npy`` for each array; ``what`` names the folder in errors ("a GloVe checkpoint")."""
    allowed = frozenset({"checkpoint.json", "vocab.json", *(f"{k}.npy" for k in arrays)})
    with atomic_folder(folder, fmt=what, allowed=allowed) as tmp:
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        save_vocab(vocab, tmp / "vocab.json")
        (tmp / "checkpoint.json").write_text(json.dumps(dict(meta)), encoding="utf-8")


def read_checkpoint_meta(
    folder: Path, *, fmt: str, version: int, required: Iterable[str],
) -> dict[str, Any]:
    """``folder/checkpoint.json``, checked: format ``fmt``, ``version``, the ``required`` keys."""
    return read_json_doc(folder / "checkpoint.json", fmt=fmt, version=version,
                         required=required, missing="no checkpoint here")


def load_array(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 array of ``shape`` from a plain ``.npy`` (``allow_pickle=False``), writable."""
    return read_npy(path, np.float32, shape)
