"""Retrofitting (Faruqui et al., 2015): pull each word's vector toward its lexicon neighbours.

With q̂_i the original vector of word i and E the lexicon's edges between words that both
have vectors, retrofitting minimizes

    sum_i [ alpha_i ||q_i - q̂_i||² + sum_{(i,j) in E} beta_ij ||q_i - q_j||² ]

by the iterative update of the paper (eq. 1), repeated ``iterations`` times:

    q_i = (alpha q̂_i + sum_j beta_ij q_j) / (alpha + sum_j beta_ij)

with alpha = 1 and beta_ij = 1 / degree(i) by default (so q_i = (q̂_i + mean_j q_j) / 2) and
10 iterations. Rows are updated in place in vocabulary order (Gauss-Seidel, as the authors'
reference code, which writes each new vector into the dictionary it reads the neighbours
from). Like that code, the input vectors are unit-normalized first (``normalize=True``).

Antonym repulsion (optional, a counter-fitting-style term after Mrkšić et al. 2016, much
simplified): with an antonym lexicon, the objective also has a term -gamma_ik ||q_i - q_k||²
for each antonym k of i whose cosine with q_i exceeds ``antonym_margin`` (the hinge: antonyms
already that far apart are left alone), gamma_ik = ``antonym_weight`` / (i's antonym count).
That term is concave, so each update minimizes its linearization at the current q_i (a
majorize-minimize step):

    q_i = (alpha q̂_i + sum_j beta_ij q_j + sum_k gamma_ik (q_i - q_k)) / (alpha + sum_j beta_ij)

which pushes q_i away from q_k along their difference. It is not Mrkšić et al.'s objective
(no synonym margin, no vector-space-preservation term over neighbourhoods).

What it holds: :func:`retrofit` (a ``VectorStore`` in, ``Vectors`` out) and
:func:`lexicon_graph` (the lexicon as CSR arrays over a vocabulary). The sweep itself is the
numba kernel ``_kernels.retrofit_sweep``. What it leaves out: reading lexicons
(``embedlayer.data.lexicons``) and evaluation (``embedlayer.eval``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedlayer.data.lexicons import Lexicon
from embedlayer.errors import ConfigError
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import Vocab

__all__ = ["LexiconGraph", "lexicon_graph", "retrofit"]

# Show a progress bar when one sweep touches at least this many floats (edges x dim).
_PROGRESS_WORK = 20_000_000


@dataclass(frozen=True, eq=False)
class LexiconGraph:
    """A lexicon restricted to a vocabulary: row i's neighbours are vocabulary ids
    ``indices[indptr[i]:indptr[i + 1]]`` (sorted, no self-loop, no repeat).

    ``words_in_vocab`` counts the lexicon's words that are keys; ``connected`` the keys that
    keep at least one neighbour.
    """

    indptr: np.ndarray    # (len(vocab) + 1,) int64
    indices: np.ndarray   # (num_edges,) int32
    words_in_vocab: int

    @property
    def num_edges(self) -> int:
        """Edges whose two ends are both keys."""
        return int(self.indices.shape[0])

    @property
    def degrees(self) -> np.ndarray:
        """(len(vocab),) int64: each key's number of neighbours among the keys."""
        return np.diff(self.indptr)

    @property
    def connected(self) -> int:
        """Keys with at least one neighbour."""
        return int(np.count_nonzero(self.degrees))


def lexicon_graph(lexicon: Lexicon, vocab: Vocab) -> LexiconGraph:
    """``lexicon``'s edges between two keys of ``vocab``, as CSR arrays over its ids.

    Words are matched exactly (a lower-cased lexicon meets only lower-case keys).
    """
    to_vocab = np.fromiter((vocab.get(w, -1) for w in lexicon.words), dtype=np.int64,
                           count=len(lexicon.words))
    heads = np.repeat(to_vocab, lexicon.degrees)        # (edges,) head's vocab id or -1
    tails = to_vocab[lexicon.indices]                   # (edges,) neighbour's vocab id or -1
    keep = (heads >= 0) & (tails >= 0) & (heads != tails)
    pairs = np.unique(np.stack([heads[keep], tails[keep]], axis=1), axis=0)  # sorted, unique
    if pairs.size == 0:
        pairs = np.zeros((0, 2), dtype=np.int64)
    counts = np.bincount(pairs[:, 0], minlength=len(vocab))
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return LexiconGraph(indptr, pairs[:, 1].astype(np.int32),
                        int(np.count_nonzero(to_vocab >= 0)))


def _check_number(name: str, value: object, *, low: float, high: float | None = None,
                  low_open: bool = False) -> float:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    v = float(value) if ok else float("nan")  # type: ignore[arg-type]
    if not ok or not np.isfinite(v) or v < low or (low_open and v == low) or \
            (high is not None and v > high):
        span = f"{'>' if low_open else '>='} {low:g}" + ("" if high is None else
                                                          f" and <= {high:g}")
        raise ConfigError(f"retrofit: {name} must be a number {span}, got {value!r}")
    return v


def _edge_weights(graph: LexiconGraph, beta: float | None) -> np.ndarray:
    """(num_edges,) float32: beta_ij = 1 / degree(i), or the constant ``beta``."""
    if beta is not None:
        return np.full(graph.num_edges, beta, dtype=np.float32)
    deg = graph.degrees
    return np.repeat(1.0 / np.maximum(deg, 1), deg).astype(np.float32)


def retrofit(
    vectors: VectorStore, lexicon: Lexicon, *, iterations: int = 10, alpha: float = 1.0,
    beta: float | None = None, normalize: bool = True, antonyms: Lexicon | None = None,
    antonym_weight: float = 0.5, antonym_margin: float = 0.0, progress: bool = True,
) -> Vectors:
    """``vectors`` retrofitted to ``lexicon`` (Faruqui et al. 2015): new ``Vectors``.

    Each key with neighbours among the keys is updated ``iterations`` times (Gauss-Seidel,
    vocabulary order) to ``(alpha q̂_i + sum_j beta_ij q_j) / (alpha + sum_j beta_ij)``;
    ``beta`` None means beta_ij = 1 / degree(i) (the paper's choice), a number a constant
    weight. ``normalize``: unit-normalize the input rows first, as the reference code does
    (zero rows stay zero); keys without neighbours keep their (normalized) vector.
    ``antonyms``: an antonym lexicon (``wordnet_lexicon("antonyms")``) whose pairs repel
    while their cosine exceeds ``antonym_margin``, with strength ``antonym_weight`` >= 0
    (see the module docstring). Raises ``ConfigError`` when no lexicon edge joins
    two keys (the counts say why). The result keeps the keys and, for ``Vectors``, the OOV
    policy; ``progress`` shows a bar over iterations on large inputs.
    """
    from embedlayer._progress import progress_bar
    from embedlayer.transform._kernels import retrofit_sweep

    if not isinstance(vectors, VectorStore):
        raise ConfigError(f"retrofit: expected a VectorStore (Vectors, SubwordVectors...), "
                          f"got {type(vectors).__name__}")
    for name, lex in (("lexicon", lexicon), ("antonyms", antonyms)):
        if lex is not None and not isinstance(lex, Lexicon):
            raise ConfigError(f"retrofit: {name} must be a Lexicon (embedlayer.data.lexicons), "
                              f"got {type(lex).__name__}")
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer) \
            or iterations < 0:
        raise ConfigError(f"retrofit: iterations must be an integer >= 0, got {iterations!r}")
    alpha = _check_number("alpha", alpha, low=0.0, low_open=True)
    if beta is not None:
        beta = _check_number("beta", beta, low=0.0, low_open=True)
    antonym_weight = _check_number("antonym_weight", antonym_weight, low=0.0)
    antonym_margin = _check_number("antonym_margin", antonym_margin, low=-1.0, high=1.0)

    vocab = vectors.vocab
    graph = lexicon_graph(lexicon, vocab)
    if graph.num_edges == 0:
        raise ConfigError(
            f"retrofit: the lexicon {lexicon.name!r} ({len(lexicon):,} words, "
            f"{lexicon.num_edges:,} edges) has no edge between two of the {len(vocab):,} keys "
            f"of these vectors ({graph.words_in_vocab:,} of its words are keys); words match "
            f"exactly, and lexicons are lower-cased"
        )
    q_hat = np.array(vectors.matrix, dtype=np.float32)  # (N, d) a private copy
    if normalize:
        norms = np.linalg.norm(q_hat, axis=1, keepdims=True)
        np.divide(q_hat, norms, out=q_hat, where=norms > 0)
    weights = _edge_weights(graph, beta)
    if antonyms is not None:
        ant = lexicon_graph(antonyms, vocab)
        ant_w = np.repeat(antonym_weight / np.maximum(ant.degrees, 1),
                          ant.degrees).astype(np.float32)
        ant_indptr, ant_indices = ant.indptr, ant.indices
        moving = (graph.degrees > 0) | (ant.degrees > 0)
    else:
        ant_indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        ant_indices = np.zeros(0, dtype=np.int32)
        ant_w = np.zeros(0, dtype=np.float32)
        moving = graph.degrees > 0
    rows = np.flatnonzero(moving).astype(np.int64)
    q = q_hat.copy()
    buf = np.empty(q.shape[1], dtype=np.float64)
    big = (graph.num_edges + ant_indices.shape[0]) * max(q.shape[1], 1) >= _PROGRESS_WORK
    with progress_bar(total=int(iterations), desc="retrofit", unit="iter",
                      enabled=progress and big) as bar:
        for _ in range(int(iterations)):
            retrofit_sweep(q, q_hat, rows, graph.indptr, graph.indices, weights, alpha,
                           ant_indptr, ant_indices, ant_w, antonym_margin, buf)
            bar.update(1)
    oov = vectors.oov if isinstance(vectors, Vectors) else "raise"
    return Vectors(vocab, q, oov=oov)
