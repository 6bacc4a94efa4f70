"""The safetensors container, read and written by hand: header parsing without trusting it.

Layout: an 8-byte little-endian header length H, H bytes of JSON
``{"<name>": {"dtype": "F32", "shape": [N, D], "data_offsets": [begin, end]}, "__metadata__":
{str: str}}`` (space-padded so the data starts 8-byte aligned), then the data buffer. Reading
validates everything before anything is mapped or allocated: H against the file size and a
100 MB cap (safetensors' own), the JSON's types, the dtype, the shape's byte count against
the offsets, and that the offsets cover the buffer exactly. Nothing in the file is executed.
What it leaves out: the folder around it (``native.py``) and every dtype but float32 (the
only one embedlayer writes; others are refused with their name).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from embedlayer.vectors.io._limits import fail

__all__ = ["HEADER_LIMIT", "TensorInfo", "header_bytes", "read_header"]

HEADER_LIMIT = 100_000_000  # bytes of JSON header; safetensors refuses more, so do we
_ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I8": 1, "U8": 1, "I16": 2, "U16": 2,
             "I32": 4, "U32": 4, "I64": 8, "U64": 8, "BOOL": 1}


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor's bytes lie in the file."""

    dtype: str  # safetensors' name, e.g. "F32"
    shape: tuple[int, ...]
    offset: int  # absolute byte offset of the data in the file
    nbytes: int


def header_bytes(tensors: dict[str, tuple[str, tuple[int, ...]]], metadata: dict[str, str]) -> bytes:
    """The length prefix and JSON header for tensors laid out back to back, in the given order."""
    doc: dict[str, object] = {"__metadata__": metadata}
    begin = 0
    for name, (dtype, shape) in tensors.items():
        end = begin + math.prod(shape) * _ITEMSIZE[dtype]
        doc[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [begin, end]}
        begin = end
    raw = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-(8 + len(raw)) % 8)  # data 8-byte aligned, as safetensors pads too
    return len(raw).to_bytes(8, "little") + raw


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


def read_header(path: Path, fh: IO[bytes], size: int) -> tuple[dict[str, TensorInfo], dict[str, str]]:
    """Every tensor's ``TensorInfo`` and the ``__metadata__``, validated against ``size``."""
    if size < 8:
        raise fail(path, f"{size} bytes: too short for a safetensors file (8-byte header length)")
    fh.seek(0)
    length = int.from_bytes(fh.read(8), "little")
    if length < 2 or length > HEADER_LIMIT or 8 + length > size:
        raise fail(path, f"safetensors header length {length:,} is impossible for a file of "
                         f"{size:,} bytes (limit {HEADER_LIMIT:,})", where="byte 0")
    raw = fh.read(length)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise fail(path, f"the safetensors header is not valid JSON ({type(exc).__name__})",
                   where="byte 8") from None
    if not isinstance(doc, dict):
        raise fail(path, "the safetensors header is not a JSON object", where="byte 8")
    metadata = doc.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise fail(path, "safetensors '__metadata__' must map strings to strings", where="byte 8")
    buffer = size - 8 - length
    tensors: dict[str, TensorInfo] = {}
    covered = 0
    for name, info in doc.items():
        if not isinstance(info, dict):
            raise fail(path, f"safetensors entry {name!r} is not an object", where="byte 8")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _ITEMSIZE:
            raise fail(path, f"tensor {name!r} has unknown dtype {dtype!r}", where="byte 8")
        if not isinstance(shape, list) or not all(map(_is_count, shape)):
            raise fail(path, f"tensor {name!r} has shape {shape!r}; expected a list of counts",
                       where="byte 8")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets))
                or offsets[0] > offsets[1] or offsets[1] > buffer):
            raise fail(path, f"tensor {name!r} has data_offsets {offsets!r}; expected "
                             f"[begin, end] within the {buffer:,}-byte data buffer (is the file "
                             f"truncated?)", where="byte 8")
        nbytes = math.prod(shape) * _ITEMSIZE[dtype]
        if offsets[1] - offsets[0] != nbytes:
            raise fail(path, f"tensor {name!r}: shape {shape} of {dtype} needs {nbytes:,} bytes "
                             f"but data_offsets span {offsets[1] - offsets[0]:,}", where="byte 8")
        tensors[name] = TensorInfo(dtype, tuple(shape), 8 + length + offsets[0], nbytes)
        covered += nbytes
    if covered != buffer:
        raise fail(path, f"the tensors cover {covered:,} bytes but the data buffer holds "
                         f"{buffer:,}; the file is truncated, padded or overlapping",
                   where=f"byte {8 + length}")
    return tensors, metadata
