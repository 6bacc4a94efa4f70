"""Document similarity on the Lee set: Pearson r of document cosines with human ratings.

What it holds: the Lee evaluator. Documents are tokenized (regex, lower-cased by default),
composed into one vector each (any composition of ``vectors.compose``, or SIF fitted on a
corpus of the caller's choice), and the cosine of every pair in the upper triangle (1,225
pairs for 50 documents) is correlated with the mean human rating.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from embedlayer.data.readers import DocSimSet, read_lee_docsim, resolve_benchmark
from embedlayer.errors import ConfigError
from embedlayer.eval._stats import pearson, spearman
from embedlayer.vectors.compose import ComposeStats, compose_many

__all__ = ["DocSimResult", "DocComposition", "evaluate_lee", "load_lee"]

DocComposition = Literal["mean", "sum", "sif"]


@dataclass(frozen=True)
class DocSimResult:
    """Lee document similarity: Pearson r between the vectors' cosines and the human ratings."""

    dataset: str
    composition: DocComposition
    pearson: float
    spearman: float
    pairs: int
    documents: int
    tokens: int
    oov_tokens: int
    empty_documents: int

    @property
    def coverage(self) -> float:
        """Share of document tokens that had a vector."""
        return 1.0 - self.oov_tokens / self.tokens if self.tokens else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "coverage": self.coverage}


def load_lee(*, progress: bool = True) -> DocSimSet:
    """The Lee set (50 documents, 1,225 rated pairs) from the registry, verified by sha256.

    ``progress``: show a progress bar if the set has to be downloaded.
    """
    folder = resolve_benchmark("lee-docsim", progress=progress)
    return read_lee_docsim(folder / "lee.cor", folder / "similarities0-1.txt")


def evaluate_lee(
    store: Any,
    *,
    composition: DocComposition = "mean",
    tokenizer: str = "regex",
    lowercase: bool = True,
    sif_corpus: Iterable[Sequence[str]] | None = None,
    docsim: DocSimSet | None = None,
) -> DocSimResult:
    """Pearson (and Spearman) r between composed-document cosines and the Lee ratings.

    ``composition="sif"`` fits SIF word weights and the common component on ``sif_corpus``
    (token lists, re-iterable; e.g. the Lee background corpus), or on the 50 documents when
    none is given.
    """
    from embedlayer.text import get_tokenizer

    if composition not in ("mean", "sum", "sif"):
        raise ConfigError(f"composition must be 'mean', 'sum' or 'sif', got {composition!r}")
    ds = docsim or load_lee()
    tok = get_tokenizer(tokenizer, lowercase=lowercase)
    docs = list(tok.tokenize_many(ds.documents))
    stats = ComposeStats()
    if composition == "sif":
        from embedlayer.vectors.sif import SIF

        sif = SIF(store).fit(sif_corpus if sif_corpus is not None else docs)
        vecs = sif.transform(docs, stats=stats)
    else:
        vecs = compose_many(store, docs, method=composition, stats=stats)
    vecs = np.asarray(vecs, dtype=np.float64)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    unit = vecs / np.where(norms > 0, norms, 1.0)
    sims = unit @ unit.T
    iu = np.triu_indices(len(docs), k=1)
    return DocSimResult(
        dataset="lee-docsim", composition=composition,
        pearson=pearson(sims[iu], ds.ratings[iu]), spearman=spearman(sims[iu], ds.ratings[iu]),
        pairs=len(iu[0]), documents=len(docs), tokens=stats.tokens, oov_tokens=stats.oov_tokens,
        empty_documents=stats.empty_documents,
    )
