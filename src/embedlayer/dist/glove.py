"""GloVe over several processes: each rank counts the co-occurrences of its part of the corpus,
the counts are summed on rank 0, and rank 0 trains on the merged matrix.

What it holds: :func:`merge_cooccurrences` (every rank's sorted triples gathered on rank 0,
pickle-free, as raw ``(row int32, col int32, val float64)`` records, and summed pair by
pair in rank order) and :func:`fit_glove_distributed` (the shared vocabulary from
:func:`~embedlayer.dist.vocab.build_shared_vocab`, this rank's pairs counted with GloVe's own
bounded-memory counter, the merge, then GloVe's AdaGrad on rank 0 alone).
What it leaves out: the counting and training themselves (``train/_cooccur.py``,
``train/glove.py``, which know nothing of ranks: this module uses their rank-free hooks).

The merged matrix is the one a single process counts over the whole corpus: the same pairs,
and the same sums (exactly when every increment is an integer, ``distance_weighting=False``;
with 1/distance increments the sums are added in another order, so they agree to rounding:
1e-14 to 1e-12 relative measured). With ``sample > 0`` each rank drops its own random tokens, so the
counts are another draw of the same distribution, not the single process's.

A rank whose part is empty counts nothing and still takes part; a refusal on any rank while
counting stops every rank together.

Memory: each rank counts within ``memory_mib`` as a single process does; rank 0 then holds
every rank's triples at once (16 bytes per non-zero pair of each rank) and a sort of them,
so the merge needs about three times the sum of the parts' triples on rank 0. Training is on
rank 0 alone (GloVe's AdaGrad over the merged matrix is quick next to counting a large
corpus); the other ranks return after the merge, with the vocabulary and no parameters.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from embedlayer.dist.group import Group, agree, all_reduce_sum, check_same_settings, gather
from embedlayer.dist.vocab import build_shared_vocab
from embedlayer.errors import ConfigError, EmbedlayerError
from embedlayer.train._cooccur import RECORD, Cooccurrence, _NpyWriter

__all__ = ["fit_glove_distributed", "merge_cooccurrences", "sum_triples"]


def sum_triples(parts: Sequence[np.ndarray], vocab_size: int) -> np.ndarray:
    """The records of ``parts`` (each RECORD, any order) summed by (row, col): sorted records,
    one per distinct pair; duplicates are added in the order of ``parts``."""
    records = np.concatenate([np.asarray(p, dtype=RECORD) for p in parts]) if parts else \
        np.zeros(0, dtype=RECORD)
    keys = records["row"].astype(np.int64) * int(vocab_size) + records["col"]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    vals = records["val"][order]
    if keys.size == 0:
        return np.zeros(0, dtype=RECORD)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    out = np.empty(starts.size, dtype=RECORD)
    out["row"] = keys[starts] // vocab_size
    out["col"] = keys[starts] % vocab_size
    out["val"] = np.add.reduceat(vals, starts)
    return out


def merge_cooccurrences(group: Group, cooc: Cooccurrence,
                        folder: Path) -> Cooccurrence | None:
    """Every rank's counted matrix ``cooc`` summed into ``folder/cooccurrence.npy`` on rank 0
    (returned there, None on the other ranks)."""
    meta = {"nonzero": cooc.nonzero, "updates": cooc.updates, "shards": cooc.shards,
            "count_seconds": cooc.count_seconds, "merge_seconds": cooc.merge_seconds}
    metas = gather(group, json.dumps(meta).encode(), "gathering the counting reports")
    parts = gather(group, np.ascontiguousarray(cooc.records()).tobytes(),
                   "gathering the co-occurrence counts")
    if parts is None or metas is None:
        return None
    t = time.perf_counter()
    docs = [json.loads(m) for m in metas]
    merged = sum_triples([np.frombuffer(p, dtype=RECORD) for p in parts], cooc.vocab_size)
    del parts
    folder.mkdir(parents=True, exist_ok=True)
    writer = _NpyWriter(folder / "cooccurrence.npy", RECORD)
    try:
        writer.write(merged)
    finally:
        writer.close()
    return Cooccurrence(
        folder=folder, vocab_size=cooc.vocab_size, nonzero=int(merged.shape[0]),
        updates=sum(d["updates"] for d in docs), shards=sum(d["shards"] for d in docs),
        table_slots=cooc.table_slots, window=cooc.window, symmetric=cooc.symmetric,
        distance_weighting=cooc.distance_weighting,
        count_seconds=max(d["count_seconds"] for d in docs),
        merge_seconds=max(d["merge_seconds"] for d in docs) + time.perf_counter() - t)


def fit_glove_distributed(
    model: Any, group: Group, sentences: Iterable[Sequence[str]], *, progress: bool = True,
    work_dir: str | Path | None = None, train: bool = True,
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """Fit ``model`` (an unfitted ``GloVe``) with the ranks counting together.

    ``sentences``: this rank's part of the corpus (token lists, re-iterable: read twice; e.g.
    a ``TokenStream`` over a :class:`~embedlayer.corpus.shard.TextShard`). Every rank builds
    the same vocabulary from the merged word counts, counts the pairs of its part, and rank 0
    sums them (:func:`merge_cooccurrences`) into the matrix one process would count, then
    trains on it (``train=False``: counts only; the matrix is then rank 0's
    ``work_dir/cooccurrence.npy``). Ranks started with different settings (the model's and
    ``settings``) are refused at start, the settings named.

    Returns ``model``; on rank 0 fitted (``vectors_``, ``cooccurrence_``, ``timings_`` as
    after ``fit``); on the other ranks with ``vocab_`` and ``words_`` set, no parameters.
    Temporary files go to a fresh folder per rank, removed at the end; with ``work_dir`` they
    go to ``work_dir/rank<r>`` and stay (rank 0's merged matrix in ``work_dir`` itself).
    """
    cfg = model.config.check()
    check_same_settings(group, {"config": cfg.to_dict(), **dict(settings or {})})
    if work_dir is None and not train:
        raise ConfigError("fit_glove_distributed: train=False keeps only the counts, so it "
                          "needs a work_dir to leave them in")
    t = time.perf_counter()
    _, merged, _ = build_shared_vocab(group, sentences, min_count=cfg.min_count,
                                      max_vocab=cfg.max_vocab, max_types=cfg.max_types)
    # The same merged counts on every rank: a refusal here (memory_mib too small, nothing in
    # the vocabulary) happens on every rank alike.
    model._use_vocabulary(merged, progress and group.is_main, started=t)
    base = Path(tempfile.mkdtemp(prefix="embedlayer-dist-glove-")) if work_dir is None \
        else Path(work_dir)
    try:
        local = base / f"rank{group.rank}"
        problem, cooc = None, None
        try:  # an empty part counts nothing; any other refusal stops every rank together
            cooc = model._count_pairs(sentences, local, progress and group.is_main,
                                      allow_empty=True)
        except EmbedlayerError as exc:
            problem = f"{group.where()}: {exc}"
        agree(group, problem, "counting the co-occurrences")
        assert cooc is not None
        words = np.array([model.words_, model.raw_words_], dtype=np.int64)
        totals = all_reduce_sum(group, torch.from_numpy(words), "summing the word counts")
        model.words_, model.raw_words_ = (int(x) for x in totals.tolist())
        t = time.perf_counter()
        whole = merge_cooccurrences(group, cooc, base)
        model.timings_["gather_sum"] = time.perf_counter() - t  # the wait for others included
        if work_dir is None:
            shutil.rmtree(local, ignore_errors=True)
        if whole is None:
            return model
        model.timings_["count"], model.timings_["merge"] = (whole.count_seconds,
                                                            whole.merge_seconds)
        if not train:
            model.nonzero_pairs_ = whole.nonzero
            return model
        model._fit_counted(whole, progress=progress)
        return model
    finally:
        if work_dir is None:
            shutil.rmtree(base, ignore_errors=True)

