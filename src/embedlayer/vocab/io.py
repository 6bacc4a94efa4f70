"""Saving and loading vocabularies and count shards: versioned JSON or TSV, atomic, pickle-free.

Formats (chosen by the file suffix: ``.json`` or ``.tsv``/``.txt``):

- JSON: ``{"format": "embedlayer.vocab", "format_version": 1, "specials": [...],
  "unk_token": ..., "tokens": [...], "counts": [...]}``.
- TSV: a first line ``#`` + the same header as one JSON object without tokens and counts
  (``"specials"`` is then the number of leading special rows), then ``token<TAB>count`` a line.
  Tokens holding a tab, a newline or a carriage return cannot be written to TSV (use JSON).

Count shards (``TokenCounter``) use the same two layouts with ``"format": "embedlayer.counts"``
and the counting statistics in the header, so shards counted elsewhere merge exactly.
Every load checks the format name and version and names the file and field that is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from embedlayer._atomic import atomic_write
from embedlayer._types import PathLike
from embedlayer.errors import FormatError, MissingFileError, VocabError
from embedlayer.vocab.counter import TokenCounter
from embedlayer.vocab.vocab import Vocab

__all__ = ["load_counter", "load_vocab", "save_counter", "save_vocab"]

VOCAB_FORMAT = "embedlayer.vocab"
COUNTS_FORMAT = "embedlayer.counts"
FORMAT_VERSION = 1
_TSV_SUFFIXES = {".tsv", ".txt"}
_BAD_TSV_CHARS = ("\t", "\n", "\r")


def _is_tsv(path: Path) -> bool:
    return path.suffix.lower() in _TSV_SUFFIXES


# --- writing ------------------------------------------------------------------------------
def _write(path: Path, header: dict[str, Any], tokens: list[str], counts: list[int]) -> None:
    if _is_tsv(path):
        for tok in tokens:
            if any(ch in tok for ch in _BAD_TSV_CHARS):
                raise VocabError(
                    f"{path}: token {tok!r} holds a tab or line break and cannot be written "
                    f"as TSV; save with a .json suffix instead"
                )
        with atomic_write(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("#" + json.dumps(header, ensure_ascii=False) + "\n")
            fh.writelines(f"{t}\t{c}\n" for t, c in zip(tokens, counts, strict=True))
    else:
        doc = {**header, "tokens": tokens, "counts": counts}
        with atomic_write(path, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False)


def save_vocab(vocab: Vocab, path: PathLike) -> Path:
    """Write ``vocab`` to ``path`` (JSON, or TSV for ``.tsv``/``.txt``), atomically."""
    path = Path(path)
    specials: Any = list(vocab.specials)
    if _is_tsv(path):
        specials = len(vocab.specials)
    unk = vocab.token(vocab.unk_id) if vocab.unk_id is not None else None
    header = {"format": VOCAB_FORMAT, "format_version": FORMAT_VERSION,
              "specials": specials, "unk_token": unk}
    _write(path, header, vocab.tokens, [int(c) for c in vocab.counts])
    return path


def save_counter(counter: TokenCounter, path: PathLike) -> Path:
    """Write a count shard (all counts plus the counting statistics), atomically."""
    path = Path(path)
    header = {
        "format": COUNTS_FORMAT, "format_version": FORMAT_VERSION,
        "sentences": counter.sentences, "tokens": counter.tokens,
        "pruned_types": counter.pruned_types, "pruned_tokens": counter.pruned_tokens,
        "min_reduce": counter.min_reduce, "max_types": counter.max_types,
    }
    items = counter.most_common()
    if not _is_tsv(path):
        header["token_total"] = header.pop("tokens")  # "tokens" holds the list in JSON
    _write(path, header, [t for t, _ in items], [c for _, c in items])
    return path


# --- reading ------------------------------------------------------------------------------
def _fail(path: Path, what: str) -> FormatError:
    return FormatError(f"{path}: {what}")


def _check_header(path: Path, header: Any, expected: str) -> dict[str, Any]:
    if not isinstance(header, dict):
        raise _fail(path, f"expected a JSON object header, got {type(header).__name__}")
    fmt = header.get("format")
    if fmt != expected:
        raise _fail(path, f"field 'format' is {fmt!r}, expected {expected!r}")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise _fail(path, f"field 'format_version' is {version!r}; this embedlayer reads "
                          f"version {FORMAT_VERSION}")
    return header


def _read(path: Path, expected: str) -> tuple[dict[str, Any], list[str], list[int]]:
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read: {exc.strerror}") from None
    if _is_tsv(path):
        return _parse_tsv(path, text, expected)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    header = _check_header(path, doc, expected)
    tokens, counts = header.pop("tokens", None), header.pop("counts", None)
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise _fail(path, "field 'tokens' must be a list of strings")
    if not isinstance(counts, list) or len(counts) != len(tokens):
        raise _fail(path, f"field 'counts' must be a list of {len(tokens)} integers")
    for i, c in enumerate(counts):
        if type(c) is not int or c < 0:
            raise _fail(path, f"field 'counts'[{i}] is {c!r}, expected an integer >= 0")
    return header, tokens, counts


def _tsv_rows(path: Path, lines: list[str]) -> Iterator[tuple[str, int]]:
    for lineno, line in enumerate(lines, start=2):
        parts = line.split("\t")
        if len(parts) != 2:
            raise _fail(path, f"line {lineno}: expected 'token<TAB>count', got {line[:60]!r}")
        tok, raw = parts
        if not raw.isdigit():
            raise _fail(path, f"line {lineno}: count {raw[:30]!r} is not an integer >= 0")
        yield tok, int(raw)


def _parse_tsv(path: Path, text: str, expected: str) -> tuple[dict[str, Any], list[str], list[int]]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].startswith("#"):
        raise _fail(path, f"line 1: expected a '#{{\"format\": \"{expected}\", ...}}' header")
    try:
        header = json.loads(lines[0][1:])
    except json.JSONDecodeError as exc:
        raise _fail(path, f"line 1: header is not valid JSON ({exc.msg})") from None
    header = _check_header(path, header, expected)
    rows = list(_tsv_rows(path, lines[1:]))
    return header, [t for t, _ in rows], [c for _, c in rows]


def load_vocab(path: PathLike) -> Vocab:
    """Read a vocabulary written by :func:`save_vocab`; ``FormatError`` names what is wrong."""
    path = Path(path)
    header, tokens, counts = _read(path, VOCAB_FORMAT)
    specials = header.get("specials", [])
    if isinstance(specials, int) and not isinstance(specials, bool):
        if not 0 <= specials <= len(tokens):
            raise _fail(path, f"field 'specials' is {specials}, expected 0..{len(tokens)}")
        specials = tokens[:specials]
    if not isinstance(specials, list) or not all(isinstance(s, str) for s in specials):
        raise _fail(path, "field 'specials' must be a list of strings (or a count in TSV)")
    unk = header.get("unk_token")
    if unk is not None and not isinstance(unk, str):
        raise _fail(path, f"field 'unk_token' is {unk!r}, expected a string or null")
    try:
        return Vocab(tokens, counts, specials=specials, unk_token=unk)
    except VocabError as exc:
        raise _fail(path, str(exc)) from None


def load_counter(path: PathLike) -> TokenCounter:
    """Read a count shard written by :func:`save_counter`."""
    path = Path(path)
    header, tokens, counts = _read(path, COUNTS_FORMAT)
    if len(set(tokens)) != len(tokens):
        raise _fail(path, "duplicate tokens in a count shard")
    stats = {k: header.get(k) for k in ("sentences", "pruned_types", "pruned_tokens", "min_reduce")}
    stats["tokens"] = header.get("tokens", header.get("token_total"))
    for key, value in stats.items():
        if type(value) is not int or value < 0:
            raise _fail(path, f"header field {key!r} is {value!r}, expected an integer >= 0")
    max_types = header.get("max_types")
    if max_types is not None and (type(max_types) is not int or max_types < 1):
        raise _fail(path, f"header field 'max_types' is {max_types!r}, expected an integer >= 1")
    return TokenCounter.from_state(dict(zip(tokens, counts, strict=True)), max_types=max_types, **stats)
