"""What a corpus reader counted while it read: the frozen :class:`CorpusStats` snapshot.

Holds the public snapshot and the private mutable tally the readers update as they go (and
which drives the progress bar, in on-disk bytes). Nothing here reads files.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from embedlayer._progress import progress_bar

__all__ = ["CorpusStats"]


@dataclass(frozen=True)
class CorpusStats:
    """Counts of one pass over a corpus (the latest pass, complete or still running)."""

    files: int = 0  # files opened so far
    lines: int = 0  # physical lines read, blank and skipped ones included
    items: int = 0  # items yielded: lines, documents or sentences
    bytes: int = 0  # bytes read from disk (the compressed size for .gz/.bz2/.xz)
    text_bytes: int = 0  # bytes after decompression, before decoding
    decode_errors: int = 0  # lines holding bytes that are invalid in the encoding
    replaced: int = 0  # invalid byte sequences turned into U+FFFD (errors="replace")
    skipped_lines: int = 0  # lines dropped for invalid bytes (errors="skip-line")
    complete: bool = False  # the pass reached the end of the last file

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Tally:
    """The mutable counts behind :class:`CorpusStats`, plus the pass's progress bar."""

    __slots__ = (
        "_bar", "bytes", "complete", "decode_errors", "files", "items", "lines", "replaced",
        "skipped_lines", "text_bytes",
    )

    def __init__(self) -> None:
        self.files = self.lines = self.items = self.bytes = self.text_bytes = 0
        self.decode_errors = self.replaced = self.skipped_lines = 0
        self.complete = False
        self._bar: Any = None

    def start_bar(self, files: tuple[Path, ...], *, desc: str, enabled: bool) -> None:
        """Open a progress bar over the on-disk size of ``files`` (bytes, with rate and ETA)."""
        total = 0
        for path in files:
            with contextlib.suppress(OSError):  # reported properly when the file is opened
                total += path.stat().st_size
        self._bar = progress_bar(total=total, desc=desc, unit="B", enabled=enabled)

    def set_bytes(self, value: int) -> None:
        """Move the on-disk byte count (and the bar) forward to ``value``."""
        delta = value - self.bytes
        if delta > 0:
            self.bytes = value
            if self._bar is not None:
                self._bar.update(delta)

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def snapshot(self) -> CorpusStats:
        return CorpusStats(
            files=self.files, lines=self.lines, items=self.items, bytes=self.bytes,
            text_bytes=self.text_bytes, decode_errors=self.decode_errors,
            replaced=self.replaced, skipped_lines=self.skipped_lines, complete=self.complete,
        )
