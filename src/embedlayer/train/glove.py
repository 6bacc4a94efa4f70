"""The ``GloVe`` estimator (Pennington, Socher & Manning 2014), Stanford's tools in one ``fit``.

What it holds: the estimator (constructor stores a ``GloVeConfig``; ``fit`` validates,
builds the vocabulary, encodes the corpus once to int32 ids on disk, counts co-occurrences
in bounded memory, shuffles them, trains word and context vectors with AdaGrad on threads,
and returns ``self``; learned state ends in ``_``) and the memory arithmetic behind
``memory``. Counting, merging and shuffling live in ``_cooccur.py``; the arithmetic in the
numba kernels of ``_kernels_glove.py``.

``memory`` (MiB) is a soft cap on the process while it counts, like ``cooccur -memory``:
a fixed reserve (the interpreter, numpy, numba's compiled kernels, the vocabulary and the
sentence bounds) is taken off it and the rest goes to the buffers (hash tables, merge
windows, shuffle buckets). The buffers never depend on the corpus size, so a corpus larger
than memory counts in the same space (more shards, more merge rounds). Training then needs
the four (V, dim) float32 matrices and reads the shuffled triples memory-mapped.

Checkpoints: with ``checkpoint_dir``, every finished epoch replaces a checkpoint folder
(parameters, AdaGrad sums, vocabulary, losses; written atomically). ``GloVe.resume`` counts
the same corpus again (counting and shuffling are deterministic for the same settings) and
trains the remaining epochs: with one worker the result is bit-for-bit an unbroken run's.
What it leaves out: continued training on new text.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, CorpusError
from embedlayer.train._checkpoint import load_array, read_checkpoint_meta, write_checkpoint
from embedlayer.train._cooccur import (
    CooccurrenceReport,
    count_cooccurrences,
    open_triples,
    shuffle_cooccurrences,
)
from embedlayer.train._encode import encode_corpus, work_folder
from embedlayer.train.glove_config import GloVeConfig, GloVeOutput
from embedlayer.vectors import Vectors
from embedlayer.vocab import TokenCounter, keep_probabilities, load_vocab

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "GloVe", "counting_reserve"]

CHECKPOINT_FORMAT = "embedlayer.glove-checkpoint"
CHECKPOINT_VERSION = 1

# The part of ``memory`` that is not buffers: Python, numpy, tqdm and numba with the kernels
# loaded take ~165 MiB here (measured: RSS after importing and running the kernels once).
_BASE_RESERVE = 192 * 2**20
_BYTES_PER_WORD = 512  # a vocabulary entry: the token string, its index slot and count
_BYTES_PER_SENTENCE = 8  # EncodedCorpus keeps the sentence bounds (int64) in memory
_MIN_BUFFERS = 16 * 2**20

Callback = Callable[["GloVe", int, float], None]  # (model, epoch, loss of that epoch)


def counting_reserve(vocab_size: int, sentences: int) -> int:
    """Bytes of ``memory`` set aside for everything but the counting buffers."""
    return _BASE_RESERVE + _BYTES_PER_WORD * vocab_size + _BYTES_PER_SENTENCE * sentences


class GloVe:
    """GloVe word vectors: co-occurrence counting, then AdaGrad on ``workers`` threads.

    >>> glove = GloVe(dim=50, window=10, epochs=15).fit(sentences)  # doctest: +SKIP
    >>> glove.vectors_.most_similar("king")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        dim: int = 100,
        window: int = 15,
        symmetric: bool = True,
        distance_weighting: bool = True,
        min_count: int = 5,
        max_vocab: int | None = None,
        sample: float = 0.0,
        x_max: float = 10.0,
        alpha: float = 0.75,
        eta: float = 0.05,
        grad_clip: float = 100.0,
        epochs: int = 15,
        output: GloVeOutput = "word+context",
        context_weight: float = 1.0,
        memory: float = 1024.0,
        workers: int = 2,
        seed: int = 1,
        block: int = 65_536,
    ) -> None:
        self.config = GloVeConfig(
            dim=dim, window=window, symmetric=symmetric, distance_weighting=distance_weighting,
            min_count=min_count, max_vocab=max_vocab, sample=sample, x_max=x_max, alpha=alpha,
            eta=eta, grad_clip=grad_clip, epochs=epochs, output=output,
            context_weight=context_weight, memory=memory, workers=workers, seed=seed,
            block=block,
        )

    @classmethod
    def from_config(cls, config: GloVeConfig) -> GloVe:
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
        work_dir: PathLike | None = None,
        checkpoint_dir: PathLike | None = None,
    ) -> GloVe:
        """Learn vectors from ``corpus`` (token lists, re-iterable: it is read twice).

        With ``checkpoint_dir``, each finished epoch is saved there (see ``resume``).

        Temporary files (ids, shards, the co-occurrence matrix) go to a fresh temporary
        folder, removed at the end, also on error or Ctrl-C; with ``work_dir`` they go there
        and stay (``cooccurrence.npy`` is the sorted matrix, ``shuffled.npy`` its training
        order).
        """
        self._vocabulary(corpus, progress)
        self._count_and_train(corpus, work_dir, progress, callbacks,
                              None if checkpoint_dir is None else Path(checkpoint_dir),
                              params=lambda: self._init_params(len(self.vocab_)))
        return self

    @classmethod
    def resume(
        cls, checkpoint_dir: PathLike, corpus: Iterable[Sequence[str]], *, progress: bool = True,
        callbacks: Sequence[Callback] = (), work_dir: PathLike | None = None,
    ) -> GloVe:
        """Finish an interrupted ``fit(checkpoint_dir=...)`` on the same corpus.

        The corpus is counted again; a vocabulary that differs from the checkpoint's (another
        corpus, other settings) is a ``ConfigError``. Later epochs keep checkpointing there.
        """
        folder = Path(checkpoint_dir)
        meta = read_checkpoint_meta(folder, fmt=CHECKPOINT_FORMAT, version=CHECKPOINT_VERSION,
                                    required=("config", "epochs_done", "loss_history"))
        model = cls.from_config(GloVeConfig.from_dict(meta["config"]))
        saved = load_vocab(folder / "vocab.json")
        model._vocabulary(corpus, progress)
        if model.vocab_.tokens != saved.tokens or \
                not np.array_equal(model.vocab_.counts, saved.counts):
            raise ConfigError(f"{folder}: this corpus gives another vocabulary than the "
                              f"checkpoint's ({len(model.vocab_):,} words, not "
                              f"{len(saved):,}); resume needs the corpus the run started on")
        v, d = len(saved), model.config.dim

        def load() -> None:
            w, c, bw, bc, gw, gc, gbw, gbc = (
                load_array(folder / f"{name}.npy", (v, d) if name in ("W", "C", "GW", "GC") else (v,))
                for name in ("W", "C", "bw", "bc", "GW", "GC", "gbw", "gbc"))
            model.W_, model.C_, model.bw_, model.bc_ = w, c, bw, bc
            model._grads = (gw, gc, gbw, gbc)

        model._count_and_train(corpus, work_dir, progress, callbacks, folder, params=load,
                               start_epoch=int(meta["epochs_done"]),
                               losses=[float(x) for x in meta["loss_history"]])
        return model

    def _count_and_train(
        self, corpus: Iterable[Sequence[str]], work_dir: PathLike | None, progress: bool,
        callbacks: Sequence[Callback], checkpoint_dir: Path | None, *,
        params: Callable[[], None], start_epoch: int = 0, losses: Sequence[float] = (),
    ) -> None:
        """Count into ``work_dir`` (or a temporary folder), set the parameters with
        ``params`` (after counting: they are not part of its memory budget), then train."""
        with work_folder(work_dir, "embedlayer-glove-") as folder:
            path = self._count(corpus, folder, progress)
            t = time.perf_counter()
            params()
            self._train(open_triples(path), progress=progress, callbacks=callbacks,
                        checkpoint_dir=checkpoint_dir, start_epoch=start_epoch, losses=losses)
            self.timings_["train"] = time.perf_counter() - t

    def _save_checkpoint(self, folder: Path, epochs_done: int) -> None:
        meta = {"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION,
                "config": self.config.to_dict(), "epochs_done": epochs_done,
                "loss_history": self.loss_history_}
        GW, GC, gbw, gbc = self._grads
        write_checkpoint(folder, what="a GloVe checkpoint", meta=meta, vocab=self.vocab_,
                         arrays={"W": self.W_, "C": self.C_, "bw": self.bw_, "bc": self.bc_,
                                 "GW": GW, "GC": GC, "gbw": gbw, "gbc": gbc})

    def count(
        self, corpus: Iterable[Sequence[str]], *, work_dir: PathLike, progress: bool = True,
    ) -> CooccurrenceReport:
        """The first half of ``fit`` only: vocabulary, encoding, counting, merging, shuffling.

        Leaves ``cooccurrence.npy`` (sorted) and ``shuffled.npy`` in ``work_dir``; sets
        ``vocab_``, ``nonzero_pairs_``, ``cooccurrence_`` and ``timings_``; trains nothing.
        """
        self._vocabulary(corpus, progress)
        self._count(corpus, Path(work_dir), progress)
        return self.cooccurrence_

    def _vocabulary(self, corpus: Iterable[Sequence[str]], progress: bool) -> None:
        """Validate, count words, build ``vocab_`` and split ``memory`` (no file written)."""
        cfg = self.config.check()
        if iter(corpus) is corpus:  # type: ignore[comparison-overlap]
            raise ConfigError("the corpus is a one-shot iterator, but GloVe reads it twice "
                              "(count words, then encode): pass a list, a TextCorpus-based "
                              "stream or another re-iterable object")
        t = time.perf_counter()
        counter = TokenCounter().update_many(corpus)
        if counter.tokens == 0:
            raise CorpusError(f"the corpus is empty: {counter.sentences:,} sentences, no tokens")
        vocab = counter.to_vocab(min_count=cfg.min_count, max_size=cfg.max_vocab)
        sentences = counter.sentences
        del counter
        reserve = counting_reserve(len(vocab), sentences)
        budget = int(cfg.memory * 2**20) - reserve
        if budget < _MIN_BUFFERS:
            need = math.ceil((reserve + _MIN_BUFFERS) / 2**20)
            raise ConfigError(
                f"memory={cfg.memory:g} MiB is too small: counting sets aside "
                f"{reserve / 2**20:,.0f} MiB for the interpreter, numba and the vocabulary "
                f"({len(vocab):,} words, {sentences:,} sentences) and needs at least "
                f"{_MIN_BUFFERS // 2**20} MiB of buffers; use memory >= {need}")
        self.vocab_ = vocab
        self.memory_budget_ = budget
        self.timings_ = {"vocab": time.perf_counter() - t}
        if progress:
            print(f"glove: {len(vocab):,} words x {cfg.dim} dims; counting buffers "
                  f"{budget / 2**20:,.0f} MiB of memory={cfg.memory:g} MiB", file=sys.stderr)

    def _count(self, corpus: Iterable[Sequence[str]], folder: Path, progress: bool) -> Path:
        """Encode, count, merge and shuffle into ``folder``; returns the shuffled triples."""
        cfg, timings, budget = self.config, self.timings_, self.memory_budget_
        t = time.perf_counter()
        encoded = encode_corpus(corpus, self.vocab_, folder=folder)
        self.words_ = encoded.words
        timings["encode"] = time.perf_counter() - t
        keep = keep_probabilities(self.vocab_.counts, cfg.sample) if cfg.sample > 0 else None
        cooc = count_cooccurrences(
            encoded, len(self.vocab_), folder, window=cfg.window, symmetric=cfg.symmetric,
            distance_weighting=cfg.distance_weighting, budget_bytes=budget,
            workers=cfg.workers, keep=keep, seed=cfg.seed, progress=progress)
        del encoded
        timings["count"], timings["merge"] = cooc.count_seconds, cooc.merge_seconds
        if cooc.nonzero == 0:
            raise CorpusError("no co-occurrence to learn from: every sentence has fewer than "
                              "two in-vocabulary tokens (lower min_count?)")
        t = time.perf_counter()
        path, buckets = shuffle_cooccurrences(cooc, seed=cfg.seed, budget_bytes=budget,
                                              progress=progress)
        timings["shuffle"] = time.perf_counter() - t
        self.nonzero_pairs_ = cooc.nonzero
        self.cooccurrence_ = CooccurrenceReport(
            nonzero=cooc.nonzero, updates=cooc.updates, shards=cooc.shards,
            table_slots=cooc.table_slots, buffer_bytes=budget, buckets=buckets,
            count_seconds=cooc.count_seconds, merge_seconds=cooc.merge_seconds,
            shuffle_seconds=timings["shuffle"])
        if progress:
            print(f"glove: {cooc.nonzero:,} non-zero pairs from {cooc.updates:,} window pairs "
                  f"({cooc.shards} shard(s), {buckets} shuffle bucket(s))", file=sys.stderr)
        return path

    def _init_params(self, vocab_size: int) -> None:
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        shape = (vocab_size, cfg.dim)
        # glove.c: every parameter, biases included, uniform in +-0.5/dim; AdaGrad sums at 1.
        self.W_ = (rng.random(shape, dtype=np.float32) - 0.5) / cfg.dim
        self.C_ = (rng.random(shape, dtype=np.float32) - 0.5) / cfg.dim
        self.bw_ = (rng.random(vocab_size, dtype=np.float32) - 0.5) / cfg.dim
        self.bc_ = (rng.random(vocab_size, dtype=np.float32) - 0.5) / cfg.dim
        self._grads = (np.ones(shape, np.float32), np.ones(shape, np.float32),
                       np.ones(vocab_size, np.float32), np.ones(vocab_size, np.float32))

    def _train(self, triples: np.ndarray, *, progress: bool, callbacks: Sequence[Callback],
               checkpoint_dir: Path | None = None, start_epoch: int = 0,
               losses: Sequence[float] = ()) -> None:
        from embedlayer.train import _kernels_glove as kernels

        cfg = self.config
        n = int(triples.shape[0])
        rows, cols, xs = (np.asarray(triples[f]) for f in ("row", "col", "val"))
        blocks = [(a, min(a + cfg.block, n)) for a in range(0, n, cfg.block)]
        W, C, bw, bc = self.W_, self.C_, self.bw_, self.bc_
        GW, GC, gbw, gbc = self._grads

        def job(a: int, b: int) -> tuple[float, int]:
            cost, skipped = kernels.train_block(
                rows[a:b], cols[a:b], xs[a:b], W, C, bw, bc, GW, GC, gbw, gbc,
                float(cfg.x_max), float(cfg.alpha), float(cfg.eta), float(cfg.grad_clip))
            return float(cost), int(skipped)

        self.loss_history_: list[float] = list(losses)
        self.epoch_seconds_: list[float] = []
        self.skipped_pairs_ = 0
        bar = progress_bar(total=n * cfg.epochs, initial=n * start_epoch, desc="train",
                           unit="pair", enabled=progress)
        in_flight = 2 * cfg.workers
        try:
            with ThreadPoolExecutor(max_workers=cfg.workers,
                                    thread_name_prefix="embedlayer-glove") as pool:
                for epoch in range(start_epoch, cfg.epochs):
                    started = time.perf_counter()
                    # The triples were shuffled once; each epoch visits their blocks in a
                    # fresh seeded order (glove.c repeats one order every iteration).
                    order = np.random.default_rng([cfg.seed & 0xFFFFFFFF, 1, epoch]).permutation(
                        len(blocks))
                    total = 0.0
                    pending: deque[tuple[Future[tuple[float, int]], int]] = deque()
                    try:
                        for k in order.tolist():
                            a, b = blocks[k]
                            pending.append((pool.submit(job, a, b), b - a))
                            while len(pending) >= in_flight:
                                total += self._collect(pending, bar)
                        while pending:
                            total += self._collect(pending, bar)
                    except BaseException:
                        # Ctrl-C or a failed job: jobs not started are dropped, running ones
                        # (milliseconds each) finish, so no thread writes after we return.
                        for fut, _ in pending:
                            if not fut.cancel():
                                fut.exception()
                        raise
                    loss = total / n
                    self.loss_history_.append(loss)
                    self.epoch_seconds_.append(time.perf_counter() - started)
                    bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
                    if checkpoint_dir is not None:
                        self._save_checkpoint(checkpoint_dir, epoch + 1)
                    for callback in callbacks:
                        callback(self, epoch, loss)
        finally:
            bar.close()

    def _collect(self, pending: deque[tuple[Future[tuple[float, int]], int]], bar: Any) -> float:
        fut, size = pending.popleft()
        cost, skipped = fut.result()
        self.skipped_pairs_ += skipped
        bar.update(size)
        return cost

    # --- results --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "W_"):
            raise ConfigError("this GloVe is not fitted yet: call fit(corpus) first")

    def output_matrix(self, output: GloVeOutput | None = None) -> np.ndarray:
        """The published matrix: ``W``, ``W + context_weight * C`` (glove.c's ``-model 2``
        when the weight is 1) or ``[W | C]``."""
        self._check_fitted()
        mode = output or self.config.output
        if mode == "word":
            return self.W_.copy()
        if mode == "word+context":
            return self.W_ + np.float32(self.config.context_weight) * self.C_
        if mode == "concat":
            return np.concatenate([self.W_, self.C_], axis=1)
        raise ConfigError(f"output must be 'word', 'word+context' or 'concat', got {mode!r}")

    @property
    def vectors_(self) -> Vectors:
        """The vectors chosen by ``output`` (default ``W + C``), as an immutable ``Vectors``."""
        matrix = self.output_matrix()  # checks that the model is fitted
        return Vectors(self.vocab_, matrix)

    def save(self, path: PathLike, *, format: str = "native") -> Path:  # noqa: A002 - file format
        """Write ``vectors_`` in any format of ``embedlayer.vectors.io`` (atomically)."""
        return self.vectors_.save(path, format=format)

    def __repr__(self) -> str:
        c = self.config
        fitted = f", {len(self.vocab_):,} words" if hasattr(self, "vocab_") else ""
        return f"GloVe(dim={c.dim}, window={c.window}, x_max={c.x_max:g}{fitted})"
