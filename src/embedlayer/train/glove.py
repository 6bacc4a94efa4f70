"""The ``GloVe`` estimator (Pennington, Socher & Manning 2014), Stanford's tools in one ``fit``.

What it holds: the estimator (constructor stores a ``GloVeConfig``; ``fit`` validates,
builds the vocabulary, encodes the corpus once to int32 ids on disk, counts co-occurrences
in bounded memory, shuffles them, trains word and context vectors with AdaGrad on threads,
and returns ``self``; learned state ends in ``_``), continued training (``partial_fit``),
checkpoints and ``resume``, whole-model ``save`` / ``load``, and the memory arithmetic behind
``memory_mib``. Counting, merging and shuffling live in ``_cooccur.py``; the arithmetic in the
numba kernels of ``_kernels_glove.py``; threads, progress, Ctrl-C and checkpoint timing in
``_runner.py``, the loop every trainer shares (here each piece of work is a block of shuffled
triples, visited in a fresh seeded order each epoch, at a constant learning rate: AdaGrad
adapts it per parameter).

``memory_mib`` is a soft cap on the process while it counts, like ``cooccur -memory``:
a fixed reserve (the interpreter, numpy, numba's compiled kernels, the vocabulary and the
sentence bounds) is taken off it and the rest goes to the buffers (hash tables, merge
windows, shuffle buckets). The buffers never depend on the corpus size, so a corpus larger
than memory counts in the same space (more shards, more merge rounds). Training then needs
the four (V, dim) float32 matrices and reads the shuffled triples memory-mapped.

Checkpoints: with ``checkpoint_dir``, every finished epoch (and Ctrl-C) replaces a checkpoint
folder (parameters, AdaGrad sums, vocabulary, losses, position; written atomically).
``GloVe.resume`` counts the same corpus again (counting and shuffling are deterministic for
the same settings) and trains the rest: with one worker the result is bit-for-bit an
unbroken run's. A saved model (``save``) keeps the AdaGrad sums too, so ``partial_fit`` on
new text continues AdaGrad where it stopped.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, CorpusError, FormatError
from embedlayer.train._checkpoint import check_state_target, read_state, write_state
from embedlayer.train._cooccur import (
    Cooccurrence,
    CooccurrenceReport,
    count_cooccurrences,
    open_triples,
    shuffle_cooccurrences,
)
from embedlayer.train._encode import encode_corpus, work_folder
from embedlayer.train._estimator import (
    _refuse_old_version,
    allocate,
    check_memory,
    check_reiterable,
    describe_position,
    fingerprint_difference,
    order_fingerprint,
)
from embedlayer.train._runner import JobResult, Position, RunState, Work, run_jobs
from embedlayer.train.config import GloVeConfig, GloVeOutput, config_differences
from embedlayer.vectors import Vectors
from embedlayer.vocab import TokenCounter, Vocab, keep_probabilities

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "GloVe", "counting_reserve"]

CHECKPOINT_FORMAT = "embedlayer.glove-checkpoint"
CHECKPOINT_VERSION = 2  # 2: renamed settings (learning_rate, memory_mib), position, sha256
MODEL_FORMAT = "embedlayer.glove-model"
MODEL_VERSION = 1
_ARRAYS = ("W", "C", "bw", "bc", "GW", "GC", "gbw", "gbc")

# The part of ``memory_mib`` that is not buffers: Python, numpy, tqdm and numba with the
# kernels loaded take ~165 MiB here (measured: RSS after importing and running the kernels once).
_BASE_RESERVE = 192 * 2**20
_BYTES_PER_WORD = 512  # a vocabulary entry: the token string, its index slot and count
_BYTES_PER_SENTENCE = 8  # EncodedCorpus keeps the sentence bounds (int64) in memory
_MIN_BUFFERS = 16 * 2**20

Callback = Callable[["GloVe", int, RunState], None]  # (model, epoch, state), as every trainer


def counting_reserve(vocab_size: int, sentences: int) -> int:
    """Bytes of ``memory_mib`` set aside for everything but the counting buffers."""
    return _BASE_RESERVE + _BYTES_PER_WORD * vocab_size + _BYTES_PER_SENTENCE * sentences


def _model_bytes(vocab_size: int, dim: int) -> int:
    return 4 * (4 * vocab_size * dim + 4 * vocab_size)  # W, C, GW, GC + four bias vectors


def _vocab_fingerprint(counter: TokenCounter, vocab: Vocab) -> dict[str, Any]:
    """Cheap identity of a corpus: its sizes and a hash of its vocabulary's counts."""
    digest = hashlib.sha256()
    for token, count in zip(vocab.tokens, vocab.counts.tolist(), strict=True):
        digest.update(f"{token}\t{count}\n".encode())
    return {"sentences": counter.sentences, "tokens_read": counter.tokens,
            "tokens": int(vocab.counts.sum()), "counts_sha256": digest.hexdigest()}


class GloVe:
    """GloVe word vectors: co-occurrence counting, then AdaGrad on ``workers`` threads.

    >>> glove = GloVe(dim=50, window=10, epochs=15).fit(sentences)  # doctest: +SKIP
    >>> glove.vectors_.most_similar("king")  # doctest: +SKIP
    """

    NAME: ClassVar[str] = "GloVe"
    CONFIG: ClassVar[type] = GloVeConfig

    def __init__(
        self,
        *,
        dim: int = 100,
        window: int = 15,
        symmetric: bool = True,
        distance_weighting: bool = True,
        min_count: int = 5,
        max_types: int | None = None,
        max_vocab: int | None = None,
        sample: float = 0.0,
        x_max: float = 10.0,
        alpha: float = 0.75,
        learning_rate: float = 0.05,
        grad_clip: float = 100.0,
        epochs: int = 15,
        output: GloVeOutput = "word+context",
        context_weight: float = 1.0,
        memory_mib: float = 1024.0,
        workers: int = 2,
        seed: int = 1,
        block: int = 65_536,
    ) -> None:
        self.config = GloVeConfig(
            dim=dim, window=window, symmetric=symmetric, distance_weighting=distance_weighting,
            min_count=min_count, max_types=max_types, max_vocab=max_vocab, sample=sample,
            x_max=x_max, alpha=alpha, learning_rate=learning_rate, grad_clip=grad_clip,
            epochs=epochs, output=output, context_weight=context_weight, memory_mib=memory_mib,
            workers=workers, seed=seed, block=block,
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

        With ``checkpoint_dir``, each finished epoch is saved there (see ``resume``). Each
        callback is called as ``callback(model, epoch, state)`` after every epoch.

        Temporary files (ids, shards, the co-occurrence matrix) go to a fresh temporary
        folder, removed at the end, also on error or Ctrl-C; with ``work_dir`` they go there
        and stay (``cooccurrence.npy`` is the sorted matrix, ``shuffled.npy`` its training
        order).
        """
        self._vocabulary(corpus, progress)
        self.loss_history_ = []
        self._count_and_train(corpus, work_dir, progress, callbacks,
                              None if checkpoint_dir is None else Path(checkpoint_dir),
                              params=lambda: self._init_params(len(self.vocab_)))
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
    ) -> GloVe:
        """Continue training on more text (also a model from ``load``): count the new text's
        co-occurrences over the vocabulary and continue AdaGrad from its accumulated sums.

        ``update_vocab=True`` first adds the words that reach ``min_count`` (old and new text
        counted together) as fresh rows (random parameters, AdaGrad sums at 1, as ``fit``'s);
        otherwise words outside the vocabulary are skipped. ``epochs``: default the config's.
        """
        self._check_fitted()
        cfg = self.config
        check_reiterable(corpus, "GloVe")
        if epochs is not None and (not isinstance(epochs, int) or isinstance(epochs, bool)
                                   or epochs < 1):
            raise ConfigError(f"epochs must be an integer >= 1, got {epochs!r}")
        new = TokenCounter(max_types=cfg.max_types).update_many(corpus)
        if new.tokens == 0:
            raise CorpusError(f"the corpus is empty: {new.sentences:,} sentences, no tokens")
        if update_vocab:
            self.counter_.merge(new)
            self._extend_vocab()
        self.memory_budget_ = self._budget(len(self.vocab_), new.sentences)
        self.timings_ = {}
        self._count_and_train(corpus, work_dir, progress, callbacks, None, params=lambda: None,
                              epochs=epochs or cfg.epochs)
        return self

    def _extend_vocab(self) -> None:
        old, counts, cfg = self.vocab_, self.counter_, self.config
        new = sorted((t for t, c in counts.items() if c >= cfg.min_count and t not in old),
                     key=lambda t: (-counts[t], t))
        if cfg.max_vocab is not None:
            new = new[:max(0, cfg.max_vocab - len(old))]
        tokens = old.tokens + new
        self.vocab_ = Vocab(tokens, [counts.get(t, 0) for t in tokens], unk_token=None)
        if not new:
            return
        n, d = len(new), cfg.dim

        def grow() -> None:
            rng = np.random.default_rng([cfg.seed, len(old)])
            fresh = [(rng.random(shape, dtype=np.float32) - 0.5) / d
                     for shape in ((n, d), (n, d), (n,), (n,))]
            self.W_, self.C_, self.bw_, self.bc_ = (
                np.concatenate([a, f]) for a, f in
                zip((self.W_, self.C_, self.bw_, self.bc_), fresh, strict=True))
            self._grads = tuple(np.concatenate([g, np.ones((n, *g.shape[1:]), np.float32)])
                                for g in self._grads)

        allocate(grow, _model_bytes(len(tokens), d), f"GloVe ({len(tokens):,} words x dim {d})")

    @classmethod
    def resume(
        cls, checkpoint_dir: PathLike, corpus: Iterable[Sequence[str]], *,
        config: GloVeConfig | None = None, progress: bool = True,
        callbacks: Sequence[Callback] = (), work_dir: PathLike | None = None,
    ) -> GloVe:
        """Finish an interrupted ``fit(checkpoint_dir=...)`` on the same corpus.

        The corpus is counted again; one that differs from the checkpoint's (sizes or word
        counts) is a ``ConfigError`` naming the difference, and so are settings other than
        the checkpoint's when ``config`` is given. Later epochs keep checkpointing there.
        """
        folder = Path(checkpoint_dir)
        doc = folder / "checkpoint.json"
        if doc.is_file():
            _refuse_old_version(doc, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "GloVe checkpoint")
        state = read_state(folder, doc="checkpoint.json", fmt=CHECKPOINT_FORMAT,
                           version=CHECKPOINT_VERSION,
                           required=("config", "position", "epochs", "loss_history", "corpus"),
                           missing="no checkpoint here")
        meta = state.meta
        model = cls.from_config(GloVeConfig.from_dict(meta["config"]))
        if config is not None:
            diffs = config_differences(config.check(), model.config)
            if diffs:
                raise ConfigError(f"{folder}: " + "; ".join(
                    f"{name} {now!r} but the checkpoint was trained with {name} {then!r}"
                    for name, now, then in diffs))
        model._vocabulary(corpus, progress)
        # First the sizes and counts (before counting pairs); the order of the ids once the
        # corpus is encoded (``load`` below, before any training).
        problem = fingerprint_difference(
            model._fingerprint, {k: v for k, v in meta["corpus"].items() if k != "order_sha256"})
        if problem is None and model.vocab_.tokens != state.vocab.tokens:
            problem = "the corpus differs from the checkpoint's: another vocabulary"
        if problem:
            raise ConfigError(f"{folder}: {problem}; resume needs the corpus the run started on")
        v, d = len(state.vocab), model.config.dim
        for name in _ARRAYS:
            want = (v, d) if name in ("W", "C", "GW", "GC") else (v,)
            if state.arrays.get(name) is None or state.arrays[name].shape != want:
                raise FormatError(f"{folder}: {name}.npy missing or not of shape {want}")
        a = state.arrays

        def load() -> None:
            problem = fingerprint_difference(model._fingerprint, meta["corpus"])
            if problem:
                raise ConfigError(f"{folder}: {problem}; resume needs the corpus the run "
                                  "started on")
            model.W_, model.C_, model.bw_, model.bc_ = a["W"], a["C"], a["bw"], a["bc"]
            model._grads = (a["GW"], a["GC"], a["gbw"], a["gbc"])

        pos = Position(int(meta["position"]["epoch"]), int(meta["position"]["chunk"]))
        run = RunState(epoch_loss=[float(x) for x in meta["loss_history"]],
                       epoch_words=list(meta.get("epoch_words", [])))
        run.restore_partial(meta.get("epoch_partial"))
        model.loss_history_ = []
        model._count_and_train(corpus, work_dir, progress, callbacks, folder, params=load,
                               start=pos, state=run, epochs=int(meta["epochs"]))
        return model

    @classmethod
    def checkpoint_config(cls, checkpoint_dir: PathLike) -> GloVeConfig:
        """The settings the checkpoint in ``checkpoint_dir`` was trained with (JSON only)."""
        from embedlayer._jsondoc import read_json_doc

        doc = Path(checkpoint_dir) / "checkpoint.json"
        if doc.is_file():
            _refuse_old_version(doc, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "GloVe checkpoint")
        meta = read_json_doc(doc, fmt=CHECKPOINT_FORMAT, version=CHECKPOINT_VERSION,
                             required=("config",), missing="no checkpoint here")
        return GloVeConfig.from_dict(meta["config"])

    def _count_and_train(
        self, corpus: Iterable[Sequence[str]], work_dir: PathLike | None, progress: bool,
        callbacks: Sequence[Callback], checkpoint_dir: Path | None, *,
        params: Callable[[], None], start: Position | None = None, state: RunState | None = None,
        epochs: int | None = None,
    ) -> None:
        """Count into ``work_dir`` (or a temporary folder), set the parameters with
        ``params`` (after counting: they are not part of its memory budget), then train."""
        with work_folder(work_dir, "embedlayer-glove-") as folder:
            path = self._count(corpus, folder, progress, fingerprint=checkpoint_dir is not None)
            t = time.perf_counter()
            allocate(params, _model_bytes(len(self.vocab_), self.config.dim),
                     f"GloVe ({len(self.vocab_):,} words x dim {self.config.dim})")
            self._train(open_triples(path), progress=progress, callbacks=callbacks,
                        checkpoint_dir=checkpoint_dir, start=start or Position(), state=state,
                        epochs=epochs or self.config.epochs)
            self.timings_["train"] = time.perf_counter() - t

    def _save_checkpoint(self, folder: Path, position: Position, run: RunState, epochs: int,
                         history_before: list[float]) -> None:
        meta = {"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION,
                "config": self.config.to_dict(), "epochs": epochs,
                "position": {"epoch": position.epoch, "chunk": position.chunk},
                "loss_history": run.epoch_loss, "epoch_words": run.epoch_words,
                "epoch_partial": run.partial(), "corpus": self._fingerprint}
        write_state(folder, what="a GloVe checkpoint", doc="checkpoint.json", meta=meta,
                    vocab=self.vocab_, arrays=self._arrays(), counter=self.counter_)

    def _arrays(self) -> dict[str, np.ndarray]:
        GW, GC, gbw, gbc = self._grads
        return {"W": self.W_, "C": self.C_, "bw": self.bw_, "bc": self.bc_,
                "GW": GW, "GC": GC, "gbw": gbw, "gbc": gbc}

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

    def _budget(self, vocab_size: int, sentences: int) -> int:
        """Bytes of counting buffers in ``memory_mib``; ``ConfigError`` when too few."""
        cfg = self.config
        reserve = counting_reserve(vocab_size, sentences)
        budget = int(cfg.memory_mib * 2**20) - reserve
        if budget < _MIN_BUFFERS:
            need = math.ceil((reserve + _MIN_BUFFERS) / 2**20)
            raise ConfigError(
                f"memory_mib={cfg.memory_mib:g} is too small: counting sets aside "
                f"{reserve / 2**20:,.0f} MiB for the interpreter, numba and the vocabulary "
                f"({vocab_size:,} words, {sentences:,} sentences) and needs at least "
                f"{_MIN_BUFFERS // 2**20} MiB of buffers; use memory_mib >= {need}")
        return budget

    def _vocabulary(self, corpus: Iterable[Sequence[str]], progress: bool) -> None:
        """Validate, count words, build ``vocab_`` and split ``memory_mib`` (no file written)."""
        cfg = self.config.check()
        check_reiterable(corpus, "GloVe")
        check_memory(_model_bytes(1, cfg.dim), f"GloVe with dim={cfg.dim}")  # before reading
        t = time.perf_counter()
        counter = TokenCounter(max_types=cfg.max_types).update_many(corpus)
        self._use_vocabulary(counter, progress, started=t)

    def _use_vocabulary(self, counter: TokenCounter, progress: bool, *,
                        started: float | None = None) -> None:
        """Build ``vocab_`` from the word counts ``counter`` (of the whole corpus) and split
        ``memory_mib``: ``_vocabulary``'s second half, also the hook for counts merged
        elsewhere (``dist/glove.py``)."""
        cfg = self.config.check()
        t = time.perf_counter() if started is None else started
        if counter.tokens == 0:
            raise CorpusError(f"the corpus is empty: {counter.sentences:,} sentences, no tokens")
        vocab = counter.to_vocab(min_count=cfg.min_count, max_vocab=cfg.max_vocab)
        check_memory(_model_bytes(len(vocab), cfg.dim),
                     f"GloVe ({len(vocab):,} words x dim {cfg.dim})")
        self.memory_budget_ = self._budget(len(vocab), counter.sentences)
        self.vocab_ = vocab
        self.counter_ = counter
        self._fingerprint = _vocab_fingerprint(counter, vocab)
        self.timings_ = {"vocab": time.perf_counter() - t}
        if progress:
            print(f"glove: {len(vocab):,} words x {cfg.dim} dims; counting buffers "
                  f"{self.memory_budget_ / 2**20:,.0f} MiB of memory_mib={cfg.memory_mib:g}",
                  file=sys.stderr)

    def _count(self, corpus: Iterable[Sequence[str]], folder: Path, progress: bool, *,
               fingerprint: bool = False) -> Path:
        """Encode, count, merge and shuffle into ``folder``; returns the shuffled triples.
        ``fingerprint``: also hash the ids in order into the fingerprint a checkpoint keeps."""
        cooc = self._count_pairs(corpus, folder, progress, fingerprint=fingerprint)
        return self._shuffle_counted(cooc, progress)

    def _count_pairs(self, corpus: Iterable[Sequence[str]], folder: Path, progress: bool, *,
                     fingerprint: bool = False, allow_empty: bool = False) -> Cooccurrence:
        """Encode ``corpus`` over ``vocab_`` and count its pairs into
        ``folder/cooccurrence.npy`` (no shuffle): ``_count``'s first half, also the hook for
        counting one part of a corpus (``dist/glove.py``; ``allow_empty``: a part may hold no
        in-vocabulary token, and then counts nothing)."""
        cfg, timings, budget = self.config, self.timings_, self.memory_budget_
        t = time.perf_counter()
        encoded = encode_corpus(corpus, self.vocab_, folder=folder, allow_empty=allow_empty)
        self.words_ = encoded.words
        self.raw_words_ = encoded.raw_words
        timings["encode"] = time.perf_counter() - t
        keep = keep_probabilities(self.vocab_.counts, cfg.sample) if cfg.sample > 0 else None
        cooc = count_cooccurrences(
            encoded, len(self.vocab_), folder, window=cfg.window, symmetric=cfg.symmetric,
            distance_weighting=cfg.distance_weighting, budget_bytes=budget,
            workers=cfg.workers, keep=keep, seed=cfg.seed, progress=progress)
        if fingerprint:  # the ids in order: a checkpoint keeps it, resume refuses a reordering
            self._fingerprint = {**self._fingerprint, "order_sha256": order_fingerprint(encoded)}
        del encoded
        timings["count"], timings["merge"] = cooc.count_seconds, cooc.merge_seconds
        return cooc

    def _shuffle_counted(self, cooc: Cooccurrence, progress: bool) -> Path:
        """Shuffle the counted matrix ``cooc`` next to it and set the counting report; returns
        the shuffled triples. ``CorpusError`` when it holds no pair."""
        cfg, timings, budget = self.config, self.timings_, self.memory_budget_
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

    def _fit_counted(self, cooc: Cooccurrence, *, progress: bool,
                     callbacks: Sequence[Callback] = ()) -> None:
        """Shuffle ``cooc`` (the matrix of the whole corpus over ``vocab_``), draw fresh
        parameters and train ``epochs``: ``fit``'s second half on a matrix counted elsewhere
        (the hook ``dist/glove.py`` uses; no checkpoint)."""
        path = self._shuffle_counted(cooc, progress)
        t = time.perf_counter()
        allocate(lambda: self._init_params(len(self.vocab_)),
                 _model_bytes(len(self.vocab_), self.config.dim),
                 f"GloVe ({len(self.vocab_):,} words x dim {self.config.dim})")
        self.loss_history_ = []
        self._train(open_triples(path), progress=progress, callbacks=callbacks,
                    checkpoint_dir=None, start=Position(), state=None, epochs=self.config.epochs)
        self.timings_["train"] = time.perf_counter() - t

    def _init_params(self, vocab_size: int) -> None:
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        shape = (vocab_size, cfg.dim)
        # glove.c: every parameter, biases included, uniform in +-0.5/dim; AdaGrad sums at 1.
        W, C, bw, bc = (rng.random(s, dtype=np.float32) for s in (shape, shape, vocab_size,
                                                                  vocab_size))
        for a in (W, C, bw, bc):  # in place: no temporary copies of the matrices
            a -= np.float32(0.5)
            a /= np.float32(cfg.dim)
        self.W_, self.C_, self.bw_, self.bc_ = W, C, bw, bc
        self._grads = (np.ones(shape, np.float32), np.ones(shape, np.float32),
                       np.ones(vocab_size, np.float32), np.ones(vocab_size, np.float32))

    def _train(self, triples: np.ndarray, *, progress: bool, callbacks: Sequence[Callback],
               checkpoint_dir: Path | None, start: Position, state: RunState | None,
               epochs: int) -> None:
        from embedlayer.train import _kernels_glove as kernels

        cfg = self.config
        n = int(triples.shape[0])
        rows, cols, xs = (np.asarray(triples[f]) for f in ("row", "col", "val"))
        blocks = [(a, min(a + cfg.block, n)) for a in range(0, n, cfg.block)]
        work = Work(blocks, np.array([b - a for a, b in blocks], dtype=np.int64), None, "pair")
        W, C, bw, bc = self.W_, self.C_, self.bw_, self.bc_
        GW, GC, gbw, gbc = self._grads
        skipped: list[int] = []  # list.append is atomic: jobs on threads report here

        def job(a: int, b: int, learning_rate: float, seed: int) -> JobResult:
            cost, skip = kernels.train_block(
                rows[a:b], cols[a:b], xs[a:b], W, C, bw, bc, GW, GC, gbw, gbc,
                float(cfg.x_max), float(cfg.alpha), learning_rate, float(cfg.grad_clip))
            skipped.append(int(skip))
            # The kernel skips a pair whose diff is not finite and adds nothing to the cost, so
            # a diverged model would report a finite loss over the pairs left. A finite model
            # always gives a finite diff (x > 0), so one skipped pair means a parameter is
            # already inf or NaN: the block reports a NaN loss, and the runner stops with its
            # "diverged ... lower learning_rate" error instead of publishing broken rows.
            if skip:
                return JobResult(float("nan"), b - a, b - a)
            return JobResult(float(cost), b - a, b - a)

        def order(epoch: int) -> np.ndarray:
            # The triples were shuffled once; each epoch visits their blocks in a fresh seeded
            # order (glove.c repeats one order every iteration).
            return np.random.default_rng([cfg.seed & 0xFFFFFFFF, 1, epoch]).permutation(
                len(blocks))

        history = list(self.loss_history_)
        before = history[:len(history) - len(state.epoch_loss)] if state is not None else history

        def on_epoch_end(epoch: int, run: RunState) -> None:
            self.loss_history_ = before + list(run.epoch_loss)
            for callback in callbacks:
                callback(self, epoch, run)

        checkpoint = None
        if checkpoint_dir is not None:
            def checkpoint(position: Position, run: RunState) -> None:
                self._save_checkpoint(checkpoint_dir, position, run, epochs, before)

        if start != Position():
            self.resumed_from_ = describe_position("GloVe", start, epochs, len(blocks))
            if progress:
                print(self.resumed_from_, file=sys.stderr)
        run = run_jobs(work, job, epochs=epochs, learning_rate=float(cfg.learning_rate),
                       min_learning_rate=float(cfg.learning_rate), workers=cfg.workers,
                       seed=cfg.seed, start=start, state=state, progress=progress,
                       on_epoch_end=on_epoch_end, checkpoint=checkpoint,
                       checkpoint_each_epoch=True, order=order)
        self.loss_history_ = before + list(run.epoch_loss)
        self.epoch_seconds_ = list(run.epoch_seconds)
        self.skipped_pairs_ = sum(skipped)
        # Throughput in the words of every trainer: corpus tokens read per second, each epoch
        # over the co-occurrences standing for one pass over the text.
        read = self.raw_words_ * run.run_units / max(n, 1)
        self.tokens_trained_ = int(read)
        self.train_seconds_ = run.run_seconds
        self.tokens_per_second_ = read / run.run_seconds if run.run_seconds > 0 else 0.0

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

    def save_vectors(self, path: PathLike, *, format: str = "native") -> Path:  # noqa: A002
        """Write ``vectors_`` in any format of ``embedlayer.vectors.io`` (atomically)."""
        from embedlayer.vectors.io import save_vectors

        return save_vectors(self.vectors_, path, format=format)

    def _check_save_target(self, folder: PathLike) -> None:
        """``ConfigError`` now when ``save(folder)`` would refuse the folder (the CLI checks
        ``--save-model`` before training)."""
        check_state_target(Path(folder), what="a GloVe model", doc="model.json", arrays=_ARRAYS)

    def save(self, folder: PathLike) -> Path:
        """Write the whole model (settings, vocabulary with every count, W, C, biases, AdaGrad
        sums, loss history) to one folder, atomically and pickle-free; ``load`` reads it back
        and ``partial_fit`` continues AdaGrad on new text."""
        self._check_fitted()
        meta = {"format": MODEL_FORMAT, "format_version": MODEL_VERSION,
                "config": self.config.to_dict(), "loss_history": list(self.loss_history_)}
        return write_state(Path(folder), what="a GloVe model", doc="model.json", meta=meta,
                           vocab=self.vocab_, arrays=self._arrays(),
                           counter=getattr(self, "counter_", None))

    @classmethod
    def load(cls, folder: PathLike) -> GloVe:
        """A model written by ``save`` (format and version checked, arrays' sha256 verified)."""
        folder = Path(folder)
        state = read_state(folder, doc="model.json", fmt=MODEL_FORMAT, version=MODEL_VERSION,
                           required=("config", "loss_history"),
                           missing="no saved GloVe model here (model.json)")
        model = cls.from_config(GloVeConfig.from_dict(state.meta["config"]))
        v, d = len(state.vocab), model.config.dim
        a = state.arrays
        for name in _ARRAYS:
            want = (v, d) if name in ("W", "C", "GW", "GC") else (v,)
            if name not in a or a[name].shape != want:
                raise FormatError(f"{folder}: {name}.npy missing or not of shape {want}")
        model.vocab_ = state.vocab
        model.W_, model.C_, model.bw_, model.bc_ = a["W"], a["C"], a["bw"], a["bc"]
        model._grads = (a["GW"], a["GC"], a["gbw"], a["gbc"])
        model.counter_ = state.counter or TokenCounter.from_state(
            dict(zip(state.vocab.tokens, state.vocab.counts.tolist(), strict=True)),
            sentences=0, tokens=int(state.vocab.total))
        model.loss_history_ = [float(x) for x in state.meta["loss_history"]]
        return model

    def __repr__(self) -> str:
        c = self.config
        fitted = f", {len(self.vocab_):,} words" if hasattr(self, "vocab_") else ""
        return f"GloVe(dim={c.dim}, window={c.window}, x_max={c.x_max:g}{fitted})"
