"""Stanford GloVe's text format: "key v1 ... vD" lines and no header.

The dimension is the number of values on the first line; every other line must have as
many. The rows are counted first (a fast pass counting line breaks), so the matrix is
allocated once, at its final size. Blank lines at the end of the file are ignored; a blank
line in the middle is an error. A first line that looks like a word2vec header ("N D") is
refused with a hint to read the file as word2vec, unless line 2 is also a one-value row. What it leaves
out: files with a header (``word2vec.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embedlayer._atomic import atomic_write
from embedlayer._progress import progress_bar
from embedlayer.vectors.io._limits import (
    check_rows_fit,
    check_shape,
    decode_keys,
    encode_keys,
    fail,
    show_progress,
)
from embedlayer.vectors.io._text import (
    PROGRESS_BYTES,
    UTF8_BOM,
    count_rows,
    iter_line_blocks,
    parse_block,
    write_rows,
)
from embedlayer.vectors.io._vocab import keyed_vectors
from embedlayer.vectors.io.formats import UnicodeErrors
from embedlayer.vectors.io.word2vec import parse_header
from embedlayer.vectors.vectors import Vectors

__all__ = ["read_glove", "write_glove"]

_FIRST_LINE_MAX = 16 << 20  # a first line longer than 16 MiB is not a row of a vectors file


def _dimension(path: Path, offset: int) -> int:
    with open(path, "rb") as fh:
        fh.seek(offset)
        first = fh.readline(_FIRST_LINE_MAX)
        second = fh.readline(_FIRST_LINE_MAX)
    if not first.strip():
        raise fail(path, "empty file" if not first else "the first line is blank; expected "
                         "'key v1 ... vD'", where="line 1")
    key, _, rest = first.partition(b" ")
    dim = len(rest.split())
    if dim == 0:
        raise fail(path, f"no values after the key {key[:40]!r}; expected 'key v1 ... vD'",
                   where="line 1")
    header = parse_header(first + (b"" if first.endswith(b"\n") else b"\n"))
    # "N D" could be a 1-dimensional row with a numeric key, but only if line 2 is one too.
    if header is not None and len(second.split()) != 2:
        raise fail(path, f"{first.strip().decode()!r} is a word2vec header (rows and "
                         f"dimension), not a GloVe row; read the file as 'word2vec-text' or "
                         f"'word2vec-binary' (or let the format be detected)", where="line 1")
    check_shape(path, 0, dim, where="line 1", source="first line")
    return dim


def read_glove(
    path: Path, *, limit: int | None = None, unicode_errors: UnicodeErrors = "strict",
    allow_nonfinite: bool = False, encoding: str = "utf-8",
) -> Vectors:
    """Read GloVe text: no header, D = the number of values on the first line."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        start = len(UTF8_BOM) if fh.read(3) == UTF8_BOM else 0
    dim = _dimension(path, start)
    rows = count_rows(path)
    if limit is not None:
        rows = min(rows, limit)
    # Every row holds a key and D values: at least 1 + 2D bytes. A long first line over a
    # file of short lines would otherwise allocate rows x D floats before failing.
    check_rows_fit(path, rows=rows, dim=dim, available=size - start + 1, min_row_bytes=2 + 2 * dim,
                   where="line 1", source="one per line, with line 1's dimension",
                   blame="first line")
    out = np.empty((rows, dim), dtype=np.float32)
    raw_keys: list[bytes] = []
    done = 0
    dim_source = "the number of values on line 1"
    with open(path, "rb") as fh, progress_bar(total=size, desc=f"reading {path.name}", unit="B",
                                              enabled=show_progress(size >= PROGRESS_BYTES)) as bar:
        fh.seek(start)
        for first_line, lines in iter_line_blocks(path, fh, first_line=1, progress=bar):
            take = lines[: rows - done]
            if take:
                block = parse_block(path, take, first_line=first_line, dim=dim,
                                    dim_source=dim_source, keyed=True,
                                    allow_nonfinite=allow_nonfinite)
                out[done:done + len(take)] = block.values
                assert block.keys is not None
                raw_keys.extend(block.keys)
                done += len(take)
            if done == rows:
                break
    if done != rows:  # pragma: no cover - the file changed while it was read
        raise fail(path, f"expected {rows:,} rows, read {done:,}; was the file changed meanwhile?")
    keys = decode_keys(path, raw_keys, unicode_errors, lambda i: f"line {i + 1}",
                       encoding=encoding)
    return keyed_vectors(path, keys, out, lambda i: f"line {i + 1}")


def write_glove(vectors, path: Path, *, encoding: str = "utf-8") -> Path:
    """ "key v1 ... vD" lines without a header (9 significant digits: float32-exact)."""
    keys = encode_keys(vectors.vocab.tokens, "glove", forbidden=" \n", encoding=encoding)
    with atomic_write(path, "wb") as fh:
        write_rows(fh, vectors.matrix, keys=keys, desc=f"writing {path.name}")
    return path

