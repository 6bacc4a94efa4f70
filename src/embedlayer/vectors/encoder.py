"""The ``Encoder`` protocol: texts in, one float32 vector per text out — static or contextual.

What it holds: :class:`Encoder` (``dim``, ``encode(texts) -> (n, dim) float32`` and
``identity()``, a JSON-able description an index stores so it can refuse queries encoded by a
different encoder), and :class:`StaticEncoder`, the static side of it: a tokenizer, then mean
or SIF composition over any :class:`~embedlayer.vectors.base.VectorStore`, optionally
L2-normalized. The transformer side is ``embedlayer.contextual.TransformerEncoder``; every
task (retrieval, classification features, ``embedlayer encode``) takes either.
What it leaves out: tokenizing itself (the caller passes any object with ``tokenize(text)``
or a plain callable, e.g. ``embedlayer.text.get_tokenizer("regex", lowercase=True)``; this
layer does not import ``embedlayer.text``), and composition (``compose.py``, ``sif.py``).

A text with no known word composes to the zero vector (it stays zero after normalization);
``stats_`` counts such texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.errors import ConfigError
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.compose import ComposeOOV, ComposeStats, compose_many
from embedlayer.vectors.sif import SIF

__all__ = ["Encoder", "StaticEncoder", "check_texts", "l2_normalize"]

StaticMethod = Literal["mean", "sif"]


@runtime_checkable
class Encoder(Protocol):
    """Anything that turns texts into one float32 vector each."""

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> FloatArray:
        """(len(texts), dim) float32, row i for text i."""
        ...

    def identity(self) -> dict[str, Any]:
        """What produced the vectors (kind, model, pooling, normalization...), JSON-able."""
        ...


def check_texts(texts: Sequence[str], where: str) -> list[str]:
    """``texts`` as a list of str, or ``ConfigError`` naming the first item that is not one."""
    if isinstance(texts, str):
        raise ConfigError(f"{where}: expected a sequence of texts, got one str (wrap it in a "
                          f"list)")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise ConfigError(f"{where}: text {i} is {type(text).__name__}, expected str")
    return out


def l2_normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in place (zero rows stay zero); returns ``matrix``."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return matrix


def _keys_digest(store: VectorStore) -> str:
    digest = hashlib.sha256()
    for token in store.vocab.tokens:
        digest.update(token.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


class StaticEncoder:
    """Texts -> tokens -> mean (or SIF) of their word vectors.

    >>> from embedlayer.text import get_tokenizer                        # doctest: +SKIP
    >>> enc = StaticEncoder(store, get_tokenizer("regex", lowercase=True))  # doctest: +SKIP
    >>> enc.encode(["a cat sat", "dogs bark"]).shape                     # doctest: +SKIP
    (2, 300)

    ``method="sif"`` needs a fitted :class:`~embedlayer.vectors.sif.SIF` over the same store
    (``sif=``). ``oov`` is composition's policy (``"skip"`` drops unknown words;
    ``"store"`` asks the store, so a subword store composes them). After each ``encode``,
    ``stats_`` holds the :class:`~embedlayer.vectors.compose.ComposeStats` (texts, tokens,
    unknown tokens, texts with no known word).
    """

    def __init__(
        self,
        store: VectorStore,
        tokenizer: Any | Callable[[str], list[str]],
        *,
        method: StaticMethod = "mean",
        sif: SIF | None = None,
        normalize: bool = False,
        oov: ComposeOOV = "skip",
        batch_size: int = 1024,
    ) -> None:
        if method not in ("mean", "sif"):
            raise ConfigError(f"StaticEncoder: method must be 'mean' or 'sif', got {method!r}")
        if method == "sif" and sif is None:
            raise ConfigError("StaticEncoder: method 'sif' needs a fitted SIF (sif=SIF(store)"
                              ".fit(documents))")
        if sif is not None and sif.store is not store:
            raise ConfigError("StaticEncoder: the SIF was fitted over a different store")
        tokenize = getattr(tokenizer, "tokenize", tokenizer)
        if not callable(tokenize):
            raise ConfigError(f"StaticEncoder: tokenizer must have tokenize(text) or be "
                              f"callable, got {type(tokenizer).__name__}")
        self.store = store
        self.tokenizer = tokenizer
        self._tokenize = tokenize
        self.method = method
        self.sif = sif
        self.normalize = normalize
        self.oov = oov
        self.batch_size = batch_size
        self.stats_ = ComposeStats()

    @property
    def dim(self) -> int:
        return self.store.dim

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> FloatArray:
        """(len(texts), dim) float32; ``progress`` is accepted for the protocol (this is fast)."""
        docs = [self._tokenize(text) for text in check_texts(texts, "StaticEncoder.encode")]
        stats = ComposeStats()
        if self.method == "sif":
            assert self.sif is not None
            out = self.sif.transform(docs, stats=stats)
        else:
            out = compose_many(self.store, docs, method="mean", oov=self.oov,
                               batch_size=self.batch_size, stats=stats)
        self.stats_ = stats
        out = np.ascontiguousarray(out, dtype=np.float32)
        return l2_normalize(out) if self.normalize else out

    def identity(self) -> dict[str, Any]:
        return {"kind": "static", "method": self.method, "dim": self.dim,
                "normalize": self.normalize, "oov": self.oov,
                "tokenizer": type(self.tokenizer).__name__,
                "keys_sha256": _keys_digest(self.store)}

    def __repr__(self) -> str:
        return (f"StaticEncoder(dim={self.dim}, method={self.method!r}, "
                f"normalize={self.normalize})")
