"""GloVe's co-occurrence matrix, counted in bounded memory: shards, a merge, a shuffle.

What it holds: the three passes that turn an encoded corpus into the shuffled (row, col, x)
triples GloVe trains on, each within a byte budget whatever the corpus size (Stanford's
``cooccur`` + ``shuffle``, in one process):

1. **count**: ``workers`` threads each walk a contiguous share of the sentences (read from
   the ids file in chunks, never memory-mapped, so the pages do not stay resident) and add
   every pair into their own hash table (``_kernels_glove.count_pairs``). A table that
   reaches its load limit is *spilled*: sorted by key and written as one shard (two ``.npy``
   files, keys ``row * V + col`` and float64 sums), then emptied;
2. **merge**: a buffered k-way merge of the shards (each read through a small window; a round
   merges every buffered key up to the smallest last-buffered key of the shards still being
   read, so no key is split across rounds) sums duplicates and writes the sorted matrix
   ``cooccurrence.npy`` (records ``row int32, col int32, val float64``, Stanford's ``CREC``
   layout with 0-based ids);
3. **shuffle**: an external shuffle (each pair goes to one of ``buckets`` files at random,
   then each bucket is permuted in memory and appended), ``shuffled.npy``; in memory when
   the whole matrix fits the budget.

Sums are deterministic: shards are merged in a fixed order (worker, then spill) and a stable
sort keeps it, so the same corpus, settings, ``workers`` and budget give the same bits.

What it leaves out: building the vocabulary and encoding the corpus (``_encode.py``),
training (``glove.py``), the arithmetic of the passes (``_kernels_glove.py``).
"""

from __future__ import annotations

import io
import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.errors import FormatError, MissingFileError
from embedlayer.train._encode import EncodedCorpus
from embedlayer.train._runner import job_seed

__all__ = [
    "RECORD",
    "Cooccurrence",
    "CooccurrenceReport",
    "count_cooccurrences",
    "open_triples",
    "shuffle_cooccurrences",
]

FORMAT = "embedlayer.glove-cooccurrence"
FORMAT_VERSION = 1

RECORD = np.dtype([("row", "<i4"), ("col", "<i4"), ("val", "<f8")])  # 16 bytes, glove's CREC

_MAX_LOAD = 0.75  # a counting table spills when this full (linear probing slows beyond)
# Bytes per table slot: the key and value (16), plus the argsort of a full table when it
# spills (8 per used slot, at most _MAX_LOAD of them).
_SLOT_BYTES = 16 + 8 * _MAX_LOAD
_MERGE_BYTES = 64  # per buffered entry: buffer 16, concatenated 16, order 8, records 16, + slack
_SCATTER_BYTES = 48  # per pair in a shuffle block: record 16, bucket 8, order 8, gathered 16
_BUCKET_BYTES = 56  # per pair of a bucket: record 16, permutation 8, permuted 16, + slack
_WRITE_PIECE = 1 << 16  # entries gathered per write while spilling
_MIN_SLOTS = 64


@dataclass(frozen=True)
class CooccurrenceReport:
    """What counting did, for reports and benchmarks."""

    nonzero: int  # distinct (row, col) pairs: the triples GloVe trains on
    updates: int  # increments made: token pairs within the window (x2 when symmetric)
    shards: int  # sorted runs written by the counting tables (>= 1 per busy worker)
    table_slots: int  # hash slots of each counting table
    buffer_bytes: int  # the budget the buffers (tables, merge, shuffle) were held to
    buckets: int  # files of the external shuffle (1: shuffled in memory)
    count_seconds: float
    merge_seconds: float
    shuffle_seconds: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class Cooccurrence:
    """The sorted co-occurrence matrix on disk (``cooccurrence.npy`` + its JSON description)."""

    folder: Path
    vocab_size: int
    nonzero: int
    updates: int
    shards: int
    table_slots: int
    window: int
    symmetric: bool
    distance_weighting: bool
    count_seconds: float
    merge_seconds: float

    @property
    def path(self) -> Path:
        return self.folder / "cooccurrence.npy"

    def records(self) -> np.ndarray:
        """The records (row, col, val), sorted by (row, col), memory-mapped read-only."""
        return open_triples(self.path)

    def to_dense(self, max_vocab: int = 5_000) -> np.ndarray:
        """The matrix as a dense float64 (V, V) array (small vocabularies: tests, inspection)."""
        if self.vocab_size > max_vocab:
            raise ValueError(f"a dense {self.vocab_size} x {self.vocab_size} matrix is too big "
                             f"(max_vocab={max_vocab})")
        rec = self.records()
        dense = np.zeros((self.vocab_size, self.vocab_size), dtype=np.float64)
        dense[rec["row"], rec["col"]] = rec["val"]
        return dense

    def describe(self) -> dict[str, object]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION,
                "vocab_size": self.vocab_size, "nonzero": self.nonzero, "updates": self.updates,
                "window": self.window, "symmetric": self.symmetric,
                "distance_weighting": self.distance_weighting}


# --- .npy files written in pieces --------------------------------------------------------


def _header(dtype: np.dtype, n: int) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (n,)})
    return buf.getvalue()


class _NpyWriter:
    """A 1-d ``.npy`` file appended to piece by piece; its length is written on ``close``.

    numpy pads headers so the shape can grow in place (21 digits), so the header written
    first, for length 0, has the size of the final one.
    """

    def __init__(self, path: Path, dtype: np.dtype) -> None:
        self.path, self.dtype, self.count = path, np.dtype(dtype), 0
        self._fh: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._head = len(_header(self.dtype, 0))
        self._fh.write(_header(self.dtype, 0))

    def write(self, arr: np.ndarray) -> None:
        arr = np.ascontiguousarray(arr, dtype=self.dtype)  # a no-op for what we write
        self._fh.write(arr.view(np.uint8))  # the bytes themselves, not a copy
        self.count += len(arr)

    def close(self) -> Path:
        head = _header(self.dtype, self.count)
        if len(head) != self._head:  # cannot happen with numpy's padding; never corrupt
            raise FormatError(f"{self.path}: .npy header grew from {self._head} to {len(head)}")
        self._fh.seek(0)
        self._fh.write(head)
        self._fh.close()
        return self.path


def _data_offset(path: Path) -> tuple[int, int, np.dtype]:
    """(offset of the data, length, dtype) of a 1-d ``.npy`` file."""
    with open(path, "rb") as fh:
        major, _ = np.lib.format.read_magic(fh)
        read = (np.lib.format.read_array_header_1_0 if major == 1
                else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read(fh)
        if len(shape) != 1 or fortran:
            raise FormatError(f"{path}: expected a 1-d array, got shape {shape}")
        return fh.tell(), int(shape[0]), dtype


def open_triples(path: Path) -> np.ndarray:
    """Memory-map a records file (``cooccurrence.npy`` or ``shuffled.npy``) read-only."""
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise FormatError(f"{path}: not a plain .npy file ({exc})") from None
    if arr.dtype != RECORD or arr.ndim != 1:
        raise FormatError(f"{path}: expected 1-d records {RECORD}, got {arr.dtype} {arr.shape}")
    return arr


class _Reader:
    """Sequential reads of a 1-d ``.npy`` file into fresh arrays (nothing stays mapped)."""

    def __init__(self, path: Path) -> None:
        self.offset, self.length, self.dtype = _data_offset(path)
        self._fh: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._fh.seek(self.offset)
        self.done = 0

    def read(self, count: int) -> np.ndarray:
        count = min(count, self.length - self.done)
        arr = np.fromfile(self._fh, dtype=self.dtype, count=count)
        if arr.shape[0] != count:
            raise FormatError(f"{self._fh.name}: truncated ({self.done + arr.shape[0]} of "
                              f"{self.length} entries)")
        self.done += count
        return arr

    @property
    def exhausted(self) -> bool:
        return self.done >= self.length

    def close(self) -> None:
        self._fh.close()


# --- 1. counting ---------------------------------------------------------------------------


def _read_ids(corpus: EncodedCorpus, start: int, stop: int) -> np.ndarray:
    """Tokens ``[start, stop)`` of the corpus, read from its file (not kept mapped)."""
    ids = corpus.ids
    name = getattr(ids, "filename", None)
    if isinstance(ids, np.memmap) and name:
        with open(name, "rb") as fh:
            fh.seek(int(ids.offset) + 4 * start)
            return np.fromfile(fh, dtype=np.int32, count=stop - start)
    return np.ascontiguousarray(ids[start:stop], dtype=np.int32)


def _spill(keys: np.ndarray, vals: np.ndarray, base: Path) -> Path:
    """Write the used slots of a table sorted by key as ``base.keys.npy`` + ``base.vals.npy``."""
    from embedlayer.train import _kernels_glove as kernels

    n = kernels.compact_table(keys, vals)
    order = np.argsort(keys[:n])  # keys are distinct: any sort gives the same result
    kw = _NpyWriter(base.with_suffix(".keys.npy"), np.dtype("<i8"))
    vw = _NpyWriter(base.with_suffix(".vals.npy"), np.dtype("<f8"))
    try:
        for a in range(0, n, _WRITE_PIECE):
            piece = order[a:a + _WRITE_PIECE]
            kw.write(keys[piece])
            vw.write(vals[piece])
    finally:
        kw.close()
        vw.close()
    keys.fill(-1)
    return base


def _table_slots(budget_bytes: int, workers: int, chunk_words: int) -> int:
    per_worker = budget_bytes / workers - 8 * chunk_words  # the ids chunk and its bounds
    return max(_MIN_SLOTS, int(per_worker / _SLOT_BYTES))


def count_cooccurrences(
    corpus: EncodedCorpus,
    vocab_size: int,
    folder: Path,
    *,
    window: int,
    symmetric: bool = True,
    distance_weighting: bool = True,
    budget_bytes: int,
    workers: int = 1,
    chunk_words: int = 1 << 18,
    keep: np.ndarray | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Cooccurrence:
    """Count, spill and merge into ``folder/cooccurrence.npy``; returns its description.

    ``budget_bytes`` bounds the buffers (counting tables, merge windows); the caller checks
    it is sensible. The shards are deleted once merged. ``keep`` (float64 (V,), optional):
    each token is first kept with probability ``keep[id]`` (``subsample_chunk``), the random
    stream of chunk ``k`` seeded by ``job_seed(seed, 0, k)``: the same tokens go whatever
    ``workers`` is.
    """
    from embedlayer.train import _kernels_glove as kernels

    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    chunks = corpus.chunks(chunk_words)
    firsts = [w * len(chunks) // workers for w in range(workers + 1)]
    shares = [chunks[firsts[w]:firsts[w + 1]] for w in range(workers)]
    # No table needs more slots than the pairs its share could hold (a small corpus gets a
    # small table, whatever the budget).
    most_words = max((int(corpus.bounds[sh[-1][1]] - corpus.bounds[sh[0][0]]) for sh in shares
                      if sh), default=0)
    possible = min(most_words * window * (2 if symmetric else 1), vocab_size * vocab_size)
    slots = min(_table_slots(budget_bytes, workers, chunk_words),
                int(possible / _MAX_LOAD) + 2 * _MIN_SLOTS)
    slots = max(slots, int((4 * window + _MIN_SLOTS) / _MAX_LOAD))
    max_used = int(slots * _MAX_LOAD) - 2 * window - 1  # one token adds <= 2 * window keys
    stop = threading.Event()
    done_words = [0] * workers
    updates = [0] * workers
    shards: list[list[Path]] = [[] for _ in range(workers)]

    def work(w: int) -> None:
        if not shares[w]:
            return
        keys = np.full(slots, kernels.EMPTY, dtype=np.int64)
        vals = np.zeros(slots, dtype=np.float64)
        used = 0
        for k, (s0, s1) in enumerate(shares[w], start=firsts[w]):
            b0, b1 = int(corpus.bounds[s0]), int(corpus.bounds[s1])
            ids = _read_ids(corpus, b0, b1)
            bounds = np.ascontiguousarray(corpus.bounds[s0:s1 + 1] - b0)
            if keep is not None:
                ids = np.array(ids, dtype=np.int32)  # our own copy: it is rewritten in place
                kept = kernels.subsample_chunk(ids, bounds, keep, np.uint64(job_seed(seed, 0, k)))
                ids = ids[:kept]
            s, p = 0, 0
            while s < s1 - s0:
                if stop.is_set():
                    return
                s, p, used, n = kernels.count_pairs(ids, bounds, s, p, window, symmetric,
                                                    distance_weighting, vocab_size, keys, vals,
                                                    used, max_used)
                updates[w] += int(n)
                if s < s1 - s0:  # the table is full: spill it and go on
                    shards[w].append(_spill(keys, vals, folder / f"shard-{w}-{len(shards[w])}"))
                    used = 0
            done_words[w] += b1 - b0
        if used:
            shards[w].append(_spill(keys, vals, folder / f"shard-{w}-{len(shards[w])}"))

    bar = progress_bar(total=corpus.words, desc="count", unit="w", enabled=progress)
    try:
        with ThreadPoolExecutor(max_workers=workers,
                                thread_name_prefix="embedlayer-cooccur") as pool:
            futures = [pool.submit(work, w) for w in range(workers)]
            try:
                pending = set(futures)
                while pending:
                    _, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
                    bar.update(sum(done_words) - bar.n)
                    for f in futures:
                        if f.done() and f.exception() is not None:
                            raise f.exception()  # type: ignore[misc]
            except BaseException:
                stop.set()  # workers stop within one kernel call
                raise
        bar.close()
        t1 = time.perf_counter()
        nonzero = _merge([p for ws in shards for p in ws], folder / "cooccurrence.npy",
                         vocab_size, budget_bytes, progress)
    except BaseException:  # Ctrl-C or an error: no partial matrix is left behind
        (folder / "cooccurrence.npy").unlink(missing_ok=True)
        raise
    finally:
        bar.close()
        for base in (p for ws in shards for p in ws):
            base.with_suffix(".keys.npy").unlink(missing_ok=True)
            base.with_suffix(".vals.npy").unlink(missing_ok=True)
    runs = [p for ws in shards for p in ws]
    cooc = Cooccurrence(folder, vocab_size, nonzero, sum(updates), len(runs), slots, window,
                        symmetric, distance_weighting, t1 - t0, time.perf_counter() - t1)
    (folder / "cooccurrence.json").write_text(json.dumps(cooc.describe()), encoding="utf-8")
    return cooc


# --- 2. merging ----------------------------------------------------------------------------


class _Run:
    """One shard being merged: a window of its sorted keys and values."""

    def __init__(self, base: Path, window: int) -> None:
        self.keys_reader = _Reader(base.with_suffix(".keys.npy"))
        self.vals_reader = _Reader(base.with_suffix(".vals.npy"))
        self.window = window
        self.head = 0
        self.keys = np.empty(0, np.int64)
        self.vals = np.empty(0, np.float64)
        self.refill()

    def refill(self) -> None:
        self.keys = self.keys_reader.read(self.window)
        self.vals = self.vals_reader.read(self.window)
        self.head = 0

    @property
    def more_on_disk(self) -> bool:
        return not self.keys_reader.exhausted

    @property
    def empty(self) -> bool:
        return self.head >= self.keys.shape[0]

    def close(self) -> None:
        self.keys_reader.close()
        self.vals_reader.close()


def _merge(runs: list[Path], out: Path, vocab_size: int, budget_bytes: int,
           progress: bool) -> int:
    """Merge sorted shards into one sorted, duplicate-free records file; returns its length."""
    from embedlayer.train import _kernels_glove as kernels

    window = max(1024, budget_bytes // (_MERGE_BYTES * max(1, len(runs))))
    readers = [_Run(base, window) for base in runs]
    total = sum(r.keys_reader.length for r in readers)
    writer = _NpyWriter(out, RECORD)
    bar = progress_bar(total=total, desc="merge", unit="pair", enabled=progress)
    try:
        active = [r for r in readers if not r.empty]
        while active:
            # Every key still on disk is above its shard's last buffered key: keys up to the
            # smallest of those are complete in the buffers.
            limits = [int(r.keys[-1]) for r in active if r.more_on_disk]
            limit = min(limits) if limits else np.iinfo(np.int64).max
            ks, vs_ = [], []
            for r in active:
                cut = r.head + int(np.searchsorted(r.keys[r.head:], limit, side="right"))
                ks.append(r.keys[r.head:cut])
                vs_.append(r.vals[r.head:cut])
                r.head = cut
            keys = np.concatenate(ks)
            vals = np.concatenate(vs_)
            del ks, vs_
            order = np.argsort(keys, kind="stable")  # equal keys stay in shard order
            rec = np.empty(keys.shape[0], dtype=RECORD)
            m = kernels.reduce_sorted(keys, vals, order, vocab_size, rec["row"], rec["col"],
                                      rec["val"])
            writer.write(rec[:m])
            bar.update(keys.shape[0])
            del keys, vals, order, rec
            for r in active:
                if r.empty and r.more_on_disk:
                    r.refill()
            active = [r for r in active if not r.empty]
    finally:
        writer.close()
        bar.close()
        for r in readers:
            r.close()
    return writer.count


# --- 3. shuffling --------------------------------------------------------------------------


def shuffle_cooccurrences(
    cooc: Cooccurrence, *, seed: int, budget_bytes: int, progress: bool = True,
) -> tuple[Path, int]:
    """Write the records of ``cooc`` in a seeded random order to ``shuffled.npy``.

    Returns (path, buckets). One pass scatters the records over ``buckets`` files (each
    record to a uniformly drawn one), a second permutes each bucket in memory: a uniform
    shuffle whose memory is one bucket. With one bucket it is a plain in-memory permutation.
    On an error or Ctrl-C, neither buckets nor a partial ``shuffled.npy`` are left.
    """
    n = cooc.nonzero
    buckets = max(1, math.ceil(n * _BUCKET_BYTES / max(1, budget_bytes)))
    rng = np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, 0x676C6F76]))
    out = cooc.folder / "shuffled.npy"
    parts = [cooc.folder / f"bucket-{b}.npy" for b in range(buckets)] if buckets > 1 else [
        cooc.path]
    bar = progress_bar(total=n * (2 if buckets > 1 else 1), desc="shuffle", unit="pair",
                       enabled=progress)
    try:
        if buckets > 1:
            _scatter(cooc.path, parts, budget_bytes, rng, bar.update)
        writer = _NpyWriter(out, RECORD)
        try:
            for part in parts:
                reader = _Reader(part)
                rec = reader.read(reader.length)
                reader.close()
                if buckets > 1:
                    part.unlink()
                writer.write(rec[rng.permutation(rec.shape[0])])
                bar.update(rec.shape[0])
                del rec
        finally:
            writer.close()
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
        if buckets > 1:
            for part in parts:
                part.unlink(missing_ok=True)
    return out, buckets


def _scatter(path: Path, parts: list[Path], budget_bytes: int, rng: np.random.Generator,
             advance: Callable[[int], object]) -> None:
    """Send each record of ``path`` to a uniformly drawn one of the ``parts`` files."""
    block = max(1024, budget_bytes // _SCATTER_BYTES)
    reader = _Reader(path)
    writers = [_NpyWriter(part, RECORD) for part in parts]
    try:
        while not reader.exhausted:
            rec = reader.read(block)
            which = rng.integers(0, len(parts), size=rec.shape[0])
            order = np.argsort(which, kind="stable")
            ends = np.cumsum(np.bincount(which, minlength=len(parts)))
            del which
            start = 0
            for b, end in enumerate(ends.tolist()):
                if end > start:
                    writers[b].write(rec[order[start:end]])
                start = end
            advance(rec.shape[0])
            del rec, order
    finally:
        reader.close()
        for w in writers:
            w.close()
