"""Document similarity on the Lee set: Pearson r of document cosines with human ratings.

What it holds: the Lee evaluators. :func:`evaluate_lee` tokenizes the documents (regex,
lower-cased by default) and composes one vector each from a word-vector store (any
composition of ``vectors.compose``, or SIF fitted on a corpus of the caller's choice);
:func:`evaluate_docsim` takes any ``Encoder`` instead (a transformer, whose long documents are
split into windows and pooled by the encoder itself, a static or a TF-IDF encoder), or several
whose cosine matrices are mixed with fixed weights. Either way the cosine of every pair in the
upper triangle (1,225 pairs for 50 documents) is correlated with the mean human rating.
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

__all__ = ["DocComposition", "DocSimResult", "EncoderDocSimResult", "evaluate_docsim",
           "evaluate_lee", "load_lee"]

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
    r, rho, pairs = _correlate(_cosines(vecs), ds)
    return DocSimResult(
        dataset="lee-docsim", composition=composition, pearson=r, spearman=rho, pairs=pairs,
        documents=len(docs), tokens=stats.tokens, oov_tokens=stats.oov_tokens,
        empty_documents=stats.empty_documents,
    )


def _cosines(vectors: Any) -> np.ndarray:
    """(n, n) cosines of the rows (a zero row has cosine 0 with everything)."""
    vecs = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    unit = vecs / np.where(norms > 0, norms, 1.0)
    return unit @ unit.T


def _correlate(sims: np.ndarray, ds: DocSimSet) -> tuple[float, float, int]:
    """Pearson and Spearman r of the upper triangle's similarities with the ratings."""
    iu = np.triu_indices(len(ds.documents), k=1)
    return pearson(sims[iu], ds.ratings[iu]), spearman(sims[iu], ds.ratings[iu]), len(iu[0])


@dataclass(frozen=True)
class EncoderDocSimResult:
    """Document similarity through encoders: their identities, mixing weights and r."""

    dataset: str
    encoders: list[dict[str, Any]]  # each encoder's identity()
    weights: list[float]  # each encoder's share of the mixed cosine
    pearson: float
    spearman: float
    pairs: int
    documents: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_docsim(
    encoders: Any | Sequence[Any],
    *,
    weights: Sequence[float] | None = None,
    docsim: DocSimSet | None = None,
    dataset: str | None = None,
    progress: bool = False,
) -> EncoderDocSimResult:
    """Pearson (and Spearman) r between the documents' cosines and the ratings (Lee unless
    ``docsim`` is given), the documents encoded by one ``Encoder`` or several.

    With several encoders the similarity of a pair is ``sum(weight_e * cosine_e)``;
    ``weights`` (>= 0, not all 0) default to equal shares. Fix them in advance: the Lee set
    has no development split to choose them on. ``dataset`` labels the result (default:
    ``lee-docsim``, or ``docsim`` for a set passed in).
    """
    group = list(encoders) if isinstance(encoders, list | tuple) else [encoders]
    if not group:
        raise ConfigError("evaluate_docsim: no encoder; expected one or more")
    for enc in group:
        if isinstance(enc, str | bytes) or not callable(getattr(enc, "encode", None)):
            raise ConfigError(f"evaluate_docsim: {type(enc).__name__} is not an encoder "
                              f"(no encode(texts))")
    shares = [1.0 / len(group)] * len(group) if weights is None else list(weights)
    if len(shares) != len(group) or any(
            isinstance(w, bool) or not isinstance(w, int | float) or not w >= 0
            for w in shares) or not sum(shares) > 0:
        raise ConfigError(f"evaluate_docsim: weights must be {len(group)} number(s) >= 0, "
                          f"not all 0; got {weights!r}")
    ds = docsim or load_lee(progress=progress)
    sims = sum(float(w) * _cosines(enc.encode(ds.documents, progress=progress))
               for w, enc in zip(shares, group, strict=True))
    r, rho, pairs = _correlate(np.asarray(sims), ds)
    identities = [enc.identity() if callable(getattr(enc, "identity", None))
                  else {"kind": type(enc).__name__} for enc in group]
    label = dataset or ("lee-docsim" if docsim is None else "docsim")
    return EncoderDocSimResult(label, identities,
                               [float(w) for w in shares], r, rho, pairs, len(ds.documents))
