"""The names of the vector file formats and of the reading options, with their checks.

What it holds: the ``VectorFormat`` literal and ``FORMATS`` (every name ``load_vectors`` and
``save_vectors`` know, in the order the docs list them), the ``UnicodeErrors`` and
``VerifyMode`` literals, and the functions that turn a bad choice into a ``ConfigError``
listing the valid ones. What it leaves out: reading and writing (one module per format) and
recognizing a file by its content (``detect.py``).
"""

from __future__ import annotations

from typing import Literal, get_args

from embedlayer.errors import ConfigError

__all__ = [
    "FORMATS",
    "READ_ONLY_FORMATS",
    "UnicodeErrors",
    "VectorFormat",
    "VerifyMode",
    "UNICODE_ERRORS",
    "check_encoding",
    "check_format",
    "check_limit",
    "check_unicode_errors",
    "check_verify",
]

# native          a folder: vectors.safetensors + keys.json + meta.json (embedlayer's own)
# word2vec-text   "N D" header, then "key v1 ... vD" lines (the C tool's -binary 0)
# word2vec-binary "N D\n" header, then key, space, D little-endian float32 (and "\n")
# glove           "key v1 ... vD" lines, no header (Stanford GloVe)
# fasttext-vec    the word2vec text layout, as fastText's .vec files
# fasttext-bin    a whole fastText model (.bin): word and n-gram rows; read only
# projector-tsv   a folder: vectors.tsv + metadata.tsv (TensorBoard's embedding projector)
# npy             a folder: matrix.npy (np.save) + vocab.json (or keys.txt)
VectorFormat = Literal[
    "native", "word2vec-text", "word2vec-binary", "glove", "fasttext-vec", "fasttext-bin",
    "projector-tsv", "npy",
]
FORMATS: tuple[VectorFormat, ...] = get_args(VectorFormat)
READ_ONLY_FORMATS: tuple[VectorFormat, ...] = ("fasttext-bin",)

# How undecodable bytes in keys are handled (Python's codec error handlers, as gensim's
# ``unicode_errors``): the C word2vec tool cuts long words at a byte count, which can split a
# UTF-8 character; "replace" keeps such a key as "...\ufffd", "ignore" drops the cut bytes.
# "surrogateescape" is lossless: each undecodable byte becomes a lone surrogate that writing
# turns back into the same byte; "backslashreplace" gives readable keys such as "caf\\xe9".
UnicodeErrors = Literal["strict", "replace", "ignore", "backslashreplace", "surrogateescape"]
UNICODE_ERRORS: tuple[str, ...] = get_args(UnicodeErrors)

# How much of a native folder is checked against meta.json: every byte (sha256 of the
# matrix too), the small files and the sizes/header only (O(keys), keeps a memory-mapped load
# cheap), or nothing beyond what is needed to read it safely.
VerifyMode = Literal["full", "metadata", "none"]


def _check(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def check_format(value: object, *, writing: bool = False) -> VectorFormat:
    """``value`` as a ``VectorFormat``; ``ConfigError`` listing the choices otherwise."""
    choices = tuple(f for f in FORMATS if not (writing and f in READ_ONLY_FORMATS))
    if writing and value in READ_ONLY_FORMATS:
        raise ConfigError(f"format {value!r} can be read but not written; write one of "
                          f"{', '.join(map(repr, choices))}")
    _check("format", value, choices)
    return value  # type: ignore[return-value]


def check_unicode_errors(value: object) -> UnicodeErrors:
    _check("unicode_errors", value, get_args(UnicodeErrors))
    return value  # type: ignore[return-value]


def check_encoding(value: object) -> str:
    """``value`` as a codec name the readers can use: known and ASCII-compatible.

    Every text and binary vector format delimits keys with ASCII spaces, tabs and line
    breaks, so the encoding must write those as single ASCII bytes (UTF-8, cp1252, cp852,
    latin-1, ... do; UTF-16 does not).
    """
    import codecs

    if not isinstance(value, str):
        raise ConfigError(f"encoding must be a codec name such as 'utf-8', got {value!r}")
    try:
        name = codecs.lookup(value).name
    except LookupError:
        raise ConfigError(f"encoding {value!r} is not a codec Python knows (e.g. 'utf-8', "
                          f"'cp1252', 'cp852', 'latin-1')") from None
    probe = "k 0.5\t-1\n"
    try:
        ascii_compatible = probe.encode(name) == probe.encode("ascii")
    except UnicodeError:  # pragma: no cover - every ASCII-compatible codec encodes ASCII
        ascii_compatible = False
    if not ascii_compatible:
        raise ConfigError(f"encoding {value!r} does not write spaces, tabs and line breaks as "
                          f"ASCII bytes, which every vector file format relies on; convert "
                          f"the file to UTF-8 first")
    return name


def check_verify(value: object) -> VerifyMode | None:
    if value is not None:
        _check("verify", value, get_args(VerifyMode))
    return value  # type: ignore[return-value]


def check_limit(value: object) -> int | None:
    """``None`` (read every row) or a row count >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"limit must be None or an integer >= 1 (rows to read); got {value!r}")
    return value
