"""The ``Word2Vec`` estimator: skip-gram and CBOW, negative sampling and hierarchical softmax.

What it holds: the estimator (constructor stores a ``Word2VecConfig``; ``fit`` validates,
counts, encodes the corpus once to int32 ids on disk, trains on threads and returns ``self``;
learned state ends in ``_``) and what is word2vec's own: its matrices (``syn0``, ``syn1``),
their initialization and extension, the sampling tables and the kernel call (``_job``).
Counting, continued training, checkpoints, ``resume`` and whole-model ``save`` / ``load``
are shared with fastText (``_estimator.py``); the arithmetic lives in the numba kernels of
``_kernels_w2v.py``; scheduling, progress and Ctrl-C in ``_runner.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError
from embedlayer.train import _estimator as shared
from embedlayer.train._encode import EncodedCorpus
from embedlayer.train._runner import Job, JobResult, RunState
from embedlayer.train.config import Loss, Model, Word2VecConfig
from embedlayer.vectors import Vectors
from embedlayer.vocab import alias_table, huffman_codes, keep_probabilities

__all__ = ["Word2Vec", "estimate_memory"]


Callback = Callable[["Word2Vec", int, RunState], None]


def estimate_memory(vocab_size: int, config: Word2VecConfig) -> int:
    """Bytes the model needs while training (matrices, tables, vocabulary), not the corpus."""
    rows = 2 * vocab_size * config.dim * 4  # syn0 + syn1 (float32)
    tables = vocab_size * (4 + 8 + 64)  # keep probabilities, counts, token strings and index
    if config.loss == "ns":
        tables += vocab_size * 8  # the alias table: float32 prob + int32 alias per word
    else:
        tables += vocab_size * 40 * 5  # Huffman codes + points, ~40 levels at most
    return rows + tables


class Word2Vec:
    """word2vec (Mikolov et al. 2013) trained by numba kernels on ``workers`` threads.

    >>> model = Word2Vec(dim=50, epochs=5, min_count=1).fit(sentences)  # doctest: +SKIP
    >>> model.vectors_.most_similar("king")  # doctest: +SKIP
    >>> model.save("w2v.model"); Word2Vec.load("w2v.model").partial_fit(more)  # doctest: +SKIP
    """

    NAME: ClassVar[str] = "word2vec"
    CONFIG: ClassVar[type] = Word2VecConfig

    def __init__(
        self,
        *,
        model: Model = "skipgram",
        loss: Loss = "ns",
        dim: int = 100,
        window: int = 5,
        negative: int = 5,
        ns_exponent: float = 0.75,
        sample: float = 1e-3,
        min_count: int = 5,
        max_types: int | None = None,
        max_vocab: int | None = None,
        learning_rate: float = 0.025,
        min_learning_rate: float = 0.0001,
        epochs: int = 5,
        cbow_mean: bool = True,
        workers: int = 2,
        seed: int = 1,
        chunk_words: int = 10_000,
        shared_negatives: bool | None = None,
        shuffle: bool = True,
    ) -> None:
        self.config = Word2VecConfig(
            model=model, loss=loss, dim=dim, window=window, negative=negative,
            ns_exponent=ns_exponent, sample=sample, min_count=min_count, max_types=max_types,
            max_vocab=max_vocab, learning_rate=learning_rate,
            min_learning_rate=min_learning_rate, epochs=epochs, cbow_mean=cbow_mean,
            workers=workers, seed=seed, chunk_words=chunk_words,
            shared_negatives=shared_negatives, shuffle=shuffle,
        )

    @classmethod
    def from_config(cls, config: Word2VecConfig) -> Word2Vec:
        model = cls.__new__(cls)
        model.config = config
        return model

    # --- training -------------------------------------------------------------------------
    def fit(
        self,
        corpus: Iterable[Sequence[str]],
        *,
        progress: bool = True,
        callbacks: Sequence[Callback] = (),
        checkpoint_dir: PathLike | None = None,
        checkpoint_minutes: float | None = None,
        work_dir: PathLike | None = None,
    ) -> Word2Vec:
        """Build the vocabulary from ``corpus`` (token lists, re-iterable) and train on it.

        Each callback is called as ``callback(model, epoch, state)`` after every epoch.
        """
        shared.fit(self, corpus, progress=progress, callbacks=callbacks,
                   checkpoint_dir=checkpoint_dir, checkpoint_minutes=checkpoint_minutes,
                   work_dir=work_dir)
        return self

    def partial_fit(
        self,
        corpus: Iterable[Sequence[str]],
        *,
        update_vocab: bool = False,
        epochs: int | None = None,
        progress: bool = True,
        callbacks: Sequence[Callback] = (),
        work_dir: PathLike | None = None,
    ) -> Word2Vec:
        """Continue training on more text (also a model from ``load``).

        ``update_vocab=False`` keeps the vocabulary (unknown words are skipped);
        ``update_vocab=True`` adds the new words that reach ``min_count`` (counting old and new
        text together) as fresh rows at the end, and old rows keep training (loss='ns' only:
        a new Huffman tree would change the meaning of every inner-node row). The learning
        rate decays from ``learning_rate`` to ``min_learning_rate`` again over ``epochs``
        (default: the config's).
        """
        if update_vocab and self.config.loss == "hs":
            raise ConfigError("extending the vocabulary needs loss='ns': a new Huffman tree "
                              "would change the meaning of every inner-node row")
        shared.partial_fit(self, corpus, update_vocab=update_vocab, epochs=epochs,
                           progress=progress, callbacks=callbacks, work_dir=work_dir)
        return self

    @classmethod
    def resume(
        cls, checkpoint_dir: PathLike, corpus: Iterable[Sequence[str]], *,
        config: Word2VecConfig | None = None, progress: bool = True,
        callbacks: Sequence[Callback] = (), checkpoint_minutes: float | None = None,
        work_dir: PathLike | None = None,
    ) -> Word2Vec:
        """Continue an interrupted ``fit`` from its checkpoint, on the same corpus (checked
        against the checkpoint's fingerprint); with ``config``, refuse other settings."""
        return shared.resume(cls, checkpoint_dir, corpus, config=config, progress=progress,
                             callbacks=callbacks, checkpoint_minutes=checkpoint_minutes,
                             work_dir=work_dir)

    @classmethod
    def checkpoint_config(cls, checkpoint_dir: PathLike) -> Word2VecConfig:
        """The settings the checkpoint in ``checkpoint_dir`` was trained with."""
        return shared.checkpoint_config(cls, checkpoint_dir)

    # --- what is word2vec's own -------------------------------------------------------------
    def _memory(self, nwords: int) -> int:
        return estimate_memory(nwords, self.config)

    def _shapes(self, nwords: int) -> dict[str, tuple[int, ...]]:
        dim = self.config.dim
        return {"syn0": (nwords, dim), "syn1": (_output_rows(nwords, self.config), dim)}

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"syn0": self.syn0_, "syn1": self.syn1_}

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.syn0_, self.syn1_ = arrays["syn0"], arrays["syn1"]

    def _init_arrays(self) -> None:
        cfg, n = self.config, len(self.vocab_)
        rng = np.random.default_rng(cfg.seed)
        # word2vec.c's initialization: inputs uniform in +-0.5/dim, outputs zero.
        syn0 = rng.random((n, cfg.dim), dtype=np.float32)  # in place: no temporary copies
        syn0 -= np.float32(0.5)
        syn0 /= np.float32(cfg.dim)
        self.syn0_ = syn0
        self.syn1_ = np.zeros((_output_rows(n, cfg), cfg.dim), dtype=np.float32)

    def _extend_arrays(self, old_words: int, new_words: int) -> None:
        dim = self.config.dim
        rng = np.random.default_rng([self.config.seed, old_words])
        fresh = (rng.random((new_words, dim), dtype=np.float32) - 0.5) / dim
        self.syn0_ = np.concatenate([self.syn0_, fresh])
        self.syn1_ = np.concatenate([self.syn1_, np.zeros_like(fresh)])

    # -- sampling tables and the kernel call: one unit (the kernels' arguments change here) --
    def _tables(self) -> dict[str, np.ndarray]:
        cfg, counts = self.config, self.vocab_.counts
        keep = keep_probabilities(counts, cfg.sample).astype(np.float32)
        if cfg.loss == "ns":
            table = alias_table(counts, power=cfg.ns_exponent)
            hs = (np.zeros(1, np.uint8), np.zeros(1, np.int32), np.zeros(2, np.int64))
        else:
            table = np.zeros(1, np.int32)
            h = huffman_codes(counts)
            hs = (h.codes, h.points, h.offsets)
        return {"keep": keep, "table": table, "codes": hs[0], "points": hs[1], "offsets": hs[2]}

    def _job(self, encoded: EncodedCorpus) -> Job:
        from embedlayer.train import _kernels_w2v as kernels

        cfg = self.config
        t = self._tables()
        model_id = kernels.SKIPGRAM if cfg.model == "skipgram" else kernels.CBOW
        loss_id = kernels.NS if cfg.loss == "ns" else kernels.HS
        ids, bounds = encoded.ids, encoded.bounds
        syn0, syn1 = self.syn0_, self.syn1_
        shared_negatives = cfg.uses_shared_negatives

        def job(s0: int, s1: int, learning_rate: float, seed: int) -> JobResult:
            b0, b1 = int(bounds[s0]), int(bounds[s1])
            loss_sum, terms, words = kernels.train_chunk(
                model_id, loss_id, ids[b0:b1], bounds[s0:s1 + 1] - b0, syn0, syn1, t["keep"],
                t["table"], t["codes"], t["points"], t["offsets"], cfg.window, cfg.negative,
                learning_rate, cfg.cbow_mean, seed, shared_negatives)
            return JobResult(loss_sum, terms, words)

        return job
    # -- end of the kernel unit ------------------------------------------------------------

    # --- results --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "syn0_"):
            raise ConfigError("this Word2Vec is not fitted yet: call fit(corpus) first")

    @property
    def vectors_(self) -> Vectors:
        """The input vectors (what word2vec publishes), as an immutable ``Vectors`` copy."""
        self._check_fitted()
        return Vectors(self.vocab_, self.syn0_)

    @property
    def output_vectors_(self) -> Vectors:
        """The output (context) vectors of negative sampling."""
        self._check_fitted()
        if self.config.loss != "ns":
            raise ConfigError("output vectors exist for loss='ns' only (hs has inner nodes)")
        return Vectors(self.vocab_, self.syn1_)

    def save_vectors(self, path: PathLike, *, format: str = "native") -> Path:  # noqa: A002
        """Write the vectors in any format of ``embedlayer.vectors.io``."""
        from embedlayer.vectors.io import save_vectors

        return save_vectors(self.vectors_, path, format=format)

    def _check_save_target(self, folder: PathLike) -> None:
        """``ConfigError`` now when ``save(folder)`` would refuse the folder (the CLI checks
        ``--save-model`` before training)."""
        shared.check_model_target(self, folder)

    def save(self, folder: PathLike) -> Path:
        """Write the whole model (settings, vocabulary with every count, both matrices, loss
        history) to one folder, atomically and pickle-free; ``load`` reads it back and
        ``partial_fit`` trains it further."""
        return shared.save_model(self, folder)

    @classmethod
    def load(cls, folder: PathLike) -> Word2Vec:
        """A model written by ``save`` (format and version checked, arrays' sha256 verified)."""
        return shared.load_model(cls, folder)

    def __repr__(self) -> str:
        c = self.config
        fitted = f", {len(self.vocab_):,} words" if hasattr(self, "vocab_") else ""
        return f"Word2Vec({c.model}, {c.loss}, dim={c.dim}, window={c.window}{fitted})"


def _output_rows(vocab_size: int, cfg: Word2VecConfig) -> int:
    return vocab_size if cfg.loss == "ns" else max(vocab_size - 1, 1)
