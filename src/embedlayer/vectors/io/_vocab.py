"""Keys read from a file -> ``Vocab`` -> ``Vectors``, with errors that point into the file.

What it holds: the one place every reader turns decoded keys and a float32 matrix into a
``Vectors`` (the matrix is handed over read-only, so ``Vectors`` keeps it without a copy);
a bad key (empty, duplicated) becomes a ``FormatError`` naming the line or byte offset.
Also the parser of the keys file that native and npy folders share (an ``embedlayer.vocab``
JSON, as ``save_vocab`` writes it), fast enough for a memory-mapped load to stay cheap.
What it leaves out: decoding bytes (``_limits.decode_keys``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer.errors import VocabError
from embedlayer.vectors.io._limits import Locate, check_keys, fail
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import Vocab

__all__ = ["keyed_vectors", "make_vocab", "parse_json", "parse_vocab_json"]


def make_vocab(
    path: Path, keys: Sequence[str], locate: Locate, *, counts=None, specials: Sequence[str] = (),
    unk_token: str | None = None,
) -> Vocab:
    """A ``Vocab`` of ``keys`` in file order; ``FormatError`` pointing at a bad key."""
    try:
        return Vocab(keys, counts, specials=specials, unk_token=unk_token)
    except VocabError as exc:
        check_keys(path, keys, locate)  # raises with the line/offset when it is a key problem
        raise fail(path, str(exc)) from None


def keyed_vectors(path: Path, keys: Sequence[str], matrix: np.ndarray, locate: Locate, **vocab) -> Vectors:
    """``Vectors(make_vocab(keys), matrix)`` with ``matrix`` handed over read-only (no copy)."""
    if matrix.flags.writeable:
        matrix.setflags(write=False)
    return Vectors(make_vocab(path, keys, locate, **vocab), matrix)


def parse_json(path: Path, raw: bytes) -> Any:
    """JSON from bytes; ``FormatError`` (never a crash) for anything else."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise fail(path, f"not valid JSON ({type(exc).__name__}: {str(exc)[:80]})") from None


def parse_vocab_json(path: Path, raw: bytes) -> tuple[list[str], np.ndarray | None, list[str], str | None]:
    """tokens, counts (int64 or None), specials, unk_token of an ``embedlayer.vocab`` JSON."""
    doc = parse_json(path, raw)
    if not isinstance(doc, dict) or doc.get("format") != "embedlayer.vocab":
        raise fail(path, "expected an 'embedlayer.vocab' JSON object (as save_vocab writes)")
    if doc.get("format_version") != 1:
        raise fail(path, f"field 'format_version' is {doc.get('format_version')!r}, expected 1")
    tokens, counts = doc.get("tokens"), doc.get("counts")
    specials, unk = doc.get("specials", []), doc.get("unk_token")
    if not isinstance(tokens, list):
        raise fail(path, "field 'tokens' must be a list of keys in row order")
    if not (isinstance(specials, list) and all(isinstance(s, str) for s in specials)):
        raise fail(path, "field 'specials' must be a list of strings")
    if unk is not None and not isinstance(unk, str):
        raise fail(path, f"field 'unk_token' is {unk!r}, expected a string or null")
    if counts is None:
        return tokens, None, specials, unk
    try:
        arr = np.asarray(counts) if counts else np.zeros(0, dtype=np.int64)
    except (ValueError, TypeError, OverflowError):
        arr = None
    if (not isinstance(counts, list) or arr is None or arr.dtype.kind not in "iu"
            or arr.shape != (len(tokens),)):
        raise fail(path, f"field 'counts' must be a list of {len(tokens)} integers >= 0")
    return tokens, arr.astype(np.int64, copy=False), specials, unk
