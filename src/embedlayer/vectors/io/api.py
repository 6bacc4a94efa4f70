"""``load_vectors`` / ``save_vectors``: one entry point for every format, by name or by content.

What it holds: option checking, format detection when none is named, dispatch to the one
module per format, and the promises every format keeps: loading never unpickles and never
runs code from the file; a damaged file is a ``FormatError`` naming the file, the place and
the problem (no crash, no hang, no giant allocation); saving is atomic (a failed save
leaves an existing file or folder as it was, and no half-written one). What it leaves out:
the formats themselves (``native.py``, ``word2vec.py``, ``glove.py``, ``projector.py``,
``npy.py``, ``fasttext_bin.py``) and detection rules (``detect.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, EmbedlayerError, FormatError, MissingFileError
from embedlayer.vectors.base import OOVVectorPolicy
from embedlayer.vectors.io._folder import FOLDER_FORMATS, check_target
from embedlayer.vectors.io._limits import progress_enabled
from embedlayer.vectors.io.detect import detect_format
from embedlayer.vectors.io.formats import (
    UnicodeErrors,
    VectorFormat,
    VerifyMode,
    check_encoding,
    check_format,
    check_limit,
    check_unicode_errors,
    check_verify,
)

if TYPE_CHECKING:
    from embedlayer.vectors.base import VectorStore
    from embedlayer.vectors.subword import SubwordVectors
    from embedlayer.vectors.vectors import Vectors

__all__ = ["load_vectors", "save_vectors"]

_OOV = ("raise", "zeros", "random")


def load_vectors(
    path: PathLike,
    *,
    format: VectorFormat | None = None,  # noqa: A002 - the file format's name
    limit: int | None = None,
    unicode_errors: UnicodeErrors = "strict",
    encoding: str = "utf-8",
    mmap: bool = True,
    verify: VerifyMode | None = None,
    oov: OOVVectorPolicy = "raise",
    allow_nonfinite: bool = False,
    progress: bool = True,
) -> Vectors | SubwordVectors:
    """Read vectors from ``path`` (a file or, for native/npy/projector-tsv, a folder).

    ``format``: one of ``FORMATS``; ``None`` detects it from the content (``detect_format``).
    ``limit``: read only the first rows (None: all; a file holding more rows than its
    header says is otherwise an error). ``encoding``: the encoding of the keys in text,
    word2vec, GloVe, projector, ``keys.txt`` and fastText .bin files (any ASCII-compatible
    codec; JSON keys are always UTF-8). ``unicode_errors``: what to do with keys that are not
    valid in it: "strict" refuses the file, "surrogateescape" keeps the exact bytes (and
    ``save_vectors`` writes them back unchanged), "replace"/"ignore"/"backslashreplace"
    give readable keys. ``mmap``: memory-map the matrix read-only
    (native, npy; other formats are parsed into memory). ``verify``: what a native folder is
    checked against its manifest — "full" (every byte's sha256 and finiteness), "metadata"
    (the keys file's sha256, sizes, header; O(keys)) or "none"; default "metadata" with
    ``mmap``, else "full". ``oov``: the policy of the returned ``Vectors`` for unknown keys.
    ``allow_nonfinite``: NaN and +-Inf are refused (``FormatError``) unless this is true; a
    memory-mapped native/npy matrix is not scanned for them (use ``verify="full"``).
    ``progress``: show a progress bar while reading a large file.

    A fastText .bin model comes back as the ``SubwordVectors`` of
    ``embedlayer.vectors.io.fasttext_bin`` (which composes unknown words from n-grams).
    """
    path = Path(path)
    limit = check_limit(limit)
    unicode_errors = check_unicode_errors(unicode_errors)
    encoding = check_encoding(encoding)
    verify = check_verify(verify)
    if oov not in _OOV:
        raise ConfigError(f"oov must be one of {', '.join(map(repr, _OOV))}; got {oov!r}")
    if not path.exists():
        raise MissingFileError(f"{path}: no such file or folder")
    fmt = detect_format(path) if format is None else check_format(format)
    try:
        with progress_enabled(progress):
            vectors = _read(fmt, path, limit=limit, unicode_errors=unicode_errors, mmap=mmap,
                            verify=verify, allow_nonfinite=allow_nonfinite, encoding=encoding)
    except EmbedlayerError:
        raise
    except IsADirectoryError:
        raise FormatError(f"{path}: a folder, but format {fmt!r} is a single file") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read as {fmt} ({exc.strerror or exc})") from None
    if oov != "raise" and hasattr(vectors, "with_oov"):
        vectors = vectors.with_oov(oov)
    return vectors


def _read(fmt: VectorFormat, path: Path, *, limit: int | None, unicode_errors: UnicodeErrors,
          mmap: bool, verify: VerifyMode | None, allow_nonfinite: bool, encoding: str) -> Any:
    if fmt == "native":
        from embedlayer.vectors.io.native import read_native

        return read_native(path, limit=limit, mmap=mmap, verify=verify,
                           allow_nonfinite=allow_nonfinite)
    if fmt in ("word2vec-text", "fasttext-vec"):
        from embedlayer.vectors.io.word2vec import read_word2vec_text

        return read_word2vec_text(path, limit=limit, unicode_errors=unicode_errors,
                                  allow_nonfinite=allow_nonfinite, encoding=encoding,
                                  fmt="fastText .vec" if fmt == "fasttext-vec" else "word2vec text")
    if fmt == "word2vec-binary":
        from embedlayer.vectors.io.word2vec import read_word2vec_binary

        return read_word2vec_binary(path, limit=limit, unicode_errors=unicode_errors,
                                    allow_nonfinite=allow_nonfinite, encoding=encoding)
    if fmt == "glove":
        from embedlayer.vectors.io.glove import read_glove

        return read_glove(path, limit=limit, unicode_errors=unicode_errors,
                          allow_nonfinite=allow_nonfinite, encoding=encoding)
    if fmt == "projector-tsv":
        from embedlayer.vectors.io.projector import read_projector

        return read_projector(path, limit=limit, unicode_errors=unicode_errors,
                              allow_nonfinite=allow_nonfinite, encoding=encoding)
    if fmt == "npy":
        from embedlayer.vectors.io.npy import read_npy

        return read_npy(path, limit=limit, mmap=mmap, unicode_errors=unicode_errors,
                        allow_nonfinite=allow_nonfinite, encoding=encoding)
    assert fmt == "fasttext-bin"
    if limit is not None:
        raise ConfigError("limit is not supported for fasttext-bin: a fastText model's word "
                          "rows and n-gram buckets are read whole")
    try:
        from embedlayer.vectors.io.fasttext_bin import read_fasttext_bin
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.fasttext_bin":
            raise
        raise FormatError(f"{path}: a fastText .bin model, but this installation cannot read "
                          f"them ({exc.name} is missing)") from None
    return read_fasttext_bin(path, mmap=mmap, unicode_errors=unicode_errors, encoding=encoding)


def save_vectors(
    vectors: VectorStore,
    path: PathLike,
    *,
    format: VectorFormat = "native",  # noqa: A002 - the file format's name
    encoding: str = "utf-8",
    progress: bool = True,
) -> Path:
    """Write ``vectors`` (any ``VectorStore``: its keys and matrix) to ``path`` atomically.

    Folder formats (native, npy, projector-tsv) write a folder at ``path``; the others one
    file. An existing file is replaced only when the new one is complete; an existing
    folder only if it holds nothing but vector files. Keys a format cannot store (a space in
    word2vec/GloVe keys, a tab in projector keys) are a ``ConfigError`` before anything is
    written. ``encoding``: the keys' encoding in word2vec, GloVe, fastText .vec and projector
    files (keys read with ``unicode_errors="surrogateescape"`` get their original bytes
    back). ``progress``: show a progress bar while writing a large matrix. Returns ``path``.
    """
    fmt = check_format(format, writing=True)
    encoding = check_encoding(encoding)
    path = Path(path)
    matrix = getattr(vectors, "matrix", None)
    vocab = getattr(vectors, "vocab", None)
    if matrix is None or vocab is None or getattr(matrix, "ndim", 0) != 2:
        raise ConfigError(f"save_vectors needs a VectorStore (vocab + 2-d matrix), got "
                          f"{type(vectors).__name__}")
    if matrix.shape[0] != len(vocab):
        raise ConfigError(f"{len(vocab)} keys for {matrix.shape[0]} matrix rows")
    if fmt not in FOLDER_FORMATS:  # the folder formats are checked by atomic_folder
        check_target(path, fmt)
    with progress_enabled(progress):
        return _write(fmt, vectors, path, encoding)


def _write(fmt: VectorFormat, vectors: Any, path: Path, encoding: str) -> Path:
    if fmt == "native":
        from embedlayer.vectors.io.native import write_native

        return write_native(vectors, path)
    if fmt in ("word2vec-text", "fasttext-vec"):
        from embedlayer.vectors.io.word2vec import write_word2vec_text

        return write_word2vec_text(vectors, path, fmt=fmt, encoding=encoding)
    if fmt == "word2vec-binary":
        from embedlayer.vectors.io.word2vec import write_word2vec_binary

        return write_word2vec_binary(vectors, path, encoding=encoding)
    if fmt == "glove":
        from embedlayer.vectors.io.glove import write_glove

        return write_glove(vectors, path, encoding=encoding)
    if fmt == "projector-tsv":
        from embedlayer.vectors.io.projector import write_projector

        return write_projector(vectors, path, encoding=encoding)
    assert fmt == "npy"
    from embedlayer.vectors.io.npy import write_npy

    return write_npy(vectors, path)
