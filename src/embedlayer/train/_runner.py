"""Running training jobs on threads: chunks, learning-rate schedule, progress, interruption.

What it holds: the loop shared by the estimators. The encoded corpus is cut into chunks of
about ``chunk_words`` tokens; job k (epoch e, chunk c) gets a learning rate from its position
in the whole run (linear decay from ``alpha`` to ``min_alpha``) and a seed derived from
(seed, e, c), so with one worker a run is bit-for-bit repeatable, and a resumed run equals an
uninterrupted one. Kernels release the GIL, so ``workers`` threads train in parallel
(hogwild). Jobs are submitted in order with a bounded number in flight, which keeps the
progress bar honest and lets a checkpoint (or Ctrl-C) drain to a consistent state. ``order``
trains the chunks in one fixed permutation (the same every epoch): the learning rate follows
the position in that order, so a resumed run still repeats an unbroken one.
What it leaves out: the kernels (``_kernels_*.py``) and what a job computes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.train._encode import EncodedCorpus

__all__ = ["JobResult", "Position", "RunState", "chunk_order", "job_seed", "run_jobs"]


@dataclass(frozen=True)
class Position:
    """Where a run is: the next job to start is chunk ``chunk`` of epoch ``epoch``."""

    epoch: int = 0
    chunk: int = 0


@dataclass(frozen=True)
class JobResult:
    loss_sum: float  # summed loss over the job's predictions (float64)
    loss_terms: int  # number of predictions
    words: int  # tokens of the chunk processed (subsampled ones included)


@dataclass
class RunState:
    """Tallies of a run, per epoch."""

    epoch_loss: list[float] = field(default_factory=list)  # mean loss per prediction
    epoch_words: list[int] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    _sum: float = 0.0
    _terms: int = 0
    _words: int = 0
    _started: float = 0.0
    _pending_partial: dict[str, float] | None = None

    def add(self, r: JobResult) -> None:
        self._sum += r.loss_sum
        self._terms += r.loss_terms
        self._words += r.words

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


Job = Callable[[int, int, float, int], JobResult]  # (s0, s1, alpha, seed) -> result


def run_jobs(
    corpus: EncodedCorpus,
    job: Job,
    *,
    epochs: int,
    alpha: float,
    min_alpha: float,
    workers: int,
    chunk_words: int,
    seed: int,
    start: Position = Position(),
    state: RunState | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int, RunState], None] | None = None,
    checkpoint: Callable[[Position, RunState], None] | None = None,
    checkpoint_seconds: float | None = None,
    order: np.ndarray | None = None,
) -> RunState:
    """Run ``job`` over every chunk of every epoch from ``start``; return the tallies.

    On Ctrl-C the jobs in flight finish, ``checkpoint`` (if any) is called with the position
    to resume from, and ``KeyboardInterrupt`` propagates.
    """
    chunks = corpus.chunks(chunk_words)
    if order is not None:
        if sorted(int(k) for k in order) != list(range(len(chunks))):
            raise ValueError(f"order must be a permutation of the {len(chunks)} chunks")
        chunks = [chunks[int(k)] for k in order]
    # Tokens trained before each chunk within its epoch (in training order): the schedule.
    sizes = [int(corpus.bounds[s1]) - int(corpus.bounds[s0]) for s0, s1 in chunks]
    offsets = np.concatenate([[0.0], np.cumsum(sizes, dtype=np.float64)])
    total = float(corpus.words) * epochs
    state = state or RunState()
    state.open_epoch()
    in_flight = max(2, 2 * workers)
    bar = progress_bar(total=corpus.words * epochs, desc="train", unit="w", enabled=progress)
    bar.update(corpus.words * start.epoch + int(offsets[min(start.chunk, len(chunks))]))
    last_ckpt = time.monotonic()
    pending: deque[tuple[Future[JobResult], int, int]] = deque()
    position = start

    def collect_one() -> None:
        fut, ep, ck = pending.popleft()
        result = fut.result()
        s0, s1 = chunks[ck]
        corpus.release(int(corpus.bounds[s0]), int(corpus.bounds[s1]))
        state.add(result)
        bar.update(result.words)
        if ck == len(chunks) - 1:
            state.close_epoch()
            if on_epoch_end is not None:
                on_epoch_end(ep, state)

    def alpha_at(ep: int, ck: int) -> float:
        done = (ep * corpus.words + offsets[ck]) / total
        return max(min_alpha, alpha - (alpha - min_alpha) * done)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embedlayer-train") as pool:
        try:
            for ep in range(start.epoch, epochs):
                first = start.chunk if ep == start.epoch else 0
                for ck in range(first, len(chunks)):
                    s0, s1 = chunks[ck]
                    a = alpha_at(ep, ck)
                    pending.append((pool.submit(job, s0, s1, a, job_seed(seed, ep, ck)), ep, ck))
                    position = Position(ep, ck + 1) if ck + 1 < len(chunks) else Position(ep + 1, 0)
                    while len(pending) >= in_flight:
                        collect_one()
                    bar.set_postfix(alpha=f"{a:.5f}", loss=f"{state.running_loss:.4f}", refresh=False)
                    if (checkpoint is not None and checkpoint_seconds is not None
                            and time.monotonic() - last_ckpt >= checkpoint_seconds):
                        while pending:
                            collect_one()
                        checkpoint(position, state)
                        last_ckpt = time.monotonic()
            while pending:
                collect_one()
        except KeyboardInterrupt:
            while pending:  # kernels finish in milliseconds; the matrices are then consistent
                fut, _, _ = pending[0]
                fut.result()
                collect_one()
            if checkpoint is not None:
                checkpoint(position, state)
            raise
        finally:
            bar.close()
    return state
