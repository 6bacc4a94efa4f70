"""TensorBoard embedding projector files: ``vectors.tsv`` and ``metadata.tsv`` in a folder.

``vectors.tsv`` holds one row of D tab-separated numbers per line, no key and no header;
``metadata.tsv`` holds the keys in the same order, one per line (a single column, so
TensorBoard expects no header row). Reading also accepts a multi-column metadata.tsv, whose
first line is then a header and whose first column holds the keys. Keys holding a tab or a
line break cannot be written. What it leaves out: the projector's config file and sprites.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.errors import MissingFileError
from embedlayer.vectors.io._folder import atomic_folder
from embedlayer.vectors.io._limits import (
    check_rows_fit,
    decode_keys,
    encode_keys,
    fail,
    show_progress,
)
from embedlayer.vectors.io._text import (
    PROGRESS_BYTES,
    count_rows,
    iter_line_blocks,
    parse_block,
    write_rows,
)
from embedlayer.vectors.io._vocab import keyed_vectors
from embedlayer.vectors.io.formats import UnicodeErrors
from embedlayer.vectors.vectors import Vectors

__all__ = ["METADATA_FILE", "VECTORS_FILE", "read_projector", "write_projector"]

VECTORS_FILE = "vectors.tsv"
METADATA_FILE = "metadata.tsv"
_FIRST_LINE_MAX = 16 << 20


def _paths(path: Path) -> tuple[Path, Path]:
    folder = path if path.is_dir() else path.parent
    vectors = path if path.is_file() and path.name != METADATA_FILE else folder / VECTORS_FILE
    return vectors, folder / METADATA_FILE


def _read_metadata(path: Path, unicode_errors: UnicodeErrors,
                   encoding: str) -> tuple[list[str], int]:
    """The keys and the line number of the first one."""
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    first = 1
    if lines and b"\t" in lines[0]:  # several columns: a header row, keys in the first column
        lines = [line.split(b"\t", 1)[0] for line in lines[1:]]
        first = 2
    keys = decode_keys(path, lines, unicode_errors, lambda i: f"line {i + first}",
                       encoding=encoding)
    return keys, first


def read_projector(
    path: Path, *, limit: int | None = None, unicode_errors: UnicodeErrors = "strict",
    allow_nonfinite: bool = False, encoding: str = "utf-8",
) -> Vectors:
    """Load ``vectors.tsv`` + ``metadata.tsv`` (``path``: their folder or vectors.tsv)."""
    vectors_path, metadata_path = _paths(path)
    for p in (vectors_path, metadata_path):
        if not p.is_file():
            if not p.parent.exists():
                raise MissingFileError(f"{p.parent}: no such folder")
            raise fail(p.parent, f"{p.name} is missing (the projector format needs {VECTORS_FILE} "
                                 f"and {METADATA_FILE})")
    keys, first_key_line = _read_metadata(metadata_path, unicode_errors, encoding)
    with open(vectors_path, "rb") as fh:
        first = fh.readline(_FIRST_LINE_MAX)
    dim = len(first.split())
    if dim == 0:
        raise fail(vectors_path, "empty file" if not first else "the first line holds no values",
                   where="line 1")
    size = vectors_path.stat().st_size
    rows = count_rows(vectors_path)
    if rows != len(keys):
        raise fail(metadata_path, f"{len(keys):,} keys for the {rows:,} rows of {VECTORS_FILE}")
    if limit is not None:
        rows = min(rows, limit)
    check_rows_fit(vectors_path, rows=rows, dim=dim, available=size + 1, min_row_bytes=2 * dim,
                   where="line 1", source="one per line, with line 1's dimension",
                   blame="first line")
    out = np.empty((rows, dim), dtype=np.float32)
    done = 0
    with open(vectors_path, "rb") as fh, progress_bar(
        total=size, desc=f"reading {vectors_path.name}", unit="B", enabled=show_progress(size >= PROGRESS_BYTES),
    ) as bar:
        for first_line, lines in iter_line_blocks(vectors_path, fh, first_line=1, progress=bar):
            take = lines[: rows - done]
            if take:
                block = parse_block(vectors_path, take, first_line=first_line, dim=dim,
                                    dim_source="the number of values on line 1", keyed=False,
                                    allow_nonfinite=allow_nonfinite)
                out[done:done + len(take)] = block.values
                done += len(take)
            if done == rows:
                break
    return keyed_vectors(metadata_path, keys[:rows], out, lambda i: f"line {i + first_key_line}")


def write_projector(vectors, path: Path, *, encoding: str = "utf-8") -> Path:
    """Write the folder ``path``: ``vectors.tsv`` and a one-column ``metadata.tsv``."""
    keys = encode_keys(vectors.vocab.tokens, "projector-tsv", forbidden="\t\n\r",
                       encoding=encoding)
    with atomic_folder(path, fmt="projector-tsv") as tmp:
        with open(tmp / VECTORS_FILE, "wb") as fh:
            write_rows(fh, vectors.matrix, keys=None, sep=b"\t", desc=f"writing {VECTORS_FILE}")
        with open(tmp / METADATA_FILE, "wb") as fh:
            fh.write(b"".join(k + b"\n" for k in keys))
    return path
