"""Splitting one opened file into decoded lines, with an explicit policy for invalid bytes.

Holds the encoding check, the decode policies and the block reader every line-based corpus
shares. It leaves out path resolution (``_paths.py``), decompression (``_open.py``) and what a
line means (``text.py``, ``conll.py``).

Why blocks: decoding a whole block of complete lines in one call is as fast as Python's own
text I/O, and only a block that fails to decode is split and decoded line by line, so an
invalid byte can still be reported with its line number and byte offset. Lines end at ``\\n``
(a ``\\r`` before it is dropped); a lone ``\\r`` is not a line break. Memory is bounded by one
block plus the longest line.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from embedlayer.corpus._open import READ_ERRORS, OpenedFile, open_binary, read_error
from embedlayer.corpus._paths import PathSpec, resolve_paths
from embedlayer.corpus.stats import Tally
from embedlayer.errors import ConfigError, DecodeError

__all__ = [
    "BLOCK_SIZE", "Codec", "DecodePolicy", "LineSource", "check_policy", "read_lines",
    "resolve_codec",
]

DecodePolicy = Literal["strict", "replace", "skip-line"]
# The end of every strict-decoding error; the CLI swaps it for its flag (``--errors replace``).
DECODE_HINT = "pass errors='replace' or errors='skip-line' to read past invalid bytes"
_POLICIES: tuple[str, ...] = get_args(DecodePolicy)

# 256 KiB: large enough that per-block overhead vanishes, small enough that a block, its
# decoded text and its list of lines stay a few MB at most.
BLOCK_SIZE = 1 << 18

_PROBE = "\n\r\t abcXYZ019-_.,"


@dataclass(frozen=True)
class Codec:
    """An encoding checked to be line-splittable at the byte level."""

    name: str  # the Python codec used to decode
    label: str  # what the caller asked for, for messages
    strip_bom: bool  # utf-8-sig: drop one leading U+FEFF per file


def resolve_codec(encoding: str) -> Codec:
    """Check ``encoding`` exists and keeps ASCII (so ``\\n`` is one byte no character contains)."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError) as exc:
        raise ConfigError(
            f"unknown encoding {encoding!r}; expected a Python codec name such as "
            "'utf-8', 'latin-1' or 'cp1252'"
        ) from exc
    if info.name == "utf-8-sig":
        return Codec(name="utf-8", label=encoding, strip_bom=True)
    try:
        ascii_safe = _PROBE.encode(info.name) == _PROBE.encode("ascii")
    except (UnicodeError, LookupError):
        ascii_safe = False
    if not ascii_safe:
        raise ConfigError(
            f"encoding {encoding!r} is not supported by the corpus readers: lines are split on "
            "the byte '\\n', so the encoding must keep ASCII as is (utf-8, latin-1, cp1252, "
            "gb18030, shift_jis...); recode UTF-16/32 files to UTF-8 first"
        )
    return Codec(name=info.name, label=encoding, strip_bom=False)


def check_policy(errors: str) -> DecodePolicy:
    if errors not in _POLICIES:
        raise ConfigError(f"unknown errors policy {errors!r}; expected one of {list(_POLICIES)}")
    return errors  # type: ignore[return-value]


def _decode_error(
    opened: OpenedFile, codec: Codec, data: bytes, exc: UnicodeDecodeError, *,
    first_line: int, offset: int,
) -> DecodeError:
    start, end = exc.start, exc.end
    line = first_line + data.count(b"\n", 0, start)
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", end)
    line_end = len(data) if line_end < 0 else line_end
    excerpt = data[max(line_start, start - 24) : min(line_end, end + 24)]
    err = DecodeError(
        f"{str(opened.path)!r}: line {line}, byte offset {offset + start}: bytes "
        f"{data[start:end]!r} are not valid {codec.label} ({exc.reason}) in {excerpt!r}; "
        f"expected {codec.label} text ({DECODE_HINT})"
    )
    err.path, err.line, err.offset = opened.path, line, offset + start  # type: ignore[attr-defined]
    return err


def _decode_replacing(raw: bytes, codec: str) -> tuple[str, int]:
    """Decode like ``errors="replace"`` (one U+FFFD per invalid sequence) and count them."""
    parts, count = [], 0
    while True:
        try:
            parts.append(raw.decode(codec))
            return "".join(parts), count
        except UnicodeDecodeError as exc:
            parts.append(raw[: exc.start].decode(codec))
            parts.append("\ufffd")
            count += 1
            raw = raw[exc.end :]


def _decode_slow(
    codec: Codec, policy: DecodePolicy, data: bytes, tally: Tally, *, keep_gaps: bool,
) -> list[str | None]:
    """Decode a block that failed as a whole line by line, applying ``replace``/``skip-line``."""
    out: list[str | None] = []
    raws = data.split(b"\n")
    if data.endswith(b"\n"):
        raws.pop()
    for raw in raws:
        try:
            out.append(raw.decode(codec.name))
            continue
        except UnicodeDecodeError:
            pass
        tally.decode_errors += 1
        if policy == "replace":
            text, count = _decode_replacing(raw, codec.name)
            tally.replaced += count
            out.append(text)
        else:  # skip-line
            tally.skipped_lines += 1
            if keep_gaps:
                out.append(None)
    return [s[:-1] if s and s[-1] == "\r" else s for s in out]


def read_lines(
    opened: OpenedFile, codec: Codec, policy: DecodePolicy, tally: Tally, *,
    keep_gaps: bool = False,
) -> Iterator[list[str | None]]:
    """Yield the lines of ``opened`` in blocks (lists of consecutive lines, without ``\\n``).

    With ``keep_gaps``, a line dropped by ``skip-line`` stays in its block as ``None``, so
    consumers that number lines (CoNLL) keep correct line numbers; otherwise blocks hold
    only strings. ``tally`` is updated as each block is read.
    """
    read = opened.stream.read
    disk_base = tally.bytes
    pending: list[bytes] = []  # pieces of a line whose newline has not been read yet
    next_line = 1  # number of the first line of the next block
    offset = 0  # decompressed byte offset of the next block in the file
    first = True
    while True:
        try:
            chunk = read(BLOCK_SIZE)
        except READ_ERRORS as exc:
            raise read_error(opened.path, exc) from exc
        tally.text_bytes += len(chunk)
        tally.set_bytes(disk_base + opened.disk_pos())
        if chunk:
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                pending.append(chunk)  # a line longer than a block: keep collecting
                continue
            if pending:
                pending.append(chunk[:cut])
                data = b"".join(pending)
                pending = []
            else:
                data = chunk if cut == len(chunk) else chunk[:cut]
            if cut < len(chunk):
                pending.append(chunk[cut:])
        elif pending:
            data = b"".join(pending)  # the last line has no newline
            pending = []
        else:
            return
        try:
            text = data.decode(codec.name)
        except UnicodeDecodeError as exc:
            if policy == "strict":
                raise _decode_error(
                    opened, codec, data, exc, first_line=next_line, offset=offset
                ) from None
            lines = _decode_slow(codec, policy, data, tally, keep_gaps=keep_gaps)
            physical = data.count(b"\n") + (not data.endswith(b"\n"))
        else:
            if "\r" in text:
                text = text.replace("\r\n", "\n")
                if text.endswith("\r") and not data.endswith(b"\n"):
                    text = text[:-1]  # a last line without "\n" that still ends in "\r"
            lines = text.split("\n")  # type: ignore[assignment]
            if data.endswith(b"\n"):
                lines.pop()
            physical = len(lines)
        if first and codec.strip_bom and lines and lines[0] and lines[0][0] == "\ufeff":
            lines[0] = lines[0][1:]  # type: ignore[index]
        first = False
        next_line += physical
        offset += len(data)
        tally.lines += physical
        yield lines


class LineSource:
    """The resolved files of a line-based corpus and how to decode them, read block by block."""

    def __init__(self, paths: PathSpec, *, encoding: str, errors: str) -> None:
        self.files = resolve_paths(paths)
        self.codec = resolve_codec(encoding)
        self.policy = check_policy(errors)

    def blocks(
        self, tally: Tally, *, progress: bool, desc: str, keep_gaps: bool = False,
    ) -> Iterator[tuple[Path, list[str | None]]]:
        """Every file's blocks of lines, in order, with a byte progress bar when asked."""
        tally.start_bar(self.files, desc=desc, enabled=progress)
        try:
            for path in self.files:
                with open_binary(path) as opened:
                    tally.files += 1
                    for block in read_lines(
                        opened, self.codec, self.policy, tally, keep_gaps=keep_gaps
                    ):
                        yield path, block
            tally.complete = True
        finally:
            tally.close_bar()

    def describe(self) -> str:
        """The corpus for messages: its one file, or how many files and the first."""
        if len(self.files) == 1:
            return repr(str(self.files[0]))
        return f"of {len(self.files)} files ({str(self.files[0])!r}, ...)"
