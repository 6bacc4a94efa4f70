"""A picture of chosen words: their vectors projected to 2-D, each point labelled.

What it holds: :func:`select_words` (explicit words, the most frequent ones, a word and its
nearest neighbours), :func:`project_words` (their rows through
``embedlayer.transform.project``: PCA, t-SNE or UMAP), :func:`draw_words` (points and labels on
a matplotlib Axes, one colour per neighbourhood) and :func:`plot_words` (the PNG). Words the
vectors lack are an error that names them, not silently dropped: a picture missing the word
asked for would mislead. What it leaves out: the projection itself (``transform``) and
neighbour search (``vectors.query``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError
from embedlayer.transform.project import ProjectionMethod, project
from embedlayer.viz._figure import pyplot, save_png

__all__ = ["WordProjection", "draw_words", "plot_words", "project_words", "select_words"]

_SHOWN_MISSING = 5  # how many unknown words an error names


@dataclass(frozen=True)
class WordProjection:
    """Words, their 2-D coordinates and the group each belongs to (what ``plot_words`` draws)."""

    words: list[str]
    coords: np.ndarray  # (n, 2) float64
    groups: list[str]  # "" for words asked for by name or frequency; else the neighbourhood's word
    method: str  # "pca", "tsne" or "umap"


def _has_word_char(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def select_words(
    store: Any, *, words: Iterable[str] = (), top: int | None = None,
    neighbours: Iterable[str] = (), topn: int = 10,
) -> dict[str, str]:
    """The words to draw, in order, each with its group (``""`` or the word whose neighbour it is).

    ``words``: by name; ``top``: the first ``top`` keys of the store that hold a letter or
    digit (most frequent first in files embedlayer writes; punctuation is skipped);
    ``neighbours``: each word and its ``topn`` nearest neighbours by cosine. A word chosen
    twice keeps its first group. Unknown names are left for :func:`project_words` to report.
    """
    from embedlayer.vectors.query import most_similar

    chosen: dict[str, str] = {}
    for w in words:
        chosen.setdefault(w, "")
    if top is not None:
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ConfigError(f"select_words: top must be an int >= 1, got {top!r}")
        picked = 0
        for key in store.vocab.tokens:
            if picked == top:
                break
            if _has_word_char(key):
                chosen.setdefault(key, "")
                picked += 1
    seeds = list(neighbours)
    if seeds and (isinstance(topn, bool) or not isinstance(topn, int) or topn < 1):
        raise ConfigError(f"select_words: topn must be an int >= 1, got {topn!r}")
    _check_known(store, seeds, "neighbours of")
    for seed in seeds:
        chosen.setdefault(seed, seed)
        for near, _ in most_similar(store, seed, topn=topn):
            chosen.setdefault(near, seed)
    return chosen


def _check_known(store: Any, words: Sequence[str], what: str) -> None:
    missing = [w for w in dict.fromkeys(words) if w not in store]
    if missing:
        shown = ", ".join(repr(w) for w in missing[:_SHOWN_MISSING])
        more = f" and {len(missing) - _SHOWN_MISSING} more" if len(missing) > _SHOWN_MISSING \
            else ""
        raise ConfigError(f"{len(missing)} of {len(set(words))} words to plot ({what}) are not "
                          f"in the vectors: {shown}{more}; check their spelling and case, or "
                          f"leave them out")


def project_words(
    store: Any, words: Sequence[str] | dict[str, str], *, method: ProjectionMethod = "pca",
    seed: int = 0,
) -> WordProjection:
    """Project the vectors of ``words`` (a list, or ``select_words``'s word -> group) to 2-D.

    Every word must be in ``store`` (``ConfigError`` names up to five missing ones) and
    there must be at least 2 (4 for t-SNE and UMAP).
    """
    groups = dict(words) if isinstance(words, dict) else dict.fromkeys(words, "")
    names = list(groups)
    if not names:
        raise ConfigError("no words to plot: name some, or ask for the most frequent ones "
                          "or a word's neighbours")
    _check_known(store, names, "named")
    if len(names) < 2:
        raise ConfigError(f"a projection needs at least 2 words, got 1 ({names[0]!r})")
    matrix = np.asarray(store.lookup(names), dtype=np.float64)  # (n, dim)
    coords = project(matrix, method, dims=2, seed=seed)
    return WordProjection(words=names, coords=coords, groups=[groups[w] for w in names],
                          method=method)


def draw_words(projection: WordProjection, ax: Any, *, title: str | None = None) -> list[Any]:
    """Scatter the points on ``ax`` and label each with its word; returns the label Texts."""
    xy = projection.coords
    order = list(dict.fromkeys(projection.groups))
    cmap = pyplot().get_cmap("tab10")
    for k, group in enumerate(order):
        rows = [i for i, g in enumerate(projection.groups) if g == group]
        ax.scatter(xy[rows, 0], xy[rows, 1], s=22, color=cmap(k % 10),
                   label=f"{group} and its neighbours" if group else None)
    texts = [ax.annotate(word, (xy[i, 0], xy[i, 1]), xytext=(3, 3), textcoords="offset points",
                         fontsize=8, fontweight="bold" if word == projection.groups[i] else None)
             for i, word in enumerate(projection.words)]
    if any(order):
        ax.legend(fontsize="small", loc="best")
    ax.set_title(title or f"{len(projection.words)} words, {projection.method.upper()} projection")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.margins(0.08)  # room for the labels of the outermost points
    return texts


def plot_words(projection: WordProjection, path: PathLike, *, title: str | None = None,
               size: tuple[float, float] = (8.0, 6.5)) -> Path:
    """Draw ``projection`` (see :func:`draw_words`) into a PNG at ``path`` (written atomically)."""
    fig, ax = pyplot().subplots(figsize=size)
    draw_words(projection, ax, title=title)
    fig.tight_layout()
    return save_png(fig, path)
