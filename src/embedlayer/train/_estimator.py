"""What the chunked trainers (word2vec, fastText) share: counting, training through the
runner, checkpoints and resuming, whole-model save / load, continued training.

What it holds: free functions over a ``ChunkedModel`` (an estimator that supplies its config,
its matrices by name, how to initialize, extend and train them: ``_job`` builds its sampling
tables and the kernel call, one delimited unit per trainer), so each estimator keeps only
what differs; the corpus fingerprint a checkpoint keeps so ``resume`` refuses another corpus;
the memory estimate checked against the memory available (``check_memory``, GloVe's too).
What it leaves out: the kernels, the schedule and threads (``_runner.py``), file layouts
(``_checkpoint.py``).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, CorpusError, FormatError
from embedlayer.train._checkpoint import check_state_target, read_state, write_state
from embedlayer.train._encode import EncodedCorpus, encode_corpus, work_folder
from embedlayer.train._runner import Job, Position, RunState, chunk_order, corpus_work, run_jobs
from embedlayer.train.config import config_differences
from embedlayer.vocab import TokenCounter, Vocab

__all__ = ["ChunkedModel", "available_memory", "check_memory", "corpus_fingerprint",
           "describe_position", "fingerprint_difference", "order_fingerprint"]

MODEL_VERSION = 1
CHECKPOINT_VERSION = 2  # 2: renamed settings (learning_rate, max_vocab, max_types), sha256


class ChunkedModel(Protocol):
    NAME: str  # "word2vec": in messages and format names
    config: Any
    vocab_: Vocab
    counter_: TokenCounter

    def _arrays(self) -> dict[str, np.ndarray]: ...
    def _shapes(self, nwords: int) -> dict[str, tuple[int, ...]]: ...
    def _init_arrays(self) -> None: ...
    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None: ...
    def _extend_arrays(self, old_words: int, new_words: int) -> None: ...
    def _job(self, encoded: EncodedCorpus) -> Job: ...
    def _memory(self, nwords: int) -> int: ...


Callback = Callable[[Any, int, RunState], None]


# --- memory ---------------------------------------------------------------------------------
def available_memory() -> int | None:
    """Bytes this machine can still give (``MemAvailable``), or ``None`` where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(need: int, what: str) -> None:
    """``ConfigError`` naming the estimate when ``need`` bytes exceed the memory available."""
    free = available_memory()
    # A margin: the estimate leaves out the interpreter, numba and the corpus buffers.
    if free is not None and need > 0.9 * free:
        raise ConfigError(f"{what} needs about {_gib(need)} of memory, but only "
                          f"{_gib(0.9 * free)} can be spared (90% of the {_gib(free)} "
                          "available): lower dim or the vocabulary size")


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def allocate(make: Callable[[], None], need: int, what: str) -> None:
    """Run ``make`` (which allocates matrices); numpy's ``MemoryError`` becomes a ``ConfigError``
    naming the estimate."""
    try:
        make()
    except MemoryError:
        raise ConfigError(f"{what}: not enough memory for about {_gib(need)}; lower dim or the "
                          f"vocabulary size") from None


# --- corpus fingerprints ----------------------------------------------------------------------
def _scan(encoded: EncodedCorpus, vocab_size: int | None) -> tuple[np.ndarray | None, str]:
    """(word counts or None, sha256 of the ids in order and the sentence bounds), read in
    pieces, each handed back after use: RSS stays bounded by one piece."""
    counts = None if vocab_size is None else np.zeros(vocab_size, dtype="<i8")
    order = hashlib.sha256()
    step = 1 << 24
    for start in range(0, encoded.words, step):
        stop = min(start + step, encoded.words)
        piece = np.asarray(encoded.ids[start:stop])
        if counts is not None:
            counts += np.bincount(piece, minlength=vocab_size)
        order.update(piece.astype("<i4", copy=False).tobytes())
        encoded.release(start, stop)
    bounds = encoded.bounds
    for start in range(0, bounds.shape[0], step):
        order.update(np.asarray(bounds[start:start + step]).astype("<i8", copy=False).tobytes())
    return counts, order.hexdigest()


def order_fingerprint(encoded: EncodedCorpus) -> str:
    """sha256 of an encoded corpus's ids in order and its sentence bounds: the same words in
    another order (shuffled sentences) give another value."""
    return _scan(encoded, None)[1]


def corpus_fingerprint(encoded: EncodedCorpus, vocab_size: int) -> dict[str, Any]:
    """Cheap identity of an encoded corpus: its sizes, a hash of its word counts and one of
    its ids in order with the sentence bounds (a resumed run trains the same pieces)."""
    counts, order = _scan(encoded, vocab_size)
    assert counts is not None
    return {"sentences": encoded.sentences, "tokens_read": encoded.raw_words,
            "tokens": encoded.words, "counts_sha256": hashlib.sha256(counts.tobytes()).hexdigest(),
            "order_sha256": order}


def fingerprint_difference(now: dict[str, Any], saved: dict[str, Any]) -> str | None:
    """How the corpus differs from the checkpoint's, or ``None`` if it looks the same."""
    if now == saved:
        return None

    def line(f: dict[str, Any]) -> str:
        return (f"{f.get('sentences', 0):,} sentences, {f.get('tokens_read', 0):,} tokens "
                f"({f.get('tokens', 0):,} in the vocabulary)")

    if all(now.get(k) == saved.get(k) for k in ("sentences", "tokens_read", "tokens")):
        same_words = now.get("counts_sha256") == saved.get("counts_sha256")
        return (f"the corpus differs from the checkpoint's: the same size ({line(now)}) but "
                + ("the sentences in another order" if same_words else "other words"))
    return f"the corpus differs from the checkpoint's: {line(now)} vs {line(saved)}"


def describe_position(name: str, position: Position, epochs: int, chunks: int) -> str:
    if position.epoch >= epochs:
        return (f"resuming {name}: all {epochs} epochs were trained before the interrupt; "
                "nothing left to train")
    return (f"resuming {name} at epoch {position.epoch + 1} of {epochs}, chunk "
            f"{position.chunk} of {chunks}")


# --- counting and training -------------------------------------------------------------------
def check_reiterable(corpus: Any, name: str) -> None:
    if iter(corpus) is corpus:
        raise ConfigError(f"the corpus is a one-shot iterator, but {name} reads it twice (count, "
                          "then encode): pass a list, a TextCorpus-based stream or another "
                          "re-iterable object")


def build_vocabulary(model: ChunkedModel, corpus: Iterable[Sequence[str]], progress: bool) -> None:
    """Validate, count the corpus, build ``vocab_`` and check the model fits in memory."""
    cfg = model.config.check()
    check_reiterable(corpus, model.NAME)
    check_memory(model._memory(1), f"{model.NAME} with dim={cfg.dim}")  # before reading
    counter = TokenCounter(max_types=cfg.max_types).update_many(corpus)
    if counter.tokens == 0:
        raise CorpusError(f"the corpus is empty: {counter.sentences:,} sentences, no tokens")
    model.counter_ = counter
    model.vocab_ = counter.to_vocab(min_count=cfg.min_count, max_vocab=cfg.max_vocab)
    need = model._memory(len(model.vocab_))
    check_memory(need, f"{model.NAME} ({len(model.vocab_):,} words x dim {cfg.dim})")
    model.memory_estimate_ = need
    if progress:
        print(f"{model.NAME}: {len(model.vocab_):,} words x {cfg.dim} dims, about "
              f"{_gib(need)} for the model", file=sys.stderr)


def init_arrays(model: ChunkedModel) -> None:
    allocate(model._init_arrays, model._memory(len(model.vocab_)),
             f"{model.NAME} ({len(model.vocab_):,} words x dim {model.config.dim})")
    model.loss_history_ = []


def _no_terms(model: ChunkedModel) -> str:
    return (f"no training pairs: every token was dropped by subsampling (sample="
            f"{model.config.sample:g}); lower sample (0 turns it off) or train on more text")


def train(
    model: Any, encoded: EncodedCorpus, *, epochs: int, start: Position, progress: bool,
    callbacks: Sequence[Callback], checkpoint_dir: PathLike | None,
    checkpoint_minutes: float | None, state: RunState | None = None,
    fingerprint: dict[str, Any] | None = None,
) -> None:
    """Train ``model`` on ``encoded`` through the runner; keep the tallies on the model."""
    cfg = model.config
    if int(np.diff(np.asarray(encoded.bounds)).max(initial=0)) < 2:
        raise CorpusError("no training pairs: every sentence has fewer than two words in the "
                          f"vocabulary ({encoded.words:,} tokens kept of {encoded.raw_words:,}); "
                          "lower min_count or train on more text")
    work = corpus_work(encoded, cfg.chunk_words)
    # A corpus is often files concatenated by topic; in file order the decaying learning rate
    # favours the last ones, so the pieces train in one fixed permutation, the same each epoch.
    order = chunk_order(encoded, cfg.chunk_words, cfg.seed) if cfg.shuffle else None
    job = model._job(encoded)
    history = list(getattr(model, "loss_history_", []))
    done_before = len(history) - len(state.epoch_loss) if state is not None else len(history)

    def on_epoch_end(epoch: int, run: RunState) -> None:
        model.loss_history_ = history[:done_before] + list(run.epoch_loss)
        for callback in callbacks:
            callback(model, epoch, run)

    checkpoint = None
    if checkpoint_dir is not None:
        fp = fingerprint or corpus_fingerprint(encoded, len(model.vocab_))

        def checkpoint(position: Position, run: RunState) -> None:
            save_checkpoint(model, Path(checkpoint_dir), position, run, epochs, fp,
                            history[:done_before])

    if start != Position() and progress:
        print(describe_position(model.NAME, start, epochs, len(work.pieces)), file=sys.stderr)
    model._training = True
    try:
        run = run_jobs(
            work, job, epochs=epochs, learning_rate=cfg.learning_rate,
            min_learning_rate=cfg.min_learning_rate, workers=cfg.workers, seed=cfg.seed,
            start=start, state=state, progress=progress, on_epoch_end=on_epoch_end,
            checkpoint=checkpoint,
            checkpoint_seconds=None if checkpoint_minutes is None else 60 * checkpoint_minutes,
            order=order, no_terms=_no_terms(model))
    finally:
        model._training = False
    model.loss_history_ = history[:done_before] + list(run.epoch_loss)
    model.epoch_seconds_ = list(run.epoch_seconds)
    model.words_per_epoch_ = encoded.words
    model.raw_words_per_epoch_ = encoded.raw_words
    # Throughput counts every token of the text read (before the vocabulary and subsampling),
    # over what this process trained: a resumed run reports its own part only.
    read = encoded.raw_words * run.run_units / max(encoded.words, 1)
    model.tokens_trained_ = int(read)
    model.train_seconds_ = run.run_seconds
    model.tokens_per_second_ = read / run.run_seconds if run.run_seconds > 0 else 0.0


def fit(model: Any, corpus: Iterable[Sequence[str]], *, progress: bool,
        callbacks: Sequence[Callback], checkpoint_dir: PathLike | None,
        checkpoint_minutes: float | None, work_dir: PathLike | None) -> None:
    build_vocabulary(model, corpus, progress)
    init_arrays(model)
    with (work_folder(work_dir, f"embedlayer-{model.NAME}-") as folder,
          encode_corpus(corpus, model.vocab_, folder=folder) as encoded):
        train(model, encoded, epochs=model.config.epochs, start=Position(), progress=progress,
              callbacks=callbacks, checkpoint_dir=checkpoint_dir,
              checkpoint_minutes=checkpoint_minutes)


def partial_fit(model: Any, corpus: Iterable[Sequence[str]], *, update_vocab: bool,
                epochs: int | None, progress: bool, callbacks: Sequence[Callback],
                work_dir: PathLike | None) -> None:
    """Continue training on more text; ``update_vocab`` adds its new words (see the estimators)."""
    model._check_fitted()
    cfg = model.config
    if epochs is not None and (not isinstance(epochs, int) or isinstance(epochs, bool)
                               or epochs < 1):
        raise ConfigError(f"epochs must be an integer >= 1, got {epochs!r}")
    if update_vocab:
        check_reiterable(corpus, model.NAME)
        model.counter_.merge(TokenCounter(max_types=cfg.max_types).update_many(corpus))
        extend_vocab(model)
    with (work_folder(work_dir, f"embedlayer-{model.NAME}-") as folder,
          encode_corpus(corpus, model.vocab_, folder=folder) as encoded):
        train(model, encoded, epochs=epochs or cfg.epochs, start=Position(), progress=progress,
              callbacks=callbacks, checkpoint_dir=None, checkpoint_minutes=None)


def extend_vocab(model: Any) -> None:
    """Add the counted words that reach ``min_count`` and are not in ``vocab_`` yet, as new
    rows after the old ones (the old ids keep their meaning; ``max_vocab`` bounds the total)."""
    old, counts, cfg = model.vocab_, model.counter_, model.config
    new = sorted((t for t, c in counts.items() if c >= cfg.min_count and t not in old),
                 key=lambda t: (-counts[t], t))
    if cfg.max_vocab is not None:
        new = new[:max(0, cfg.max_vocab - len(old))]
    tokens = old.tokens + new
    model.vocab_ = Vocab(tokens, [counts.get(t, 0) for t in tokens], unk_token=None)
    if new:
        allocate(lambda: model._extend_arrays(len(old), len(new)),
                 model._memory(len(tokens)), f"{model.NAME} ({len(tokens):,} words)")


# --- checkpoints ------------------------------------------------------------------------------
def _checkpoint_format(name: str) -> str:
    return f"embedlayer.{name.lower()}-checkpoint"


def save_checkpoint(model: Any, folder: Path, position: Position, run: RunState, epochs: int,
                    fingerprint: dict[str, Any], history_before: list[float]) -> None:
    meta = {
        "format": _checkpoint_format(model.NAME), "format_version": CHECKPOINT_VERSION,
        "config": model.config.to_dict(), "epochs": epochs,
        "position": {"epoch": position.epoch, "chunk": position.chunk},
        "loss_history": run.epoch_loss, "epoch_words": run.epoch_words,
        "epoch_partial": run.partial(), "history_before": history_before,
        "corpus": fingerprint,
    }
    write_state(folder, what=f"a {model.NAME} checkpoint", doc="checkpoint.json", meta=meta,
                vocab=model.vocab_, arrays=model._arrays(), counter=model.counter_)


def _read_checkpoint(cls: Any, folder: Path) -> Any:
    fmt = _checkpoint_format(cls.NAME)
    doc = folder / "checkpoint.json"
    if doc.is_file():
        _refuse_old_version(doc, fmt, CHECKPOINT_VERSION, "checkpoint")
    return read_state(folder, doc="checkpoint.json", fmt=fmt, version=CHECKPOINT_VERSION,
                      required=("config", "position", "epochs", "loss_history", "epoch_words",
                                "corpus"),
                      missing="no checkpoint here")


def _refuse_old_version(doc: Path, fmt: str, version: int, what: str) -> None:
    import json

    try:
        meta = json.loads(doc.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # read_state names the problem
    if isinstance(meta, dict) and meta.get("format") == fmt and \
            isinstance(meta.get("format_version"), int) and meta["format_version"] < version:
        raise FormatError(f"{doc}: a {what} of format_version {meta['format_version']}, written "
                          f"by an older embedlayer (settings since renamed); this one reads "
                          f"version {version}: train again")


def checkpoint_config(cls: Any, folder: PathLike) -> Any:
    """The settings a checkpoint was trained with (to compare with a command's); reads the
    JSON only."""
    from embedlayer._jsondoc import read_json_doc

    doc = Path(folder) / "checkpoint.json"
    fmt = _checkpoint_format(cls.NAME)
    if doc.is_file():
        _refuse_old_version(doc, fmt, CHECKPOINT_VERSION, "checkpoint")
    meta = read_json_doc(doc, fmt=fmt, version=CHECKPOINT_VERSION, required=("config",),
                         missing="no checkpoint here")
    return _config_from(cls, meta)


def _config_from(cls: Any, meta: dict[str, Any]) -> Any:
    return cls.CONFIG.from_dict(meta["config"])


def _restore(cls: Any, meta: dict[str, Any], state: Any, where: Path) -> Any:
    model = cls.from_config(_config_from(cls, meta))
    model.vocab_ = state.vocab
    shapes = model._shapes(len(state.vocab))
    if set(state.arrays) != set(shapes):
        raise FormatError(f"{where}: arrays {sorted(state.arrays)}, expected {sorted(shapes)}")
    for name, shape in shapes.items():
        if state.arrays[name].shape != shape:
            raise FormatError(f"{where}: {name}.npy has shape {state.arrays[name].shape}, "
                              f"expected {shape} for {len(state.vocab):,} words")
    model._set_arrays(state.arrays)
    model.counter_ = state.counter or TokenCounter.from_state(
        dict(zip(state.vocab.tokens, state.vocab.counts.tolist(), strict=True)),
        sentences=0, tokens=int(state.vocab.total))
    return model


def resume(cls: Any, checkpoint_dir: PathLike, corpus: Iterable[Sequence[str]], *,
           config: Any | None, progress: bool, callbacks: Sequence[Callback],
           checkpoint_minutes: float | None, work_dir: PathLike | None) -> Any:
    """Continue an interrupted ``fit`` from its checkpoint on the same corpus; with ``config``,
    refuse settings that differ from the checkpoint's."""
    folder = Path(checkpoint_dir)
    state = _read_checkpoint(cls, folder)
    meta = state.meta
    saved = _config_from(cls, meta)
    if config is not None:
        diffs = config_differences(config.check(), saved)
        if diffs:
            raise ConfigError(f"{folder}: " + "; ".join(
                f"{name} {now!r} but the checkpoint was trained with {name} {then!r}"
                for name, now, then in diffs))
    model = _restore(cls, meta, state, folder)
    model.loss_history_ = list(meta.get("history_before", [])) + list(meta["loss_history"])
    pos = Position(int(meta["position"]["epoch"]), int(meta["position"]["chunk"]))
    run = RunState(epoch_loss=list(meta["loss_history"]), epoch_words=list(meta["epoch_words"]))
    run.restore_partial(meta.get("epoch_partial"))
    with (work_folder(work_dir, f"embedlayer-{cls.NAME}-") as tmp,
          encode_corpus(corpus, model.vocab_, folder=tmp) as encoded):
        fp = corpus_fingerprint(encoded, len(model.vocab_))
        problem = fingerprint_difference(fp, meta["corpus"])
        if problem:
            raise ConfigError(f"{folder}: {problem}; resume needs the corpus the run started on")
        model.resumed_from_ = describe_position(
            cls.NAME, pos, int(meta["epochs"]), len(encoded.chunks(model.config.chunk_words)))
        train(model, encoded, epochs=int(meta["epochs"]), start=pos, progress=progress,
              callbacks=callbacks, checkpoint_dir=folder, checkpoint_minutes=checkpoint_minutes,
              state=run, fingerprint=fp)
    return model


# --- whole models -----------------------------------------------------------------------------
def _model_format(name: str) -> str:
    return f"embedlayer.{name.lower()}-model"


def save_model(model: Any, folder: PathLike) -> Path:
    """The whole training state: config, vocabulary and every count, matrices, history."""
    model._check_fitted()
    meta = {"format": _model_format(model.NAME), "format_version": MODEL_VERSION,
            "config": model.config.to_dict(),
            "loss_history": list(getattr(model, "loss_history_", [])),
            "words_per_epoch": getattr(model, "words_per_epoch_", None),
            "raw_words_per_epoch": getattr(model, "raw_words_per_epoch_", None)}
    return write_state(Path(folder), what=f"a {model.NAME} model", doc="model.json", meta=meta,
                       vocab=model.vocab_, arrays=model._arrays(), counter=model.counter_)


def check_model_target(model: Any, folder: PathLike) -> None:
    """Refuse now a ``folder`` that ``save_model`` would refuse to replace."""
    check_state_target(Path(folder), what=f"a {model.NAME} model", doc="model.json",
                       arrays=model._shapes(1))


def load_model(cls: Any, folder: PathLike) -> Any:
    folder = Path(folder)
    state = read_state(folder, doc="model.json", fmt=_model_format(cls.NAME),
                       version=MODEL_VERSION, required=("config", "loss_history"),
                       missing=f"no saved {cls.NAME} model here (model.json)")
    model = _restore(cls, state.meta, state, folder)
    model.loss_history_ = [float(x) for x in state.meta["loss_history"]]
    for key in ("words_per_epoch", "raw_words_per_epoch"):
        if state.meta.get(key) is not None:
            setattr(model, f"{key}_", int(state.meta[key]))
    return model
