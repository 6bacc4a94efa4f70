"""numba kernels of exact search: keep each query's k best scores while blocks stream past.

What it holds: :func:`heap_push_block` (a (Q, B) block of scores, computed by the caller with
one BLAS product, merged into Q bounded min-heaps of size k: one pass over the block, each
score compared with the heap's weakest and, rarely, pushed) and :func:`heap_sorted` (the
heaps in best-first order, ties by the smaller row id), each with a slow numpy reference
(``*_reference``) they are tested against. This is the selection faiss's ``IndexFlat`` runs
after its BLAS products; doing it per block keeps memory at one (Q, B) score block, and
one compare per score beats ``argpartition``'s full pass with index arrays several times.
What it leaves out: the products, the blocking and the id mapping (``tasks/index.py``).

Ties: a score equal to the heap's weakest does not enter, so among equal scores the row seen
first (the smaller row id, blocks arriving in row order) is kept, as in a stable sort.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["heap_push_block", "heap_push_block_reference", "heap_sorted", "heap_sorted_reference",
           "new_heaps"]


def new_heaps(n_queries: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty heaps: scores ``-inf`` and row ids ``-1``, shapes (Q, k)."""
    return (np.full((n_queries, k), -np.inf, dtype=np.float32),
            np.full((n_queries, k), -1, dtype=np.int64))


@numba.njit(inline="always", boundscheck=False)
def _sift_down(hs: np.ndarray, hi: np.ndarray, score: float, row: int) -> None:
    """Replace the root of the min-heap (hs, hi) by (score, row) and restore the heap.

    Order: a smaller score is weaker; at equal scores the larger row id is weaker, so it sits
    nearer the root and leaves first.
    """
    k = hs.shape[0]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= k:
            break
        right = child + 1
        if right < k and (hs[right] < hs[child]
                          or (hs[right] == hs[child] and hi[right] > hi[child])):
            child = right
        if hs[child] < score or (hs[child] == score and hi[child] > row):
            hs[pos] = hs[child]
            hi[pos] = hi[child]
            pos = child
        else:
            break
    hs[pos] = score
    hi[pos] = row


@numba.njit(parallel=True, nogil=True, cache=True, boundscheck=False)
def heap_push_block(scores: np.ndarray, start: int, heap_scores: np.ndarray,
                    heap_ids: np.ndarray) -> None:
    """Merge ``scores`` (Q, B) float32, columns being rows ``start .. start+B-1``, into the
    heaps (Q, k) in place. Queries run in parallel; each scans its row once."""
    n_queries, width = scores.shape
    for q in numba.prange(n_queries):
        hs = heap_scores[q]
        hi = heap_ids[q]
        row = scores[q]
        weakest = hs[0]
        for j in range(width):
            s = row[j]
            if s > weakest:
                _sift_down(hs, hi, s, start + j)
                weakest = hs[0]


@numba.njit(parallel=True, nogil=True, cache=True, boundscheck=False)
def heap_sorted(heap_scores: np.ndarray, heap_ids: np.ndarray) -> None:
    """Sort each heap in place, best first (higher score, then smaller id); empty slots
    (``-inf``, id ``-1``) go last."""
    n_queries, k = heap_scores.shape
    for q in numba.prange(n_queries):
        hs = heap_scores[q]
        hi = heap_ids[q]
        # heap sort: repeatedly move the weakest (the root) to the end of the live part
        for end in range(k - 1, 0, -1):
            s, r = hs[0], hi[0]
            last_s, last_r = hs[end], hi[end]
            _sift_down(hs[:end], hi[:end], last_s, last_r)
            hs[end] = s
            hi[end] = r


# --- slow references -----------------------------------------------------------------------


def heap_push_block_reference(scores: np.ndarray, start: int, heap_scores: np.ndarray,
                              heap_ids: np.ndarray) -> None:
    """What :func:`heap_push_block` computes, by a stable sort of old and new candidates."""
    k = heap_scores.shape[1]
    for q in range(scores.shape[0]):
        cand_s = np.concatenate([heap_scores[q], scores[q]])
        cand_i = np.concatenate([heap_ids[q], start + np.arange(scores.shape[1])])
        live = cand_i >= 0
        cand_s, cand_i = cand_s[live], cand_i[live]
        order = np.lexsort((cand_i, -cand_s.astype(np.float64)))[:k]
        heap_scores[q] = -np.inf
        heap_ids[q] = -1
        heap_scores[q, :order.size] = cand_s[order]
        heap_ids[q, :order.size] = cand_i[order]
        # keep the reference's "heaps" best-first; heap_sorted_reference is then the identity


def heap_sorted_reference(heap_scores: np.ndarray, heap_ids: np.ndarray) -> None:
    """Best first (higher score, then smaller id), empty slots last; in place."""
    for q in range(heap_scores.shape[0]):
        live = heap_ids[q] >= 0
        s, i = heap_scores[q][live], heap_ids[q][live]
        order = np.lexsort((i, -s.astype(np.float64)))
        heap_scores[q] = -np.inf
        heap_ids[q] = -1
        heap_scores[q, :order.size] = s[order]
        heap_ids[q, :order.size] = i[order]
