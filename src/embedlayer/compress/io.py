"""Compressed stores on disk: codes, codebooks, scales and factors as safetensors, the keys as
JSON, and a versioned manifest with every file's checksum. Pickle-free; loading runs no code
from the files and memory-maps the arrays.

Layout (``format_version`` 1)::

    <folder>/codes.safetensors   every array, named "<table>.<array>" ("rows.codes",
                                 "ngrams.codebooks", ...): uint8 codes, float32 the rest
    <folder>/keys.json           the vocabulary (``embedlayer.vocab.save_vocab``)
    <folder>/meta.json           {"format": "embedlayer.compressed", "format_version": 1,
                                  "store": "vectors" | "subword", "dim": D,
                                  "tables": {"rows" | "words" | "ngrams": codec params},
                                  "subword": {minn, maxn, bucket, encoding, no_subwords},
                                  "oov": ..., "steps": [...], "stats": {...},
                                  "files": {name: {"size", "sha256"}}}

What it holds: :func:`save_compressed`, :func:`load_compressed`, :func:`is_compressed_folder`.
What it leaves out: dense formats (``vectors.io``; ``load_vectors`` on such a folder says to
use :func:`load_compressed`, which the CLI does by itself).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer import __version__
from embedlayer._atomic import atomic_folder
from embedlayer._types import PathLike
from embedlayer.compress.codecs import codec_from_arrays
from embedlayer.compress.store import (
    CompressedSubwordVectors,
    CompressedVectors,
    CompressionStats,
)
from embedlayer.data._hashing import sha256_file
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.vectors.io._safetensors import header_bytes, read_header
from embedlayer.vectors.io._vocab import make_vocab, parse_vocab_json
from embedlayer.vocab import save_vocab

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "is_compressed_folder", "load_compressed",
           "save_compressed"]

FORMAT_NAME = "embedlayer.compressed"
FORMAT_VERSION = 1
ARRAYS_FILE = "codes.safetensors"
KEYS_FILE = "keys.json"
META_FILE = "meta.json"
_FILES = frozenset({ARRAYS_FILE, KEYS_FILE, META_FILE})
_DTYPES = {np.dtype(np.uint8): "U8", np.dtype(np.float32): "F32"}
_NUMPY = {"U8": np.uint8, "F32": np.float32}
_META_LIMIT = 1 << 20


def _digest(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}


def _tables(store: Any) -> dict[str, Any]:
    if isinstance(store, CompressedSubwordVectors):
        return {"words": store.word_codec, "ngrams": store.ngram_codec}
    if isinstance(store, CompressedVectors):
        return {"rows": store.codec}
    raise ConfigError(f"save_compressed: expected a CompressedVectors or "
                      f"CompressedSubwordVectors, got {type(store).__name__}")


def save_compressed(store: Any, folder: PathLike) -> Path:
    """Write ``store`` to ``folder`` atomically (an existing folder is replaced only when it
    holds nothing but these three files)."""
    folder = Path(folder)
    tables = _tables(store)
    arrays = {f"{t}.{name}": np.ascontiguousarray(arr)
              for t, codec in tables.items() for name, arr in codec.arrays().items()}
    # float32 arrays first: each then starts 4-byte aligned in the memory map (the uint8
    # codes, of any length, come last)
    arrays = dict(sorted(arrays.items(), key=lambda kv: kv[1].dtype == np.uint8))
    with atomic_folder(folder, fmt="a compressed vectors folder", allowed=_FILES) as tmp:
        head = header_bytes({k: (_DTYPES[a.dtype], a.shape) for k, a in arrays.items()},
                            {"format": FORMAT_NAME})
        with open(tmp / ARRAYS_FILE, "wb") as fh:
            fh.write(head)
            for a in arrays.values():
                fh.write(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
        save_vocab(store.vocab, tmp / KEYS_FILE)
        meta: dict[str, Any] = {
            "format": FORMAT_NAME, "format_version": FORMAT_VERSION,
            "store": "subword" if isinstance(store, CompressedSubwordVectors) else "vectors",
            "dim": store.dim, "rows": len(store),
            "tables": {t: codec.params() for t, codec in tables.items()},
            "steps": store.steps,
            "stats": store.stats.as_dict() if store.stats is not None else None,
            "created_by": f"embedlayer {__version__}",
        }
        if isinstance(store, CompressedSubwordVectors):
            meta["subword"] = {"minn": store.minn, "maxn": store.maxn, "bucket": store.bucket,
                               "encoding": store.encoding,
                               "no_subwords": sorted(store.no_subwords)}
        else:
            meta["oov"] = {"policy": store.oov, "seed": store._oov_seed}
        meta["files"] = {name: _digest(tmp / name) for name in (ARRAYS_FILE, KEYS_FILE)}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return folder


def is_compressed_folder(path: PathLike) -> bool:
    """Whether ``path`` is a folder whose meta.json names this format."""
    meta = Path(path) / META_FILE
    if not meta.is_file() or meta.stat().st_size > _META_LIMIT:
        return False
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("format") == FORMAT_NAME


def _fail(path: Path, problem: str) -> FormatError:
    return FormatError(f"{path}: {problem}")


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such folder")
    if not path.is_file():
        raise _fail(folder, f"not a compressed vectors folder: {META_FILE} is missing")
    if path.stat().st_size > _META_LIMIT:
        raise _fail(path, f"{path.stat().st_size:,} bytes; a manifest is a few kilobytes")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _fail(path, f"not valid JSON ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise _fail(path, f"field 'format' is {got!r}, expected {FORMAT_NAME!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise _fail(path, f"field 'format_version' is {meta.get('format_version')!r}; this "
                          f"embedlayer reads version {FORMAT_VERSION}")
    if meta.get("store") not in ("vectors", "subword"):
        raise _fail(path, f"field 'store' is {meta.get('store')!r}, expected 'vectors' or "
                          f"'subword'")
    files = meta.get("files")
    for name in (ARRAYS_FILE, KEYS_FILE):
        entry = files.get(name) if isinstance(files, dict) else None
        if not (isinstance(entry, dict) and isinstance(entry.get("size"), int)
                and isinstance(entry.get("sha256"), str)):
            raise _fail(path, f"field 'files' needs {{'size', 'sha256'}} for {name}, got "
                              f"{entry!r}")
    if not isinstance(meta.get("tables"), dict):
        raise _fail(path, "field 'tables' must be an object of codec parameters")
    return meta


def _check_file(folder: Path, name: str, expected: dict[str, Any], verify: bool) -> Path:
    path = folder / name
    if not path.is_file():
        raise _fail(folder, f"{name} is missing")
    size = path.stat().st_size
    if size != expected["size"]:
        raise _fail(path, f"{size:,} bytes, but {META_FILE} records {expected['size']:,}; the "
                          f"file was changed, truncated or replaced")
    if verify and _digest(path)["sha256"] != expected["sha256"]:
        raise _fail(path, f"sha256 differs from the one recorded in {META_FILE}; the file "
                          f"was changed or damaged")
    return path


def load_compressed(path: PathLike, *, mmap: bool = True, verify: bool = True) -> Any:
    """Read a folder written by :func:`save_compressed`. ``mmap``: map the arrays read-only
    instead of reading them; ``verify``: check both files' sha256 (sizes always are)."""
    folder = Path(path)
    meta = _read_meta(folder)
    files = meta["files"]
    keys_path = _check_file(folder, KEYS_FILE, files[KEYS_FILE], verify)
    arrays_path = _check_file(folder, ARRAYS_FILE, files[ARRAYS_FILE], verify)
    tokens, counts, specials, unk = parse_vocab_json(keys_path, keys_path.read_bytes())
    vocab = make_vocab(keys_path, tokens, lambda i: f"key {i + 1}", counts=counts,
                       specials=specials, unk_token=unk)
    with open(arrays_path, "rb") as fh:
        infos, _ = read_header(arrays_path, fh, arrays_path.stat().st_size)
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for name, info in infos.items():
        table, _, field = name.partition(".")
        if info.dtype not in _NUMPY or not field:
            raise _fail(arrays_path, f"tensor {name!r} ({info.dtype}) is not one this format "
                                     f"writes")
        dtype = np.dtype(_NUMPY[info.dtype]).newbyteorder("<")
        if mmap and info.nbytes:
            arr = np.memmap(arrays_path, dtype=dtype, mode="r", offset=info.offset,
                            shape=info.shape)
        else:
            with open(arrays_path, "rb") as fh:
                fh.seek(info.offset)
                arr = np.frombuffer(fh.read(info.nbytes), dtype=dtype).reshape(info.shape)
        arrays.setdefault(table, {})[field] = arr.astype(dtype.newbyteorder("="), copy=False)
    where = f"{arrays_path}"
    codecs = {t: codec_from_arrays(arrays.get(t, {}), params, f"{where} (table {t!r})")
              for t, params in meta["tables"].items()}
    stats = None
    if isinstance(meta.get("stats"), dict):
        try:
            stats = CompressionStats(**meta["stats"])
        except TypeError:
            raise _fail(folder / META_FILE, "field 'stats' has unexpected fields") from None
    steps = meta.get("steps") if isinstance(meta.get("steps"), list) else []
    try:
        if meta["store"] == "subword":
            sub = meta.get("subword")
            if not isinstance(sub, dict) or "words" not in codecs or "ngrams" not in codecs:
                raise _fail(folder / META_FILE, "a subword store needs the 'subword' settings "
                                                "and the tables 'words' and 'ngrams'")
            return CompressedSubwordVectors(
                vocab, codecs["words"], codecs["ngrams"], minn=sub.get("minn"),
                maxn=sub.get("maxn"), bucket=sub.get("bucket"),
                no_subwords=sub.get("no_subwords", ()), encoding=sub.get("encoding", "utf-8"),
                steps=steps, stats=stats)
        if "rows" not in codecs:
            raise _fail(folder / META_FILE, "a vectors store needs the table 'rows'")
        oov = meta.get("oov") if isinstance(meta.get("oov"), dict) else {}
        return CompressedVectors(vocab, codecs["rows"], oov=oov.get("policy", "raise"),
                                 oov_seed=oov.get("seed", 0), steps=steps, stats=stats)
    except ConfigError as exc:
        raise _fail(folder, str(exc)) from None
