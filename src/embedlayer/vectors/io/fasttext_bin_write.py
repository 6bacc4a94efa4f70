"""Writing facebook fastText's binary model (``.bin``), version 12, from word vectors.

What it holds: :func:`write_fasttext_bin`, the writer of the file ``FastText::saveModel``
writes and ``fasttext_bin.py`` reads (the layout is described there): int32 magic 793712314
and version 12; the Args block (12 int32 + 1 float64); the Dictionary (sizes, int64
ntokens, pruneidx_size -1, then per word its UTF-8 bytes, NUL, int64 count, int8 type 0);
quant_input false; the input matrix (nwords + bucket, dim) = word rows then n-gram bucket
rows; qout false; the output matrix (nwords, dim). Little-endian, float32.

A ``SubwordVectors`` keeps its n-gram rows, ``minn``, ``maxn`` and ``bucket``; a plain
``Vectors`` is written with no n-grams (bucket 0, maxn 0: fastText then composes nothing and
an unknown word's vector is zeros). facebook fastText (``fasttext.load_model``) and gensim
(``load_facebook_model`` / ``load_facebook_vectors``) read the result. The output matrix is
the trained one when given, else zeros (enough for word vectors, not to continue training).

What it leaves out: supervised and quantized models (labels, word n-grams, ``.ftz``), reading
(``fasttext_bin.py``), and choosing the training arguments: they are recorded as given.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any, Literal

import numpy as np

from embedlayer._atomic import atomic_write
from embedlayer._types import PathLike
from embedlayer.errors import ConfigError
from embedlayer.vocab import EOS

__all__ = ["bin_keeps_subwords", "write_fasttext_bin"]

_MAGIC = 793712314
_VERSION = 12
_HEADER = struct.Struct("<2i12id")  # magic, version; Args: dim ws epoch minCount neg wordNgrams
#                                     loss model bucket minn maxn lrUpdateRate, t
_DICT = struct.Struct("<3iqq")  # size, nwords, nlabels, ntokens, pruneidx_size
_MATRIX = struct.Struct("<2q")  # rows, columns
_ENTRY_TAIL = struct.Struct("<qb")  # count, entry type (0 = word)
_LOSS_NS = 2
_MODELS = {"cbow": 1, "skipgram": 2}
_ROWS_PER_WRITE = 65536  # float32 rows converted and written at a time (bounded memory)


def _word_bytes(word: str, encoding: str = "utf-8") -> bytes:
    # surrogateescape gives back the exact bytes of a word read with unicode_errors=
    # "surrogateescape"; the encoding is the store's, so n-grams keep hashing the same bytes.
    try:
        data = word.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        raise ConfigError(f"word {word!r} cannot be encoded as {encoding} for a fastText "
                          f".bin") from None
    if not data or b"\0" in data:
        raise ConfigError(f"word {word!r}: a fastText .bin word must be non-empty and hold no "
                          f"NUL byte")
    return data


def _write_rows(fh: Any, matrix: np.ndarray) -> None:
    """``matrix`` as little-endian float32, in blocks (no copy of a whole float32 matrix)."""
    for a in range(0, matrix.shape[0], _ROWS_PER_WRITE):
        block = np.ascontiguousarray(matrix[a:a + _ROWS_PER_WRITE], dtype="<f4")
        fh.write(memoryview(block).cast("B"))


def _int32(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not \
            0 <= value < 2**31:
        raise ConfigError(f"{name} must be an int in [0, 2**31) for a fastText .bin, got {value!r}")
    return int(value)


def bin_keeps_subwords(no_subwords: Any, vocab: Any, maxn: int) -> bool:
    """Whether a fastText .bin can record which words get no n-grams: fastText (version 12)
    gives ``"</s>"`` and only it none, so any other set would change the vectors once read
    back."""
    skip = frozenset(no_subwords)
    return not (skip - {EOS}) and not (EOS not in skip and EOS in vocab and maxn > 0)


def write_fasttext_bin(
    vectors: Any,
    path: PathLike,
    *,
    output_matrix: np.ndarray | None = None,
    counts: np.ndarray | None = None,
    ntokens: int | None = None,
    model: Literal["skipgram", "cbow"] = "skipgram",
    window: int = 5,
    epochs: int = 5,
    min_count: int = 1,
    negative: int = 5,
    sample: float = 1e-4,
    lr_update_rate: int = 100,
) -> Path:
    """Write ``vectors`` (``SubwordVectors`` or ``Vectors``) as a fastText ``.bin``; returns path.

    ``output_matrix`` (nwords, dim): the NS output rows (zeros when None). ``counts``: the
    word counts stored in the dictionary (default the vocabulary's; a count below 1 is written
    as 1, since readers such as gensim drop words counted 0). ``ntokens``: the corpus size
    recorded (default the sum of the counts). The other arguments are recorded in the Args
    block as the training settings. Atomic: an existing file is replaced only when complete.
    """
    if model not in _MODELS:
        raise ConfigError(f"model must be 'skipgram' or 'cbow', got {model!r}")
    matrix = getattr(vectors, "word_matrix", None)
    ngrams = getattr(vectors, "ngram_matrix", None)
    if matrix is None:  # a plain Vectors: its rows, no n-grams
        matrix = getattr(vectors, "matrix", None)
        if matrix is None or getattr(matrix, "ndim", 0) != 2:
            raise ConfigError(f"write_fasttext_bin needs SubwordVectors or Vectors, got "
                              f"{type(vectors).__name__}")
        ngrams = np.zeros((0, matrix.shape[1]), np.float32)
        minn = maxn = bucket = 0
        skip: frozenset[str] = frozenset({EOS})
    else:
        bucket = int(vectors.bucket)
        minn, maxn = (int(vectors.minn), int(vectors.maxn)) if bucket else (0, 0)
        skip = frozenset(vectors.no_subwords)
    tokens = list(vectors.vocab.tokens)
    nwords, dim = len(tokens), int(matrix.shape[1])
    if not bin_keeps_subwords(skip, vectors.vocab, maxn):
        raise ConfigError(f"no_subwords={sorted(skip)}: a fastText .bin gives no n-grams to "
                          f"{EOS!r} and to no other word; these vectors cannot be written as one")
    if output_matrix is None:
        output_matrix = np.zeros((nwords, dim), np.float32)
    elif output_matrix.shape != (nwords, dim):
        raise ConfigError(f"output_matrix is {output_matrix.shape}, expected ({nwords}, {dim})")
    if counts is None:
        counts = np.asarray(vectors.vocab.counts, dtype=np.int64)
    counts = np.maximum(np.asarray(counts, dtype=np.int64), 1)
    if counts.shape != (nwords,):
        raise ConfigError(f"counts has shape {counts.shape}, expected ({nwords},)")
    ntokens = int(counts.sum()) if ntokens is None else int(ntokens)
    if not (math.isfinite(sample) and sample >= 0):
        raise ConfigError(f"sample must be a finite number >= 0, got {sample!r}")
    header = _HEADER.pack(
        _MAGIC, _VERSION, _int32("dim", dim), _int32("window", window), _int32("epochs", epochs),
        _int32("min_count", min_count), _int32("negative", negative), 1, _LOSS_NS,
        _MODELS[model], _int32("bucket", bucket), _int32("minn", minn), _int32("maxn", maxn),
        _int32("lr_update_rate", lr_update_rate), float(sample))
    _int32("nwords + bucket", nwords + bucket)
    # A store read from a .bin in another encoding hashes its n-grams from those bytes: the
    # words are written back in it, so the file reads (and composes) as the original did.
    encoding = getattr(vectors, "encoding", "utf-8")
    entries = b"".join(_word_bytes(w, encoding) + b"\0" + _ENTRY_TAIL.pack(int(c), 0)
                       for w, c in zip(tokens, counts.tolist(), strict=True))
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        fh.write(header)
        fh.write(_DICT.pack(nwords, nwords, 0, ntokens, -1))
        fh.write(entries)
        fh.write(b"\0")  # quant_input
        fh.write(_MATRIX.pack(nwords + bucket, dim))
        _write_rows(fh, matrix)
        _write_rows(fh, ngrams)
        fh.write(b"\0")  # qout
        fh.write(_MATRIX.pack(nwords, dim))
        _write_rows(fh, output_matrix)
    return path
