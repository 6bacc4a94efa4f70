"""Reading a saved pipeline back: the JSON file → a :class:`TokenizerPipeline`, with checks.

Every component is rebuilt from an explicit table ``type name → class``; the only things read
are strings, numbers, booleans and lists, and a subword model's nested huggingface tokenizers
JSON (parsed by ``tokenizers`` itself), so loading never runs code from the file. Anything
unexpected (not JSON, another format, a ``format_version`` this code does not know, an unknown
``type``, an unknown or invalid field) raises :class:`FormatError` naming the file and the
field, e.g. ``tok.json: field 'normalizer.normalizers[1].form': ...``.

Writing is ``TokenizerPipeline.save`` (``pipeline.py``).
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.text.chinese import JiebaSegmenter
from embedlayer.text.models import (
    BPE,
    BPEConfig,
    WordLevel,
    WordPiece,
    WordPieceConfig,
    hf_tokenizer_from_json,
)
from embedlayer.text.normalizers import (
    Lowercase,
    NormalizerSequence,
    NumberNormalizer,
    StripAccents,
    UnicodeNormalizer,
)
from embedlayer.text.pipeline import FORMAT, FORMAT_VERSION, TokenizerPipeline
from embedlayer.text.pre_tokenizers import RegexWords, WhitespaceSplit

__all__ = ["component_from_dict", "load_tokenizer", "pipeline_from_dict"]

NORMALIZER_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (UnicodeNormalizer, Lowercase, NumberNormalizer, StripAccents, NormalizerSequence)
}
PRE_TOKENIZER_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (WhitespaceSplit, RegexWords, JiebaSegmenter)
}
MODEL_TYPES: dict[str, type] = {cls.__name__: cls for cls in (WordLevel, BPE, WordPiece)}
_TOP_LEVEL = ("format", "format_version", "normalizer", "pre_tokenizer", "model", "special_tokens")


class _Invalid(Exception):
    """A problem at one field of the document; turned into FormatError with the source."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field, self.message = field, message


def _dataclass(cls: type, data: dict[str, Any], where: str, *, skip: tuple[str, ...] = ()) -> Any:
    names = [f.name for f in fields(cls) if f.init]
    for key in data:
        if key not in names and key not in skip:
            raise _Invalid(f"{where}.{key}", f"unknown field; {cls.__name__} has {names}")
    try:
        return cls(**{k: v for k, v in data.items() if k not in skip})
    except ConfigError as exc:
        raise _Invalid(where, str(exc)) from None


def _component(data: Any, table: dict[str, type], where: str) -> Any:
    if not isinstance(data, dict):
        raise _Invalid(where, f"expected an object with a 'type'; got {type(data).__name__}")
    name = data.get("type")
    if name not in table:
        raise _Invalid(f"{where}.type", f"unknown type {name!r}; expected one of {sorted(table)}")
    cls = table[name]
    if cls is NormalizerSequence:
        items = data.get("normalizers", [])
        if not isinstance(items, list) or set(data) - {"type", "normalizers"}:
            raise _Invalid(where, "expected {'type': 'NormalizerSequence', 'normalizers': [...]}")
        parts = [
            _component(item, NORMALIZER_TYPES, f"{where}.normalizers[{i}]")
            for i, item in enumerate(items)
        ]
        return NormalizerSequence(tuple(parts))
    if cls in (BPE, WordPiece):
        return _subword(cls, data, where)
    return _dataclass(cls, data, where, skip=("type",))


def _subword(cls: Any, data: dict[str, Any], where: str) -> Any:
    extra = set(data) - {"type", "config", "tokenizer"}
    if extra:
        raise _Invalid(f"{where}.{sorted(extra)[0]}", "unknown field; expected config, tokenizer")
    config = data.get("config")
    if not isinstance(config, dict):
        raise _Invalid(f"{where}.config", "expected an object")
    config_cls = BPEConfig if cls is BPE else WordPieceConfig
    if "min_frequency" in config and "min_count" not in config:
        # Files saved before issue 13 named min_count min_frequency; same meaning, so the
        # format version did not change and they still load.
        config = {("min_count" if k == "min_frequency" else k): v for k, v in config.items()}
    parsed = _dataclass(config_cls, config, f"{where}.config")
    tokenizer = data.get("tokenizer")
    if tokenizer is not None:
        try:
            tokenizer = hf_tokenizer_from_json(tokenizer, cls.kind)
        except ValueError as exc:
            raise _Invalid(f"{where}.tokenizer", str(exc)) from None
    return cls.from_config(parsed, tokenizer)


def _pipeline(data: Any) -> TokenizerPipeline:
    if not isinstance(data, dict):
        raise _Invalid("(top level)", f"expected a JSON object; got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise _Invalid("format", f"expected {FORMAT!r}; got {data.get('format')!r}")
    version = data.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise _Invalid(
            "format_version",
            f"unsupported version {version!r}; this embedlayer reads version {FORMAT_VERSION}",
        )
    for key in data:
        if key not in _TOP_LEVEL:
            raise _Invalid(key, f"unknown field; expected {list(_TOP_LEVEL)}")
    for key in ("pre_tokenizer", "model"):
        if key not in data:
            raise _Invalid(key, "missing")
    raw_normalizer = data.get("normalizer")
    normalizer = (
        None
        if raw_normalizer is None
        else _component(raw_normalizer, NORMALIZER_TYPES, "normalizer")
    )
    pre_tokenizer = _component(data["pre_tokenizer"], PRE_TOKENIZER_TYPES, "pre_tokenizer")
    model = _component(data["model"], MODEL_TYPES, "model")
    special = data.get("special_tokens", [])
    if not isinstance(special, list):
        raise _Invalid("special_tokens", "expected a list of strings")
    try:
        return TokenizerPipeline(
            normalizer=normalizer, pre_tokenizer=pre_tokenizer, model=model, special_tokens=special
        )
    except ConfigError as exc:
        raise _Invalid("special_tokens", str(exc)) from None


def pipeline_from_dict(data: Any, *, source: str = "<dict>") -> TokenizerPipeline:
    """Rebuild a pipeline from ``TokenizerPipeline.to_dict()`` output; FormatError names
    ``source`` and the bad field."""
    try:
        return _pipeline(data)
    except _Invalid as exc:
        raise FormatError(f"{source}: field {exc.field!r}: {exc.message}") from None


def component_from_dict(data: Any, *, source: str = "<dict>") -> Any:
    """Rebuild one normalizer, pre-tokenizer or model from its ``to_dict()`` output."""
    table = {**NORMALIZER_TYPES, **PRE_TOKENIZER_TYPES, **MODEL_TYPES}
    try:
        return _component(data, table, "(component)")
    except _Invalid as exc:
        raise FormatError(f"{source}: field {exc.field!r}: {exc.message}") from None


def load_tokenizer(path: PathLike) -> TokenizerPipeline:
    """Load a pipeline saved with ``save``; FormatError names the file and the bad field."""
    file = Path(path)
    if not file.is_file():
        raise MissingFileError(f"{file}: no such tokenizer file")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{file}: not UTF-8 text (byte {exc.start}); expected a tokenizer JSON file"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "expected a tokenizer JSON file"
        ) from None
    return pipeline_from_dict(data, source=str(file))
