"""`SubwordVectors`: fastText word vectors, composed from word rows and n-gram bucket rows.

What it holds: the vocabulary, the word matrix (N, D) and the n-gram bucket matrix
(bucket, D) side by side (composition: it is not a kind of ``Vectors``), and fastText's rule
for the vector of a word (``FastText::getWordVector``): the mean of the word's own row, when
the word is in the vocabulary, and the rows of its character n-grams (``<word>`` cut as in
``vocab/ngrams.py``, each hashed with FNV-1a modulo ``bucket``). Unknown words therefore always
get a vector: the mean of their n-gram rows, or zeros when they have no n-gram. Sums run in
fastText's order in float32 and end with a multiplication by ``float32(1 / count)``, so the
numbers are fastText's own. Words listed in ``no_subwords`` use no n-grams (fastText's ``</s>``;
none for pre-2017 models). ``subword_ids`` finds the n-gram rows of many words at once
(vectorized FNV-1a, equal to ``vocab.ngram_buckets`` word by word). The composed vectors of the
vocabulary (``matrix``) are built once, in blocks, and cached read-only; ``to_vectors()`` hands
them on as dense ``Vectors``.

What it leaves out: training (``train/``), reading fastText files
(``vectors/io/fasttext_bin.py``), similarity queries (``vectors/query.py``, which take this
store as it is), word n-grams of supervised models, and pruned (quantized) bucket tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from embedlayer._types import FloatArray, IntArray
from embedlayer.errors import ConfigError
from embedlayer.vectors.base import OOVVectorPolicy
from embedlayer.vectors.methods import QueryMethods
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import EOS, Vocab

__all__ = ["SubwordVectors", "compose_rows", "subword_ids"]

_FNV_OFFSET = np.uint32(2166136261)
_FNV_PRIME = np.uint32(16777619)
# Words per hashing block, and float32 values per composition block: memory stays bounded
# whatever the vocabulary (a 2M-word, 300-d model has ~50M n-gram references), and a 4 MB
# block of sums stays in cache while the n-gram rows are gathered into it.
_HASH_BLOCK_WORDS = 65536
_COMPOSE_BLOCK_VALUES = 1 << 20


def _encode(word: str, encoding: str = "utf-8") -> bytes:
    try:
        return word.encode(encoding)
    except UnicodeEncodeError:
        # A word read with unicode_errors="surrogateescape" encodes back to the file's exact
        # bytes (so its n-grams hash as fastText's do); other lone surrogates keep 3 bytes.
        try:
            return word.encode(encoding, "surrogateescape")
        except UnicodeEncodeError:
            return word.encode("utf-8", "surrogatepass")


def _empty_csr(n: int) -> tuple[IntArray, IntArray]:
    return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _hash_block(words: Sequence[str], minn: int, maxn: int, bucket: int,
                encoding: str = "utf-8") -> tuple[IntArray, IntArray]:
    """Counts (len(words),) and bucket ids of the n-grams of ``words``, all vectorized.

    Every word becomes ``<word>`` in one byte buffer. A character starts at every byte that is
    not a UTF-8 continuation byte (as in fastText, which works on bytes). The FNV-1a state of
    the n-gram starting at character k grows one character per pass n = 1..maxn, so the
    (C, maxn) table of hashes costs maxn passes over C characters, and its valid cells read
    row by row are in fastText's order (start character, then length).
    """
    encoded = [b"<" + _encode(w, encoding) + b">" for w in words]
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    starts = np.flatnonzero((buf & 0xC0) != 0x80)  # (C,) byte offset of each character
    n_chars = starts.size
    bounds = np.append(starts, buf.size)  # character k is buf[bounds[k]:bounds[k + 1]]
    char_bytes = np.diff(bounds)
    word_first = np.searchsorted(starts, np.cumsum(lens) - lens)  # every word starts with "<"
    word_chars = np.diff(np.append(word_first, n_chars))
    ks = np.arange(n_chars)
    left = np.repeat(word_first + word_chars, word_chars) - ks  # chars from k to its word's end
    is_first = np.zeros(n_chars, dtype=bool)
    is_first[word_first] = True
    # fastText XORs each byte in as a signed char widened to 32 bits (see vocab/ngrams.py).
    signed = buf.astype(np.uint32)
    signed[buf >= 0x80] |= np.uint32(0xFFFFFF00)
    top = min(maxn, int(left.max()))
    hashes = np.empty((n_chars, top), dtype=np.uint32)
    valid = np.zeros((n_chars, top), dtype=bool)
    h = np.full(n_chars, _FNV_OFFSET, dtype=np.uint32)
    longest_char = int(char_bytes.max())
    for n in range(1, top + 1):
        last = np.minimum(ks + n - 1, n_chars - 1)  # the n-th character (clipped: cell unused)
        first_byte = bounds[last]
        h = (h ^ signed[first_byte]) * _FNV_PRIME
        nbytes = char_bytes[last]
        for t in range(1, longest_char):
            more = np.flatnonzero(nbytes > t)
            if more.size == 0:
                break
            h[more] = (h[more] ^ signed[first_byte[more] + t]) * _FNV_PRIME
        hashes[:, n - 1] = h
        if n >= minn:
            ok = left >= n
            if n == 1:  # "<" and ">" alone are not n-grams
                ok &= ~is_first & (left > 1)
            valid[:, n - 1] = ok
    ids = hashes[valid].astype(np.int64) % bucket
    counts = np.add.reduceat(valid.sum(axis=1), word_first)  # every word has >= 2 characters
    return counts.astype(np.int64), ids


def subword_ids(
    words: Sequence[str],
    *,
    minn: int,
    maxn: int,
    bucket: int,
    skip: Iterable[str] = (),
    encoding: str = "utf-8",
) -> tuple[IntArray, IntArray]:
    """The n-gram bucket rows of many words at once, as CSR arrays ``(indptr, ids)``.

    Word i's rows are ``ids[indptr[i]:indptr[i + 1]]`` (int64, in fastText's order), equal to
    ``vocab.ngram_buckets(word, minn, maxn, bucket)`` word by word. Words in ``skip`` (fastText:
    ``"</s>"``) get none; so does every word when ``maxn == 0``, ``bucket == 0`` or
    ``minn > maxn``. ``minn == 0`` acts as 1, as in fastText. ``encoding``: the bytes that
    are hashed (fastText hashes its file's bytes: a model trained on cp852 text hashes cp852).
    """
    lo = max(minn, 1)
    if not words or bucket <= 0 or maxn <= 0 or lo > maxn:
        return _empty_csr(len(words))
    skip = frozenset(skip)
    active = np.fromiter((w not in skip for w in words), dtype=bool, count=len(words))
    todo = [w for w, a in zip(words, active, strict=True) if a] if skip else list(words)
    counts = np.zeros(len(words), dtype=np.int64)
    blocks = [_hash_block(todo[a:a + _HASH_BLOCK_WORDS], lo, maxn, bucket, encoding)
              for a in range(0, len(todo), _HASH_BLOCK_WORDS)]
    if blocks:
        counts[active] = np.concatenate([c for c, _ in blocks])
    indptr = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    ids = np.concatenate([i for _, i in blocks]) if blocks else np.zeros(0, dtype=np.int64)
    return indptr, ids


def _compose(base: FloatArray, has_word: np.ndarray, ngrams: FloatArray,
             indptr: IntArray, ids: IntArray) -> FloatArray:
    """fastText's mean: ``base`` (word rows, zeros for unknown words) + n-gram rows, in order.

    Words are sorted by n-gram count (descending), so the words that still have a t-th n-gram
    are a prefix and pass t is one in-place float32 add of gathered rows: per word the sum runs
    row by row in fastText's order (numpy's reduce would reorder it).
    """
    counts = np.diff(indptr)
    order = np.argsort(-counts, kind="stable")
    acc = base[order]  # (n, D) float32, a fresh copy
    neg_sorted = -counts[order]
    starts = indptr[:-1][order]
    rows = np.empty_like(acc)
    with np.errstate(over="ignore", invalid="ignore"):  # inf/nan rows stay as fastText has them
        for t in range(int(-neg_sorted[0]) if counts.size else 0):
            m = int(np.searchsorted(neg_sorted, -t, side="left"))  # words with > t n-grams
            # ids < bucket by construction; mode="clip" lets take() write to `out` unbuffered
            np.take(ngrams, ids[starts[:m] + t], axis=0, out=rows[:m], mode="clip")
            acc[:m] += rows[:m]
        denom = counts[order] + has_word[order]
        acc *= (1.0 / np.maximum(denom, 1)).astype(np.float32)[:, None]
    out = np.empty_like(acc)
    out[order] = acc
    return out


compose_rows = _compose  # public name: compressed subword stores compose with it too


def _check_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ConfigError(f"{name} must be an int >= 0, got {value!r}")
    return int(value)


def _float32_rows(matrix: Any, rows: int, what: str) -> FloatArray:
    """Read-only, aligned, C-contiguous float32 (rows, D).

    Shared when already so and read-only (or a memory map); otherwise copied once.
    """
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ConfigError(f"{what} must be 2-d, got shape {arr.shape}")
    if arr.shape[0] != rows:
        raise ConfigError(f"{what} has {arr.shape[0]} rows, expected {rows}")
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ConfigError(f"{what} must hold numbers, got dtype {arr.dtype}")
    if arr.dtype != np.float32 or not (arr.flags.aligned and arr.flags.c_contiguous):
        # One aligned C-contiguous copy: numpy's take/fancy indexing copies an unaligned or
        # strided source whole before gathering, which would copy the table on every lookup.
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if not arr.flags.aligned:  # ascontiguousarray keeps an already contiguous buffer
            arr = arr.copy()
    elif arr.flags.writeable and not isinstance(arr, np.memmap):
        arr = arr.copy()  # ours now: the cached composition cannot go stale
    else:
        arr = arr.view()
    arr.setflags(write=False)
    return arr


class SubwordVectors(QueryMethods):
    """Word vectors with subword information (fastText): every string gets a vector.

    ``keys`` name the rows of ``word_matrix`` (N, D); ``ngram_matrix`` (bucket, D) holds one
    row per hash bucket; n-grams have ``minn``..``maxn`` characters. Arrays are converted to
    aligned, C-contiguous float32; writable ones are copied, read-only ones and memory maps
    already in that layout are shared. ``encoding``: the bytes n-grams are hashed from (the
    encoding of the model's training text, as fastText hashes bytes; default UTF-8).

    >>> sv = SubwordVectors(["ab"], [[3.0, 0.0]], np.zeros((4, 2)), minn=3, maxn=3, bucket=4)
    >>> sv["ab"].tolist()  # (own row + the rows of "<ab" and "ab>") / 3
    [1.0, 0.0]
    >>> "zz" in sv, sv["zz"].tolist()  # unknown: the mean of the rows of "<zz" and "zz>"
    (False, [0.0, 0.0])
    """

    def __init__(
        self,
        keys: Vocab | Sequence[str],
        word_matrix: Any,
        ngram_matrix: Any,
        *,
        minn: int,
        maxn: int,
        bucket: int,
        no_subwords: Iterable[str] = (EOS,),
        encoding: str = "utf-8",
    ) -> None:
        self._vocab = keys if isinstance(keys, Vocab) else Vocab(list(keys), unk_token=None)
        self._minn = _check_int("minn", minn)
        self._maxn = _check_int("maxn", maxn)
        self._bucket = _check_int("bucket", bucket)
        self._word = _float32_rows(word_matrix, len(self._vocab), "word_matrix (one row per key)")
        self._ngram = _float32_rows(ngram_matrix, self._bucket, "ngram_matrix (one row per bucket)")
        if self._word.shape[1] != self._ngram.shape[1]:
            raise ConfigError(f"word_matrix has {self._word.shape[1]} columns but ngram_matrix "
                              f"has {self._ngram.shape[1]}; both must be (rows, dim)")
        no_subwords = [no_subwords] if isinstance(no_subwords, str) else list(no_subwords)
        if not all(isinstance(w, str) for w in no_subwords):
            raise ConfigError(f"no_subwords must be strings, got {no_subwords!r}")
        self._skip = frozenset(no_subwords)
        self._encoding = encoding
        self._matrix: FloatArray | None = None
        self._norms: FloatArray | None = None

    # --- the VectorStore interface -----------------------------------------------------
    @property
    def vocab(self) -> Vocab:
        return self._vocab

    @property
    def keys(self) -> list[str]:
        return self._vocab.tokens

    @property
    def dim(self) -> int:
        return int(self._word.shape[1])

    @property
    def matrix(self) -> FloatArray:
        """The composed vectors of the vocabulary, (N, dim) float32, computed once, read-only."""
        if self._matrix is None:
            tokens = self._vocab.tokens
            out = np.empty((len(tokens), self.dim), dtype=np.float32)
            step = max(1, min(_HASH_BLOCK_WORDS, _COMPOSE_BLOCK_VALUES // max(self.dim, 1)))
            for a in range(0, len(tokens), step):
                b = min(a + step, len(tokens))
                out[a:b] = self._compose(tokens[a:b], np.arange(a, b))
            out.setflags(write=False)
            self._matrix = out
        return self._matrix

    def __len__(self) -> int:
        return len(self._vocab)

    def __contains__(self, key: object) -> bool:
        """Vocabulary membership only (an unknown word still has a vector)."""
        return key in self._vocab

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocab)

    def __getitem__(self, key: str) -> FloatArray:
        """The vector of ``key``, in the vocabulary or not; never raises for a string."""
        return self.word_vector(key)

    def word_vector(self, word: str) -> FloatArray:
        """fastText's ``getWordVector``: the mean of the word's row and its n-gram rows."""
        if not isinstance(word, str):
            raise ConfigError(f"a word must be a str, got {type(word).__name__}")
        idx = self._vocab.get(word)
        if idx is not None and self._matrix is not None:
            return self._matrix[idx]
        return self._compose([word], np.array([-1 if idx is None else idx]))[0]

    def lookup(self, keys: Sequence[str]) -> FloatArray:
        """(len(keys), dim) float32; unknown keys are composed from their n-grams."""
        keys = list(keys)
        if not all(isinstance(k, str) for k in keys):
            raise ConfigError("lookup takes a sequence of str")
        ids = np.fromiter((self._vocab.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        todo = np.arange(len(keys))
        if self._matrix is not None:
            known = ids >= 0
            out[known] = self._matrix[ids[known]]
            todo = np.flatnonzero(~known)
        step = max(1, min(_HASH_BLOCK_WORDS, _COMPOSE_BLOCK_VALUES // max(self.dim, 1)))
        for a in range(0, todo.size, step):
            sel = todo[a:a + step]
            out[sel] = self._compose([keys[i] for i in sel], ids[sel])
        return out

    # --- fastText's parts ----------------------------------------------------------------
    @property
    def word_matrix(self) -> FloatArray:
        """(N, dim) float32, read-only: the words' own input rows (not composed)."""
        return self._word

    @property
    def ngram_matrix(self) -> FloatArray:
        """(bucket, dim) float32, read-only: one row per n-gram hash bucket."""
        return self._ngram

    @property
    def minn(self) -> int:
        return self._minn

    @property
    def maxn(self) -> int:
        return self._maxn

    @property
    def bucket(self) -> int:
        return self._bucket

    @property
    def encoding(self) -> str:
        """The encoding words are hashed in (their bytes in the model's own file)."""
        return self._encoding

    @property
    def no_subwords(self) -> frozenset[str]:
        """Words whose vector uses no n-grams (fastText: the end-of-sentence token ``</s>``)."""
        return self._skip

    def ngram_ids(self, word: str) -> IntArray:
        """Rows of ``ngram_matrix`` that ``word``'s vector averages in, in fastText's order."""
        return subword_ids([word], minn=self._minn, maxn=self._maxn, bucket=self._bucket,
                           skip=self._skip, encoding=self._encoding)[1]

    def ngram_vectors(self, word: str) -> FloatArray:
        """(k, dim) float32 copy: the n-gram rows of ``word`` (k = 0 when it has none)."""
        return self._ngram[self.ngram_ids(word)]

    # --- derived state -----------------------------------------------------------------
    def to_vectors(self, *, oov: OOVVectorPolicy = "raise", oov_seed: int = 0) -> Vectors:
        """Dense ``Vectors`` of the composed matrix, same keys (the matrix is shared, not copied)."""
        return Vectors(self._vocab, self.matrix, oov=oov, oov_seed=oov_seed)

    def _compose(self, words: Sequence[str], word_ids: IntArray) -> FloatArray:
        """Vectors of ``words`` (``word_ids[i]`` = vocabulary row or -1), one block."""
        known = word_ids >= 0
        base = np.zeros((len(words), self.dim), dtype=np.float32)
        base[known] = self._word[word_ids[known]]
        indptr, ids = subword_ids(words, minn=self._minn, maxn=self._maxn, bucket=self._bucket,
                                  skip=self._skip, encoding=self._encoding)
        return _compose(base, known, self._ngram, indptr, ids)

    def __repr__(self) -> str:
        return (f"SubwordVectors({len(self):,} words + {self._bucket:,} n-gram buckets x "
                f"{self.dim}, minn={self._minn}, maxn={self._maxn})")
