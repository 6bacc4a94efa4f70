"""Which vector format a path holds, decided by its content (the file name only breaks ties).

Folders: ``meta.json``/``vectors.safetensors`` -> native, ``matrix.npy`` -> npy,
``vectors.tsv`` -> projector-tsv. Files, from their first bytes: the .npy magic -> npy; a
safetensors header -> native (its folder); fastText's magic int32 793712314 followed by
version 11 or 12 -> fasttext-bin (and the pre-2017 fastText layout without magic, when
``fasttext_bin.sniff_fasttext_bin`` finds its leading arguments plausible); a first line "N D" -> word2vec, binary or
text depending on whether the bytes after the first key read as D text numbers and a line
break (text with a ".vec" suffix -> fasttext-vec, the same layout); a text "N D" line that
the row after it contradicts (line 2 without D values) is an error naming both readings, a header and a GloVe row, since either guess could
misread the file; tab-separated numbers
-> projector-tsv; "key v1 ... vD" with no header -> glove. Compressed files and anything
else are refused with a ``FormatError`` that says what was expected.
What it leaves out: reading the file (the format modules).
"""

from __future__ import annotations

import struct
from pathlib import Path

from embedlayer._types import PathLike
from embedlayer.errors import MissingFileError
from embedlayer.vectors.io._limits import MAX_KEY_BYTES, fail
from embedlayer.vectors.io.formats import FORMATS, VectorFormat
from embedlayer.vectors.io.word2vec import parse_header

__all__ = ["FASTTEXT_MAGIC", "detect_format"]

FASTTEXT_MAGIC = 793712314  # int32 at offset 0 of fastText .bin files since 2017
FASTTEXT_VERSIONS = (11, 12)
_NPY_MAGIC = b"\x93NUMPY"
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"PK\x03\x04": "zip"}
_PEEK = 1 << 20  # enough for a header and a first row of a few thousand dimensions


def _is_float(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _old_fasttext(head: bytes) -> bool:
    """The pre-2017 fastText .bin has no magic: its fasttext_bin module judges the arguments."""
    try:
        from embedlayer.vectors.io.fasttext_bin import sniff_fasttext_bin
    except ModuleNotFoundError:  # pragma: no cover - installed with the package
        return False
    return sniff_fasttext_bin(head)


def _text_row(line: bytes, dim: int | None) -> bool:
    """Does ``line`` read as "key v1 ... vD" (D = ``dim`` when given)?"""
    key, _, rest = line.partition(b" ")
    values = rest.split()
    if not key.strip() or not values or (dim is not None and len(values) != dim):
        return False
    return all(_is_float(v) for v in values)


def _after_header(head: bytes, start: int, complete: bool) -> str:
    """ "text", "binary" or "" (cannot tell) for the first row after a "N D" header."""
    end = head.find(b"\n", start)
    if end >= 0 or complete:
        line = head[start:end] if end >= 0 else head[start:]
    else:  # a first row longer than the peek: judge its beginning, minus a cut last value
        line = head[start:].rsplit(b" ", 1)[0]
    if _text_row(line, None):
        return "text"  # text numbers (a wrong count is the reader's error to report)
    space = head.find(b" ", start, start + MAX_KEY_BYTES)
    if space > start:
        return "binary"  # a key, then bytes that are not D text numbers and a line break
    return ""


def _header_conflict(path: Path, head: bytes, start: int, rows: int, dim: int,
                     complete: bool) -> None:
    """Refuse a text file whose "N D" first line the row after it contradicts.

    "N D" is both a word2vec header and a GloVe row (key N, one value D). When the second line
    does not hold D values the two readings disagree, and guessing either could silently
    misread the file: the caller must name the format. (A header promising more rows than
    follow is a truncated word2vec file, which its reader reports.)
    """
    end = head.find(b"\n", start)
    if end < 0 and not complete:
        return  # a first row longer than the peek: only its reader can count its values
    second = head[start:end if end >= 0 else len(head)].rstrip(b"\r")
    values = len(second.split()) - 1
    if values == dim:
        return
    why = f"line 2 holds {values} value{'s' if values != 1 else ''}, not {dim}"
    first = head[:start].strip()
    glove = ("GloVe rows (a key and values, no header)" if values != 1 else
             "GloVe rows of dimension 1 (line 1 being the key "
             f"{first.split()[0].decode('ascii', 'replace')!r})")
    raise fail(path, f"line 1 {first.decode('ascii', 'replace')!r} reads as a word2vec header "
                     f"({rows:,} rows x {dim} dims), but {why}; read without a header these are "
                     f"{glove}. Name the format: format='glove' or format='word2vec-text'")


def _file_format(path: Path) -> VectorFormat:
    size = path.stat().st_size
    if size == 0:
        raise fail(path, "empty file; no vectors to read")
    with open(path, "rb") as fh:
        head = fh.read(_PEEK)
    complete = len(head) == size
    for magic, name in _COMPRESSED.items():
        if head.startswith(magic):
            raise fail(path, f"a {name}-compressed file; decompress it first")
    if head.startswith(_NPY_MAGIC):
        return "npy"
    if len(head) >= 8:
        magic, version = struct.unpack_from("<ii", head)
        if magic == FASTTEXT_MAGIC and version in FASTTEXT_VERSIONS:
            return "fasttext-bin"
        length = int.from_bytes(head[:8], "little")
        if 2 <= length <= size - 8 and head[8:10] in (b'{"', b"{}"):
            return "native"
    header = parse_header(head)
    if header is not None:
        rows, dim, start = header
        kind = _after_header(head, start, complete) if rows > 0 else "text"
        if kind == "binary":
            return "word2vec-binary"
        if kind == "text":
            if rows > 0:
                _header_conflict(path, head, start, rows, dim, complete)
            return "fasttext-vec" if path.suffix.lower() == ".vec" else "word2vec-text"
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if b"\t" in first and all(_is_float(v) for v in first.split(b"\t") if v):
        return "projector-tsv"
    if _text_row(first, None):
        return "glove"
    if _old_fasttext(head):
        return "fasttext-bin"
    raise fail(path, f"not a vectors file in any known format ({', '.join(FORMATS)}); the "
                     f"first bytes are {head[:40]!r}")


def detect_format(path: PathLike) -> VectorFormat:
    """The format of the file or folder at ``path``, by content; ``FormatError`` if none fits."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file or folder")
    if path.is_dir():
        names = {p.name for p in path.iterdir()}
        if names & {"meta.json", "vectors.safetensors"}:
            return "native"
        if "matrix.npy" in names:
            return "npy"
        if "vectors.tsv" in names:
            return "projector-tsv"
        raise fail(path, "a folder with no vectors in it: expected meta.json + "
                         "vectors.safetensors (native), matrix.npy (npy) or vectors.tsv + "
                         "metadata.tsv (projector-tsv)")
    if path.name in ("meta.json", "keys.json"):
        return "native"
    if path.name == "metadata.tsv":
        return "projector-tsv"
    return _file_format(path)
