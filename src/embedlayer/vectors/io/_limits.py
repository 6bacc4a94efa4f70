"""Validation shared by the readers and writers: sizes before allocating, keys, values.

Every check raises ``FormatError`` (reading) or ``ConfigError`` (writing something a format
cannot hold) with the file, the place (line or byte offset) and the problem. The size
checks run before any large allocation: a header is compared with the bytes the file
really holds, so "999999999999 300" fails at once instead of asking for terabytes.
What it leaves out: parsing (the format modules) and the choice of options (``formats.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from embedlayer.errors import ConfigError, FormatError
from embedlayer.vectors.io.formats import UnicodeErrors

__all__ = [
    "MAX_DIM",
    "MAX_KEY_BYTES",
    "SMALL_ALLOCATION",
    "Locate",
    "check_finite",
    "check_keys",
    "check_rows_fit",
    "check_shape",
    "decode_hint",
    "encoding_label",
    "decode_keys",
    "encode_keys",
    "fail",
    "progress_enabled",
    "show_progress",
]

# A row position for messages, e.g. "line 12" or "byte 4096".
Locate = Callable[[int], str]

# Limits that no real vectors file reaches but a corrupt header easily does.
MAX_DIM = 1 << 20  # 1M dimensions: the largest published embeddings have a few thousand
MAX_KEY_BYTES = 1 << 16  # the C tool caps words at 100 bytes; 64 KiB is generous
SMALL_ALLOCATION = 1 << 24  # bytes a reader may allocate for a header it has not yet verified

# Whether the current load_vectors/save_vectors call shows progress bars (its ``progress``
# keyword): a context variable, so the one keyword reaches every format module's bar
# without threading it through each reader's signature.
_PROGRESS: contextvars.ContextVar[bool] = contextvars.ContextVar("vectors_io_progress",
                                                                 default=True)


def show_progress(large: bool) -> bool:
    """Show a bar for this job: it is ``large`` and the caller did not pass progress=False."""
    return large and _PROGRESS.get()


@contextlib.contextmanager
def progress_enabled(progress: bool) -> Iterator[None]:
    """Within the block, format modules show bars only if ``progress`` is true."""
    token = _PROGRESS.set(bool(progress))
    try:
        yield
    finally:
        _PROGRESS.reset(token)


_NONFINITE_HINT = "non-finite values are refused (pass allow_nonfinite=True to keep them)"


def fail(path: Path, problem: str, *, where: str | None = None) -> FormatError:
    """A ``FormatError`` reading "<path>: <where>: <problem>"."""
    return FormatError(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")


def check_shape(path: Path, rows: int, dim: int, *, where: str, source: str = "header") -> None:
    """Row count >= 0 and 1 <= dimension <= MAX_DIM."""
    if rows < 0:
        raise fail(path, f"the {source} gives {rows} rows; expected a count >= 0", where=where)
    if dim < 1:
        raise fail(path, f"the {source} gives dimension {dim}; expected >= 1", where=where)
    if dim > MAX_DIM:
        raise fail(path, f"the {source} gives dimension {dim:,}; more than {MAX_DIM:,} is not "
                         f"a plausible embedding", where=where)


def check_rows_fit(
    path: Path, *, rows: int, dim: int, available: int, min_row_bytes: int, where: str,
    source: str = "as the header says", blame: str = "header",
) -> None:
    """Refuse rows that cannot fit in the ``available`` bytes, before allocating for them.

    A small claim that does not fit is let through: reading then stops at the exact line or
    byte where the file falls short, which says more than a size comparison.
    """
    needed = rows * min_row_bytes
    if needed > available and rows * dim * 4 > SMALL_ALLOCATION:
        raise fail(path, f"{rows:,} rows of dimension {dim:,} ({source}) need at least "
                         f"{needed:,} bytes, but only {available:,} bytes follow; the file is "
                         f"truncated or the {blame} is wrong", where=where)


def decode_keys(
    path: Path, raw: Sequence[bytes], errors: UnicodeErrors, locate: Locate, *,
    encoding: str = "utf-8",
) -> list[str]:
    """Keys decoded from ``encoding`` with the ``unicode_errors`` policy.

    A strict failure names the row and the two ways out: another error policy
    ("surrogateescape" keeps the exact bytes, and writing restores them) or the file's
    encoding. ``encoding`` is ASCII-compatible (``formats.check_encoding``).
    """
    if not raw:
        return []
    # One decode for the whole batch: "\n" never occurs inside a key, and the decoders of
    # ASCII-compatible encodings resynchronize at ASCII, so the split gives the same keys as
    # decoding one by one.
    joined = b"\n".join(raw)
    try:
        keys = joined.decode(encoding, errors).split("\n")
    except UnicodeDecodeError:
        for i, key in enumerate(raw):
            try:
                key.decode(encoding)
            except UnicodeDecodeError as exc:
                raise fail(path, f"key {key[:40]!r} is not valid {encoding_label(encoding)} (byte {exc.start} of "
                                 f"the key); {decode_hint(encoding)}", where=locate(i)) from None
        raise  # pragma: no cover - the loop always finds the key
    if len(keys) != len(raw):  # pragma: no cover - guarded by the comment above
        raise fail(path, "keys hold line breaks")
    return keys


def check_keys(path: Path, keys: Sequence[str], locate: Locate) -> None:
    """No empty key, no key twice (a vocabulary maps each key to one row)."""
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if not isinstance(key, str) or not key:
            raise fail(path, f"key {key!r}: expected a non-empty string", where=locate(i))
        first = seen.setdefault(key, i)
        if first != i:
            raise fail(path, f"duplicate key {key!r}: it is also the key of the row at "
                             f"{locate(first)}", where=locate(i))


def check_finite(path: Path, block: np.ndarray, locate: Locate, *, allow: bool) -> None:
    """Refuse NaN and +-Inf (row ``i`` of ``block`` is reported through ``locate(i)``)."""
    if allow or block.size == 0:
        return
    finite = np.isfinite(block)
    if finite.all():
        return
    row, col = (int(x[0]) for x in np.nonzero(~finite))
    raise fail(path, f"value {col + 1} is {float(block[row, col])}; {_NONFINITE_HINT}",
               where=locate(row))


def encoding_label(encoding: str) -> str:
    """How messages name an encoding ("UTF-8" for Python's "utf-8")."""
    return "UTF-8" if encoding == "utf-8" else encoding


def decode_hint(encoding: str) -> str:
    """The ways out of an undecodable key, named as ``load_vectors``'s keywords."""
    return (f"pass unicode_errors='surrogateescape' to keep its exact bytes (written back "
            f"unchanged), unicode_errors='replace' to mark them, or the file's encoding "
            f"(encoding='cp1252', for example; now encoding='{encoding}')")


def encode_keys(keys: Sequence[str], fmt: str, *, forbidden: str,
                encoding: str = "utf-8") -> list[bytes]:
    """Each key's bytes in ``encoding``; ``ConfigError`` for a key the format cannot hold.

    Lone surrogates from ``unicode_errors="surrogateescape"`` become the bytes they were
    read from, so such a file is written back byte for byte.
    """
    out = []
    for i, key in enumerate(keys):
        bad = next((ch for ch in forbidden if ch in key), None)
        if bad is not None:
            raise ConfigError(f"key {key!r} (row {i}) holds {bad!r}, which the {fmt} format "
                              f"cannot store; save as 'native' or 'npy' instead")
        try:
            out.append(key.encode(encoding, "surrogateescape"))
        except UnicodeEncodeError as exc:
            raise ConfigError(f"key {key!r} (row {i}) cannot be encoded as {encoding} "
                              f"({exc.reason}); choose another encoding, such as utf-8") from None
    return out
