"""Versioned JSON documents: the one reader behind every saved folder's description file.

What it holds: :func:`read_json_doc`, which reads a JSON object that names its ``format`` and
``format_version`` and checks both (and any required fields), so every loader reports a
missing file, bad JSON, a foreign format or an unsupported version in the same words, naming
the file. JSON never runs code. What it leaves out: writing (atomic writes: ``_atomic``) and
each format's own fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from embedlayer.errors import FormatError, MissingFileError

__all__ = ["read_json_doc"]


def read_json_doc(
    path: Path, *, fmt: str, version: int, required: Iterable[str] = (),
    missing: str = "no such file",
) -> dict[str, Any]:
    """The JSON object at ``path``, with ``format == fmt`` and ``format_version == version``.

    ``missing`` is the message when the file does not exist ("no checkpoint here").
    """
    if not path.is_file():
        raise MissingFileError(f"{path}: {missing}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise FormatError(f"{path}: field 'format' is {got!r}, expected {fmt!r}")
    if doc.get("format_version") != version:
        raise FormatError(f"{path}: format_version {doc.get('format_version')!r} is not "
                          f"supported (this embedlayer reads version {version})")
    for key in required:
        if key not in doc:
            raise FormatError(f"{path}: field {key!r} is missing")
    return doc
