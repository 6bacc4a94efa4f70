"""Running training jobs on threads: pieces of work, learning-rate schedule, progress,
checkpoints, interruption, and the checks that training learned something.

What it holds: the one loop every estimator trains through (word2vec, fastText, GloVe). The
work is cut into pieces (``Work``: sentence ranges of about ``chunk_words`` tokens of the
encoded corpus, or blocks of GloVe's shuffled triples); job k (epoch e, piece c) gets a
learning rate from its position in the whole run (linear decay from ``learning_rate`` to
``min_learning_rate``; equal values: constant, as GloVe's AdaGrad) and a seed derived from
(seed, e, c), so with one worker a run is bit-for-bit repeatable, and a resumed run equals an
uninterrupted one. Kernels release the GIL, so ``workers`` threads train in parallel
(hogwild). Jobs are submitted in order with a bounded number in flight, which keeps the
progress bar honest and lets a checkpoint (or Ctrl-C) drain to a consistent state. ``order``
trains the pieces in a fixed permutation (one array: the same every epoch; a function of the
epoch: a fresh one each epoch); the learning rate follows the position in that order, so a
resumed run still repeats an unbroken one. A loss that turns NaN or infinite stops the run
(the matrices are garbage from then on), and so does an epoch without a single prediction.
What it leaves out: the kernels (``_kernels_*.py``) and what a job computes.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.errors import ConfigError, CorpusError
from embedlayer.train._encode import EncodedCorpus

__all__ = ["JobResult", "Position", "RunState", "Work", "chunk_order", "corpus_work", "job_seed",
           "run_jobs"]


@dataclass(frozen=True)
class Position:
    """Where a run is: the next job to start is piece ``chunk`` of epoch ``epoch``."""

    epoch: int = 0
    chunk: int = 0


@dataclass(frozen=True)
class JobResult:
    loss_sum: float  # summed loss over the job's predictions (float64)
    loss_terms: int  # number of predictions
    words: int  # units of the piece processed (tokens, subsampled ones included; or pairs)


@dataclass(frozen=True)
class Work:
    """What one epoch trains on, cut into pieces handed to jobs."""

    pieces: list[tuple[int, int]]  # the (a, b) each job gets: sentence or triple ranges
    sizes: np.ndarray  # int64 units per piece (tokens, pairs): the schedule and the bar
    release: Callable[[int, int], None] | None = None  # called with (a, b) once a piece is done
    unit: str = "tok"  # progress-bar unit
    # Bar units per work unit: the chunked trainers schedule in-vocabulary tokens but report
    # every token read (tokens/s in the summary), so their bar counts read tokens too.
    scale: float = 1.0

    @property
    def total(self) -> int:
        return int(self.sizes.sum())


def corpus_work(corpus: EncodedCorpus, chunk_words: int) -> Work:
    """The encoded corpus as sentence ranges of about ``chunk_words`` tokens each."""
    pieces = corpus.chunks(chunk_words)
    bounds = corpus.bounds
    sizes = np.array([int(bounds[b]) - int(bounds[a]) for a, b in pieces], dtype=np.int64)

    def release(a: int, b: int) -> None:
        corpus.release(int(bounds[a]), int(bounds[b]))

    # raw / kept tokens: the bar shows tokens read, as the summary's tokens/s does.
    return Work(pieces, sizes, release, "tok", corpus.raw_words / max(corpus.words, 1))


@dataclass
class RunState:
    """Tallies of a run, per epoch, and of what this process trained (for throughput)."""

    epoch_loss: list[float] = field(default_factory=list)  # mean loss per prediction
    epoch_words: list[int] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    run_units: int = 0  # units trained by this process (not the restored part of an epoch)
    run_terms: int = 0  # predictions made by this process
    run_seconds: float = 0.0  # wall time of this process's training
    _sum: float = 0.0
    _terms: int = 0
    _words: int = 0
    _started: float = 0.0
    _pending_partial: dict[str, float] | None = None

    def add(self, r: JobResult) -> None:
        self._sum += r.loss_sum
        self._terms += r.loss_terms
        self._words += r.words
        self.run_units += r.words
        self.run_terms += r.loss_terms

    def close_epoch(self) -> None:
        self.epoch_loss.append(self._sum / self._terms if self._terms else float("nan"))
        self.epoch_words.append(self._words)
        self.epoch_seconds.append(time.perf_counter() - self._started)
        self.open_epoch()

    def open_epoch(self) -> None:
        self._sum, self._terms, self._words = 0.0, 0, 0
        self._started = time.perf_counter()
        partial, self._pending_partial = self._pending_partial, None
        if partial:  # resuming mid-epoch: the tallies of the part trained before
            self._sum = float(partial["loss_sum"])
            self._terms = int(partial["loss_terms"])
            self._words = int(partial["words"])

    def partial(self) -> dict[str, float]:
        """The open epoch's tallies (saved in checkpoints, so a resumed epoch's loss is whole)."""
        return {"loss_sum": self._sum, "loss_terms": self._terms, "words": self._words}

    def restore_partial(self, partial: dict[str, float] | None) -> None:
        self._pending_partial = partial

    @property
    def running_loss(self) -> float:
        return self._sum / self._terms if self._terms else float("nan")


@contextlib.contextmanager
def _second_interrupt_ignored() -> Iterator[None]:
    """While the jobs in flight drain and the checkpoint is written, further Ctrl-C presses
    are ignored (only the main thread can change signal handlers; elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def job_seed(seed: int, epoch: int, chunk: int) -> int:
    """A 63-bit seed for one job, derived from the run's seed and the job's position."""
    state = np.random.SeedSequence([seed & 0xFFFFFFFF, epoch, chunk]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & 0x7FFFFFFFFFFFFFFF


def chunk_order(corpus: EncodedCorpus, chunk_words: int, seed: int) -> np.ndarray:
    """One fixed random order of the corpus's chunks, derived from ``seed`` (for ``order``).

    A corpus is often files concatenated by topic; trained in file order, the decaying
    learning rate favours the last ones.
    """
    n = len(corpus.chunks(chunk_words))
    return np.random.default_rng([seed & 0xFFFFFFFF, n]).permutation(n)


Job = Callable[[int, int, float, int], JobResult]  # (a, b, learning_rate, seed) -> result
Order = np.ndarray | Callable[[int], np.ndarray]


def _permutation(order: Order | None, epoch: int, n: int) -> np.ndarray:
    perm = np.arange(n) if order is None else order(epoch) if callable(order) else order
    if sorted(int(k) for k in perm) != list(range(n)):
        raise ValueError(f"order must be a permutation of the {n} pieces")
    return np.asarray(perm, dtype=np.int64)


def run_jobs(
    work: Work,
    job: Job,
    *,
    epochs: int,
    learning_rate: float,
    min_learning_rate: float,
    workers: int,
    seed: int,
    start: Position = Position(),
    state: RunState | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int, RunState], None] | None = None,
    checkpoint: Callable[[Position, RunState], None] | None = None,
    checkpoint_seconds: float | None = None,
    checkpoint_each_epoch: bool = False,
    order: Order | None = None,
    no_terms: str = "no training pairs",
) -> RunState:
    """Run ``job`` over every piece of every epoch from ``start``; return the tallies.

    ``checkpoint`` is called every ``checkpoint_seconds`` and/or after each epoch
    (``checkpoint_each_epoch``), with the jobs drained; on Ctrl-C the jobs in flight finish,
    ``checkpoint`` is called with the position to resume from, and ``KeyboardInterrupt``
    propagates. A NaN or infinite loss raises ``ConfigError``; an epoch after which this run
    has made no prediction at all raises ``CorpusError(no_terms)``.
    """
    pieces, n = work.pieces, len(work.pieces)
    total = float(work.total) * epochs
    state = state or RunState()
    state.open_epoch()
    in_flight = max(2, 2 * workers)
    scale = work.scale
    bar = progress_bar(total=round(work.total * epochs * scale), desc="train", unit=work.unit,
                       enabled=progress)
    pending: deque[tuple[Future[JobResult], int, int, tuple[int, int]]] = deque()
    position = start
    perms: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def epoch_plan(ep: int) -> tuple[np.ndarray, np.ndarray]:
        """(order of the pieces, units trained before each position) for epoch ``ep``."""
        if ep not in perms:
            perm = _permutation(order, ep, n)
            for old in [k for k in perms if k < ep - 1]:
                del perms[old]
            perms[ep] = (perm, np.concatenate([[0], np.cumsum(work.sizes[perm])]))
        return perms[ep]

    def rate_at(ep: int, ck: int) -> float:
        done = (ep * work.total + float(epoch_plan(ep)[1][ck])) / total
        return max(min_learning_rate, learning_rate - (learning_rate - min_learning_rate) * done)

    stopping = False  # Ctrl-C: the jobs in flight are collected, callbacks are not called

    def collect_one() -> None:
        fut, ep, ck, piece = pending[0]
        result = fut.result()  # Ctrl-C while waiting leaves the job in ``pending``: drained
        pending.popleft()
        if work.release is not None:
            work.release(*piece)
        if not math.isfinite(result.loss_sum):
            raise ConfigError(f"training diverged at epoch {ep + 1}: loss is "
                              f"{result.loss_sum}; lower learning_rate (now {learning_rate:g})")
        state.add(result)
        bar.update(result.words * scale)
        if ck == n - 1:
            state.close_epoch()
            if state.run_terms == 0:
                raise CorpusError(no_terms)
            if on_epoch_end is not None and not stopping:
                on_epoch_end(ep, state)

    bar.update(scale * (work.total * start.epoch
                        + int(epoch_plan(start.epoch)[1][min(start.chunk, n)])
                        if start.epoch < epochs else work.total * epochs))
    started = time.perf_counter()
    last_ckpt = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embedlayer-train") as pool:
        try:
            for ep in range(start.epoch, epochs):
                perm, _ = epoch_plan(ep)
                first = start.chunk if ep == start.epoch else 0
                for ck in range(first, n):
                    a, b = pieces[int(perm[ck])]
                    rate = rate_at(ep, ck)
                    fut = pool.submit(job, a, b, rate, job_seed(seed, ep, ck))
                    pending.append((fut, ep, ck, (a, b)))
                    position = Position(ep, ck + 1) if ck + 1 < n else Position(ep + 1, 0)
                    while len(pending) >= in_flight:
                        collect_one()
                    if state._terms:  # no "loss=nan" before the first predictions
                        bar.set_postfix(lr=f"{rate:.5f}", loss=f"{state.running_loss:.4f}",
                                        refresh=False)
                    if (checkpoint is not None and checkpoint_seconds is not None
                            and time.monotonic() - last_ckpt >= checkpoint_seconds):
                        while pending:
                            collect_one()
                        checkpoint(position, state)
                        last_ckpt = time.monotonic()
                if checkpoint is not None and checkpoint_each_epoch:
                    while pending:
                        collect_one()
                    checkpoint(position, state)
                    last_ckpt = time.monotonic()
            while pending:
                collect_one()
        except KeyboardInterrupt:
            stopping = True
            with _second_interrupt_ignored():  # a Ctrl-C pressed twice: the checkpoint still
                while pending:  # kernels finish in milliseconds; the matrices are consistent
                    pending[0][0].exception()
                    collect_one()
                if checkpoint is not None:
                    checkpoint(position, state)
            raise
        except BaseException:
            # A failed job, a diverged loss: jobs not started are dropped, running ones finish,
            # so no thread writes after we return.
            for fut, *_ in pending:
                if not fut.cancel():
                    fut.exception()
            raise
        finally:
            state.run_seconds += time.perf_counter() - started
            bar.close()
    return state
