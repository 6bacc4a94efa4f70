"""Text rows of numbers: reading them in blocks with numpy's C parser, writing them back.

What it holds: the machinery the text formats share (word2vec/fastText text, GloVe, the
projector's vectors.tsv): splitting a file into blocks of lines, parsing a block of
"key v1 ... vD" (or bare "v1 ... vD") lines into a float32 block in one ``np.loadtxt`` call
(values never go through Python floats one by one), a slow line-by-line pass that only runs
to explain a block that failed (which line, which value, what was expected), and a writer
that formats rows with 9 significant digits, enough for every float32 to read back exactly.
What it leaves out: headers, dimension detection and file layouts (the format modules).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer._types import FloatArray
from embedlayer.vectors.io._limits import check_finite, fail, show_progress

__all__ = ["BLOCK_BYTES", "PROGRESS_BYTES", "RowBlock", "count_rows", "iter_line_blocks",
           "parse_block", "write_rows"]

BLOCK_BYTES = 8 << 20  # lines are parsed 8 MiB at a time: bounded memory, few numpy calls
PROGRESS_BYTES = 64 << 20  # files smaller than this load without a progress bar
MAX_LINE_BYTES = 64 << 20  # a row of 1M dimensions at 16 characters a value still fits
_WRITE_ROWS = 4096
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RowBlock:
    """Parsed rows: raw key bytes (None for key-less rows) and their (n, D) float32 values."""

    first_line: int  # 1-based line number of the first row
    keys: list[bytes] | None
    values: FloatArray  # (n, D) float32


def iter_line_blocks(
    path: Path, fh: IO[bytes], *, first_line: int, block_bytes: int = BLOCK_BYTES, progress=None,
) -> Iterator[tuple[int, list[bytes]]]:
    """(line number of the first line, lines without "\\n") for each block of the stream.

    A last line without a final newline is included; the empty piece after a final "\\n"
    is not. A line longer than ``MAX_LINE_BYTES`` is an error (no row of a vectors file is).
    """
    pending: list[bytes] = []  # pieces of a line that has not ended yet (joined once: linear)
    pending_bytes = 0
    line_no = first_line
    while True:
        chunk = fh.read(block_bytes)
        if progress is not None:
            progress.update(len(chunk))
        if not chunk:
            if pending_bytes:
                yield line_no, [b"".join(pending)]
            return
        last = chunk.rfind(b"\n")
        if last < 0:
            pending.append(chunk)
            pending_bytes += len(chunk)
            if pending_bytes > MAX_LINE_BYTES:
                raise fail(path, f"a line longer than {MAX_LINE_BYTES:,} bytes; not a text "
                                 f"vectors file", where=f"line {line_no}")
            continue
        lines = (b"".join(pending) + chunk[:last] if pending else chunk[:last]).split(b"\n")
        pending, pending_bytes = [chunk[last + 1:]], len(chunk) - last - 1
        yield line_no, lines
        line_no += len(lines)


def count_rows(path: Path) -> int:
    """Lines holding data: line breaks, plus a last line without one, minus trailing blanks."""
    count = 0
    last = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(BLOCK_BYTES):
            count += chunk.count(b"\n")
            last = chunk[-4096:] if len(chunk) >= 4096 else (last + chunk)[-4096:]
    if last and not last.endswith(b"\n"):
        count += 1
    # Trailing blank lines are not rows.
    tail = last.split(b"\n")
    if tail and tail[-1] == b"":
        tail.pop()
    while tail and not tail[-1].strip():
        tail.pop()
        count -= 1
    return max(count, 0)


def _explain(path: Path, rests: Sequence[bytes], first_line: int, dim: int, dim_source: str,
             keyed: bool, reason: str) -> None:
    """Find the first line of a failed block that is wrong and raise its ``FormatError``."""
    what = "key and values" if keyed else "values"
    for i, rest in enumerate(rests):
        where = f"line {first_line + i}"
        parts = rest.split()
        if not parts:
            problem = "no values after the key" if keyed else "an empty line"
            raise fail(path, f"{problem}; expected {what} ({dim} values)", where=where)
        if len(parts) != dim:
            raise fail(path, f"{len(parts)} values, expected {dim} ({dim_source}); the dimension "
                             f"changes or the line is cut", where=where)
        for j, part in enumerate(parts):
            try:
                float(part)
            except ValueError:
                raise fail(path, f"value {j + 1} is {part[:40].decode('latin-1')!r}, not a number",
                           where=where) from None
    raise fail(path, f"lines {first_line}-{first_line + len(rests) - 1} cannot be read as "
                     f"numbers ({reason})")


def parse_block(
    path: Path, lines: Sequence[bytes], *, first_line: int, dim: int, dim_source: str,
    keyed: bool, allow_nonfinite: bool, sep: bytes = b" ",
) -> RowBlock:
    """Parse lines "key<sep>v1 ... vD" (``keyed``) or "v1 ... vD" into a ``RowBlock``."""
    if keyed:
        keys: list[bytes] | None = []
        rests = []
        for line in lines:
            key, _, rest = line.partition(sep)
            keys.append(key)
            rests.append(rest)
    else:
        keys, rests = None, list(lines)
    values: np.ndarray | None = None
    reason = "shape"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an all-blank block only warns; the shape check catches it
            # encoding latin-1: numbers are ASCII; any other byte is simply not a number.
            values = np.loadtxt(rests, dtype=np.float32, comments=None, ndmin=2,
                                encoding="latin-1", quotechar=None)
    except ValueError as exc:
        reason = str(exc).split("\n")[0]
    if values is None or values.shape != (len(rests), dim):
        _explain(path, rests, first_line, dim, dim_source, keyed, reason)
    assert values is not None
    check_finite(path, values, lambda i: f"line {first_line + i}", allow=allow_nonfinite)
    if keys is not None:
        for i, key in enumerate(keys):
            if not key:
                raise fail(path, "the line starts with a space: empty key",
                           where=f"line {first_line + i}")
    return RowBlock(first_line, keys, values)


def write_rows(
    fh: IO[bytes], matrix: np.ndarray, *, keys: Sequence[bytes] | None, sep: bytes = b" ",
    desc: str = "",
) -> None:
    """Write one line per row: "key<sep>v1<sep>...<sep>vD\\n" (or no key), float32 exact."""
    n, dim = matrix.shape
    # "%.9g": 9 significant digits always read back to the same float32; one format string
    # per row keeps the formatting in C.
    row_fmt = sep.decode().join(["%.9g"] * dim)
    with progress_bar(total=n, desc=desc, unit="row", enabled=show_progress(n * dim >= PROGRESS_BYTES // 8)) as bar:
        for start in range(0, n, _WRITE_ROWS):
            block = np.asarray(matrix[start:start + _WRITE_ROWS], dtype=np.float32).tolist()
            text = [(row_fmt % tuple(row)).encode("ascii") for row in block]
            if keys is None:
                out = [line + b"\n" for line in text]
            else:
                out = [k + sep + line + b"\n"
                       for k, line in zip(keys[start:start + len(text)], text, strict=True)]
            fh.write(b"".join(out))
            bar.update(len(block))
