"""Word-pair similarity: Spearman and Pearson correlation of model cosines with human scores.

What it holds: one scoring function and its result type. The out-of-vocabulary policy is
explicit and always reported with the numbers: ``skip`` leaves pairs with an unknown word
out (coverage < 100 %), ``zero`` scores them 0 (gensim's ``dummy4unknown``), ``mean`` gives
unknown words the mean vector of the (restricted) vocabulary, ``compose`` builds them from
their character n-grams (fastText models, ``SubwordVectors``, only; as ``store[word]``
does). Coverage always counts the pairs with an unknown word, whatever the policy. Matching follows gensim's
``evaluate_word_pairs``: the first ``restrict_vocab`` rows, case-insensitive by default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from embedlayer._types import PathLike
from embedlayer.data.readers import WordPairs, read_word_pairs, resolve_benchmark
from embedlayer.errors import ConfigError
from embedlayer.eval._lookup import WordIndex
from embedlayer.eval._stats import pearson, spearman

__all__ = ["OOVPairPolicy", "WordSimResult", "evaluate_word_pairs"]

OOVPairPolicy = Literal["skip", "zero", "mean", "compose"]
_POLICIES = ("skip", "zero", "mean", "compose")


@dataclass(frozen=True)
class WordSimResult:
    """One word-pair similarity run: Spearman and Pearson correlation, coverage and OOV policy."""

    dataset: str
    spearman: float
    pearson: float
    pairs: int  # pairs in the file
    oov_pairs: int  # pairs with at least one word outside the (restricted) vocabulary
    scored: int  # pairs that entered the correlation
    oov: OOVPairPolicy
    case_insensitive: bool
    restrict_vocab: int | None

    @property
    def coverage(self) -> float:
        """Share of pairs whose two words are both known."""
        return (self.pairs - self.oov_pairs) / self.pairs if self.pairs else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "coverage": self.coverage}


def _load(pairs: WordPairs | PathLike) -> WordPairs:
    if isinstance(pairs, WordPairs):
        return pairs
    path = resolve_benchmark(pairs)
    name = str(pairs) if not str(pairs).endswith(path.name) else path.stem
    return read_word_pairs(path, name=name)


def _composes(store: Any) -> bool:
    from embedlayer.vectors.subword import SubwordVectors

    return isinstance(store, SubwordVectors)


def evaluate_word_pairs(
    store: Any,
    pairs: WordPairs | PathLike,
    *,
    oov: OOVPairPolicy = "skip",
    case_insensitive: bool = True,
    restrict_vocab: int | None = None,
) -> WordSimResult:
    """Correlate cosine similarities with the gold scores of ``pairs`` (a file, name or set)."""
    if oov not in _POLICIES:
        raise ConfigError(f"oov must be one of {', '.join(_POLICIES)}, got {oov!r}")
    if oov == "compose" and not _composes(store):
        raise ConfigError(f"oov='compose' builds unknown words from character n-grams, which "
                          f"only fastText models have; these {type(store).__name__} have none: "
                          f"use oov='skip', oov='zero' or oov='mean'")
    wp = _load(pairs)
    index = WordIndex(store, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    ids = np.array([[index.get(a), index.get(b)] for a, b in wp.pairs], dtype=object)
    known = np.array([a is not None and b is not None for a, b in ids], dtype=bool)
    n_oov = int((~known).sum())
    matrix = store.matrix
    if oov == "mean":
        mean = np.asarray(matrix[: index.limit], dtype=np.float64).mean(axis=0)
    sims = np.zeros(len(wp.pairs), dtype=np.float64)
    for k, (a, b) in enumerate(ids):
        if a is not None and b is not None:
            va, vb = matrix[a], matrix[b]
        elif oov == "mean":
            va = matrix[a] if a is not None else mean
            vb = matrix[b] if b is not None else mean
        elif oov == "compose":  # the word as the dataset writes it, composed from n-grams
            word_a, word_b = wp.pairs[k]
            va = matrix[a] if a is not None else store[word_a]
            vb = matrix[b] if b is not None else store[word_b]
        else:
            continue  # skip: left out below; zero: stays 0
        va = np.asarray(va, dtype=np.float64)
        vb = np.asarray(vb, dtype=np.float64)
        denom = np.linalg.norm(va) * np.linalg.norm(vb)
        sims[k] = va @ vb / denom if denom > 0 else 0.0
    # With nothing to score (no pair known under 'skip') the correlations are NaN, shown
    # next to a coverage of 0 rather than raised, so a suite over many sets still completes.
    use = known if oov == "skip" else np.ones_like(known)
    gold = wp.scores[use]
    model = sims[use]
    return WordSimResult(
        dataset=wp.name, spearman=spearman(gold, model), pearson=pearson(gold, model),
        pairs=len(wp.pairs), oov_pairs=n_oov, scored=int(use.sum()), oov=oov,
        case_insensitive=case_insensitive, restrict_vocab=restrict_vocab,
    )
