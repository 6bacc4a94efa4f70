"""The first value of an embedding matrix: pretrained rows where there are some, a policy elsewhere.

What it holds: ``CoverageReport`` (how many vocabulary words found a pretrained vector) and
``initial_matrix``, which builds the (V, D) float32 tensor once from a ``Vocab`` and an optional
``VectorStore``. Rules, in order:

- the padding row is zeros;
- special tokens (``<unk>``, ``<s>``...) are not words: they are never looked up in the vectors
  and are not counted in the coverage; they get the random policy (``"subword"`` and ``"zeros"``
  layers give them ``"normal"`` rows, so ``<unk>`` is not a zero or n-gram vector);
- every other token takes the store's row for the exact token, else for its lower-case form
  (``"Paris"`` -> ``"paris"``: vectors trained on lower-cased text still cover a cased
  vocabulary; the reverse is not tried);
- the rest follows ``oov_init``: ``"normal"`` / ``"uniform"`` draw rows with the per-dimension
  mean and standard deviation of the pretrained rows found (``uniform`` on
  mean +- sqrt(3) * std, which has that std); without vectors (or with fewer than two rows
  found) the defaults are N(0, 1), as ``torch.nn.Embedding``, and U(-0.05, 0.05), as Keras's
  ``Embedding`` of the project's founding example. ``"zeros"`` gives zero rows; ``"subword"``
  composes the word from its character n-grams with a ``SubwordVectors`` store (fastText's
  vector for an unknown word).

Random rows come from a ``torch.Generator`` seeded with ``seed``, in id order: the same
arguments give the same matrix. What it leaves out: the module itself (``embedding.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.subword import SubwordVectors
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import Vocab

__all__ = ["OOV_INITS", "CoverageReport", "OOVInit", "initial_matrix"]

OOVInit = Literal["normal", "uniform", "zeros", "subword"]
OOV_INITS: tuple[str, ...] = ("normal", "uniform", "zeros", "subword")
_SHOW_MISSING = 10  # words named in the report; the count says how many there are
_UNIFORM_DEFAULT = 0.05  # Keras Embedding's RandomUniform(-0.05, 0.05)


@dataclass(frozen=True)
class CoverageReport:
    """How many vocabulary words found a pretrained vector, and what the others got.

    ``total`` counts the words of the vocabulary (special tokens and the padding row are not
    words); ``found`` those that took a pretrained row, ``lowercased`` of which through their
    lower-case form; ``missing`` names the first few of the others (in id order), which were
    initialized by ``policy``. ``rate = found / total`` (0.0 for an empty vocabulary).
    """

    found: int
    total: int
    missing: list[str]
    policy: str
    lowercased: int = 0
    source: str = ""  # repr() of the vector store; "" when there was none
    rate: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", self.found / self.total if self.total else 0.0)

    def __str__(self) -> str:
        rest = self.total - self.found
        if not self.source:
            return f"no pretrained vectors: all {self.total:,} word rows initialized {self.policy!r}"
        via = f", {self.lowercased:,} through their lower-case form" if self.lowercased else ""
        head = (f"{self.found:,} of {self.total:,} words ({100 * self.rate:.1f}%) found a "
                f"pretrained vector in {self.source}{via}")
        if not rest:
            return head
        eg = ", ".join(self.missing[:5])
        were = "was" if rest == 1 else "were"
        return f"{head}; the other {rest:,} {were} initialized {self.policy!r} (e.g. {eg})"


def _pretrained_rows(vectors: VectorStore, keys: list[str], rows: list[int]) -> np.ndarray:
    """(len(keys), D) float32 rows of ``vectors`` for keys it holds (row ids given)."""
    if isinstance(vectors, Vectors):
        return vectors.lookup_ids(np.asarray(rows, dtype=np.int64))
    # Other stores compose or decompress only the rows asked for (SubwordVectors does not
    # build its whole composed matrix for this).
    return np.asarray(vectors.lookup(keys), dtype=np.float32)


def _random_rows(n: int, dim: int, policy: str, stats: tuple[np.ndarray, np.ndarray] | None,
                 gen: torch.Generator) -> torch.Tensor:
    """(n, dim) float32 rows drawn by ``policy`` ("normal" or "uniform"), scaled in place."""
    if policy == "uniform":
        rows = torch.rand((n, dim), generator=gen).mul_(2).sub_(1)  # U(-1, 1)
        if stats is None:
            return rows.mul_(_UNIFORM_DEFAULT)
        mean, std = stats
        spread = torch.from_numpy((np.sqrt(3.0) * std).astype(np.float32))
    else:
        rows = torch.randn((n, dim), generator=gen)
        if stats is None:
            return rows
        mean, std = stats
        spread = torch.from_numpy(std.astype(np.float32))
    return rows.mul_(spread).add_(torch.from_numpy(mean.astype(np.float32)))


def initial_matrix(
    vocab: Vocab,
    dim: int,
    vectors: VectorStore | None,
    oov_init: str,
    padding_idx: int | None,
    seed: int,
) -> tuple[torch.Tensor, CoverageReport]:
    """The (len(vocab), dim) float32 starting matrix and its coverage (rules: module docstring).

    Arguments are already validated by the caller (``EmbeddingLayer``).
    """
    tokens = vocab.tokens
    n_special = len(vocab.specials)
    words = [i for i in range(n_special, len(tokens)) if i != padding_idx]
    found_ids: list[int] = []  # vocabulary rows with a pretrained vector
    keys: list[str] = []  # ... the store's key for each
    rows: list[int] = []  # ... and its row in the store
    missing_ids: list[int] = []
    lowercased = 0
    if vectors is not None:
        get = vectors.vocab.get
        for i in words:
            tok = tokens[i]
            key, j = tok, get(tok)
            if j is None:
                low = tok.lower()
                if low != tok:
                    key, j = low, get(low)
                    lowercased += j is not None
            if j is None:
                missing_ids.append(i)
            else:
                found_ids.append(i)
                keys.append(key)
                rows.append(j)
    else:
        missing_ids = words
    pre = (_pretrained_rows(vectors, keys, rows) if found_ids and vectors is not None
           else np.zeros((0, dim), dtype=np.float32))
    stats = None
    if len(found_ids) >= 2:  # one row has no spread to scale to
        pre64 = pre.astype(np.float64)
        stats = (pre64.mean(axis=0), pre64.std(axis=0))

    weight = torch.zeros((len(tokens), dim), dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    specials = [i for i in range(n_special) if i != padding_idx]
    if oov_init in ("normal", "uniform"):
        todo = sorted(specials + missing_ids)
        if todo:
            weight[todo] = _random_rows(len(todo), dim, oov_init, stats, gen)
    else:  # "zeros" / "subword": specials still get distinct random rows
        if specials:
            weight[specials] = _random_rows(len(specials), dim, "normal", stats, gen)
        if oov_init == "subword" and missing_ids:
            composed = np.asarray(vectors.lookup([tokens[i] for i in missing_ids]),  # type: ignore[union-attr]
                                  dtype=np.float32)
            weight[missing_ids] = torch.from_numpy(composed)
    if found_ids:
        weight[found_ids] = torch.from_numpy(np.ascontiguousarray(pre, dtype=np.float32))
    report = CoverageReport(
        found=len(found_ids),
        total=len(words),
        missing=[tokens[i] for i in missing_ids[:_SHOW_MISSING]],
        policy=oov_init,
        lowercased=lowercased,
        source=repr(vectors) if vectors is not None else "",
    )
    return weight, report


def is_subword_store(vectors: object) -> bool:
    """Whether ``vectors`` can compose unknown words from n-grams (``oov_init="subword"``)."""
    return isinstance(vectors, SubwordVectors)
