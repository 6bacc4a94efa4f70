"""Data-parallel word2vec and fastText: each rank trains its part of the corpus with the
estimators' own kernels; every ``sync_every`` words the ranks average their parameters.

What it holds: :func:`train_data_parallel` (count and merge the vocabulary, or read it from a
checkpoint; encode this rank's part; train in rounds; average after each round; checkpoint
on rank 0; resume), :class:`SyncReport` (what synchronizing cost) and the distributed
checkpoint (the trainers' folder layout, ``write_state``, with its own format name).
What it leaves out: the kernels, threads and the per-round schedule (``train/_runner.py``,
called once per round), the process group (``group.py``), which lines a rank reads
(``corpus/shard.py``).

The scheme is model averaging (as Spark MLlib's Word2Vec and distributed gensim set-ups),
with the ranks' changes added rather than averaged by default:

- an epoch is cut into R = ceil(G / ``sync_every``) rounds, G the in-vocabulary words of all
  parts; each rank cuts its own part (its chunks, in the trainer's fixed shuffled order) into
  R runs of about equal words, so every rank makes exactly R synchronizations an epoch,
  whatever the size of its part (an empty part trains nothing and still takes part);
- in round k each rank trains its k-th run on ``workers`` threads (hogwild, as alone), then
  one all-reduce per matrix makes the ranks' matrices one again: by default (``"sum"``) the
  last synchronized matrices plus every rank's change since (each word occurrence moves its
  rows as much as on one process; it keeps a copy of the matrices, twice the model's
  memory), or (``"average"``) the ranks' matrices averaged, weighted by the words each
  trained in the round (a rank that trained nothing counts for nothing);
- the learning rate follows the global word count: since every rank has done the same share
  of its part at every round boundary, the words all ranks have trained after round k of
  epoch e are (e + k / R) x G, and within a round each rank decays the rate linearly between
  the global schedule's values at the round's two ends;
- all ranks start from the same initialization (the seed) and hold the same matrices after
  every synchronization; rank 0 writes checkpoints right after one (every
  ``checkpoint_minutes`` by rank 0's clock, or every round with 0), so a run whose rank
  died resumes from the last checkpoint with the same launch command (the same number of
  ranks, the same parts: checked against each part's fingerprint). With one worker thread
  per rank a resumed run repeats the uninterrupted one bit for bit.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import torch

from embedlayer._progress import progress_bar
from embedlayer._types import PathLike
from embedlayer.dist.group import Group, agree, all_reduce_sum, check_same_settings, exchange
from embedlayer.dist.vocab import build_shared_vocab
from embedlayer.errors import ConfigError, CorpusError, FormatError
from embedlayer.train import _estimator as shared
from embedlayer.train._checkpoint import read_state, write_state
from embedlayer.train._encode import EncodedCorpus, encode_corpus, work_folder
from embedlayer.train._runner import JobResult, RunState, Work, chunk_order, corpus_work, run_jobs
from embedlayer.train.config import config_differences

__all__ = ["DIST_CHECKPOINT_VERSION", "Combine", "RoundCallback", "SyncReport", "checkpoint_format",
           "train_data_parallel"]

DIST_CHECKPOINT_VERSION = 1
Combine = Literal["sum", "average"]  # how the ranks' matrices become one (train_data_parallel)
RoundCallback = Callable[[Any, int, int, "SyncReport"], None]  # (model, epoch, round, report)


@dataclass
class SyncReport:
    """What a data-parallel run did and what synchronizing cost, seen from one rank."""

    world_size: int
    sync_every: int  # words (all ranks together) between two synchronizations
    rounds_per_epoch: int
    global_words: int  # in-vocabulary tokens of all parts, per epoch
    global_raw_words: int  # tokens read by all parts, per epoch
    local_words: int  # this rank's in-vocabulary tokens per epoch
    payload_bytes: int  # parameter bytes each rank all-reduces per synchronization
    rounds: int = 0  # synchronizations made by this run
    wait_seconds: float = 0.0  # waiting for the slowest rank at the synchronizations
    allreduce_seconds: float = 0.0  # the parameter all-reduces themselves
    train_seconds: float = 0.0  # this rank's training between synchronizations
    wall_seconds: float = 0.0  # the whole training loop
    words_trained: int = 0  # in-vocabulary words all ranks trained in this run

    @property
    def sent_bytes_per_sync(self) -> float:
        """Bytes each rank sends per synchronization with a ring all-reduce: 2 (W-1)/W of the
        payload (gloo picks its own algorithm; this is the usual bandwidth-optimal figure)."""
        w = self.world_size
        return 2.0 * (w - 1) / w * self.payload_bytes if w > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__dataclass_fields__},
                "sent_bytes_per_sync": self.sent_bytes_per_sync}


def checkpoint_format(name: str) -> str:
    """The format name of a distributed checkpoint of trainer ``name``."""
    return f"embedlayer.{name.lower()}-dist-checkpoint"


def _round_seed(seed: int, rank: int, epoch: int, rnd: int) -> int:
    state = np.random.SeedSequence([seed & 0xFFFFFFFF, rank, epoch, rnd]).generate_state(
        2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & 0x7FFFFFFFFFFFFFFF


def _rounds(work: Work, order: np.ndarray | None, rounds: int) -> list[np.ndarray]:
    """This rank's pieces cut into ``rounds`` runs of about equal words, in training order."""
    n = len(work.pieces)
    if n == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(rounds)]
    perm = np.arange(n) if order is None else np.asarray(order, dtype=np.int64)
    sizes = work.sizes[perm]
    before = np.cumsum(sizes) - sizes
    which = np.minimum(before * rounds // max(int(sizes.sum()), 1), rounds - 1)
    return [perm[which == k] for k in range(rounds)]


def _schedule(cfg: Any, epochs: int, fraction: float) -> float:
    """The global linear learning-rate schedule at ``fraction`` of the whole run."""
    lr, low = cfg.learning_rate, cfg.min_learning_rate
    return max(low, lr - (lr - low) * fraction / epochs)


def _read_checkpoint(model: Any, folder: Path) -> Any:
    return read_state(folder, doc="checkpoint.json", fmt=checkpoint_format(model.NAME),
                      version=DIST_CHECKPOINT_VERSION,
                      required=("config", "position", "epochs", "world_size", "sync_every",
                                "shards", "loss_history", "epoch_partial"),
                      missing="no distributed checkpoint here")


def _restore(model: Any, folder: Path, group: Group, sync_every: int) -> dict[str, Any] | None:
    """Read the checkpoint on every rank (a folder all ranks see); the problems agreed."""
    problem, state = None, None
    try:
        state = _read_checkpoint(model, folder)
        meta = state.meta
        saved = type(model.config).from_dict(meta["config"])
        diffs = [f"{name} {now!r} (checkpoint: {then!r})" for name, now, then in
                 config_differences(model.config, saved)]
        if int(meta["world_size"]) != group.world_size:
            diffs.append(f"{group.world_size} ranks (checkpoint: {meta['world_size']}; the "
                         "parts and the rounds depend on it)")
        if int(meta["sync_every"]) != sync_every:
            diffs.append(f"sync_every {sync_every} (checkpoint: {meta['sync_every']})")
        if diffs:
            problem = (f"{folder}: the run differs from the checkpoint's: " + "; ".join(diffs)
                       + ": resume with the settings of the interrupted run")
    except (FormatError, ConfigError, OSError, KeyError, TypeError, ValueError) as exc:
        problem = f"{group.where()} cannot read the checkpoint {folder}: {exc}"
    agree(group, problem, "the checkpoint check")
    assert state is not None
    restored = shared._restore(type(model), state.meta, state, folder)
    model.vocab_, model.counter_ = restored.vocab_, restored.counter_
    model._set_arrays(restored._arrays())
    return state.meta


def _save(model: Any, folder: Path, meta: dict[str, Any]) -> None:
    doc = {"format": checkpoint_format(model.NAME), "format_version": DIST_CHECKPOINT_VERSION,
           "config": model.config.to_dict(), **meta}
    write_state(folder, what=f"a distributed {model.NAME} checkpoint", doc="checkpoint.json",
                meta=doc, vocab=model.vocab_, arrays=model._arrays(), counter=model.counter_)


def train_data_parallel(
    model: Any, group: Group, sentences: Iterable[Sequence[str]], *, sync_every: int,
    progress: bool = True, checkpoint_dir: PathLike | None = None,
    checkpoint_minutes: float | None = None, resume: bool = False,
    work_dir: PathLike | None = None, settings: Mapping[str, Any] | None = None,
    callbacks: Sequence[RoundCallback] = (), combine: Combine = "sum",
) -> SyncReport:
    """Train ``model`` (an unfitted ``Word2Vec`` or ``FastText``) on all ranks' parts together.

    ``sentences``: this rank's token lists (re-iterable; read twice, or once when resuming).
    ``sync_every``: words of all ranks together between two averagings. ``settings``: more
    settings every rank must share (corpus, tokenizer...), checked at start with the model's.
    ``checkpoint_dir`` (a folder every rank can read): rank 0 writes a checkpoint there every
    ``checkpoint_minutes`` (0: after every round) and ``resume`` continues from it.
    ``combine``: how the ranks' matrices become one at a synchronization: ``"sum"`` adds
    every rank's change since the last one to the last synchronized matrices (each word
    occurrence moves its rows as much as on one process, so quality at the same epochs stays
    close to a single-process run); ``"average"`` takes their average weighted by the words
    each rank trained (classic model averaging: each rank's change counts 1 / world size).
    ``callbacks`` run on every rank after each synchronization as
    ``callback(model, epoch, round, report)``. On return the model holds the averaged
    matrices (the same on every rank) and the usual fitted attributes; the report says what
    synchronizing cost.
    """
    cfg = model.config.check()
    if not isinstance(sync_every, int) or isinstance(sync_every, bool) or sync_every < 1:
        raise ConfigError(f"sync_every must be an integer >= 1 (words), got {sync_every!r}")
    if combine not in get_args(Combine):
        raise ConfigError(f"combine must be one of {list(get_args(Combine))}, got {combine!r}")
    if resume and checkpoint_dir is None:
        raise ConfigError("resume needs checkpoint_dir")
    check_same_settings(group, {"trainer": model.NAME, "world_size": group.world_size,
                                "sync_every": sync_every, "resume": resume, "combine": combine,
                                **cfg.to_dict(), **dict(settings or {})})
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    meta: dict[str, Any] | None = None
    if resume:
        assert folder is not None
        meta = _restore(model, folder, group, sync_every)
    else:
        shared.check_reiterable(sentences, model.NAME)
        shared.check_memory(model._memory(1), f"{model.NAME} with dim={cfg.dim}")
        model.vocab_, model.counter_, _ = build_shared_vocab(
            group, sentences, min_count=cfg.min_count, max_vocab=cfg.max_vocab,
            max_types=cfg.max_types)
        if model.counter_.tokens == 0:
            raise CorpusError(f"the corpus is empty on every rank: "
                              f"{model.counter_.sentences:,} sentences, no tokens")
        shared.check_memory(model._memory(len(model.vocab_)),
                            f"{model.NAME} ({len(model.vocab_):,} words x dim {cfg.dim})")
        shared.init_arrays(model)  # the seed: the same matrices on every rank
    with (work_folder(work_dir, f"embedlayer-{model.NAME}-rank{group.rank}-") as tmp,
          encode_corpus(sentences, model.vocab_, folder=tmp, allow_empty=True) as encoded):
        return _train(model, group, encoded, cfg, sync_every=sync_every, combine=combine,
                      progress=progress,
                      folder=folder, checkpoint_minutes=checkpoint_minutes, meta=meta,
                      callbacks=callbacks)


def _train(model: Any, group: Group, encoded: EncodedCorpus, cfg: Any, *, sync_every: int,
           combine: Combine, progress: bool, folder: Path | None, checkpoint_minutes: float | None,
           meta: dict[str, Any] | None, callbacks: Sequence[RoundCallback]) -> SyncReport:
    nwords = len(model.vocab_)
    fingerprint = shared.corpus_fingerprint(encoded, nwords)
    shards = [json.loads(b) for b in exchange(group, json.dumps(fingerprint).encode(),
                                              "exchanging the parts' fingerprints")]
    if meta is not None:
        saved = meta["shards"]
        problem = None
        if len(saved) != group.world_size or saved[group.rank] != fingerprint:
            was = saved[group.rank] if group.rank < len(saved) else {}
            problem = (f"{group.where()}: " + (shared.fingerprint_difference(fingerprint, was)
                                               or "the part differs from the checkpoint's")
                       + "; resume needs the corpus and the launch the run started with")
        agree(group, problem, "the corpus check")
    totals = all_reduce_sum(group, torch.tensor(
        [encoded.words, encoded.raw_words], dtype=torch.int64), "summing the parts' sizes")
    global_words, global_raw = int(totals[0]), int(totals[1])
    if global_words == 0:
        raise CorpusError("no rank has a token in the vocabulary")
    rounds_per_epoch = max(1, math.ceil(global_words / sync_every))
    arrays = model._arrays()
    # "sum" needs the matrices of the last synchronization (all ranks hold the same ones).
    last = {k: a.copy() for k, a in arrays.items()} if combine == "sum" else None
    report = SyncReport(
        world_size=group.world_size, sync_every=sync_every, rounds_per_epoch=rounds_per_epoch,
        global_words=global_words, global_raw_words=global_raw, local_words=encoded.words,
        payload_bytes=int(sum(a.nbytes for a in arrays.values())))
    idle = encoded.words == 0 or int(np.diff(np.asarray(encoded.bounds)).max(initial=0)) < 2
    work = corpus_work(encoded, cfg.chunk_words)
    order = chunk_order(encoded, cfg.chunk_words, cfg.seed) if cfg.shuffle and not idle else None
    plan = _rounds(work, order, rounds_per_epoch) if not idle else \
        [np.zeros(0, dtype=np.int64)] * rounds_per_epoch
    tally = [0.0, 0, 0]  # this round's loss sum, predictions, words (jobs run on threads)
    lock = threading.Lock()
    job = None if idle else model._job(encoded)

    def counted(a: int, b: int, rate: float, seed: int) -> JobResult:
        assert job is not None
        result = job(a, b, rate, seed)
        with lock:
            tally[0] += result.loss_sum
            tally[1] += result.loss_terms
            tally[2] += result.words
        return result

    epochs = cfg.epochs
    start_epoch, start_round = 0, 0
    history: list[float] = []
    epoch_sum = np.zeros(3)  # global loss sum, predictions, words of the open epoch
    if meta is not None:
        start_epoch, start_round = int(meta["position"]["epoch"]), int(meta["position"]["round"])
        history = [float(x) for x in meta["loss_history"]]
        epoch_sum = np.asarray(meta["epoch_partial"], dtype=np.float64)
        if int(meta.get("rounds_per_epoch", rounds_per_epoch)) != rounds_per_epoch:
            raise ConfigError(f"{folder}: {rounds_per_epoch} rounds an epoch, the checkpoint "
                              f"has {meta['rounds_per_epoch']}")
    base = {"epochs": epochs, "world_size": group.world_size, "sync_every": sync_every,
            "rounds_per_epoch": rounds_per_epoch, "shards": shards,
            "global_words": global_words}
    bar = progress_bar(total=epochs * rounds_per_epoch, desc=f"train x{group.world_size}",
                       unit="round", enabled=progress and group.is_main, unit_scale=False)
    bar.update(start_epoch * rounds_per_epoch + start_round)
    last_ckpt = time.monotonic()
    started = time.perf_counter()
    model._training = True
    try:
        for ep in range(start_epoch, epochs):
            for k in range(start_round if ep == start_epoch else 0, rounds_per_epoch):
                t0 = time.perf_counter()
                tally[:] = [0.0, 0, 0]
                idx = plan[k]
                if len(idx):
                    sub = Work(pieces=[work.pieces[int(i)] for i in idx], sizes=work.sizes[idx],
                               release=work.release, unit=work.unit, scale=work.scale)
                    # The runner's own check (an epoch without a prediction) is per call; a
                    # round may be tiny, so it is disarmed here and made per epoch over all
                    # ranks below (run_terms=1).
                    run_jobs(sub, counted, epochs=1,
                             learning_rate=_schedule(cfg, epochs, ep + k / rounds_per_epoch),
                             min_learning_rate=_schedule(cfg, epochs,
                                                         ep + (k + 1) / rounds_per_epoch),
                             workers=cfg.workers, seed=_round_seed(cfg.seed, group.rank, ep, k),
                             state=RunState(run_terms=1), progress=False)
                report.train_seconds += time.perf_counter() - t0
                want = (folder is not None and group.is_main and (
                    checkpoint_minutes is not None
                    and time.monotonic() - last_ckpt >= 60 * checkpoint_minutes))
                checkpoint_now = _synchronize(group, arrays, last, tally, want, report,
                                              epoch_sum)
                report.rounds += 1
                bar.update(1)
                if epoch_sum[1]:
                    bar.set_postfix(loss=f"{epoch_sum[0] / epoch_sum[1]:.4f}", refresh=False)
                if k == rounds_per_epoch - 1:
                    if epoch_sum[1] == 0:
                        raise CorpusError(shared._no_terms(model))
                    history.append(float(epoch_sum[0] / epoch_sum[1]))
                    epoch_sum = np.zeros(3)
                if checkpoint_now and folder is not None:
                    if group.is_main:
                        nxt = (ep, k + 1) if k + 1 < rounds_per_epoch else (ep + 1, 0)
                        _save(model, folder, {**base, "position": {"epoch": nxt[0],
                                                                   "round": nxt[1]},
                                              "loss_history": history,
                                              "epoch_partial": epoch_sum.tolist()})
                    last_ckpt = time.monotonic()
                for callback in callbacks:
                    callback(model, ep, k, report)
    finally:
        model._training = False
        bar.close()
    report.wall_seconds = time.perf_counter() - started
    model.loss_history_ = history
    model.words_per_epoch_ = global_words
    model.raw_words_per_epoch_ = global_raw
    model.epoch_seconds_ = []
    model.tokens_trained_ = int(global_raw * report.words_trained / max(global_words, 1))
    model.train_seconds_ = report.wall_seconds
    model.tokens_per_second_ = (model.tokens_trained_ / report.wall_seconds
                                if report.wall_seconds > 0 else 0.0)
    model.sync_report_ = report
    if progress and group.is_main:
        print(f"{model.NAME} x{group.world_size} ranks: {report.rounds} synchronizations of "
              f"{report.payload_bytes / 2**20:,.1f} MiB, {report.allreduce_seconds:.1f} s in "
              f"all-reduce, {report.wait_seconds:.1f} s waiting", file=sys.stderr)
    return report


def _synchronize(group: Group, arrays: dict[str, np.ndarray],
                 last: dict[str, np.ndarray] | None, tally: list[Any], want_checkpoint: bool,
                 report: SyncReport, epoch_sum: np.ndarray) -> bool:
    """Sum the round's tallies over the ranks, then make every matrix the same on all ranks
    (in place: the kernels' arrays): ``last`` given ("sum"), the last synchronized matrices
    plus every rank's change since; else the ranks' average weighted by the words each
    trained. Returns whether rank 0 asked for a checkpoint (its clock decides, for all)."""
    t0 = time.perf_counter()
    stats = torch.tensor([float(tally[2]), tally[0], float(tally[1]), float(want_checkpoint)],
                         dtype=torch.float64)
    all_reduce_sum(group, stats, "the synchronization")
    t1 = time.perf_counter()
    words, loss_sum, terms, checkpoint = (float(x) for x in stats.tolist())
    if words > 0 and group.world_size > 1:
        share = np.float32(tally[2] / words)
        keep = np.float32((group.world_size - 1) / group.world_size)
        for name, arr in arrays.items():
            if last is not None:  # sum_r (arr_r - keep * last) = last + sum_r (arr_r - last)
                arr -= keep * last[name]
            elif share != 1:
                arr *= share
            all_reduce_sum(group, torch.from_numpy(arr), f"synchronizing {name}")
            if last is not None:
                np.copyto(last[name], arr)
    t2 = time.perf_counter()
    report.wait_seconds += t1 - t0
    report.allreduce_seconds += t2 - t1
    report.words_trained += int(words)
    epoch_sum += (loss_sum, terms, words)
    return checkpoint > 0
