"""Bilingual lexicon induction (BLI): how often the mapped space translates words right.

The standard intrinsic score of a cross-lingual mapping (Mikolov et al. 2013; MUSE; VecMap):
for each source word of a held-out dictionary, retrieve its k best target words among the
whole target vocabulary (nearest neighbour or CSLS, ``retrieval.py``); it counts as correct
at k when any of its gold translations is among them. P@k = correct / source words scored.
Only pairs with both words in the vectors can be scored: the coverage (pairs read, with the
source word, the target word, both) is reported beside every score, never hidden.
:func:`cross_validate_bli` deals the dictionary's source words into k folds, fits a mapping
on the other folds' pairs (any function of the training pairs: supervised, or self-learning
that uses them only as a seed, or not at all) and scores the held-out fold. What it leaves
out: the mapping (``crosslingual.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from embedlayer.errors import ConfigError
from embedlayer.transform.bilingual import (
    Coverage,
    Pair,
    covered_pairs,
    dictionary_coverage,
    split_folds,
)
from embedlayer.transform.crosslingual import Alignment
from embedlayer.transform.retrieval import Retrieval, check_retrieval, search, unit_rows
from embedlayer.vectors.base import VectorStore

__all__ = ["BLIResult", "CrossValidation", "cross_validate_bli", "evaluate_bli"]


@dataclass(frozen=True)
class BLIResult:
    """P@k of one held-out dictionary.

    ``correct``: k -> source words with a gold translation among their k best; ``queries``:
    distinct source words scored (those with at least one pair covered on both sides);
    ``coverage``: of the test pairs; ``retrieval``: "nn" or "csls".
    """

    correct: dict[int, int]
    queries: int
    coverage: Coverage
    retrieval: str

    @property
    def precision(self) -> dict[int, float]:
        """k -> P@k in [0, 1] (NaN when no word was scored)."""
        return {k: c / self.queries if self.queries else float("nan")
                for k, c in self.correct.items()}


@dataclass(frozen=True)
class CrossValidation:
    """BLI over k folds: the per-fold results and the pooled P@k.

    ``folds``: one :class:`BLIResult` per fold; ``coverage``: of the whole dictionary;
    ``train_pairs``: pairs (covered) each fold's mapping was fitted with.
    """

    retrieval: str
    folds: tuple[BLIResult, ...]
    coverage: Coverage
    train_pairs: tuple[int, ...]

    @property
    def queries(self) -> int:
        """Source words scored over all folds (each exactly once)."""
        return sum(f.queries for f in self.folds)

    @property
    def precision(self) -> dict[int, float]:
        """k -> P@k pooled over the folds (total correct / total words scored)."""
        total = self.queries
        ks = self.folds[0].correct if self.folds else {}
        return {k: sum(f.correct[k] for f in self.folds) / total if total else float("nan")
                for k in ks}


def _check_ks(ks: Sequence[int]) -> tuple[int, ...]:
    ks = tuple(ks)
    if not ks or any(isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1
                     for k in ks):
        raise ConfigError(f"ks must be a non-empty list of integers >= 1, got {ks!r}")
    return tuple(sorted(set(int(k) for k in ks)))


def evaluate_bli(mapped: VectorStore, target: VectorStore, pairs: Sequence[Pair], *,
                 ks: Sequence[int] = (1, 5, 10), retrieval: Retrieval = "nn",
                 csls_k: int = 10, restrict_vocab: int | None = None) -> BLIResult:
    """P@k of translating the source words of ``pairs`` from ``mapped`` into ``target``.

    ``mapped``: source vectors already mapped (``Alignment.source``); ``target``: the target
    vectors in the same space (``Alignment.target``). Every target word is a candidate
    (``restrict_vocab``: only the first N, and only the first N mapped words for CSLS's r_S;
    a gold word beyond them counts as a miss).
    A dictionary with no pair covered on both sides is a ``VocabError`` stating the counts.
    """
    ks = _check_ks(ks)
    check_retrieval(retrieval, csls_k)
    if restrict_vocab is not None and (isinstance(restrict_vocab, bool) or restrict_vocab < 1):
        raise ConfigError(f"evaluate_bli: restrict_vocab must be >= 1 or None, got "
                          f"{restrict_vocab!r}")
    if mapped.dim != target.dim:
        raise ConfigError(f"evaluate_bli: the mapped vectors have {mapped.dim} dimensions and "
                          f"the target vectors {target.dim}; expected the same")
    coverage = dictionary_coverage(pairs, mapped, target)
    limit = restrict_vocab or None
    gold: dict[int, set[int]] = {}
    for s, t in covered_pairs(pairs, mapped, target, what="the test dictionary"):
        gold.setdefault(mapped.vocab.get(s), set()).add(target.vocab.get(t))
    queries = np.fromiter(gold, dtype=np.int64, count=len(gold))
    tgt = unit_rows(target.matrix[:limit])
    src = unit_rows(mapped.matrix[:limit]) if retrieval == "csls" else None
    top, _ = search(unit_rows(mapped.matrix[queries]), tgt, max(ks), retrieval=retrieval,
                    csls_k=csls_k, source=src)
    correct = dict.fromkeys(ks, 0)
    for q, row in zip(queries, top, strict=True):
        hits = np.isin(row, list(gold[int(q)]))
        for k in ks:
            correct[k] += bool(hits[:k].any())
    return BLIResult(correct, len(queries), coverage, retrieval)


def cross_validate_bli(source: VectorStore, target: VectorStore, pairs: Sequence[Pair],
                       fit: Callable[[list[Pair], list[Pair]], Alignment], *, folds: int = 5,
                       seed: int = 0, ks: Sequence[int] = (1, 5, 10),
                       retrievals: Sequence[Retrieval] = ("nn",), csls_k: int = 10,
                       restrict_vocab: int | None = None) -> dict[str, CrossValidation]:
    """k-fold BLI over the dictionary's source words: retrieval mode -> :class:`CrossValidation`.

    The pairs covered on both sides are split by :func:`~embedlayer.transform.bilingual.
    split_folds` (``folds``, ``seed``); for each fold ``fit(train_pairs, test_pairs)`` returns
    an :class:`~embedlayer.transform.crosslingual.Alignment` (``test_pairs`` is given only so
    a fit can keep those words out of its seed, e.g. identical strings), whose vectors are
    scored on the fold's pairs with every mode of ``retrievals``. A fit must not look at the
    test pairs otherwise.
    """
    ks = _check_ks(ks)
    for mode in retrievals:
        check_retrieval(mode, csls_k)
    if not retrievals:
        raise ConfigError("cross_validate_bli: retrievals is empty; expected 'nn' and/or 'csls'")
    coverage = dictionary_coverage(pairs, source, target)
    kept = covered_pairs(pairs, source, target)
    results: dict[str, list[BLIResult]] = {m: [] for m in retrievals}
    train_sizes = []
    for train, test in split_folds(kept, folds, seed=seed):
        alignment = fit(train, test)
        train_sizes.append(len(train))
        for mode in retrievals:
            results[mode].append(evaluate_bli(alignment.source, alignment.target, test, ks=ks,
                                              retrieval=mode, csls_k=csls_k,
                                              restrict_vocab=restrict_vocab))
    return {mode: CrossValidation(mode, tuple(r), coverage, tuple(train_sizes))
            for mode, r in results.items()}
