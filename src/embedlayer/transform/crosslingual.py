"""Cross-lingual mapping: a linear map W that sends source-language vectors into the target
language's space, learned from a bilingual dictionary (Mikolov et al. 2013; MUSE; VecMap).

With X and Z the (n, d) rows of the dictionary's source and target words:

- **Procrustes** (orthogonal, Xing et al. 2015; Artetxe et al. 2016; Conneau et al. 2018):
  W = U V^T where U S V^T = svd(X^T Z), the rotation that minimises ||XW - Z||_F. Preserves
  distances inside the source space; needs the same dimension on both sides.
- **Least squares** (Mikolov et al. 2013, gensim's ``TranslationMatrix``): W = argmin
  ||XW - Z||_F with no constraint (``numpy.linalg.lstsq``; minimum-norm when underdetermined).
- **Self-learning** (Artetxe et al. 2017, VecMap): from a tiny seed dictionary, or from words
  spelled the same in both languages, alternate (1) fit W on the dictionary and (2) re-induce
  the dictionary as the mutual nearest neighbours (or mutual CSLS best matches) among the
  ``vocab_size`` most frequent words of each side, until the mean best similarity stops rising
  or ``max_iterations`` is reached.

Both vocabularies are first normalized (by default VecMap's and MUSE's "unit, center, unit":
rows to unit length, each dimension to mean zero, rows to unit length again). A
``VectorStore`` goes in and :class:`Alignment` comes out: the mapped source vectors and the
(normalized) target vectors as plain ``Vectors``, so evaluation, compression and serving use
them unchanged; and W, the method and the dictionary used. What it leaves out: dictionary
files (``bilingual.py``), retrieval (``retrieval.py``) and scoring (``bli.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer._types import FloatArray
from embedlayer.errors import ConfigError
from embedlayer.transform.bilingual import Coverage, Pair, covered_pairs, dictionary_coverage
from embedlayer.transform.retrieval import (
    Retrieval,
    check_retrieval,
    mean_topk_similarity,
    unit_rows,
)
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.vectors import Vectors

__all__ = ["DEFAULT_NORMALIZATION", "MAPPING_METHODS", "Alignment", "MappingMethod",
           "NormalizeStep", "align", "fit_mapping", "least_squares", "map_vectors",
           "normalize_vectors", "parse_normalization", "procrustes", "self_learning"]

MappingMethod = Literal["procrustes", "lstsq"]
MAPPING_METHODS: tuple[str, ...] = ("procrustes", "lstsq")
NormalizeStep = Literal["unit", "center"]
_STEPS = ("unit", "center")
# VecMap's and MUSE's usual preprocessing (Artetxe et al. 2018, "unit center unit").
DEFAULT_NORMALIZATION: tuple[NormalizeStep, ...] = ("unit", "center", "unit")

_BLOCK_SCORES = 1 << 24  # floats in one score block of the dictionary induction (64 MiB)


# --- normalization -------------------------------------------------------------------------
def parse_normalization(spec: str | Sequence[str] | None) -> tuple[NormalizeStep, ...]:
    """Steps from ``"unit,center,unit"`` (or a sequence of names); ``"none"``, ``""``, None: ()."""
    if spec is None:
        return ()
    names = spec.replace(",", " ").split() if isinstance(spec, str) else list(spec)
    if names == ["none"]:
        return ()
    for name in names:
        if name not in _STEPS:
            raise ConfigError(f"normalization step {name!r} is unknown; expected a list of "
                              f"{', '.join(_STEPS)} (e.g. 'unit,center,unit') or 'none'")
    return tuple(names)  # type: ignore[return-value]


def _normalize_matrix(matrix: Any, steps: Sequence[str]) -> FloatArray:
    out = np.array(matrix, dtype=np.float32)  # a copy, ours to change
    for step in steps:
        if step == "unit":
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.where(norms > 0, norms, 1.0)
        else:  # center: each dimension to mean zero over the vocabulary (mean in float64)
            out -= out.mean(axis=0, dtype=np.float64).astype(np.float32)
    return out


def normalize_vectors(store: VectorStore,
                      steps: str | Sequence[str] | None = DEFAULT_NORMALIZATION) -> Vectors:
    """``store``'s vectors after the normalization ``steps`` (e.g. unit, center, unit).

    "unit" scales every row to length 1 (zero rows stay zero); "center" subtracts the mean
    vector of the whole vocabulary. No steps: the store's matrix unchanged, as ``Vectors``.
    """
    _check_store(store, "normalize_vectors")
    steps = parse_normalization(steps)
    if not steps and isinstance(store, Vectors):
        return store
    oov = store.oov if isinstance(store, Vectors) else "raise"
    return Vectors(store.vocab, _normalize_matrix(store.matrix, steps), oov=oov)


# --- the mapping itself ----------------------------------------------------------------------
def procrustes(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The orthogonal W (d, d) minimising ||xW - z||_F: U V^T from svd(x^T z) (float64)."""
    x, z = _pair_arrays(x, z)
    if x.shape[1] != z.shape[1]:
        raise ConfigError(f"procrustes: an orthogonal map needs the same dimension on both "
                          f"sides, got {x.shape[1]} (source) and {z.shape[1]} (target); use "
                          f"least squares (method 'lstsq') to map between dimensions")
    u, _, vt = np.linalg.svd(x.T @ z)  # (d, d)
    return u @ vt


def least_squares(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The W (d_s, d_t) minimising ||xW - z||_F (minimum-norm when underdetermined; float64).

    The solution gensim's ``TranslationMatrix`` computes (``numpy.linalg.lstsq``).
    """
    x, z = _pair_arrays(x, z)
    return np.linalg.lstsq(x, z, rcond=None)[0]


def fit_mapping(x: np.ndarray, z: np.ndarray, method: MappingMethod = "procrustes") -> np.ndarray:
    """W from the paired rows ``x`` (n, d_s) and ``z`` (n, d_t) by ``method``."""
    _check_method(method)
    return procrustes(x, z) if method == "procrustes" else least_squares(x, z)


def map_vectors(source: VectorStore, matrix: np.ndarray, *,
                normalize: str | Sequence[str] | None = DEFAULT_NORMALIZATION) -> Vectors:
    """Every source vector, normalized by ``normalize`` then multiplied by ``matrix`` (W).

    Applies an existing mapping to a store (e.g. a larger vocabulary than it was fitted on),
    with the same normalization steps it was fitted with.
    """
    _check_store(source, "map_vectors")
    w = np.asarray(matrix, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != source.dim:
        raise ConfigError(f"map_vectors: W has shape {w.shape}; expected ({source.dim}, d_t) "
                          f"for {source.dim}-dimensional source vectors")
    normed = _normalize_matrix(source.matrix, parse_normalization(normalize))
    return Vectors(source.vocab, normed @ w.astype(np.float32))


@dataclass(frozen=True, eq=False)
class Alignment:
    """A learned cross-lingual mapping and the two vector sets it puts in one space.

    ``source``: the mapped source vectors (normalized, times W); ``target``: the target
    vectors as the mapping saw them (normalized; the input's matrix when ``normalize`` is
    empty); ``matrix``: W, (d_s, d_t) float64; ``method``: "procrustes" or "lstsq";
    ``normalize``: the steps applied to both sides; ``pairs``: the dictionary W was last
    fitted on (for self-learning, the induced one); ``iterations``: fits made (1 without
    self-learning); ``objective``: self-learning's mean best similarity after each
    iteration (empty otherwise); ``coverage``: of the dictionary given (seed or training).
    """

    source: Vectors
    target: Vectors
    matrix: np.ndarray
    method: str
    normalize: tuple[str, ...]
    pairs: tuple[Pair, ...]
    iterations: int
    objective: tuple[float, ...]
    coverage: Coverage

    def summary(self) -> dict[str, Any]:
        """The JSON-ready description (no arrays): method, steps, sizes, coverage."""
        cov = self.coverage
        return {"method": self.method, "normalize": list(self.normalize),
                "source_words": len(self.source), "target_words": len(self.target),
                "dim": [int(self.matrix.shape[0]), int(self.matrix.shape[1])],
                "pairs_fitted": len(self.pairs), "iterations": self.iterations,
                "objective": list(self.objective),
                "coverage": {"pairs": cov.pairs, "with_source": cov.with_source,
                             "with_target": cov.with_target, "both": cov.both}}


def align(source: VectorStore, target: VectorStore, pairs: Sequence[Pair], *,
          method: MappingMethod = "procrustes",
          normalize: str | Sequence[str] | None = DEFAULT_NORMALIZATION) -> Alignment:
    """Map ``source`` into ``target``'s space with W fitted on the dictionary ``pairs``.

    Pairs with a word missing on either side are left out (``alignment.coverage`` counts
    them); none left is a ``VocabError`` stating the counts. ``method``: "procrustes"
    (orthogonal; equal dimensions) or "lstsq" (unconstrained). ``normalize``: steps applied
    to both vocabularies first (default unit, center, unit; "none" for none).
    """
    _check_store(source, "align")
    _check_store(target, "align")
    _check_method(method)
    steps = parse_normalization(normalize)
    _check_dims(source, target, method)
    kept = covered_pairs(pairs, source, target)
    src, tgt = normalize_vectors(source, steps), normalize_vectors(target, steps)
    s_ids, t_ids = _ids(kept, src, tgt)
    w = fit_mapping(src.matrix[s_ids], tgt.matrix[t_ids], method)
    return Alignment(_apply(src, w), tgt, w, method, steps, tuple(kept), 1, (),
                     dictionary_coverage(pairs, source, target))


def self_learning(source: VectorStore, target: VectorStore, seed_pairs: Sequence[Pair], *,
                  method: MappingMethod = "procrustes",
                  normalize: str | Sequence[str] | None = DEFAULT_NORMALIZATION,
                  vocab_size: int = 20_000, max_iterations: int = 50,
                  induction: Retrieval = "nn", csls_k: int = 10, threshold: float = 1e-6,
                  progress: bool = True) -> Alignment:
    """VecMap-style self-learning: grow the dictionary from ``seed_pairs`` and refit W.

    Each iteration fits W on the current dictionary, then replaces the dictionary by the
    mutual best matches between the first ``vocab_size`` (most frequent) source and target
    words: pairs (x, y) where y is x's best target and x is y's best source, by cosine
    (``induction="nn"``) or by CSLS with neighbourhood ``csls_k``. It stops when the mean
    best similarity of the source words rises by less than ``threshold``, when the
    dictionary no longer changes, or after ``max_iterations`` fits. The seed may be tiny
    (5 pairs) or :func:`~embedlayer.transform.bilingual.identical_pairs`.
    """
    _check_store(source, "self_learning")
    _check_store(target, "self_learning")
    _check_method(method)
    check_retrieval(induction, csls_k)
    for name, value in (("vocab_size", vocab_size), ("max_iterations", max_iterations)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ConfigError(f"self_learning: {name} must be an integer >= 1, got {value!r}")
    steps = parse_normalization(normalize)
    _check_dims(source, target, method)
    kept = covered_pairs(seed_pairs, source, target, what="the seed dictionary")
    src, tgt = normalize_vectors(source, steps), normalize_vectors(target, steps)
    s_ids, t_ids = _ids(kept, src, tgt)
    xs = src.matrix[:vocab_size]  # (Ns, d) the most frequent words
    zt_unit = unit_rows(tgt.matrix[:vocab_size])  # (Nt, d)
    history: list[float] = []
    best = -np.inf
    iterations = 0
    bar = progress_bar(total=max_iterations, desc="self-learning", unit="it", enabled=progress)
    done = False
    with bar:
        while True:
            w = fit_mapping(src.matrix[s_ids], tgt.matrix[t_ids], method)
            iterations += 1
            bar.update(1)
            if done or iterations >= max_iterations:
                break
            mapped = unit_rows(xs @ w.astype(np.float32))
            new_s, new_t, objective = _mutual_matches(mapped, zt_unit, induction, csls_k)
            history.append(objective)
            bar.set_postfix(objective=f"{objective:.4f}", pairs=len(new_s))
            if len(new_s) == 0 or (len(new_s) == len(s_ids) and np.array_equal(new_s, s_ids)
                                   and np.array_equal(new_t, t_ids)):
                break  # nothing mutual, or the same dictionary: W already fits it
            s_ids, t_ids = new_s, new_t
            done = objective - best < threshold  # converged: one last fit on this dictionary
            best = max(best, objective)
    words_s, words_t = src.vocab.tokens, tgt.vocab.tokens
    pairs = tuple((words_s[int(i)], words_t[int(j)]) for i, j in zip(s_ids, t_ids, strict=True))
    return Alignment(_apply(src, w), tgt, w, method, steps, pairs, iterations,
                     tuple(history), dictionary_coverage(seed_pairs, source, target))


def _mutual_matches(mapped: np.ndarray, target: np.ndarray, induction: str,
                    csls_k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(source ids, target ids) of the mutual best matches, and the mean best score.

    One pass over blocks of the (Ns, Nt) score matrix keeps each row's best column and each
    column's best row (CSLS adds two passes for r_T and r_S first).
    """
    ns, nt = mapped.shape[0], target.shape[0]
    r_t = r_s = None
    if induction == "csls":
        r_t = mean_topk_similarity(mapped, target, csls_k)
        r_s = mean_topk_similarity(target, mapped, csls_k)
    row_best = np.empty(ns, dtype=np.int64)
    row_score = np.empty(ns, dtype=np.float64)
    col_best = np.zeros(nt, dtype=np.int64)
    col_score = np.full(nt, -np.inf, dtype=np.float32)
    step = max(1, _BLOCK_SCORES // max(nt, 1))
    for start in range(0, ns, step):
        block = mapped[start:start + step] @ target.T  # (B, Nt)
        if r_t is not None:
            block *= np.float32(2.0)
            block -= r_s[None, :]
            block -= r_t[start:start + step, None]
        best = block.argmax(axis=1)
        row_best[start:start + len(block)] = best
        row_score[start:start + len(block)] = block[np.arange(len(block)), best]
        cbest = block.argmax(axis=0)
        cscore = block[cbest, np.arange(nt)]
        better = cscore > col_score  # strict: ties keep the earlier (lower) source id
        col_score[better] = cscore[better]
        col_best[better] = cbest[better] + start
    src_ids = np.arange(ns, dtype=np.int64)
    mutual = col_best[row_best] == src_ids
    return src_ids[mutual], row_best[mutual], float(row_score.mean())


def _apply(src: Vectors, w: np.ndarray) -> Vectors:
    return Vectors(src.vocab, src.matrix @ w.astype(np.float32))


def _ids(pairs: Sequence[Pair], src: Vectors, tgt: Vectors) -> tuple[np.ndarray, np.ndarray]:
    s_ids = np.fromiter((src.vocab.get(s) for s, _ in pairs), dtype=np.int64, count=len(pairs))
    t_ids = np.fromiter((tgt.vocab.get(t) for _, t in pairs), dtype=np.int64, count=len(pairs))
    return s_ids, t_ids


def _pair_arrays(x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    if x.ndim != 2 or z.ndim != 2 or x.shape[0] != z.shape[0] or x.shape[0] == 0:
        raise ConfigError(f"a mapping needs paired rows (n, d_s) and (n, d_t) with n >= 1, got "
                          f"shapes {x.shape} and {z.shape}")
    return x, z


def _check_store(store: Any, where: str) -> None:
    if not isinstance(store, VectorStore):
        raise ConfigError(f"{where}: expected a VectorStore (Vectors, SubwordVectors...), got "
                          f"{type(store).__name__}")


def _check_method(method: Any) -> None:
    if method not in MAPPING_METHODS:
        raise ConfigError(f"mapping method must be one of {', '.join(MAPPING_METHODS)}, got "
                          f"{method!r}")


def _check_dims(source: VectorStore, target: VectorStore, method: str) -> None:
    if method == "procrustes" and source.dim != target.dim:
        raise ConfigError(f"the source vectors have {source.dim} dimensions and the target "
                          f"vectors {target.dim}: an orthogonal (Procrustes) map needs the same "
                          f"dimension on both sides; use method 'lstsq' to map between "
                          f"dimensions")
