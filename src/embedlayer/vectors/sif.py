"""`SIF`: smooth-inverse-frequency sentence embeddings (Arora, Liang & Ma, ICLR 2017).

What it holds: the estimator of "A Simple but Tough-to-Beat Baseline for Sentence
Embeddings": each document is the average of its word vectors weighted by ``a / (a + p(w))``,
then the projection on the first principal component(s) of all those averages is removed.
Its frozen configuration (:class:`SIFConfig`) and the pickle-free folder it saves to.
What it leaves out: the plain sum / mean / weighted composition and the weight formula
(``vectors/compose.py``, which this builds on), and tokenizing.

Fitting streams the documents, one batch in memory at a time. The components are those of
the uncentered document matrix X (n x D), as in the paper's reference code (TruncatedSVD,
no centering), taken as the top eigenvectors of X^T X (D x D), accumulated batch by batch;
so memory is bounded by D^2 and the store, never by the number of documents.

Saved folder (``save(path)``)::

    sif.json             {"format": "embedlayer.sif", "format_version": 1, "config": {...},
                          "n_documents": ..., "store": {"size", "dim", "keys_sha256"}, ...}
    probabilities.npy    (V,) float64, p(w) of each store row (0 for words never counted)
    components.npy       (k, D) float64, unit rows
    singular_values.npy  (k,) float64, singular values of X for those components

``sif.json`` is written last, so a folder that has it is complete.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from embedlayer._atomic import atomic_folder
from embedlayer._npyfile import read_npy
from embedlayer._types import Float64Array, FloatArray, PathLike
from embedlayer.errors import ConfigError, CorpusError, FormatError, MissingFileError
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.compose import (
    ComposeStats,
    _check_a,
    compose_batch,
    iter_batches,
    word_probabilities,
)
from embedlayer.vocab import TokenCounter, Vocab

__all__ = ["FORMAT_VERSION", "SIF", "SIFConfig", "SIFOOV"]

FORMAT_VERSION = 1
_FORMAT = "embedlayer.sif"
_META = "sif.json"
_ARRAYS = ("probabilities", "components", "singular_values")
_FILES = frozenset({_META, *(f"{name}.npy" for name in _ARRAYS)})  # what a save writes

# Unknown words: dropped from the average, or zero vectors that still count in it.
SIFOOV = Literal["skip", "zero"]


@dataclass(frozen=True)
class SIFConfig:
    """The settings of a SIF model (saved in ``sif.json``)."""

    a: float = 1e-3  # smoothing of the weight a / (a + p(w)); the paper's best: 1e-4..1e-3
    components: int = 1  # principal components removed (the paper removes 1); 0 = none
    oov: SIFOOV = "skip"  # words not in the store: left out of the average, or zero vectors
    batch_size: int = 1024  # documents composed at once (memory, not results)

    def check(self) -> None:
        """Raise ``ConfigError`` naming the first bad field."""
        _check_a(self.a)
        if not isinstance(self.components, int) or self.components < 0:
            raise ConfigError(f"components must be an int >= 0, got {self.components!r}")
        if self.oov not in get_args(SIFOOV):
            raise ConfigError(f"unknown oov={self.oov!r}; expected one of {', '.join(get_args(SIFOOV))}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(f"batch_size must be an int >= 1, got {self.batch_size!r}")


def _keys_sha256(store: VectorStore) -> str:
    """A fingerprint of the store's keys in row order (the model is tied to those rows)."""
    h = hashlib.sha256()
    for tok in store.vocab:
        h.update(tok.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _is_one_shot(documents: Iterable[Any]) -> bool:
    # An iterator returns itself from iter(): a second pass would see nothing.
    return iter(documents) is documents


class SIF:
    """Smooth-inverse-frequency document vectors over a ``VectorStore``.

    >>> sif = SIF(store, a=1e-3, components=1).fit(docs)      # doctest: +SKIP
    >>> X = sif.transform(docs)                                # (n, D) float32

    Learned state: ``probabilities_`` ((V,) float64, p(w) of each store row, 0 for words
    never counted), ``weights_`` ((V,) float64, a / (a + p)), ``components_`` ((k, D)),
    ``singular_values_`` ((k,)), ``n_documents_`` and ``n_empty_documents_`` (documents with
    no known word: their vector is zero before and after the removal).
    """

    def __init__(
        self,
        store: VectorStore,
        *,
        a: float = 1e-3,
        components: int = 1,
        word_counts: Mapping[str, int] | Vocab | None = None,
        oov: SIFOOV = "skip",
        batch_size: int = 1024,
    ) -> None:
        self.store = store
        self.a = a
        self.components = components
        self.word_counts = word_counts
        self.oov = oov
        self.batch_size = batch_size

    @property
    def config(self) -> SIFConfig:
        return SIFConfig(a=self.a, components=self.components, oov=self.oov,
                         batch_size=self.batch_size)

    # --- fitting ------------------------------------------------------------------------
    def fit(self, documents: Iterable[Sequence[str]]) -> SIF:
        """Learn word probabilities (unless ``word_counts`` was given) and the components.

        ``documents`` are token lists. Without ``word_counts`` two passes are needed (count,
        then average), so ``documents`` must be re-iterable (a list, a corpus object);
        a one-shot iterator (a generator) raises ``ConfigError``.
        """
        self._fit(documents, keep=False)
        return self

    def fit_transform(self, documents: Iterable[Sequence[str]]) -> FloatArray:
        """``fit(documents).transform(documents)`` with one pass fewer: (n, D) float32.

        The averages of the fitting pass are kept (they are the result), so with
        ``word_counts`` given a one-shot iterator is fine here.
        """
        X = self._fit(documents, keep=True)
        assert X is not None
        return self._remove(X)

    def _fit(self, documents: Iterable[Sequence[str]], *, keep: bool) -> Float64Array | None:
        config = self.config
        config.check()
        store = self.store
        if config.components > store.dim:
            raise ConfigError(
                f"components={config.components} exceeds the vector dimension {store.dim}"
            )
        counts = self.word_counts
        if counts is None:
            if _is_one_shot(documents):
                raise ConfigError(
                    "SIF.fit needs two passes over documents (count words, then average), "
                    f"but got a one-shot iterator ({type(documents).__name__}); pass a list "
                    "or a re-iterable corpus, or give word_counts= so one pass suffices"
                )
            counter = TokenCounter().update_many(_each_document(documents, config.batch_size))
            first_pass = counter.sentences
            counts = counter
        else:
            first_pass = None
        probs = word_probabilities(counts)
        p_rows = np.fromiter(
            (probs.get(tok, 0.0) for tok in store.vocab), dtype=np.float64, count=len(store)
        )  # (V,)
        weights = config.a / (config.a + p_rows)  # (V,)

        stats = ComposeStats()
        gram = np.zeros((store.dim, store.dim), dtype=np.float64)  # X^T X, (D, D)
        kept: list[Float64Array] = []
        for batch in iter_batches(documents, config.batch_size):
            X = compose_batch(store, batch, method="weighted", oov=config.oov, stats=stats,
                              row_weights=weights)  # (b, D)
            gram += X.T @ X
            if keep:
                kept.append(X)
        if stats.documents == 0:
            raise CorpusError("SIF.fit got no documents")
        if first_pass is not None and first_pass != stats.documents:
            raise ConfigError(
                f"documents yielded {first_pass} documents on the counting pass and "
                f"{stats.documents} on the averaging pass: they must be re-iterable, the "
                f"same documents each time"
            )
        usable = stats.documents - stats.empty_documents
        if config.components > usable:
            raise ConfigError(
                f"components={config.components} needs at least as many documents with a "
                f"known word; got {usable} (of {stats.documents})"
            )

        self.probabilities_ = p_rows
        self.weights_ = weights
        self.components_, self.singular_values_ = _top_components(gram, config.components)
        self.n_documents_ = stats.documents
        self.n_empty_documents_ = stats.empty_documents
        self.keys_sha256_ = _keys_sha256(store)
        return np.concatenate(kept) if keep else None

    # --- applying -----------------------------------------------------------------------
    def transform(
        self, documents: Iterable[Sequence[str]], *, stats: ComposeStats | None = None
    ) -> FloatArray:
        """(n, D) float32: weighted averages minus their projection on ``components_``.

        One pass; a one-shot iterator is fine. ``stats`` (a :class:`ComposeStats`), if
        given, receives the document, token, OOV and empty-document counts.
        """
        self._check_fitted()
        config = self.config
        config.check()
        tally = stats if stats is not None else ComposeStats()
        out = [
            self._remove(compose_batch(self.store, batch, method="weighted", oov=config.oov,
                                       stats=tally, row_weights=self.weights_))
            for batch in iter_batches(documents, config.batch_size)
        ]
        if not out:
            return np.zeros((0, self.store.dim), dtype=np.float32)
        return np.concatenate(out)

    def _remove(self, X: Float64Array) -> FloatArray:
        U = self.components_  # (k, D), orthonormal rows
        if U.shape[0]:
            X = X - (X @ U.T) @ U  # the paper's X - X u u^T, for k components at once
        return X.astype(np.float32)

    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise ConfigError("this SIF is not fitted yet: call fit(documents) or SIF.load(...)")

    # --- files --------------------------------------------------------------------------
    def save(self, path: PathLike) -> Path:
        """Write the fitted model to the folder ``path`` as one atomic step; returns the folder.

        The folder is written beside ``path`` and renamed onto it, so a failure leaves no
        half-saved model; an existing folder is replaced only if it holds nothing but the
        files a SIF save writes.
        """
        self._check_fitted()
        folder = Path(path)
        arrays = {"probabilities": self.probabilities_, "components": self.components_,
                  "singular_values": self.singular_values_}
        meta = {
            "format": _FORMAT,
            "format_version": FORMAT_VERSION,
            "config": asdict(self.config),
            "n_documents": self.n_documents_,
            "n_empty_documents": self.n_empty_documents_,
            "word_counts_given": self.word_counts is not None,
            "store": {"size": len(self.store), "dim": self.store.dim,
                      "keys_sha256": self.keys_sha256_},
        }
        with atomic_folder(folder, fmt="a SIF save", allowed=_FILES) as tmp:
            for name, arr in arrays.items():
                with open(tmp / f"{name}.npy", "wb") as fh:
                    np.save(fh, np.ascontiguousarray(arr, dtype=np.float64), allow_pickle=False)
            with open(tmp / _META, "w", encoding="utf-8") as fh:
                json.dump(meta, fh, indent=2)
        return folder

    @classmethod
    def load(cls, path: PathLike, store: VectorStore) -> SIF:
        """A fitted ``SIF`` from a folder written by :meth:`save`, over the same ``store``.

        ``store`` must have the same keys in the same order as the one it was fitted on
        (checked by a fingerprint); ``word_counts`` is not saved (its result is).
        """
        folder = Path(path)
        meta_path = folder / _META
        if not meta_path.is_file():
            raise MissingFileError(f"{folder}: no {_META} here; not a saved SIF model folder")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormatError(f"{meta_path}: not valid JSON ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
            raise FormatError(f"{meta_path}: field 'format' is {got!r}, expected {_FORMAT!r}")
        if meta.get("format_version") != FORMAT_VERSION:
            raise FormatError(
                f"{meta_path}: field 'format_version' is {meta.get('format_version')!r}; this "
                f"embedlayer reads version {FORMAT_VERSION}"
            )
        raw = meta.get("config")
        names = {f.name for f in fields(SIFConfig)}
        if not isinstance(raw, dict) or set(raw) != names:
            raise FormatError(f"{meta_path}: field 'config' must hold exactly {sorted(names)}")
        config = SIFConfig(**raw)
        try:
            config.check()
        except ConfigError as exc:
            raise FormatError(f"{meta_path}: field 'config': {exc}") from None
        saved = meta.get("store") or {}
        want = {"size": len(store), "dim": store.dim, "keys_sha256": _keys_sha256(store)}
        if saved != want:
            raise ConfigError(
                f"{folder}: this SIF was fitted on a store of {saved.get('size')} keys x "
                f"{saved.get('dim')} dims (keys sha256 {str(saved.get('keys_sha256'))[:12]}...), "
                f"got {want['size']} x {want['dim']} ({want['keys_sha256'][:12]}...): load it "
                f"with the same vectors"
            )
        arrays = {name: _load_array(folder / f"{name}.npy") for name in _ARRAYS}
        k, dim = config.components, store.dim
        expected = {"probabilities": (len(store),), "components": (k, dim),
                    "singular_values": (k,)}
        for name, shape in expected.items():
            if arrays[name].shape != shape:
                raise FormatError(
                    f"{folder / (name + '.npy')}: shape {arrays[name].shape}, expected {shape}"
                )
        sif = cls(store, a=config.a, components=config.components, oov=config.oov,
                  batch_size=config.batch_size)
        sif.probabilities_ = arrays["probabilities"]
        sif.weights_ = config.a / (config.a + sif.probabilities_)  # as in fit: bit-identical
        sif.components_ = arrays["components"]
        sif.singular_values_ = arrays["singular_values"]
        sif.n_documents_ = int(meta.get("n_documents", 0))
        sif.n_empty_documents_ = int(meta.get("n_empty_documents", 0))
        sif.keys_sha256_ = want["keys_sha256"]
        return sif

    def __repr__(self) -> str:
        fitted = f", fitted on {self.n_documents_:,} documents" if hasattr(self, "n_documents_") else ""
        return f"SIF(a={self.a!r}, components={self.components!r}, oov={self.oov!r}{fitted})"


def _load_array(path: Path) -> Float64Array:
    return read_npy(path, np.float64, missing="missing from the saved SIF folder")


def _top_components(gram: Float64Array, k: int) -> tuple[Float64Array, Float64Array]:
    """Top-``k`` eigenvectors of X^T X ((k, D), unit rows) and the singular values of X.

    Each row's sign is fixed (largest-magnitude entry positive) so refits agree exactly.
    """
    dim = gram.shape[0]
    if k == 0:
        return np.zeros((0, dim)), np.zeros(0)
    evals, evecs = np.linalg.eigh(gram)  # ascending
    order = np.argsort(evals)[::-1][:k]
    U = evecs[:, order].T.copy()  # (k, D)
    signs = np.sign(U[np.arange(k), np.argmax(np.abs(U), axis=1)])
    U *= np.where(signs == 0, 1.0, signs)[:, None]
    return U, np.sqrt(np.clip(evals[order], 0.0, None))


def _each_document(documents: Iterable[Sequence[str]], batch_size: int) -> Iterable[Sequence[str]]:
    """The documents again, one by one, checked like ``iter_batches`` checks them."""
    for batch in iter_batches(documents, batch_size):
        yield from batch
