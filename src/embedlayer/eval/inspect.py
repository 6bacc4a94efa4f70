"""The inspection report of a checkpoint's embedding layer: what its token table looks like.

What it holds: :func:`inspect_checkpoint`, which reads the tables (``contextual/layer.py``) and
measures them into an :class:`Inspection`: vocabulary size and dimension; token frequencies
counted with the checkpoint's own tokenizer over the English corpora (streamed) and the
Spearman correlation of row norm with log frequency over the tokens seen; anisotropy (the mean
cosine of seeded random token pairs) before and after all-but-the-top; the singular-value
spectrum of the centered table; the position table's cosine matrix; nearest tokens of probe
tokens; and the token table scored as word vectors on word-similarity sets (pairs whose two
words are each one token), next to other vectors on the very same pairs. Needs numpy and the
``tokenizers`` library, not torch. What it leaves out: writing the report (JSON, Markdown,
plots: ``eval/inspect_report.py``) and the command line (``embedlayer inspect``).

Word similarity is scored by ``embedlayer.eval.wordsim`` (imported when scoring), so the
numbers are computed exactly as ``embedlayer eval`` computes them.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.contextual.layer import EmbeddingTables, read_embedding_layer
from embedlayer.errors import ConfigError, MissingFileError
from embedlayer.transform.postprocess import all_but_the_top, default_components, top_directions
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.vectors import Vectors

__all__ = ["DEFAULT_PROBES", "ENGLISH_CORPORA", "WORDSIM_SETS", "Inspection",
           "inspect_checkpoint"]

# The registered datasets of corpora/en that are plain text (the Wikipedia sample is XML).
ENGLISH_CORPORA = ("brown", "movie-reviews", "abc", "state-union", "inaugural", "webtext",
                   "genesis", "lee-background")
WORDSIM_SETS = ("ws353-all", "simlex999", "men3k")
DEFAULT_PROBES = ("king", "paris", "good", "bank", "run", "computer", "three", "##ing", "the",
                  ".")
_PAIR_CHUNK = 8192  # random pairs whose cosines are computed at a time
_BATCH_LINES = 1024  # lines given to the tokenizer at a time
_MAX_POSITIONS = 1024  # the cosine heatmap covers the first positions only (P x P float64)


@dataclass(frozen=True)
class Inspection:
    """Figures (JSON-able, in ``summary``) and the arrays the plots are drawn from."""

    summary: dict[str, Any]  # every reported figure and the settings that produced them
    norms: np.ndarray = field(repr=False)  # (V,) row norms of the token table
    counts: np.ndarray = field(repr=False)  # (V,) corpus frequency of each token id
    singular_values: np.ndarray = field(repr=False)  # (D,) of the centered token table, desc
    position_cosines: np.ndarray | None = field(repr=False)  # (P, P), learned positions only,
    # the first 1,024 positions at most


def _tokenizer(tables_path: Any) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise ConfigError("inspecting a checkpoint needs the tokenizers library: "
                          "pip install 'embedlayer[contextual]'") from None
    tok = Tokenizer.from_file(str(tables_path))
    tok.no_truncation()  # count every token of a long line
    tok.no_padding()
    return tok


def _lines(corpora: Sequence[str], max_lines: int | None) -> Iterable[str]:
    from embedlayer import data
    from embedlayer.corpus import TextCorpus

    paths = [Path(name) if Path(name).is_file() else data.path(name, progress=False)
             for name in corpora]
    lines = iter(TextCorpus(paths))
    return lines if max_lines is None else itertools.islice(lines, max_lines)


def count_tokens(tokenizer: Any, lines: Iterable[str], n_rows: int, *, total: int | None = None,
                 progress: bool = True) -> tuple[np.ndarray, int, int]:
    """(counts per id (n_rows,) int64, lines read, tokens counted): ids >= n_rows are dropped."""
    counts = np.zeros(n_rows, dtype=np.int64)
    n_lines = n_tokens = 0
    with progress_bar(total=total, desc="counting tokens", unit="line",
                      enabled=progress) as bar:
        it = iter(lines)
        while batch := list(itertools.islice(it, _BATCH_LINES)):
            encodings = tokenizer.encode_batch(batch, add_special_tokens=False)
            ids = np.fromiter(itertools.chain.from_iterable(e.ids for e in encodings),
                              dtype=np.int64)
            ids = ids[ids < n_rows]
            counts += np.bincount(ids, minlength=n_rows)
            n_lines += len(batch)
            n_tokens += int(ids.size)
            bar.update(len(batch))
    return counts, n_lines, n_tokens


def mean_cosine(matrix: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """Mean cosine of rows ``first[k]`` and ``second[k]`` (a zero row counts as cosine 0)."""
    total = 0.0
    for begin in range(0, len(first), _PAIR_CHUNK):
        a = np.asarray(matrix[first[begin:begin + _PAIR_CHUNK]], dtype=np.float64)
        b = np.asarray(matrix[second[begin:begin + _PAIR_CHUNK]], dtype=np.float64)
        denom = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        dots = np.einsum("ij,ij->i", a, b)
        total += float(np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0).sum())
    return total / len(first) if len(first) else float("nan")


def random_pairs(rows: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded pairs of distinct rows drawn uniformly from ``rows``."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(rows), size=n)
    j = (i + rng.integers(1, len(rows), size=n)) % len(rows)  # never equal to i
    return rows[i], rows[j]


def _anisotropy(tables: EmbeddingTables, after: Vectors, rows: np.ndarray, n_pairs: int,
                seed: int) -> dict[str, Any]:
    if len(rows) < 2:
        return {"rows": int(len(rows)), "before": None, "after": None}
    first, second = random_pairs(rows, n_pairs, seed)
    return {"rows": int(len(rows)), "pairs": int(n_pairs),
            "before": mean_cosine(tables.tokens.matrix, first, second),
            "after": mean_cosine(after.matrix, first, second)}


def _spearman(norms: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    from embedlayer.eval._stats import spearman

    seen = counts > 0
    rho = spearman(norms[seen], np.log(counts[seen])) if seen.sum() >= 2 else float("nan")
    return {"tokens_seen": int(seen.sum()), "spearman_norm_log_frequency": rho,
            "mean_norm_seen": float(norms[seen].mean()) if seen.any() else None,
            "mean_norm_unseen": float(norms[~seen].mean()) if (~seen).any() else None}


def _special_ids(tokenizer: Any) -> dict[int, str]:
    """Id -> content of the tokenizer's special tokens ([UNK], [CLS], <s>...)."""
    return {i: t.content for i, t in tokenizer.get_added_tokens_decoder().items() if t.special}


def _single_token_ids(tokenizer: Any, words: Iterable[str]) -> dict[str, int]:
    """Each word that the tokenizer turns into exactly one token -> that token's id.

    A word that becomes one special token (an unknown word becomes ``[UNK]``) is not one
    token of its own and is left out, unless the word is that special token itself.
    """
    specials = _special_ids(tokenizer)
    out = {}
    for word in words:
        ids = tokenizer.encode(word, add_special_tokens=False).ids
        if len(ids) == 1 and specials.get(ids[0], word) == word:
            out[word] = ids[0]
    return out


def _wordsim(tables: EmbeddingTables, tokenizer: Any, sets: Sequence[str],
             compare: VectorStore | None, compare_name: str) -> list[dict[str, Any]]:
    from embedlayer.data.readers import WordPairs, read_word_pairs, resolve_benchmark
    from embedlayer.eval._lookup import WordIndex
    from embedlayer.eval.wordsim import evaluate_word_pairs

    rows = []
    for name in sets:
        wp = read_word_pairs(resolve_benchmark(name, progress=False), name=name)
        single = _single_token_ids(tokenizer, dict.fromkeys(w for p in wp.pairs for w in p))
        n = len(tables.tokens)
        single = {w: i for w, i in single.items() if i < n}
        words = list(single)
        store = Vectors(words, tables.tokens.lookup_ids([single[w] for w in words])) \
            if words else None
        keep = [k for k, (a, b) in enumerate(wp.pairs) if a in single and b in single]
        row: dict[str, Any] = {"dataset": name, "pairs": len(wp.pairs), "single_token_pairs":
                               len(keep)}
        if compare is not None:  # the same pairs for both: the ones both can score
            index = WordIndex(compare, restrict_vocab=None, case_insensitive=True)
            keep = [k for k in keep if all(index.get(w) is not None for w in wp.pairs[k])]
            row["compared"] = compare_name
        same = WordPairs(name, [wp.pairs[k] for k in keep], wp.scores[keep])
        row["scored_pairs"] = len(keep)
        row["coverage"] = len(keep) / len(wp.pairs) if wp.pairs else 0.0
        if store is not None and keep:
            row["token_table"] = evaluate_word_pairs(store, same, case_insensitive=False).spearman
        else:
            row["token_table"] = float("nan")
        if compare is not None:
            row["compare"] = (evaluate_word_pairs(compare, same).spearman if keep
                              else float("nan"))
        rows.append(row)
    return rows


def _neighbours(tables: EmbeddingTables, tokenizer: Any, probes: Sequence[str],
                topn: int) -> dict[str, Any]:
    tokens = tables.tokens
    out: dict[str, Any] = {}
    for probe in probes:
        key = probe if probe in tokens else None
        if key is None:
            single = _single_token_ids(tokenizer, [probe]).get(probe)
            if single is not None and single < len(tokens):
                key = tokens.vocab.token(single)
        out[probe] = None if key is None else {
            "token": key, "neighbours": [[k, round(float(s), 4)]
                                         for k, s in tokens.most_similar(key, topn=topn)]}
    return out


def inspect_checkpoint(
    path_or_name: str | os.PathLike[str],
    *,
    corpora: Sequence[str] = ENGLISH_CORPORA,
    max_lines: int | None = None,
    pairs: int = 100_000,
    seed: int = 0,
    n_components: int | None = None,
    probes: Sequence[str] = DEFAULT_PROBES,
    neighbours: int = 8,
    wordsim: Sequence[str] = WORDSIM_SETS,
    compare: VectorStore | None = None,
    compare_name: str = "compare",
    progress: bool = True,
) -> Inspection:
    """Measure the embedding layer of a checkpoint (see the module docstring for what).

    ``corpora`` are registered dataset names (found through ``EMBEDLAYER_DATA``) or text
    files, read in order and capped at ``max_lines`` lines in all (None: every line); ``pairs``
    random token
    pairs (``seed``) give the anisotropy; ``n_components`` is all-but-the-top's D (default:
    dim / 100, at least 1); ``probes`` are tokens (or words the tokenizer makes one token)
    whose ``neighbours`` nearest tokens are listed; ``compare`` (e.g. word2vec vectors) is
    scored on the same word pairs as the token table.
    """
    for name, value, low in (("pairs", pairs, 1), ("neighbours", neighbours, 1),
                             ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"inspect: {name} must be an integer >= {low}, got {value!r}")
    if max_lines is not None and (isinstance(max_lines, bool) or not isinstance(max_lines, int)
                                  or max_lines < 1):
        raise ConfigError(f"inspect: max_lines must be an integer >= 1 or None, got "
                          f"{max_lines!r}")
    tables = read_embedding_layer(path_or_name)
    from embedlayer.contextual.checkpoint import open_checkpoint

    ckpt = open_checkpoint(path_or_name)
    if ckpt.tokenizer is None:  # pragma: no cover - open_checkpoint already refused it
        raise MissingFileError(f"checkpoint {ckpt.path} has no tokenizer.json")
    tokenizer = _tokenizer(ckpt.tokenizer)
    matrix = tables.tokens.matrix
    n_rows, dim = matrix.shape
    d = default_components(dim) if n_components is None else n_components
    if d >= dim:
        raise ConfigError(f"inspect: n_components must be < the dimension {dim}, got {d}")

    counts, n_lines, n_tokens = count_tokens(tokenizer, _lines(corpora, max_lines), n_rows,
                                             total=max_lines, progress=progress)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64))
    after = all_but_the_top(tables.tokens, d)
    _, _, eigen = top_directions(matrix, 1)
    singular = np.sqrt(np.clip(eigen, 0.0, None))
    all_rows = np.arange(n_rows)
    seen_rows = np.flatnonzero(counts > 0)
    positions = None
    if tables.positions is not None and len(tables.positions) > 0:
        p = np.asarray(tables.positions[:_MAX_POSITIONS], dtype=np.float64)
        unit = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
        positions = unit @ unit.T
    summary: dict[str, Any] = {
        "checkpoint": tables.name, "layout": tables.layout,
        "position_kind": tables.position_kind, "vocab_size": int(n_rows), "dim": int(dim),
        "tied": tables.tied, "unnamed_rows": len(tables.unnamed_rows),
        "positions": None if tables.positions is None else list(tables.positions.shape),
        "types": None if tables.types is None else list(tables.types.shape),
        "frequency": {"corpora": list(corpora), "max_lines": max_lines, "lines": n_lines,
                      "tokens": n_tokens, **_spearman(norms, counts)},
        "anisotropy": {"n_components": int(d), "seed": seed,
                       "variance_removed": float(eigen[:d].sum() / eigen.sum())
                       if eigen.sum() > 0 else None,
                       "all_rows": _anisotropy(tables, after, all_rows, pairs, seed),
                       "tokens_seen": _anisotropy(tables, after, seen_rows, pairs, seed)},
        "spectrum": {"top": [float(s) for s in singular[:10]],
                     "ratio_first_to_median": float(singular[0] / np.median(singular))
                     if np.median(singular) > 0 else None},
        "positions_cosine": None if positions is None else {
            "adjacent_mean": float(np.mean(np.diag(positions, 1))) if len(positions) > 1
            else None,
            "mean": float(positions.mean())},
        "neighbours": _neighbours(tables, tokenizer, probes, neighbours),
        "wordsim": _wordsim(tables, tokenizer, wordsim, compare, compare_name),
    }
    return Inspection(summary, norms, counts, singular, positions)

