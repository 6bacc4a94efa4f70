"""Word translation retrieval across two mapped spaces: nearest neighbour and CSLS.

After mapping, a source word's translation is looked up among the target vectors. Plain
nearest-neighbour (NN) retrieval ranks the targets y by cos(Wx, y); it suffers from hubs,
target words that are the nearest neighbour of many sources. CSLS (cross-domain similarity
local scaling, Conneau et al. 2018, "Word translation without parallel data") discounts them:

    CSLS(x, y) = 2 cos(Wx, y) - r_T(Wx) - r_S(y)

where r_T(Wx) is the mean cosine of the mapped source vector to its k nearest target vectors
and r_S(y) the mean cosine of the target vector to its k nearest mapped source vectors
(k = 10 in the paper). For one query r_T(Wx) is a constant, so it changes the score, not the
ranking.

Memory stays bounded: queries are taken in blocks so that one (block x rows) float32 score
block holds at most 2**24 values (64 MiB), and the top k of each row is kept with
``argpartition``; ties are broken by the lower row id. Inputs here are plain (n, dim) arrays
whose rows are already unit length (:func:`unit_rows`); :func:`translate` wraps them for
``VectorStore`` s. What it leaves out: the mapping (``crosslingual.py``) and the scores over
a dictionary (``bli.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from embedlayer._types import FloatArray, IntArray
from embedlayer.errors import ConfigError, UnknownTokenError
from embedlayer.vectors.base import VectorStore

__all__ = ["RETRIEVALS", "Retrieval", "mean_topk_similarity", "search", "topk", "translate",
           "unit_rows"]

Retrieval = Literal["nn", "csls"]
RETRIEVALS: tuple[str, ...] = ("nn", "csls")

_BLOCK_SCORES = 1 << 24  # floats in one (queries x rows) score block: 64 MiB


def check_retrieval(retrieval: Any, csls_k: Any) -> None:
    """``ConfigError`` unless ``retrieval`` is a known mode and ``csls_k`` an integer >= 1."""
    if retrieval not in RETRIEVALS:
        raise ConfigError(f"retrieval must be one of {', '.join(RETRIEVALS)}, got {retrieval!r}")
    if isinstance(csls_k, bool) or not isinstance(csls_k, int | np.integer) or csls_k < 1:
        raise ConfigError(f"csls_k must be an integer >= 1, got {csls_k!r}")


def unit_rows(matrix: Any) -> FloatArray:
    """``matrix`` as float32 with every row scaled to unit length (zero rows stay zero)."""
    rows = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def _step(n_rows: int, block_scores: int) -> int:
    return max(1, block_scores // max(n_rows, 1))


def _topk_block(scores: np.ndarray, k: int) -> tuple[IntArray, FloatArray]:
    """Top ``k`` columns of each row of ``scores``, best first, ties by the lower column."""
    n = scores.shape[1]
    if k < n:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(n), scores.shape).copy()
    part.sort(axis=1)  # ids ascending, so the stable sort below breaks ties by id
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def mean_topk_similarity(queries: np.ndarray, rows: np.ndarray, k: int, *,
                         block_scores: int = _BLOCK_SCORES) -> FloatArray:
    """(Q,) mean cosine of each unit query to its ``k`` most similar unit ``rows``.

    CSLS's r_T (queries = mapped sources, rows = targets) and r_S (the other way round);
    ``k`` larger than the number of rows averages over all of them.
    """
    k = min(int(k), rows.shape[0])
    out = np.empty(queries.shape[0], dtype=np.float32)
    if k == 0:
        out[:] = 0.0
        return out
    step = _step(rows.shape[0], block_scores)
    for start in range(0, queries.shape[0], step):
        sims = queries[start:start + step] @ rows.T  # (B, R)
        if k < sims.shape[1]:
            sims = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
        out[start:start + len(sims)] = sims.mean(axis=1, dtype=np.float64)
    return out


def topk(queries: np.ndarray, rows: np.ndarray, k: int, *,
         query_penalty: np.ndarray | None = None, row_penalty: np.ndarray | None = None,
         scale: float = 1.0,
         block_scores: int = _BLOCK_SCORES) -> tuple[IntArray, FloatArray]:
    """((Q, k) row ids, (Q, k) scores), best first, of ``scale * q.r - pq - pr`` per query.

    With unit rows, ``scale=1`` and no penalties this is cosine nearest-neighbour search;
    ``scale=2`` with r_T as ``query_penalty`` and r_S as ``row_penalty`` is CSLS. ``k`` is
    capped at the number of rows.
    """
    k = min(int(k), rows.shape[0])
    nq = queries.shape[0]
    ids = np.empty((nq, k), dtype=np.int64)
    scores = np.empty((nq, k), dtype=np.float32)
    step = _step(rows.shape[0], block_scores)
    for start in range(0, nq, step):
        block = queries[start:start + step] @ rows.T  # (B, R)
        if scale != 1.0:
            block *= np.float32(scale)
        if row_penalty is not None:
            block -= row_penalty[None, :]
        if query_penalty is not None:
            block -= query_penalty[start:start + step, None]
        i, s = _topk_block(block, k)
        ids[start:start + len(block)], scores[start:start + len(block)] = i, s
    return ids, scores


def search(queries: np.ndarray, target: np.ndarray, k: int, *, retrieval: Retrieval = "nn",
           csls_k: int = 10, source: np.ndarray | None = None,
           block_scores: int = _BLOCK_SCORES) -> tuple[IntArray, FloatArray]:
    """Top ``k`` target rows for each query (all arrays unit rows): NN by cosine, or CSLS.

    ``source``: the whole mapped source matrix, whose neighbourhoods of each target row give
    r_S (CSLS only; it usually holds the queries too). Returns (ids, scores) as :func:`topk`.
    """
    check_retrieval(retrieval, csls_k)
    if retrieval == "nn":
        return topk(queries, target, k, block_scores=block_scores)
    if source is None:
        raise ConfigError("search: CSLS needs the mapped source vectors (source=) for r_S")
    r_t = mean_topk_similarity(queries, target, csls_k, block_scores=block_scores)
    r_s = mean_topk_similarity(target, source, csls_k, block_scores=block_scores)
    return topk(queries, target, k, query_penalty=r_t, row_penalty=r_s, scale=2.0,
                block_scores=block_scores)


def translate(mapped: VectorStore, target: VectorStore, words: Sequence[str], *, k: int = 5,
              retrieval: Retrieval = "nn", csls_k: int = 10,
              restrict_vocab: int | None = None) -> list[list[tuple[str, float]]]:
    """The ``k`` best translations of each word, with scores: ``[[(target word, score)]]``.

    ``mapped``: the source vectors already mapped into the target space (``Alignment.source``);
    ``target``: the target vectors (``Alignment.target``). ``retrieval``: "nn" (cosine) or
    "csls" (its score; r_S over every mapped source vector). ``restrict_vocab``: only the
    first N target words are candidates and only the first N mapped words enter r_S (the
    most frequent, for speed; None: all). A word missing from ``mapped`` is an
    ``UnknownTokenError``.
    """
    check_retrieval(retrieval, csls_k)
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ConfigError(f"translate: k must be an integer >= 1, got {k!r}")
    if restrict_vocab is not None and (isinstance(restrict_vocab, bool) or restrict_vocab < 1):
        raise ConfigError(f"translate: restrict_vocab must be >= 1 or None, got "
                          f"{restrict_vocab!r}")
    if mapped.dim != target.dim:
        raise ConfigError(f"translate: the mapped vectors have {mapped.dim} dimensions and "
                          f"the target vectors {target.dim}; expected the same (map the source "
                          f"into the target space first)")
    ids = []
    for word in words:
        idx = mapped.vocab.get(word)
        if idx is None:
            raise UnknownTokenError(f"{word!r} is not among the {len(mapped):,} mapped source "
                                    f"words")
        ids.append(idx)
    limit = restrict_vocab or None
    queries = unit_rows(mapped.matrix[np.asarray(ids, dtype=np.int64)])
    tgt = unit_rows(target.matrix[:limit])
    src = unit_rows(mapped.matrix[:limit]) if retrieval == "csls" else None
    top, scores = search(queries, tgt, k, retrieval=retrieval, csls_k=csls_k, source=src)
    tokens = target.vocab.tokens
    return [[(tokens[int(j)], float(s)) for j, s in zip(row_ids, row_scores, strict=True)]
            for row_ids, row_scores in zip(top, scores, strict=True)]
