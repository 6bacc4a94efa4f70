"""The word2vec C tool's formats, text and binary (and fastText's .vec, the same text layout).

Text: a header line "N D", then N lines "key v1 ... vD" (the C tool ends each with a space).
Binary: the header "N D\\n", then per row the key's UTF-8 bytes, a space, D little-endian
float32 and a "\\n" (written by the C tool, omitted by gensim: both are read, as gensim does).
Reading is strict about the file and lenient about spacing: the header is checked against
the file size before anything is allocated, every row must have D values, keys must be
unique and non-empty, NaN/Inf are refused unless ``allow_nonfinite``, and bytes left after
the N rows are an error (pass ``limit`` to read only the first rows). ``unicode_errors``
decides what happens to keys that are not valid UTF-8 (the C tool cuts long words at a
byte count). Writing is byte-compatible with the C tool. What it leaves out: GloVe (no
header, ``glove.py``) and guessing which format a file is (``detect.py``).
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path

import numpy as np

from embedlayer._atomic import atomic_write
from embedlayer._progress import progress_bar
from embedlayer.vectors.io._limits import (
    MAX_KEY_BYTES,
    check_finite,
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
    iter_line_blocks,
    parse_block,
    write_rows,
)
from embedlayer.vectors.io._vocab import keyed_vectors
from embedlayer.vectors.io.formats import UnicodeErrors
from embedlayer.vectors.vectors import Vectors

__all__ = [
    "parse_header",
    "read_word2vec_binary",
    "read_word2vec_text",
    "write_word2vec_binary",
    "write_word2vec_text",
]

_HEADER = re.compile(rb"^[ \t]*(-?\d+)[ \t]+(-?\d+)[ \t]*\r?$")
_MAX_HEADER = 128  # bytes: "N D" with generous spacing
_BINARY_BLOCK = 1 << 16  # rows copied per progress update


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def parse_header(head: bytes) -> tuple[int, int, int] | None:
    """(rows, dim, bytes the header line takes with its "\\n") if ``head`` starts with "N D"."""
    start = len(UTF8_BOM) if head.startswith(UTF8_BOM) else 0
    end = head.find(b"\n", start, start + _MAX_HEADER)
    if end < 0:
        return None
    match = _HEADER.match(head[start:end])
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), end + 1


def _header(path: Path, head: bytes, fmt: str) -> tuple[int, int, int]:
    if not head:
        raise fail(path, f"empty file; expected the {fmt} header 'N D'")
    parsed = parse_header(head)
    if parsed is None:
        first = head.split(b"\n", 1)[0][:60]
        raise fail(path, f"expected the {fmt} header 'N D' (row count and dimension), got "
                         f"{first!r}; a file without that header is GloVe (format='glove')",
                   where="line 1")
    rows, dim, _ = parsed
    check_shape(path, rows, dim, where="line 1")
    return parsed


def _trailing(path: Path, tail: bytes, *, rows: int, where: str) -> None:
    if tail.strip():
        raise fail(path, f"data continues after the {_rows(rows)} the header promises "
                         f"({tail.strip()[:30]!r}...); the header is wrong, or pass "
                         f"limit={max(rows, 1)} to read only the first rows", where=where)


# --- text ---------------------------------------------------------------------------------
def read_word2vec_text(
    path: Path, *, limit: int | None = None, unicode_errors: UnicodeErrors = "strict",
    allow_nonfinite: bool = False, fmt: str = "word2vec text", encoding: str = "utf-8",
) -> Vectors:
    """Read "N D" then "key v1 ... vD" lines (word2vec ``-binary 0``, fastText .vec)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        n, dim, header_len = _header(path, fh.read(_MAX_HEADER + len(UTF8_BOM)), fmt)
        rows = n if limit is None else min(n, limit)
        # The smallest row is "k 0 0 ... 0": a 1-byte key and D two-byte " 0" values.
        check_rows_fit(path, rows=rows, dim=dim, available=size - header_len,
                       min_row_bytes=1 + 2 * dim, where="line 1")
        fh.seek(header_len)
        out = np.empty((rows, dim), dtype=np.float32)
        raw_keys: list[bytes] = []
        done = 0
        with progress_bar(total=size, desc=f"reading {path.name}", unit="B",
                          enabled=show_progress(size >= PROGRESS_BYTES)) as bar:
            blocks = iter_line_blocks(path, fh, first_line=2, progress=bar)
            for first_line, lines in blocks:
                take = lines[: rows - done]
                if take:
                    block = parse_block(path, take, first_line=first_line, dim=dim,
                                        dim_source="the header's dimension", keyed=True,
                                        allow_nonfinite=allow_nonfinite)
                    out[done:done + len(take)] = block.values
                    assert block.keys is not None
                    raw_keys.extend(block.keys)
                    done += len(take)
                if done == rows:
                    if limit is None:
                        rest = lines[len(take):]
                        _trailing(path, b"\n".join(rest), rows=n,
                                  where=f"line {first_line + len(take)}")
                        for line_no, more in blocks:
                            _trailing(path, b"\n".join(more), rows=n, where=f"line {line_no}")
                    break
    if done < rows:
        raise fail(path, f"the file ends after {_rows(done)} but the header (line 1) promises "
                         f"{n:,}; it is truncated, or pass limit={done} to read the rows present"
                   if done else f"the header promises {n:,} rows but none follow",
                   where=f"line {done + 2}")
    keys = decode_keys(path, raw_keys, unicode_errors, lambda i: f"line {i + 2}",
                       encoding=encoding)
    return keyed_vectors(path, keys, out, lambda i: f"line {i + 2}")


def write_word2vec_text(vectors, path: Path, *, fmt: str = "word2vec-text",
                        encoding: str = "utf-8") -> Path:
    """ "N D" then "key v1 ... vD" lines, each float32 written with 9 significant digits."""
    matrix = vectors.matrix
    keys = encode_keys(vectors.vocab.tokens, fmt, forbidden=" \n", encoding=encoding)
    with atomic_write(path, "wb") as fh:
        fh.write(f"{matrix.shape[0]} {matrix.shape[1]}\n".encode("ascii"))
        write_rows(fh, matrix, keys=keys, desc=f"writing {path.name}")
    return path


# --- binary -------------------------------------------------------------------------------
def _record_error(path: Path, mm: mmap.mmap, pos: int, space: int, i: int, n: int,
                  row_bytes: int) -> None:
    """Raise the ``FormatError`` for the record at ``pos`` that the fast loop could not read."""
    size = len(mm)
    while pos < size and mm[pos] == 0x0A:  # the "\n" ending the previous record
        pos += 1
    if space < 0:
        if not mm[pos:pos + MAX_KEY_BYTES].strip():
            raise fail(path, f"the file ends after {_rows(i)} but the header promises {n:,}; "
                             f"it is truncated" + (f", or pass limit={i}" if i else ""),
                       where=f"byte {pos}")
        raise fail(path, f"row {i + 1}: no space ends the key within {MAX_KEY_BYTES:,} bytes; "
                         f"not word2vec binary, or the header's dimension is wrong",
                   where=f"byte {pos}")
    if space <= pos:
        raise fail(path, f"row {i + 1}: empty key", where=f"byte {pos}")
    raise fail(path, f"row {i + 1} ({mm[pos:space][:40]!r}) needs {row_bytes:,} bytes of floats "
                     f"but the file ends after {size - space - 1:,}; it is truncated",
               where=f"byte {pos}")


def _scan(path: Path, mm: mmap.mmap, pos: int, rows: int, n: int, dim: int, bar,
          ) -> tuple[list[bytes], list[int], bytearray, int]:
    """Walk ``rows`` records from ``pos``: raw keys, record offsets, the float bytes, end."""
    size = len(mm)
    row_bytes = 4 * dim
    data = bytearray(rows * row_bytes)
    raw_keys: list[bytes] = []
    starts: list[int] = []  # byte offset of each record, for messages
    find, add_key, add_start = mm.find, raw_keys.append, starts.append
    reach = MAX_KEY_BYTES + 1
    with memoryview(mm) as src, memoryview(data) as dst:
        for first in range(0, rows, _BINARY_BLOCK):
            for i in range(first, min(rows, first + _BINARY_BLOCK)):
                space = find(b" ", pos, pos + reach)
                end = space + 1 + row_bytes
                if space <= pos or end > size or mm[pos] == 0x0A:
                    # "\n" after the previous vector (the C tool writes one; gensim does not):
                    # skip it, as gensim does; anything else is an error.
                    key = mm[pos:space].lstrip(b"\n") if space > pos else b""
                    if not key or end > size:
                        _record_error(path, mm, pos, space, i, n, row_bytes)
                    pos = space - len(key)
                else:
                    key = mm[pos:space]
                add_key(key)
                add_start(pos)
                dst[i * row_bytes:(i + 1) * row_bytes] = src[space + 1:end]
                pos = end
            bar.update(min(rows, first + _BINARY_BLOCK) - first)
    return raw_keys, starts, data, pos


def read_word2vec_binary(
    path: Path, *, limit: int | None = None, unicode_errors: UnicodeErrors = "strict",
    allow_nonfinite: bool = False, encoding: str = "utf-8",
) -> Vectors:
    """Read the C tool's ``-binary 1`` layout (with or without "\\n" after each vector)."""
    size = path.stat().st_size
    if size == 0:
        raise fail(path, "empty file; expected the word2vec binary header 'N D'")
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        n, dim, pos = _header(path, mm[: _MAX_HEADER + len(UTF8_BOM)], "word2vec binary")
        rows = n if limit is None else min(n, limit)
        # The smallest record is a 1-byte key, a space and the D floats.
        check_rows_fit(path, rows=rows, dim=dim, available=size - pos,
                       min_row_bytes=4 * dim + 2, where="line 1")
        with progress_bar(total=rows, desc=f"reading {path.name}", unit="row",
                          enabled=show_progress(size >= PROGRESS_BYTES)) as bar:
            raw_keys, starts, data, pos = _scan(path, mm, pos, rows, n, dim, bar)
        if limit is None:  # nothing but line breaks may follow the last row
            _trailing(path, mm[pos:pos + 64], rows=n, where=f"byte {pos}")
            if size - pos > 64 and mm[pos:].strip():
                _trailing(path, mm[pos:].lstrip()[:64], rows=n, where=f"byte {pos}")
    matrix = np.frombuffer(data, dtype="<f4").reshape(rows, dim)

    def locate(i: int) -> str:
        return f"byte {starts[i]} (row {i + 1})"

    check_finite(path, matrix, locate, allow=allow_nonfinite)
    keys = decode_keys(path, raw_keys, unicode_errors, locate, encoding=encoding)
    return keyed_vectors(path, keys, matrix, locate)


def write_word2vec_binary(vectors, path: Path, *, encoding: str = "utf-8") -> Path:
    """The C tool's bytes: "N D\\n", then key, space, D float32 little-endian, "\\n" per row."""
    matrix = vectors.matrix
    n, dim = matrix.shape
    keys = encode_keys(vectors.vocab.tokens, "word2vec-binary", forbidden=" \n",
                       encoding=encoding)
    with atomic_write(path, "wb") as fh, progress_bar(
        total=n, desc=f"writing {path.name}", unit="row", enabled=show_progress(n * dim >= PROGRESS_BYTES // 4),
    ) as bar:
        fh.write(f"{n} {dim}\n".encode("ascii"))
        for start in range(0, n, _BINARY_BLOCK):
            block = np.ascontiguousarray(matrix[start:start + _BINARY_BLOCK], dtype="<f4")
            fh.write(b"".join(k + b" " + row.tobytes() + b"\n"
                              for k, row in zip(keys[start:start + len(block)], block, strict=True)))
            bar.update(len(block))
    return path
