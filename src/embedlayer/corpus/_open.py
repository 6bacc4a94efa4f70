"""Opening one corpus file as a binary stream, decompressing by suffix.

Holds the suffix → codec table (``.gz`` gzip, ``.bz2`` bzip2, ``.xz``/``.lzma`` LZMA, all from
the standard library and streamed) and the translation of low-level failures into
:class:`CorpusError` naming the file. Line splitting and decoding are in ``_lines.py``.

The on-disk position (``disk_pos``) is the compressed position for compressed files, so
progress bars advance by the bytes the disk actually gave.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from embedlayer.errors import CorpusError, MissingFileError

__all__ = [
    "READ_ERRORS", "Compression", "OpenedFile", "compression_of", "open_binary", "read_error",
]

Compression = Literal["none", "gzip", "bz2", "xz"]

_SUFFIXES: dict[str, Compression] = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "xz"}

# What the decompressors raise on corrupt or truncated input (gzip.BadGzipFile is an OSError,
# lzma.LZMAError is not, a truncated stream is an EOFError).
READ_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


def compression_of(path: Path) -> Compression:
    """The compression a file's suffix names (``none`` for any other suffix)."""
    return _SUFFIXES.get(path.suffix.lower(), "none")


class OpenedFile:
    """A readable binary stream of one file's (decompressed) bytes, and its on-disk position."""

    def __init__(self, path: Path, raw: BinaryIO, stream: BinaryIO) -> None:
        self.path = path
        self.stream = stream
        self._raw = raw

    def disk_pos(self) -> int:
        """Bytes consumed from the file on disk so far (compressed bytes for compressed files)."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):  # closed or unseekable: progress only, never fatal
            return 0


@contextlib.contextmanager
def open_binary(path: Path) -> Iterator[OpenedFile]:
    """Open ``path`` for streaming reads, decompressing by suffix; errors name the file.

    Corrupt compressed data only shows on the first read: readers catch :data:`READ_ERRORS`
    around ``read`` and raise :func:`read_error`.
    """
    with contextlib.ExitStack() as stack:  # closes the decompressor, then the file
        try:
            raw: BinaryIO = stack.enter_context(open(path, "rb"))
        except FileNotFoundError as exc:
            raise MissingFileError(f"corpus file {str(path)!r} does not exist") from exc
        except OSError as exc:
            raise CorpusError(
                f"cannot open corpus file {str(path)!r}: {exc.strerror or exc}"
            ) from exc
        kind = compression_of(path)
        stream: BinaryIO = raw
        if kind == "gzip":
            stream = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
        elif kind == "bz2":
            stream = stack.enter_context(bz2.BZ2File(raw, mode="rb"))
        elif kind == "xz":
            stream = stack.enter_context(lzma.LZMAFile(raw, mode="rb"))
        yield OpenedFile(path, raw, stream)


def read_error(path: Path, exc: BaseException) -> CorpusError:
    """A :class:`CorpusError` for a failed read of ``path`` (corrupt or truncated data)."""
    kind = compression_of(path)
    what = "a readable file" if kind == "none" else f"a valid {kind} stream"
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return CorpusError(f"cannot read corpus file {os.fspath(path)!r}: {detail}; expected {what}")
