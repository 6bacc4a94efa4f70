"""Similarity queries over a vector matrix: cosine, nearest neighbours, analogies, ranks.

What it holds: free functions over any ``VectorStore`` (its ``matrix`` and ``vocab``), all
batched: many queries go through one matrix product per block of rows, and the top-k is kept
with ``argpartition``, so memory stays at the matrix plus one (queries x block) score block —
no normalized copy of the matrix is made (row norms, N floats, are cached by ``Vectors``).
Semantics follow gensim's ``KeyedVectors`` where it has the same query: word vectors are
unit-normalized before they are combined, and the query words are excluded from the answer.
What it leaves out: evaluation over benchmark files (``embedlayer.eval``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from embedlayer._types import FloatArray, IntArray
from embedlayer.errors import ConfigError, UnknownTokenError

__all__ = [
    "AnalogyMethod",
    "Neighbours",
    "analogy",
    "analogy_batch",
    "cosine",
    "distances",
    "doesnt_match",
    "most_similar",
    "nearest",
    "query_vector",
    "rank",
    "row_norms",
    "similar_by_vector",
]

AnalogyMethod = Literal["3cosadd", "3cosmul"]

# Scores held per block: (queries x rows) float32. 2**24 floats = 64 MiB at most.
_BLOCK_SCORES = 1 << 24
_MIN_BLOCK_ROWS = 1024
_ARGMAX_TOPK = 16  # up to this k, repeated argmax beats argpartition
_EPS = 1e-6  # 3CosMul's guard against division by zero (Levy & Goldberg 2014; gensim's too)


@dataclass(frozen=True)
class Neighbours:
    """Top-k answers for Q queries, best first."""

    ids: IntArray  # (Q, k) int64 row ids
    scores: FloatArray  # (Q, k) float32 scores (cosine, or the 3CosMul objective)


def row_norms(matrix: np.ndarray, *, block_rows: int = 65536) -> FloatArray:
    """L2 norm of each row, computed block by block (no full temporary copy)."""
    out = np.empty(matrix.shape[0], dtype=np.float32)
    for start in range(0, matrix.shape[0], block_rows):
        block = np.asarray(matrix[start:start + block_rows], dtype=np.float32)
        out[start:start + block.shape[0]] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return out


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors; 0.0 when either is the zero vector."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(a @ b / (na * nb))


def _norms(store: Any) -> FloatArray:
    norms = getattr(store, "norms", None)
    return norms if norms is not None else row_norms(store.matrix)


def _unit(rows: np.ndarray) -> FloatArray:
    rows = np.asarray(rows, dtype=np.float32)
    n = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows / np.where(n > 0, n, 1.0)


def _limit(store: Any, restrict_vocab: int | None) -> int:
    n = len(store.vocab)
    if restrict_vocab is None:
        return n
    if restrict_vocab < 1:
        raise ConfigError(f"restrict_vocab must be >= 1 or None, got {restrict_vocab}")
    return min(n, restrict_vocab)


def _block_rows(n_queries: int, n_rows: int) -> int:
    return max(_MIN_BLOCK_ROWS, min(n_rows, _BLOCK_SCORES // max(n_queries, 1)))


def _rows(store: Any, ids: np.ndarray) -> FloatArray:
    """Rows by id: ``store.lookup_ids`` when it has one (a compressed store rebuilds just
    those), else a gather from ``store.matrix``."""
    get = getattr(store, "lookup_ids", None)
    return get(ids) if get is not None else store.matrix[ids]


def _scored_blocks(store: Any, units: list[FloatArray], limit: int):
    """Yield (start, [cosines of each query set against rows start:end]) block by block.

    A store with ``block_dots(queries, start, end)`` (the compressed stores) computes the
    inner products itself, on its codes; the others are read from ``store.matrix``.
    """
    dots = getattr(store, "block_dots", None)
    matrix = None if dots is not None else store.matrix
    norms = _norms(store)
    step = _block_rows(units[0].shape[0], limit)
    if dots is not None:  # a block of rows may be rebuilt as floats: bound it too
        step = max(1, min(step, _BLOCK_SCORES // max(store.dim, 1)))
    for start in range(0, limit, step):
        end = min(start + step, limit)
        inv = norms[start:end]
        inv = np.divide(1.0, inv, out=np.zeros_like(inv), where=inv > 0)
        if matrix is None:
            sims = [np.asarray(dots(u, start, end), dtype=np.float32) for u in units]
        else:
            block = matrix[start:end]
            sims = [u @ block.T for u in units]
        for s in sims:
            s *= inv  # in place: one (Q, B) block per query set, no temporary
        yield start, sims
        del sims, s  # the caller drops its references too: one block alive at a time


def _block_topk(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k column ids and scores of each row of a (Q, B) block (``scores`` is clobbered).

    For small k, k passes of ``argmax`` (masking each winner) beat ``argpartition`` several
    times over and allocate no (Q, B) index array; larger k falls back to ``argpartition``.
    """
    q, b = scores.shape
    if k >= b:
        return np.broadcast_to(np.arange(b), scores.shape).copy(), scores.copy()
    if k <= _ARGMAX_TOPK:
        rows = np.arange(q)
        ids = np.empty((q, k), dtype=np.int64)
        vals = np.empty((q, k), dtype=scores.dtype)
        for t in range(k):
            j = scores.argmax(axis=1)
            ids[:, t] = j
            vals[:, t] = scores[rows, j]
            scores[rows, j] = -np.inf
        return ids, vals
    np.negative(scores, out=scores)  # in place: argpartition finds the smallest
    ids = np.argpartition(scores, k - 1, axis=1)[:, :k]
    return ids, -np.take_along_axis(scores, ids, axis=1)


def _topk_merge(best_ids, best_scores, scores: np.ndarray, start: int, k: int):
    """Merge a (Q, B) block of scores into the running top-k (``scores`` is clobbered)."""
    part, cand_scores = _block_topk(scores, k)
    cand_ids = part.astype(np.int64) + start
    if best_ids is None:
        return cand_ids, cand_scores
    ids = np.concatenate([best_ids, cand_ids], axis=1)
    sc = np.concatenate([best_scores, cand_scores], axis=1)
    if ids.shape[1] > k:
        keep = np.argpartition(-sc, k - 1, axis=1)[:, :k]
        ids = np.take_along_axis(ids, keep, axis=1)
        sc = np.take_along_axis(sc, keep, axis=1)
    return ids, sc


def _mask(scores: np.ndarray, exclude: list[tuple[int, int]] | None, start: int) -> None:
    if not exclude:
        return
    q, ids = exclude
    inside = (ids >= start) & (ids < start + scores.shape[1])
    scores[q[inside], ids[inside] - start] = -np.inf


def _flatten_exclude(exclude: Sequence[Sequence[int]] | None, n_queries: int):
    if exclude is None:
        return None
    if len(exclude) != n_queries:
        raise ConfigError(f"exclude has {len(exclude)} entries for {n_queries} queries")
    q = np.repeat(np.arange(n_queries), [len(e) for e in exclude])
    ids = np.fromiter((i for e in exclude for i in e), dtype=np.int64, count=q.size)
    return q, ids


def _finish(ids, scores) -> Neighbours:
    order = np.argsort(-scores, axis=1, kind="stable")
    scores = np.take_along_axis(scores, order, axis=1).astype(np.float32)
    ids = np.take_along_axis(ids, order, axis=1)
    return Neighbours(ids, scores)


def nearest(
    store: Any, queries: np.ndarray, *, topn: int = 10, restrict_vocab: int | None = None,
    exclude: Sequence[Sequence[int]] | None = None,
) -> Neighbours:
    """Top-``topn`` rows by cosine for each row of ``queries`` ((Q, D) or (D,)).

    ``exclude[q]`` lists row ids never returned for query ``q``. Excluded or missing
    candidates (fewer rows than ``topn``) come back with score ``-inf``.
    """
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if q.shape[1] != store.dim:
        raise ConfigError(f"queries have dimension {q.shape[1]}, the vectors {store.dim}")
    if topn < 1:
        raise ConfigError(f"topn must be >= 1, got {topn}")
    limit = _limit(store, restrict_vocab)
    excl = _flatten_exclude(exclude, q.shape[0])
    best_ids = best_scores = None
    for start, sims in _scored_blocks(store, [_unit(q)], limit):
        _mask(sims[0], excl, start)
        best_ids, best_scores = _topk_merge(best_ids, best_scores, sims.pop(), start, topn)
    return _finish(best_ids, best_scores)


def query_vector(store: Any, word: str) -> FloatArray:
    """The vector of a query word: ``ConfigError`` for an empty word or an all-zero vector.

    A zero vector has no direction, so every cosine with it is 0 and a ranking by it would
    be arbitrary; an unknown word follows the store's own policy (a subword store composes
    it, a dense one raises ``UnknownTokenError`` unless told otherwise).
    """
    if not isinstance(word, str) or not word:
        raise ConfigError(f"a query word must be a non-empty string, got {word!r}")
    vec = np.asarray(store[word], dtype=np.float32)
    if not np.any(vec):
        where = "its row" if word in store.vocab else "the vector composed for it"
        raise ConfigError(f"the vector of {word!r} is all zeros ({where}): it has no direction "
                          f"to rank neighbours by")
    return vec


def _resolve(store: Any, items: Sequence[Any]) -> tuple[FloatArray, list[int]]:
    """Unit vectors of words or raw vectors, and the row ids of the words among them."""
    vecs, ids = [], []
    for item in items:
        if isinstance(item, str):
            vecs.append(query_vector(store, item))
            idx = store.vocab.get(item)
            if idx is not None:
                ids.append(idx)
        else:
            vecs.append(np.asarray(item, dtype=np.float32))
    if not vecs:
        return np.zeros((0, store.dim), dtype=np.float32), ids
    return _unit(np.stack(vecs)), ids


def _to_pairs(store: Any, nb: Neighbours, row: int = 0) -> list[tuple[str, float]]:
    tok = store.vocab.token
    return [(tok(int(i)), float(s)) for i, s in zip(nb.ids[row], nb.scores[row], strict=True)
            if np.isfinite(s)]


def most_similar(
    store: Any, positive: str | Sequence[Any] = (), negative: Sequence[Any] = (), *,
    topn: int = 10, restrict_vocab: int | None = None, index: Any = None,
) -> list[tuple[str, float]]:
    """gensim's ``most_similar``: mean of +unit(positive) and -unit(negative), query words excluded.

    ``index``: a vector index over the store's rows with its words as ids (e.g.
    ``embedlayer.tasks.VectorIndex.from_vectors(store, kind="hnsw")``; anything with
    ``search(queries, k) -> (ids, scores)`` and ``len``) answers instead of the exact scan;
    scores are then the index's (cosine for a cosine index).
    """
    if isinstance(positive, str):
        positive = [positive]
    if isinstance(negative, str):
        negative = [negative]
    if not positive and not negative:
        raise ConfigError("most_similar needs at least one positive or negative word or vector")
    pos, pos_ids = _resolve(store, positive)
    neg, neg_ids = _resolve(store, negative)
    query = np.concatenate([pos, -neg]).mean(axis=0)
    if index is not None:
        if restrict_vocab is not None:
            raise ConfigError("most_similar: restrict_vocab applies to the exact scan, not to "
                              "an index (build the index over the rows you want)")
        return _index_pairs(index, query, topn, [*positive, *negative])
    nb = nearest(store, query, topn=topn, restrict_vocab=restrict_vocab,
                 exclude=[pos_ids + neg_ids])
    return _to_pairs(store, nb)


def _index_pairs(index: Any, query: np.ndarray, topn: int,
                 items: Sequence[Any]) -> list[tuple[str, float]]:
    if topn < 1:
        raise ConfigError(f"topn must be >= 1, got {topn}")
    skip = {item for item in items if isinstance(item, str)}
    k = min(len(index), topn + len(skip))
    res = index.search(query[None, :], k)
    pairs = [(str(i), float(s)) for i, s in zip(res.ids[0], res.scores[0], strict=True)
             if str(i) not in skip]
    return pairs[:topn]


def similar_by_vector(
    store: Any, vector: np.ndarray, *, topn: int = 10, restrict_vocab: int | None = None,
) -> list[tuple[str, float]]:
    """Nearest keys to a raw vector (nothing excluded)."""
    return _to_pairs(store, nearest(store, vector, topn=topn, restrict_vocab=restrict_vocab))


def analogy_batch(
    store: Any, a: IntArray, b: IntArray, c: IntArray, *, method: AnalogyMethod = "3cosadd",
    topn: int = 1, restrict_vocab: int | None = None,
    exclude: Sequence[Sequence[int]] | None = None,
) -> Neighbours:
    """Answer many ``a : b :: c : ?`` questions at once (row ids in, row ids out).

    ``exclude[q]`` adds row ids that question ``q`` may not answer (e.g. case variants of
    its words); a, b and c themselves are always excluded.

    3CosAdd: argmax cos(d, b - a + c) with unit-normalized a, b, c (gensim's
    ``most_similar(positive=[b, c], negative=[a])``). 3CosMul: argmax
    cos'(d,b) * cos'(d,c) / (cos'(d,a) + 1e-6) with cos' = (1 + cos) / 2 (Levy & Goldberg
    2014; gensim's ``most_similar_cosmul``). a, b and c are never answers.
    """
    a, b, c = (np.asarray(x, dtype=np.int64).ravel() for x in (a, b, c))
    if not (a.size == b.size == c.size):
        raise ConfigError(f"a, b, c must have the same length, got {a.size}, {b.size}, {c.size}")
    if method not in ("3cosadd", "3cosmul"):
        raise ConfigError(f"method must be '3cosadd' or '3cosmul', got {method!r}")
    n = len(store.vocab)
    for name, ids in (("a", a), ("b", b), ("c", c)):
        if ids.size and (ids.min() < 0 or ids.max() >= n):
            raise UnknownTokenError(f"analogy ids in {name} out of range for {n} vectors")
    if a.size == 0:
        return Neighbours(np.zeros((0, topn), np.int64), np.zeros((0, topn), np.float32))
    limit = _limit(store, restrict_vocab)
    ua, ub, uc = (_unit(_rows(store, x)) for x in (a, b, c))
    q = np.repeat(np.arange(a.size), 3)
    excl = (q, np.stack([a, b, c], axis=1).ravel())
    if exclude is not None:
        more_q, more_ids = _flatten_exclude(exclude, a.size)
        excl = (np.concatenate([excl[0], more_q]), np.concatenate([excl[1], more_ids]))
    return _analogy_top(store, ua, ub, uc, excl, method=method, topn=topn, limit=limit)


def _analogy_top(store: Any, ua: FloatArray, ub: FloatArray, uc: FloatArray,
                 excl: tuple[IntArray, IntArray], *, method: AnalogyMethod, topn: int,
                 limit: int) -> Neighbours:
    """Top answers for unit question vectors (Q, D) each, ``excl`` (query, row) pairs masked."""
    best_ids = best_scores = None
    units = [_unit(ub - ua + uc)] if method == "3cosadd" else [ua, ub, uc]
    for start, sims in _scored_blocks(store, units, limit):
        scores = sims[0] if method == "3cosadd" else _cosmul_in_place(*sims)
        sims.clear()
        _mask(scores, excl, start)
        best_ids, best_scores = _topk_merge(best_ids, best_scores, scores, start, topn)
        del scores
    return _finish(best_ids, best_scores)


def _cosmul_in_place(sa: np.ndarray, sb: np.ndarray, sc: np.ndarray) -> np.ndarray:
    """cos'(d,b) * cos'(d,c) / (cos'(d,a) + eps) with cos' = (1 + cos) / 2, into ``sb``."""
    for s in (sa, sb, sc):
        s += 1.0
        s *= 0.5
    sa += _EPS
    sb *= sc
    sb /= sa
    return sb


def analogy(
    store: Any, a: str, b: str, c: str, *, method: AnalogyMethod = "3cosadd", topn: int = 1,
    restrict_vocab: int | None = None,
) -> list[tuple[str, float]]:
    """``a : b :: c : ?`` (see :func:`analogy_batch`); a, b and c are never answers.

    Words outside the vocabulary follow the store's policy: a subword store composes them
    from n-grams (and they then exclude nothing), a dense store raises.
    """
    if method not in ("3cosadd", "3cosmul"):
        raise ConfigError(f"method must be '3cosadd' or '3cosmul', got {method!r}")
    if topn < 1:
        raise ConfigError(f"topn must be >= 1, got {topn}")
    words = (a, b, c)
    ids = [store.vocab.get(w) if isinstance(w, str) else None for w in words]
    if all(i is not None for i in ids):
        for w in words:
            query_vector(store, w)  # a zero row has no direction: say so, not rank at random
        nb = analogy_batch(store, *([i] for i in ids), method=method, topn=topn,
                           restrict_vocab=restrict_vocab)
        return _to_pairs(store, nb)
    ua, ub, uc = (_unit(query_vector(store, w)[None, :]) for w in words)
    known = np.array([i for i in ids if i is not None], dtype=np.int64)
    excl = (np.zeros(known.size, dtype=np.int64), known)
    nb = _analogy_top(store, ua, ub, uc, excl, method=method, topn=topn,
                      limit=_limit(store, restrict_vocab))
    return _to_pairs(store, nb)


def doesnt_match(store: Any, words: Sequence[str]) -> str:
    """The word farthest (by cosine) from the mean of the words' unit vectors."""
    if len(words) < 2:
        raise ConfigError(f"doesnt_match needs at least 2 words, got {len(words)}")
    units = _unit(store.lookup(list(words)))
    mean = _unit(units.mean(axis=0))
    return words[int(np.argmin(units @ mean))]


def _sims_to_all(store: Any, word: str) -> FloatArray:
    """Cosine of ``word`` with every row ((N,) float32)."""
    if getattr(store, "block_dots", None) is not None:
        unit = _unit(store[word])[None, :]
        return np.concatenate([sims[0][0] for _, sims in
                               _scored_blocks(store, [unit], len(store.vocab))])
    norms = _norms(store)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return (store.matrix @ _unit(store[word])) * inv


def distances(store: Any, word: str, others: Sequence[str] | None = None) -> FloatArray:
    """Cosine distances 1 - cos(word, x) for ``others`` (default: every key, in row order)."""
    if others is None:
        return (1.0 - _sims_to_all(store, word)).astype(np.float32)
    w = _unit(store[word])
    return (1.0 - _unit(store.lookup(list(others))) @ w).astype(np.float32)


def rank(store: Any, word: str, other: str) -> int:
    """1 + the number of keys closer to ``word`` than ``other`` is (``word`` itself excluded)."""
    sims = _sims_to_all(store, word)
    j = store.vocab.get(other)
    target = sims[j] if j is not None else np.float32(cosine(store[word], store[other]))
    closer = sims > target
    idx = store.vocab.get(word)
    if idx is not None:
        closer[idx] = False
    return int(closer.sum()) + 1
