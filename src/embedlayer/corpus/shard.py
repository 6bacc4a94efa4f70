"""One part of a line-based corpus, for one of several processes: by whole file or by byte range.

What it holds: :func:`plan_shards` (which files, or which line-aligned byte ranges of them,
each of ``parts`` parts reads) and :class:`TextShard` (the lines of one part, read like
:class:`~embedlayer.corpus.TextCorpus` reads them). It knows nothing of processes or ranks:
a caller asks for part ``part`` of ``parts`` (``embedlayer.dist`` passes its rank).

The rules, so that every line of the corpus is read by exactly one part:

- as many files as parts or more, or any compressed file (a compressed stream cannot be cut at
  a byte offset): whole files, each given to the part with the fewest bytes so far (largest
  file first, ties to the lower part), each part keeping corpus order; with fewer files than
  parts some parts are empty;
- otherwise (fewer plain files than parts: one big file or dump): the files' bytes taken as
  one sequence are cut into ``parts`` equal ranges, and each cut moves forward to the next
  line start, so a line belongs to the part whose range holds its first byte.

Every part reads only its own bytes (a seek, then a bounded read); memory stays one block of
lines. Line numbers and byte offsets in decoding errors count from the start of the range.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from embedlayer.corpus._lines import DecodePolicy, LineSource, read_lines
from embedlayer.corpus._open import OpenedFile, compression_of, open_binary
from embedlayer.corpus._paths import PathSpec
from embedlayer.corpus.stats import CorpusStats, Tally
from embedlayer.errors import ConfigError

__all__ = ["ShardPiece", "TextShard", "plan_shards"]

_SCAN = 1 << 16  # bytes read at a time while looking for the next line start


@dataclass(frozen=True)
class ShardPiece:
    """A run of whole lines of one file: bytes ``[start, stop)`` (``stop`` None: to the end)."""

    path: Path
    start: int = 0
    stop: int | None = None

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.stop is None


def _check_part(part: int, parts: int) -> None:
    if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
        raise ConfigError(f"parts must be an integer >= 1, got {parts!r}")
    if not isinstance(part, int) or isinstance(part, bool) or not 0 <= part < parts:
        raise ConfigError(f"part must be an integer in [0, {parts}), got {part!r}")


def _line_start(path: Path, offset: int, size: int) -> int:
    """The first line start at or after ``offset`` in ``path`` (``size`` if none)."""
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    with open(path, "rb") as fh:
        fh.seek(offset - 1)
        if fh.read(1) == b"\n":
            return offset
        pos = offset
        while True:
            block = fh.read(_SCAN)
            if not block:
                return size
            cut = block.find(b"\n")
            if cut >= 0:
                return pos + cut + 1
            pos += len(block)


def _by_file(files: tuple[Path, ...], sizes: list[int], parts: int) -> list[tuple[ShardPiece, ...]]:
    loads = [0] * parts
    owner: dict[int, int] = {}
    for i in sorted(range(len(files)), key=lambda i: (-sizes[i], i)):
        k = min(range(parts), key=lambda k: (loads[k], k))
        owner[i] = k
        loads[k] += sizes[i]
    return [tuple(ShardPiece(files[i]) for i in range(len(files)) if owner[i] == k)
            for k in range(parts)]


def _by_range(files: tuple[Path, ...], sizes: list[int], parts: int) -> list[tuple[ShardPiece, ...]]:
    total = sum(sizes)
    starts = [0]
    for s in sizes:
        starts.append(starts[-1] + s)

    def cut(k: int) -> tuple[int, int]:
        """Cut k (0..parts) as (file index, line-aligned offset in it)."""
        at = total * k // parts
        if k >= parts or at >= total:
            return len(files), 0
        i = max(j for j in range(len(files)) if starts[j] <= at)
        off = _line_start(files[i], at - starts[i], sizes[i])
        return (i + 1, 0) if off >= sizes[i] else (i, off)

    cuts = [cut(k) for k in range(parts + 1)]
    plan = []
    for k in range(parts):
        (fa, oa), (fb, ob) = cuts[k], cuts[k + 1]
        pieces = []
        for i in range(fa, min(fb, len(files) - 1) + 1):
            lo = oa if i == fa else 0
            hi = ob if i == fb else sizes[i]
            if hi > lo:
                pieces.append(ShardPiece(files[i], lo, None if hi >= sizes[i] else hi))
        plan.append(tuple(pieces))
    return plan


def plan_shards(files: tuple[Path, ...], parts: int) -> list[tuple[ShardPiece, ...]]:
    """What each of ``parts`` parts reads of ``files`` (see the module docstring for the rules).

    Deterministic: the same files (same sizes and bytes) give the same plan on every machine.
    """
    _check_part(0, parts)
    sizes = [Path(p).stat().st_size for p in files]
    if len(files) >= parts or any(compression_of(Path(p)) != "none" for p in files):
        return _by_file(tuple(files), sizes, parts)
    return _by_range(tuple(files), sizes, parts)


class _Window(io.RawIOBase):
    """Bytes ``[start, stop)`` of an open binary file, read forward only."""

    def __init__(self, raw: io.BufferedReader, start: int, stop: int | None) -> None:
        super().__init__()
        raw.seek(start)
        self._raw = raw
        self._left = None if stop is None else stop - start

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self._left is not None:
            size = self._left if size < 0 else min(size, self._left)
        data = self._raw.read(size)
        if self._left is not None:
            self._left -= len(data)
        return data


class TextShard:
    """The lines of part ``part`` of ``parts`` of a text corpus, as ``str`` without newline.

    Read with the rules of :class:`~embedlayer.corpus.TextCorpus` (``encoding``, ``errors``,
    ``skip_blank``), so the parts of a corpus together yield exactly its lines, each once
    (in another order when whole files are dealt out). Unlike ``TextCorpus``, an empty part
    yields nothing without raising: with more processes than files or lines, some parts are
    empty, and the caller decides what that means.
    """

    def __init__(
        self, paths: PathSpec, *, part: int, parts: int, encoding: str = "utf-8",
        errors: DecodePolicy = "strict", skip_blank: bool = True,
    ) -> None:
        _check_part(part, parts)
        self._source = LineSource(paths, encoding=encoding, errors=errors)
        self.part, self.parts = part, parts
        self.pieces = plan_shards(self._source.files, parts)[part]
        self.skip_blank = skip_blank
        self._tally = Tally()

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file of the whole corpus (not only this part's), in corpus order."""
        return self._source.files

    @property
    def stats(self) -> CorpusStats:
        """Counts of the latest pass."""
        return self._tally.snapshot()

    @property
    def bytes(self) -> int:
        """Bytes of the files this part reads (on disk: compressed size for whole files)."""
        return sum((p.stop if p.stop is not None else p.path.stat().st_size) - p.start
                   for p in self.pieces)

    def __iter__(self) -> Iterator[str]:
        tally = self._tally = Tally()
        source = self._source
        for piece in self.pieces:
            with open_binary(piece.path) as opened:
                tally.files += 1
                codec = source.codec
                if not piece.whole:  # a byte range: seek there, read only up to its end
                    window = _Window(opened.stream, piece.start, piece.stop)  # type: ignore[arg-type]
                    opened = OpenedFile(piece.path, opened.stream, window)  # type: ignore[arg-type]
                    if piece.start > 0:  # a BOM can only start the file
                        codec = dataclasses.replace(codec, strip_bom=False)
                for block in read_lines(opened, codec, source.policy, tally):
                    lines = list(filter(str.strip, block)) if self.skip_blank else block
                    tally.items += len(lines)
                    yield from lines  # type: ignore[misc]
        tally.complete = True

    def __repr__(self) -> str:
        return f"TextShard(part {self.part} of {self.parts}, {len(self.pieces)} piece(s))"
