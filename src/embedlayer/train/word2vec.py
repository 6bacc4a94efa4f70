"""The ``Word2Vec`` estimator: skip-gram and CBOW, negative sampling and hierarchical softmax.

What it holds: the estimator (constructor stores a ``Word2VecConfig``; ``fit`` validates,
counts, encodes the corpus once to int32 ids on disk, trains on threads and returns
``self``; learned state ends in ``_``), continued training, and checkpoints (save, resume).
The arithmetic lives in the numba kernels of ``_kernels_w2v.py``; scheduling, the
learning-rate decay, progress and Ctrl-C handling in ``_runner.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, CorpusError
from embedlayer.train._checkpoint import load_array, read_checkpoint_meta, write_checkpoint
from embedlayer.train._encode import EncodedCorpus, encode_corpus
from embedlayer.train._runner import JobResult, Position, RunState, chunk_order, run_jobs
from embedlayer.train.config import Loss, Model, Word2VecConfig
from embedlayer.vectors import Vectors
from embedlayer.vocab import (
    TokenCounter,
    Vocab,
    alias_table,
    huffman_codes,
    keep_probabilities,
    load_vocab,
)

__all__ = ["Word2Vec", "estimate_memory"]

CHECKPOINT_FORMAT = "embedlayer.word2vec-checkpoint"
CHECKPOINT_VERSION = 1

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
    """

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
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
        alpha: float = 0.025,
        min_alpha: float = 0.0001,
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
            ns_exponent=ns_exponent, sample=sample, min_count=min_count,
            max_vocab_size=max_vocab_size, max_final_vocab=max_final_vocab, alpha=alpha,
            min_alpha=min_alpha, epochs=epochs, cbow_mean=cbow_mean, workers=workers, seed=seed,
            chunk_words=chunk_words, shared_negatives=shared_negatives, shuffle=shuffle,
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
        """Build the vocabulary from ``corpus`` (token lists, re-iterable) and train on it."""
        cfg = self.config.check()
        _check_reiterable(corpus)
        counter = TokenCounter(max_types=cfg.max_vocab_size).update_many(corpus)
        if counter.tokens == 0:
            raise CorpusError(f"the corpus is empty: {counter.sentences:,} sentences, no tokens")
        self.counter_ = counter
        vocab = counter.to_vocab(min_count=cfg.min_count, max_size=cfg.max_final_vocab)
        self.vocab_ = vocab
        self.memory_estimate_ = estimate_memory(len(vocab), cfg)
        if progress:
            print(f"word2vec: {len(vocab):,} words x {cfg.dim} dims, about "
                  f"{self.memory_estimate_ / 2**20:,.0f} MiB for the model", file=sys.stderr)
        rng = np.random.default_rng(cfg.seed)
        # word2vec.c's initialization: inputs uniform in +-0.5/dim, outputs zero.
        self.syn0_ = ((rng.random((len(vocab), cfg.dim), dtype=np.float32) - 0.5) / cfg.dim)
        self.syn1_ = np.zeros((_output_rows(len(vocab), cfg), cfg.dim), dtype=np.float32)
        with encode_corpus(corpus, vocab, folder=work_dir) as encoded:
            self._train(encoded, epochs=cfg.epochs, start=Position(), progress=progress,
                        callbacks=callbacks, checkpoint_dir=checkpoint_dir,
                        checkpoint_minutes=checkpoint_minutes)
        return self

    def partial_fit(
        self,
        corpus: Iterable[Sequence[str]],
        *,
        update_vocab: bool = False,
        epochs: int | None = None,
        progress: bool = True,
        callbacks: Sequence[Callback] = (),
    ) -> Word2Vec:
        """Continue training on more text.

        ``update_vocab=False`` keeps the vocabulary (unknown words are skipped);
        ``update_vocab=True`` adds the new words that reach ``min_count`` (counting old and new
        text together) as fresh rows at the end, and old rows keep training. The learning rate
        decays from ``alpha`` to ``min_alpha`` again over ``epochs`` (default: the config's).
        """
        self._check_fitted()
        cfg = self.config
        if update_vocab:
            if cfg.loss == "hs":
                raise ConfigError("extending the vocabulary needs loss='ns': a new Huffman tree "
                                  "would change the meaning of every inner-node row")
            _check_reiterable(corpus)
            self.counter_.merge(TokenCounter(max_types=cfg.max_vocab_size).update_many(corpus))
            self._extend_vocab()
        with encode_corpus(corpus, self.vocab_) as encoded:
            self._train(encoded, epochs=epochs or cfg.epochs, start=Position(), progress=progress,
                        callbacks=callbacks, checkpoint_dir=None, checkpoint_minutes=None)
        return self

    def _extend_vocab(self) -> None:
        old = self.vocab_
        counts = self.counter_
        new = sorted((t for t, c in counts.items() if c >= self.config.min_count and t not in old),
                     key=lambda t: (-counts[t], t))
        tokens = old.tokens + new
        self.vocab_ = Vocab(tokens, [counts.get(t, 0) for t in tokens], unk_token=None)
        rng = np.random.default_rng([self.config.seed, len(old)])
        fresh = (rng.random((len(new), self.config.dim), dtype=np.float32) - 0.5) / self.config.dim
        self.syn0_ = np.concatenate([self.syn0_, fresh])
        self.syn1_ = np.concatenate([self.syn1_, np.zeros_like(fresh)])

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

    def _train(
        self, encoded: EncodedCorpus, *, epochs: int, start: Position, progress: bool,
        callbacks: Sequence[Callback], checkpoint_dir: PathLike | None,
        checkpoint_minutes: float | None, state: RunState | None = None,
    ) -> None:
        from embedlayer.train import _kernels_w2v as kernels

        cfg = self.config
        t = self._tables()
        model_id = kernels.SKIPGRAM if cfg.model == "skipgram" else kernels.CBOW
        loss_id = kernels.NS if cfg.loss == "ns" else kernels.HS
        ids, bounds = encoded.ids, encoded.bounds
        syn0, syn1 = self.syn0_, self.syn1_
        shared = cfg.uses_shared_negatives
        order = chunk_order(encoded, cfg.chunk_words, cfg.seed) if cfg.shuffle else None

        def job(s0: int, s1: int, alpha: float, seed: int) -> JobResult:
            b0, b1 = int(bounds[s0]), int(bounds[s1])
            loss_sum, terms, words = kernels.train_chunk(
                model_id, loss_id, ids[b0:b1], bounds[s0:s1 + 1] - b0, syn0, syn1, t["keep"],
                t["table"], t["codes"], t["points"], t["offsets"], cfg.window, cfg.negative,
                alpha, cfg.cbow_mean, seed, shared)
            return JobResult(loss_sum, terms, words)

        def on_epoch_end(epoch: int, run: RunState) -> None:
            for callback in callbacks:
                callback(self, epoch, run)

        checkpoint = None
        if checkpoint_dir is not None:
            def checkpoint(position: Position, run: RunState) -> None:
                self._save_checkpoint(Path(checkpoint_dir), position, run, epochs)

        run = run_jobs(
            encoded, job, epochs=epochs, alpha=cfg.alpha, min_alpha=cfg.min_alpha,
            workers=cfg.workers, chunk_words=cfg.chunk_words, seed=cfg.seed, start=start,
            state=state, progress=progress, on_epoch_end=on_epoch_end, checkpoint=checkpoint,
            checkpoint_seconds=None if checkpoint_minutes is None else 60 * checkpoint_minutes,
            order=order,
        )
        self.loss_history_ = list(run.epoch_loss)
        self.epoch_seconds_ = list(run.epoch_seconds)
        self.words_per_epoch_ = encoded.words
        self.raw_words_per_epoch_ = encoded.raw_words

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

    def save(self, path: PathLike, *, format: str = "native") -> Path:  # noqa: A002 - file format
        """Write the vectors in any format of ``embedlayer.vectors.io``."""
        return self.vectors_.save(path, format=format)

    # --- checkpoints ----------------------------------------------------------------------
    def _save_checkpoint(self, folder: Path, position: Position, run: RunState, epochs: int) -> None:
        meta = {
            "format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION,
            "config": self.config.to_dict(), "epochs": epochs,
            "position": {"epoch": position.epoch, "chunk": position.chunk},
            "loss_history": run.epoch_loss, "epoch_words": run.epoch_words,
            "epoch_partial": run.partial(),
        }
        write_checkpoint(folder, what="a word2vec checkpoint", meta=meta, vocab=self.vocab_,
                         arrays={"syn0": self.syn0_, "syn1": self.syn1_})

    @classmethod
    def resume(
        cls, checkpoint_dir: PathLike, corpus: Iterable[Sequence[str]], *, progress: bool = True,
        callbacks: Sequence[Callback] = (), checkpoint_minutes: float | None = None,
    ) -> Word2Vec:
        """Continue an interrupted ``fit`` from its checkpoint, on the same corpus."""
        folder = Path(checkpoint_dir)
        meta = read_checkpoint_meta(folder, fmt=CHECKPOINT_FORMAT,
                                    version=CHECKPOINT_VERSION,
                                    required=("config", "position", "epochs", "loss_history", "epoch_words"))
        model = cls.from_config(Word2VecConfig.from_dict(meta["config"]))
        model.vocab_ = load_vocab(folder / "vocab.json")
        model.syn0_ = load_array(folder / "syn0.npy", (len(model.vocab_), model.config.dim))
        rows = _output_rows(len(model.vocab_), model.config)
        model.syn1_ = load_array(folder / "syn1.npy", (rows, model.config.dim))
        model.counter_ = TokenCounter.from_state(
            dict(zip(model.vocab_.tokens, model.vocab_.counts.tolist(), strict=True)),
            sentences=0, tokens=int(model.vocab_.total))
        pos = meta["position"]
        state = RunState(epoch_loss=list(meta["loss_history"]),
                         epoch_words=list(meta["epoch_words"]))
        state.restore_partial(meta.get("epoch_partial"))
        with encode_corpus(corpus, model.vocab_) as encoded:
            model._train(encoded, epochs=meta["epochs"],
                         start=Position(pos["epoch"], pos["chunk"]), progress=progress,
                         callbacks=callbacks, checkpoint_dir=folder,
                         checkpoint_minutes=checkpoint_minutes, state=state)
        return model

    def __repr__(self) -> str:
        c = self.config
        fitted = f", {len(self.vocab_):,} words" if hasattr(self, "vocab_") else ""
        return f"Word2Vec({c.model}, {c.loss}, dim={c.dim}, window={c.window}{fitted})"


def _output_rows(vocab_size: int, cfg: Word2VecConfig) -> int:
    return vocab_size if cfg.loss == "ns" else max(vocab_size - 1, 1)


def _check_reiterable(corpus: Any) -> None:
    if iter(corpus) is corpus:
        raise ConfigError("the corpus is a one-shot iterator, but word2vec reads it twice (count, "
                          "then encode): pass a list, a TextCorpus-based stream or another "
                          "re-iterable object")
