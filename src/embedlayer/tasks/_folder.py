"""What the task models' saved folders share: file digests recorded in and checked against
``config.json``, and the vocabulary that also covers the words of pretrained vectors.

What it holds: :func:`file_digest` (size and sha256 of a file), :func:`check_digests` (a
``FormatError`` naming the file that is truncated, replaced or damaged), and
:func:`with_vector_words` (a vocabulary extended by the words of a ``VectorStore``). Used by
``tasks.classify`` and ``tasks.tag``. What it leaves out: each model's own fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from embedlayer.data._hashing import sha256_file
from embedlayer.errors import FormatError, MissingFileError
from embedlayer.vectors.base import VectorStore
from embedlayer.vocab import UNK, Vocab

__all__ = ["check_digests", "file_digest", "with_vector_words"]


def file_digest(path: Path) -> dict[str, Any]:
    """``{"size": bytes, "sha256": hex}`` of the file at ``path``."""
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}


def check_digests(folder: Path, files: Any, hashed: Sequence[str], *,
                  meta: str = "config.json") -> None:
    """Check each file named in ``hashed`` against the ``files`` record of ``meta``."""
    where = folder / meta
    if not isinstance(files, dict):
        raise FormatError(f"{where}: field 'files' must map file names to their size and "
                          f"sha256, got {files!r}")
    for name in hashed:
        entry = files.get(name)
        if not (isinstance(entry, dict) and isinstance(entry.get("size"), int)
                and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64):
            raise FormatError(f"{where}: field 'files' needs {{'size', 'sha256'}} for {name}, "
                              f"got {entry!r}")
        if not (folder / name).is_file():
            raise MissingFileError(f"{folder / name}: missing (listed in {meta})")
        got = file_digest(folder / name)
        if got["size"] != entry["size"]:
            raise FormatError(f"{folder / name}: {got['size']:,} bytes, but {meta} "
                              f"records {entry['size']:,}; the file is truncated or was "
                              "replaced")
        if got["sha256"] != entry["sha256"]:
            raise FormatError(f"{folder / name}: sha256 {got['sha256'][:16]}... differs from "
                              f"{entry['sha256'][:16]}... recorded in {meta}; the file is "
                              "damaged or was changed")


def with_vector_words(vocab: Vocab, vectors: VectorStore,
                      key: Callable[[str], str] | None = None) -> Vocab:
    """``vocab`` followed by the vectors' words it lacks (count 0), in the vectors' order.

    ``key`` maps a vector's word to the vocabulary's form (a tagger's lower-casing); words
    that come out the same are added once. Words that never occur in training keep their
    pretrained rows (they get no gradient), so a test word unseen in training still has its
    vector instead of ``<unk>``'s.
    """
    seen = set(vocab.tokens)
    extra = []
    for word in vectors.vocab.tokens:
        form = word if key is None else key(word)
        if form and form not in seen:
            seen.add(form)
            extra.append(form)
    return Vocab([*vocab.tokens, *extra], [*vocab.counts.tolist(), *([0] * len(extra))],
                 specials=vocab.specials, unk_token=UNK)
