"""Bilingual dictionaries for cross-lingual mapping: reading them, their coverage, CV folds.

A dictionary is a list of ``(source word, target word)`` pairs; a source word may have several
translations (the Swadesh lists give every variant), and the same pair may repeat. The file
format is the one MUSE, VecMap and gensim's test data use: one pair a line, two
whitespace-separated words (``en-es.txt``: ``you usted``). What it holds:
:func:`read_dictionary`, :func:`dictionary_coverage` (how many pairs have the source word,
the target word, both in the vectors: the counts every error and report states),
:func:`covered_pairs` (the pairs with both words, or an error with those counts),
:func:`identical_pairs` (words spelled the same in both vocabularies: numerals, names) and
:func:`split_folds` (k-fold cross-validation over the dictionary's source words). What it
leaves out: the mapping (``crosslingual.py``), retrieval (``retrieval.py``) and the scores
(``bli.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedlayer.errors import ConfigError, FormatError, MissingFileError, VocabError
from embedlayer.vectors.base import VectorStore

__all__ = ["Coverage", "Pair", "covered_pairs", "dictionary_coverage", "identical_pairs",
           "read_dictionary", "split_folds"]

Pair = tuple[str, str]


def read_dictionary(path: str | Path, *, encoding: str = "utf-8") -> list[Pair]:
    """The ``(source, target)`` pairs of a dictionary file, in file order.

    One pair a line, two words separated by whitespace (spaces or a tab); blank lines are
    skipped. A line with one word or more than two is a ``FormatError`` naming the file, the
    line number and the line; a file with no pair at all is one too.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such dictionary file")
    if path.is_dir():
        raise FormatError(f"{path}: a folder; expected a dictionary file ('source target' a "
                          f"line)")
    pairs: list[Pair] = []
    try:
        with open(path, encoding=encoding) as fh:
            for number, line in enumerate(fh, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 2:
                    raise FormatError(f"{path}, line {number}: expected two words 'source "
                                      f"target', got {len(fields)} field(s): {line.strip()!r}")
                pairs.append((fields[0], fields[1]))
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not valid {encoding} text ({exc.reason} at byte "
                          f"{exc.start}); expected a {encoding} dictionary file") from None
    if not pairs:
        raise FormatError(f"{path}: no word pairs; expected 'source target' pairs, one a line")
    return pairs


@dataclass(frozen=True)
class Coverage:
    """How much of a dictionary two sets of vectors cover (counts of pairs).

    ``pairs``: pairs in the dictionary; ``with_source`` / ``with_target``: pairs whose source
    (target) word has a vector; ``both``: pairs with both (the only ones a mapping can use or
    a test can score); ``source_words``: distinct source words among the ``both`` pairs.
    """

    pairs: int
    with_source: int
    with_target: int
    both: int
    source_words: int

    @property
    def fraction(self) -> float:
        """``both / pairs`` (0.0 for an empty dictionary)."""
        return self.both / self.pairs if self.pairs else 0.0

    def describe(self) -> str:
        """One line: '236 pairs: 220 with the source word, 180 with the target word, 175
        with both (74.2%; 150 source words)'."""
        return (f"{self.pairs:,} pairs: {self.with_source:,} with the source word, "
                f"{self.with_target:,} with the target word, {self.both:,} with both "
                f"({100 * self.fraction:.1f}%; {self.source_words:,} source words)")


def dictionary_coverage(pairs: Sequence[Pair], source: VectorStore,
                        target: VectorStore) -> Coverage:
    """Count the pairs whose source word is in ``source``, target word in ``target``, both."""
    with_source = with_target = both = 0
    words = set()
    for src, tgt in pairs:
        has_s, has_t = src in source.vocab, tgt in target.vocab
        with_source += has_s
        with_target += has_t
        if has_s and has_t:
            both += 1
            words.add(src)
    return Coverage(len(pairs), with_source, with_target, both, len(words))


def covered_pairs(pairs: Sequence[Pair], source: VectorStore, target: VectorStore, *,
                  what: str = "the dictionary") -> list[Pair]:
    """The pairs with both words in the vectors, in order; ``VocabError`` when there is none.

    The error states the counts of :func:`dictionary_coverage` (pairs read, pairs with the
    source word, with the target word, with both), so a swapped or mis-cased dictionary is
    recognised at once. ``what`` names the dictionary in the message.
    """
    if not pairs:
        raise ConfigError(f"{what} is empty; expected at least one (source, target) pair")
    kept = [(s, t) for s, t in pairs if s in source.vocab and t in target.vocab]
    if not kept:
        cov = dictionary_coverage(pairs, source, target)
        raise VocabError(f"no pair of {what} has both words in the vectors: {cov.describe()} "
                         f"(source vectors: {len(source):,} words, target: {len(target):,}); "
                         f"expected 'source target' pairs in that order, cased like the vectors")
    return kept


def identical_pairs(source: VectorStore, target: VectorStore, *,
                    limit: int | None = None, exclude: Iterable[str] = ()) -> list[Pair]:
    """``(w, w)`` for every word spelled the same in both vocabularies, in source order.

    The seed of self-learning without a dictionary (Smith et al. 2017; Artetxe et al. 2017 use
    numerals): numerals, names and borrowed words. ``limit``: look only at the first ``limit``
    rows of each vocabulary (the most frequent words: the order is count descending);
    ``exclude``: source words left out (the test words of a cross-validation fold).
    """
    if limit is not None and (isinstance(limit, bool) or limit < 1):
        raise ConfigError(f"identical_pairs: limit must be >= 1 or None, got {limit!r}")
    src = source.vocab.tokens[:limit] if limit else source.vocab.tokens
    tgt = set(target.vocab.tokens[:limit] if limit else target.vocab.tokens)
    skip = set(exclude)
    return [(w, w) for w in src if w in tgt and w not in skip]


def split_folds(pairs: Sequence[Pair], folds: int, *,
                seed: int = 0) -> list[tuple[list[Pair], list[Pair]]]:
    """k-fold cross-validation over the dictionary's distinct source words.

    Returns ``folds`` (train pairs, test pairs) splits: the source words are shuffled with
    ``seed`` and dealt into ``folds`` groups, and every pair goes to the test side of its
    source word's fold, so no test word has a translation among its fold's training pairs.
    """
    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise ConfigError(f"split_folds: folds must be an integer >= 2, got {folds!r}")
    words = sorted({s for s, _ in pairs})
    if len(words) < folds:
        raise ConfigError(f"split_folds: {len(words)} distinct source words cannot make "
                          f"{folds} folds; expected at least one word a fold")
    order = np.random.default_rng(seed).permutation(len(words))
    fold_of = {words[i]: rank % folds for rank, i in enumerate(order)}
    out = []
    for f in range(folds):
        test = [p for p in pairs if fold_of[p[0]] == f]
        train = [p for p in pairs if fold_of[p[0]] != f]
        out.append((train, test))
    return out
