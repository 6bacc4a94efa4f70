"""Saving and loading vocabularies and count shards: versioned JSON or TSV, atomic, pickle-free.

Formats (``VocabFormat``; when not named, chosen by the file suffix on writing, and on reading
by the suffix and the first line, see ``detect_format``):

- ``"json"``: ``{"format": "embedlayer.vocab", "format_version": 1, "specials": [...],
  "unk_token": ..., "tokens": [...], "counts": [...]}``.
- ``"tsv"`` (``.tsv``/``.txt``): a first line ``#`` + the same header as one JSON object without
  tokens and counts (``"specials"`` is then the number of leading special rows), then
  ``token<TAB>count`` a line. Tokens holding a tab, a newline or a carriage return cannot be
  written to TSV (use JSON).
- ``"word-count"`` (``.vocab``; read from any file without the two headers above): the plain
  ``word<space or tab>count`` a line of word2vec's ``-save-vocab`` and similar tools, no header,
  no format version. The file's order is the id order; it records no special tokens, so a
  vocabulary with specials comes back with them as ordinary tokens. Tokens holding
  whitespace cannot be written to it.

Count shards (``TokenCounter``) use the same two layouts with ``"format": "embedlayer.counts"``
and the counting statistics in the header, so shards counted elsewhere merge exactly.
Every load checks the format name and version and names the file and field that is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from embedlayer._atomic import atomic_write
from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, FormatError, MissingFileError, VocabError
from embedlayer.vocab.counter import TokenCounter
from embedlayer.vocab.vocab import Vocab

__all__ = ["VOCAB_FORMATS", "VocabFormat", "detect_format", "load_counter", "load_vocab",
           "save_counter", "save_vocab"]

VocabFormat = Literal["json", "tsv", "word-count"]
VOCAB_FORMATS: tuple[VocabFormat, ...] = ("json", "tsv", "word-count")
VOCAB_FORMAT = "embedlayer.vocab"
COUNTS_FORMAT = "embedlayer.counts"
FORMAT_VERSION = 1
_SUFFIX_FORMATS: dict[str, VocabFormat] = {
    ".json": "json", ".tsv": "tsv", ".txt": "tsv", ".vocab": "word-count",
}
_BAD_TSV_CHARS = ("\t", "\n", "\r")


def _check_format(fmt: str | None) -> None:
    if fmt is not None and fmt not in VOCAB_FORMATS:
        raise ConfigError(f"vocabulary format {fmt!r} is unknown; expected one of "
                          f"{', '.join(VOCAB_FORMATS)}")


def _format_for_writing(path: Path, fmt: VocabFormat | None) -> VocabFormat:
    _check_format(fmt)
    return fmt or _SUFFIX_FORMATS.get(path.suffix.lower(), "json")


def detect_format(path: PathLike, first_line: str) -> VocabFormat:
    """The format of a vocabulary file from its suffix and first line.

    ``.json`` is JSON; a first line starting with ``#{`` is the TSV header; any other file
    starting with ``{"`` is JSON; everything else is read as plain ``word count`` lines (so a
    word-count file whose first token is ``#...`` or ``{...`` is still read as one).
    """
    if Path(path).suffix.lower() == ".json":
        return "json"
    if first_line.startswith("#{"):
        return "tsv"
    if first_line.lstrip().startswith('{"'):
        return "json"
    return "word-count"


# --- writing ------------------------------------------------------------------------------
def _write(path: Path, fmt: VocabFormat, header: dict[str, Any], tokens: list[str],
           counts: list[int]) -> None:
    if fmt == "word-count":
        for tok in tokens:
            if tok != tok.strip() or len(tok.split()) != 1:
                raise VocabError(
                    f"{path}: token {tok!r} holds whitespace and cannot be written as a "
                    f"'word count' file; save as json instead"
                )
        with atomic_write(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(f"{t} {c}\n" for t, c in zip(tokens, counts, strict=True))
    elif fmt == "tsv":
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


def save_vocab(vocab: Vocab, path: PathLike, *, format: VocabFormat | None = None) -> Path:  # noqa: A002 - file format
    """Write ``vocab`` to ``path``, atomically.

    ``format`` defaults by suffix: TSV for ``.tsv``/``.txt``, word-count for ``.vocab``, else
    JSON. A word-count file keeps tokens and counts only (no specials, no unknown token).
    """
    path = Path(path)
    fmt = _format_for_writing(path, format)
    specials: Any = list(vocab.specials)
    if fmt == "tsv":
        specials = len(vocab.specials)
    unk = vocab.token(vocab.unk_id) if vocab.unk_id is not None else None
    header = {"format": VOCAB_FORMAT, "format_version": FORMAT_VERSION,
              "specials": specials, "unk_token": unk}
    _write(path, fmt, header, vocab.tokens, [int(c) for c in vocab.counts])
    return path


def save_counter(counter: TokenCounter, path: PathLike, *,
                 format: VocabFormat | None = None) -> Path:  # noqa: A002 - file format
    """Write a count shard (all counts plus the counting statistics), atomically.

    A word-count file holds the counts only: read back, its statistics are the sum of its
    counts as tokens and no sentences or pruning.
    """
    path = Path(path)
    fmt = _format_for_writing(path, format)
    header = {
        "format": COUNTS_FORMAT, "format_version": FORMAT_VERSION,
        "sentences": counter.sentences, "tokens": counter.tokens,
        "pruned_types": counter.pruned_types, "pruned_tokens": counter.pruned_tokens,
        "min_reduce": counter.min_reduce, "max_types": counter.max_types,
    }
    items = counter.most_common()
    if fmt == "json":
        header["token_total"] = header.pop("tokens")  # "tokens" holds the list in JSON
    _write(path, fmt, header, [t for t, _ in items], [c for _, c in items])
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


def _read(path: Path, expected: str, fmt: VocabFormat | None,
          ) -> tuple[dict[str, Any] | None, list[str], list[int]]:
    """Header (``None`` for a word-count file), tokens and counts of a vocabulary or shard."""
    _check_format(fmt)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read: {exc.strerror}") from None
    fmt = fmt or detect_format(path, text[:200].split("\n", 1)[0])
    if fmt == "word-count":
        return None, *_parse_word_counts(path, text)
    if fmt == "tsv":
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


def _parse_word_counts(path: Path, text: str) -> tuple[list[str], list[int]]:
    # A tab, when present, is the separator (tokens may then hold spaces, as in TSV);
    # otherwise the line is split on spaces. Either way exactly two fields.
    tokens: list[str] = []
    counts: list[int] = []
    first_line: dict[str, int] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r")
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) != 2 or not parts[0]:
            raise _fail(path, f"line {lineno}: expected 'word count' (separated by a space or "
                              f"a tab), got {line[:60]!r}")
        tok, raw = parts[0], parts[1].strip()
        if not raw.isascii() or not raw.isdigit():
            raise _fail(path, f"line {lineno}: count {raw[:30]!r} is not an integer >= 0")
        if tok in first_line:
            raise _fail(path, f"line {lineno}: token {tok!r} repeats line {first_line[tok]}")
        first_line[tok] = lineno
        tokens.append(tok)
        counts.append(int(raw))
    if not tokens:
        raise _fail(path, "no 'word count' lines; expected at least one")
    return tokens, counts


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


def load_vocab(path: PathLike, *, format: VocabFormat | None = None) -> Vocab:  # noqa: A002 - file format
    """Read a vocabulary: :func:`save_vocab`'s JSON or TSV, or a plain ``word count`` file.

    ``format=None`` detects it (see ``detect_format``). ``FormatError`` names the file and
    the field or line that is wrong. A word-count file gives a vocabulary in file order,
    without special tokens.
    """
    path = Path(path)
    header, tokens, counts = _read(path, VOCAB_FORMAT, format)
    if header is None:
        try:
            return Vocab(tokens, counts, specials=(), unk_token=None)
        except VocabError as exc:
            raise _fail(path, str(exc)) from None
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


def load_counter(path: PathLike, *, format: VocabFormat | None = None) -> TokenCounter:  # noqa: A002 - file format
    """Read a count shard written by :func:`save_counter`, or a plain ``word count`` file.

    A word-count file (detected as in ``load_vocab``) counts as ``sum(counts)`` tokens in
    0 sentences, nothing pruned: merged with other shards, its counts add up exactly.
    """
    path = Path(path)
    header, tokens, counts = _read(path, COUNTS_FORMAT, format)
    if header is None:
        return TokenCounter.from_state(dict(zip(tokens, counts, strict=True)), sentences=0,
                                       tokens=sum(counts))
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
