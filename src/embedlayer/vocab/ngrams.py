"""Character n-grams and fastText's bucket hash, bit-exact with facebook fastText.

What it holds: the FNV-1a 32-bit hash as fastText's ``Dictionary::hash`` computes it, and the
n-grams of ``Dictionary::computeSubwords``: the word is wrapped in ``<`` and ``>``, n-grams are
taken over whole UTF-8 characters (a continuation byte never starts an n-gram), and the
single characters ``<`` and ``>`` alone are not n-grams. Training kernels that need this in a
hot loop get a numba port elsewhere, tested against these functions.
"""

from __future__ import annotations

import numpy as np

from embedlayer._types import IntArray
from embedlayer.errors import ConfigError

__all__ = ["BOW", "EOW", "char_ngrams", "fnv1a_32", "ngram_buckets"]

BOW = "<"
EOW = ">"
_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619


def fnv1a_32(data: bytes) -> int:
    """fastText's FNV-1a: each byte is XORed in as a *signed* char widened to 32 bits.

    fastText iterates ``std::string`` chars, which are signed on x86, so a byte >= 0x80 is
    sign-extended (0xE4 -> 0xFFFFFFE4) before the XOR. Models trained by fastText depend on
    this quirk, so we keep it; for ASCII it equals standard FNV-1a.
    """
    h = _FNV_OFFSET
    for b in data:
        h ^= b if b < 0x80 else (b | 0xFFFFFF00)
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def _check(minn: int, maxn: int) -> None:
    if minn < 1 or maxn < 0:
        raise ConfigError(f"minn must be >= 1 and maxn >= 0, got minn={minn}, maxn={maxn}")


def _ngram_bytes(word: str, minn: int, maxn: int) -> list[bytes]:
    raw = (BOW + word + EOW).encode("utf-8")
    size = len(raw)
    out = []
    for i in range(size):
        if raw[i] & 0xC0 == 0x80:  # inside a multi-byte character
            continue
        j, n = i, 1
        while j < size and n <= maxn:
            j += 1
            while j < size and raw[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == size)):
                out.append(raw[i:j])
            n += 1
    return out


def char_ngrams(word: str, minn: int = 3, maxn: int = 6) -> list[str]:
    """The character n-grams of ``<word>`` with ``minn <= n <= maxn``, in fastText's order."""
    _check(minn, maxn)
    return [g.decode("utf-8") for g in _ngram_bytes(word, minn, maxn)]


def ngram_buckets(word: str, minn: int = 3, maxn: int = 6, bucket: int = 2_000_000) -> IntArray:
    """Bucket index (``fnv1a_32(ngram) % bucket``) of each n-gram, int64, fastText's order.

    These are rows of the n-gram matrix (fastText adds the number of words to index its
    combined input matrix). ``maxn=0`` or ``bucket=0`` means no n-grams.
    """
    _check(minn, maxn)
    if bucket < 0:
        raise ConfigError(f"bucket must be >= 0, got {bucket}")
    if bucket == 0 or maxn == 0:
        return np.zeros(0, dtype=np.int64)
    return np.array([fnv1a_32(g) % bucket for g in _ngram_bytes(word, minn, maxn)], dtype=np.int64)
