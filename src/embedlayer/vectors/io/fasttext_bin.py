"""Reading facebook fastText's binary model (``.bin``) as ``SubwordVectors``.

What it holds: a by-hand parser of the file fastText's ``FastText::saveModel`` writes (struct
and numpy only: nothing in the file is ever executed or unpickled), in its two layouts:

- versions 11 and 12: int32 magic 793712314, int32 version, then the parts below;
- the pre-2017 layout without magic and version (``lee_fasttext.bin`` from gensim's tests).

The parts, little-endian (fastText writes native x86 order): Args (12 int32 + 1 float64: dim,
ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate, t);
Dictionary (int32 size, nwords, nlabels, int64 ntokens, [int64 pruneidx_size]; ``size``
entries of NUL-terminated word bytes, int64 count, int8 type; [pruneidx pairs]); [bool
quant_input]; the input DenseMatrix (int64 m, int64 n, m*n float32) whose first ``nwords``
rows are the words and the next ``bucket`` rows the n-gram buckets; [bool qout]; the output
matrix (checked for length, never loaded). Bracketed fields exist in versions 11 and 12 only.

Every count is checked against the bytes left in the file before anything is allocated, and
every problem raises ``FormatError`` naming the file, the byte offset and what was expected.
Vectors follow the fastText that reads the file: from version 11 on, ``</s>`` uses no n-grams;
the pre-2017 fastText gave it n-grams like any word (its ``.vec`` output confirms it). One old
rule is not kept: a pre-2017 model trained with minn = 1 also counted ``<`` and ``>`` alone as
n-grams; today's rule (and gensim's) leaves them out.

What it leaves out: supervised classifiers and quantized ``.ftz`` models (refused: they are
not word vectors), the output matrix, writing ``.bin`` files, and detection of the format among
others (``vectors/io``'s dispatcher; ``sniff_fasttext_bin`` helps it).
"""

from __future__ import annotations

import math
import mmap as _mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, FormatError, MissingFileError, VocabError
from embedlayer.vectors.io._limits import decode_hint, encoding_label
from embedlayer.vectors.io.formats import UNICODE_ERRORS, UnicodeErrors, check_encoding
from embedlayer.vectors.subword import SubwordVectors
from embedlayer.vocab import EOS, Vocab

__all__ = ["FASTTEXT_MAGIC", "BinUnicodeErrors", "read_fasttext_bin", "sniff_fasttext_bin"]

FASTTEXT_MAGIC = 793712314
_VERSIONS = (11, 12)
# How to decode word bytes not valid in the encoding: "strict" refuses the file;
# "surrogateescape" keeps the exact bytes (n-grams then hash as in fastText); "replace",
# "ignore" and "backslashreplace" give readable keys, but the n-grams of those few words no
# longer match fastText's.
BinUnicodeErrors = UnicodeErrors  # the same choices as every other format's
_UNICODE_ERRORS = UNICODE_ERRORS

_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t
_I32 = struct.Struct("<i")
_DICT = struct.Struct("<3iq")  # size, nwords, nlabels, ntokens
_I64 = struct.Struct("<q")
_MATRIX = struct.Struct("<2q")  # m (rows), n (columns)
_LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "one-vs-all"}
_MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}
# float32 alignment: a matrix at a file offset that is a multiple of this can be mapped.
_F32_ALIGN = np.dtype(np.float32).alignment
_ENTRY_MIN = 10  # an entry: >= 0 word bytes, NUL, int64 count, int8 type
_NOT_VECTORS = "supervised/quantized fastText models are not word vectors"


@dataclass(frozen=True)
class _Args:
    """The training arguments fastText saves (``Args::save``); only some matter here."""

    dim: int  # vector size
    ws: int  # context window
    epoch: int
    min_count: int
    neg: int  # negatives sampled
    word_ngrams: int  # word n-gram length (supervised models only)
    loss: int  # 1 hs, 2 ns, 3 softmax, 4 one-vs-all
    model: int  # 1 cbow, 2 skipgram, 3 supervised
    bucket: int  # n-gram hash buckets (rows after the words in the input matrix)
    minn: int  # shortest character n-gram
    maxn: int  # longest character n-gram (0: none)
    lr_update_rate: int
    t: float  # subsampling threshold

    def problem(self) -> str | None:
        """What makes these arguments impossible for fastText, or None."""
        if self.dim < 1:
            return f"dim={self.dim} (expected >= 1)"
        if self.loss not in _LOSSES:
            return f"loss={self.loss} (expected one of {sorted(_LOSSES)})"
        if self.model not in _MODELS:
            return f"model={self.model} (expected one of {sorted(_MODELS)})"
        for name in ("ws", "epoch", "min_count", "neg", "word_ngrams", "bucket", "minn", "maxn",
                     "lr_update_rate"):
            if getattr(self, name) < 0:
                return f"{name}={getattr(self, name)} (expected >= 0)"
        if not math.isfinite(self.t):
            return f"t={self.t} (expected a finite number)"
        return None


def sniff_fasttext_bin(head: bytes) -> bool:
    """Whether ``head`` (the first 56 bytes or more of a file) looks like a fastText ``.bin``.

    True for the magic number with a known version, or for a pre-2017 header whose arguments
    are all plausible; cheap, for the format detection of ``vectors/io``.
    """
    if len(head) >= 8 and _I32.unpack_from(head, 0)[0] == FASTTEXT_MAGIC:
        return _I32.unpack_from(head, 4)[0] in _VERSIONS
    if len(head) < _ARGS.size:
        return False
    return _Args(*_ARGS.unpack_from(head, 0)).problem() is None


class _Cursor:
    """Reads fixed-size fields from the mapped file, refusing to run past its end."""

    def __init__(self, buf: _mmap.mmap | bytes, path: Path) -> None:
        self.buf, self.path, self.pos, self.size = buf, path, 0, len(buf)

    def error(self, problem: str, at: int | None = None) -> FormatError:
        at = self.pos if at is None else at
        return FormatError(f"{self.path}: byte offset {at:,}: {problem}")

    def need(self, nbytes: int, what: str) -> None:
        if nbytes > self.size - self.pos:
            raise self.error(f"the file ends ({self.size:,} bytes) before {what} "
                             f"({nbytes:,} bytes needed, {self.size - self.pos:,} left)")

    def take(self, fmt: struct.Struct, what: str) -> tuple:
        self.need(fmt.size, what)
        values = fmt.unpack_from(self.buf, self.pos)
        self.pos += fmt.size
        return values

    def flag(self, what: str) -> bool:
        self.need(1, what)
        value = self.buf[self.pos]
        if value not in (0, 1):
            raise self.error(f"{what} is byte {value} (expected a bool, 0 or 1)")
        self.pos += 1
        return bool(value)


def _read_header(cur: _Cursor) -> tuple[int | None, _Args]:
    """Magic, version and Args; version None for the pre-2017 layout."""
    magic, = cur.take(_I32, "the magic number")
    version = None
    if magic == FASTTEXT_MAGIC:
        version, = cur.take(_I32, "the format version")
        if version not in _VERSIONS:
            raise cur.error(f"fastText format version {version} is not supported "
                            f"(this reader knows {', '.join(map(str, _VERSIONS))})", at=4)
    else:
        cur.pos = 0  # maybe the pre-2017 layout, whose first field is dim
    at = cur.pos
    args = _Args(*cur.take(_ARGS, "the model arguments"))
    problem = args.problem()
    if problem is not None:
        if version is None:
            raise cur.error(f"not a fastText .bin model: the first int32 is {magic} "
                            f"(expected the magic number {FASTTEXT_MAGIC}), and the bytes do not "
                            f"read as a pre-2017 fastText header either ({problem})", at=0)
        raise cur.error(f"impossible model argument {problem}", at=at)
    if args.model == 3:
        raise cur.error(f"{_NOT_VECTORS}; this is a supervised classifier (model=3 at offset "
                        f"{at + 28}); read its word vectors with fastText itself", at=at + 28)
    return version, args


def _scan_entries(cur: _Cursor, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the ``size`` words: one pass of ``find`` from NUL to NUL.

    The NUL after a word is found by searching; the 9 bytes after it (count, type) are
    skipped, since a count may hold NUL bytes itself. Nothing else runs per word in Python.
    """
    ends: list[int] = []
    append, find, p = ends.append, cur.buf.find, cur.pos
    for _ in range(size):
        e = find(b"\0", p)
        if e < 0:
            break
        append(e)
        p = e + _ENTRY_MIN
    end_arr = np.array(ends, dtype=np.int64)
    starts = np.concatenate([[cur.pos], end_arr[:-1] + _ENTRY_MIN]).astype(np.int64)[:len(ends)]
    if len(ends) < size or p > cur.size:
        bad = len(ends) - 1 if p > cur.size else len(ends)
        at = int(starts[bad]) if bad < len(ends) else p
        raise cur.error(f"the file ends inside dictionary entry {bad:,} of {size:,}", at=at)
    empty = np.flatnonzero(starts == end_arr)
    if empty.size:
        raise cur.error(f"dictionary entry {int(empty[0]):,} is an empty word",
                        at=int(starts[empty[0]]))
    return starts, end_arr


def _word_bytes(region: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """``b"word0\\0word1\\0..."``: the dictionary region minus the 9 bytes after each NUL."""
    keep = np.ones(region.size, dtype=bool)
    keep[((ends - starts[0] + 1)[:, None] + np.arange(_ENTRY_MIN - 1)).ravel()] = False
    return region[keep].tobytes()


def _decode(cur: _Cursor, blob: bytes, starts: np.ndarray, errors: str,
            encoding: str) -> list[str]:
    """All words with one ``decode``, then a split at NUL.

    No word holds a NUL and no error policy swallows one, so the split gives back exactly
    one string per entry.
    """
    try:
        text = blob.decode(encoding, errors)
    except UnicodeDecodeError as exc:
        i = blob.count(b"\0", 0, exc.start)
        into = exc.start - (blob.rfind(b"\0", 0, exc.start) + 1)
        raise cur.error(f"word {i:,} is not valid {encoding_label(encoding)} ({exc.reason} at its byte "
                        f"{into}); {decode_hint(encoding)}", at=int(starts[i])) from None
    words = text.split("\0")
    words.pop()  # after the last NUL
    return words


def _read_dictionary(cur: _Cursor, version: int | None,
                     unicode_errors: str, encoding: str) -> tuple[Vocab, int]:
    at = cur.pos
    size, nwords, nlabels, _ntokens = cur.take(_DICT, "the dictionary header")
    if nlabels > 0:
        raise cur.error(f"{_NOT_VECTORS}; the dictionary holds {nlabels:,} labels, as "
                        f"supervised classifiers do", at=at + 8)
    if min(size, nwords, nlabels) < 0 or size != nwords + nlabels:
        raise cur.error(f"dictionary sizes size={size}, nwords={nwords}, nlabels={nlabels} "
                        f"(expected size = nwords + nlabels, all >= 0)", at=at)
    if version is not None:
        pruned, = cur.take(_I64, "the pruned-index size")
        if pruned >= 0:  # only quantization prunes; fastText itself refuses it unquantized
            raise cur.error(f"{_NOT_VECTORS}; its dictionary is pruned (pruneidx_size={pruned}), "
                            f"as quantized .ftz models are", at=cur.pos - 8)
        if pruned != -1:
            raise cur.error(f"pruneidx_size={pruned} (expected -1 or a count)", at=cur.pos - 8)
    left = cur.size - cur.pos
    if size * _ENTRY_MIN > left:
        raise cur.error(f"the dictionary claims {size:,} words, but only {left:,} bytes are left "
                        f"(each word takes at least {_ENTRY_MIN})", at=at)
    starts, ends = _scan_entries(cur, size)
    counts = np.zeros(0, dtype=np.int64)
    types = np.zeros(0, dtype=np.uint8)
    blob = b""
    if size:
        stop = int(ends[-1]) + _ENTRY_MIN
        region = np.frombuffer(cur.buf, dtype=np.uint8, count=stop - cur.pos, offset=cur.pos)
        try:
            tail = ends - cur.pos  # each word's NUL, then int64 count and int8 type
            counts = region[(tail + 1)[:, None] + np.arange(8)].view("<i8").ravel().copy()
            types = region[tail + 9].copy()
            blob = _word_bytes(region, starts, ends)
        finally:
            del region  # the mapping cannot close while a numpy view of it lives
        cur.pos = stop
    if types.size and types.max() > 0:
        i = int(np.flatnonzero(types)[0])
        if types[i] == 1:
            raise cur.error(f"{_NOT_VECTORS}; dictionary entry {i:,} is a label",
                            at=int(ends[i]) + 9)
        raise cur.error(f"dictionary entry {i:,} has type {types[i]} (expected 0 = word)",
                        at=int(ends[i]) + 9)
    if counts.size and counts.min() < 0:
        i = int(np.argmin(counts))
        raise cur.error(f"dictionary entry {i:,} has count {counts[i]} (expected >= 0)",
                        at=int(ends[i]) + 1)
    words = _decode(cur, blob, starts, unicode_errors, encoding)
    if unicode_errors != "strict" and "" in words:
        i = words.index("")
        raise cur.error(f"dictionary entry {i:,} is empty once decoded with "
                        f"unicode_errors={unicode_errors!r}", at=int(starts[i]))
    try:
        vocab = Vocab(words, counts, unk_token=None)
    except VocabError:
        first: dict[str, int] = {}
        for i, w in enumerate(words):
            j = first.setdefault(w, i)
            if j != i:
                raise cur.error(f"dictionary entries {j:,} and {i:,} are both {w!r}"
                                + (" after decoding" if unicode_errors != "strict" else ""),
                                at=int(starts[i])) from None
        raise
    return vocab, nwords


def _matrix_shape(cur: _Cursor, what: str, rows: int | None, dim: int) -> tuple[int, int]:
    at = cur.pos
    m, n = cur.take(_MATRIX, f"the {what} shape")
    if (rows is not None and m != rows) or m < 0 or n != dim:
        expected = f"({rows:,}, {dim})" if rows is not None else f"(rows, {dim})"
        raise cur.error(f"the {what} is ({m:,}, {n:,}), expected {expected}", at=at)
    cur.need(m * n * 4, f"the end of the {what} ({m:,} x {n} float32)")
    return m, n


def _read_floats(f, path: Path, offset: int, rows: int, dim: int) -> np.ndarray:
    """(rows, dim) little-endian float32 read straight into a new array (no second copy)."""
    out = np.empty((rows, dim), dtype="<f4")
    view = memoryview(out).cast("B")
    f.seek(offset)
    done = 0
    while done < len(view):
        n = f.readinto(view[done:])
        if not n:
            raise FormatError(f"{path}: byte offset {offset + done:,}: the file ended while "
                              f"reading the input matrix (was it changed while being read?)")
        done += n
    return out


def read_fasttext_bin(
    path: PathLike,
    *,
    mmap: bool = False,
    unicode_errors: BinUnicodeErrors = "strict",
    encoding: str = "utf-8",
) -> SubwordVectors:
    """Read the word vectors of a fastText ``.bin`` model (cbow or skipgram, not quantized).

    ``mmap=True`` maps the input matrix read-only instead of reading it into memory when
    its offset in the file is float32-aligned; otherwise it is read once into aligned memory
    (a map would be unaligned, and numpy copies unaligned arrays whole on every lookup). The
    composed ``matrix`` of the result is computed once, when first asked for.
    ``encoding``: the encoding of the words (fastText stores the bytes of its training text;
    their n-grams are hashed from those bytes, so vectors match fastText's in any encoding).
    ``unicode_errors``: how words not valid in ``encoding`` are decoded (``UnicodeErrors``).
    Raises ``FormatError`` for anything the file does not do as fastText writes it, and for
    supervised or quantized models; ``MissingFileError`` when ``path`` does not exist.
    """
    if unicode_errors not in _UNICODE_ERRORS:
        raise ConfigError(f"unicode_errors must be one of {', '.join(_UNICODE_ERRORS)}, "
                          f"got {unicode_errors!r}")
    encoding = check_encoding(encoding)
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such fastText .bin file")
    if not path.is_file():
        raise FormatError(f"{path}: not a regular file")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise FormatError(f"{path}: byte offset 0: empty file (expected a fastText .bin model)")
        with _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_READ) as buf:
            cur = _Cursor(buf, path)
            version, args = _read_header(cur)
            vocab, nwords = _read_dictionary(cur, version, unicode_errors, encoding)
            if version is not None and cur.flag("the quant_input flag"):
                raise cur.error(f"{_NOT_VECTORS}; its input matrix is quantized (a .ftz model)",
                                at=cur.pos - 1)
            rows, dim = _matrix_shape(cur, "input matrix", nwords + args.bucket, args.dim)
            offset = cur.pos
            cur.pos += rows * dim * 4
            if version is not None:
                cur.flag("the qout flag")
            out_rows, _ = _matrix_shape(cur, "output matrix", None, args.dim)
            cur.pos += out_rows * dim * 4
            if cur.pos != size:
                raise cur.error(f"{size - cur.pos:,} unexpected bytes after the output matrix "
                                f"(expected the end of the file)")
        if rows * dim == 0:
            matrix = np.zeros((rows, dim), dtype=np.float32)
        elif mmap and offset % _F32_ALIGN == 0:
            matrix = np.memmap(path, dtype="<f4", mode="r", offset=offset, shape=(rows, dim))
        else:
            # The matrix starts right after the variable-length dictionary, so its offset is
            # rarely a multiple of 4. A map of it would be an unaligned array, and numpy copies
            # an unaligned array whole before take/fancy indexing: every lookup would copy the
            # entire n-gram table (seconds per word on a 2M-bucket model). One aligned read
            # instead: memory stays at one copy, and every later lookup reads rows in place.
            matrix = _read_floats(f, path, offset, rows, dim)
    matrix.setflags(write=False)  # shared, not copied, by SubwordVectors
    return SubwordVectors(
        vocab, matrix[:nwords], matrix[nwords:],
        minn=args.minn, maxn=args.maxn, bucket=args.bucket,
        # fastText from version 11 on gives "</s>" no n-grams; the pre-2017 one did.
        no_subwords=(EOS,) if version is not None else (),
        encoding=encoding,
    )
