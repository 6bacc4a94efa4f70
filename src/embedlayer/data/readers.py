"""Readers for the benchmark files: word-pair similarity, analogy questions, Lee docsim,
WikiQA answer selection.

What it holds: parsers that turn a file into plain values (lists, numpy arrays) with clear
``FormatError``s naming the file and line. A reader takes a path; ``resolve_benchmark``
turns a registered dataset name (``ws353-all``, ``google-analogy``...) or a path into one.
What it leaves out: scoring (``embedlayer.eval``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embedlayer._types import Float64Array, PathLike
from embedlayer.errors import DataError, FormatError, MissingFileError

__all__ = [
    "AnalogySection",
    "DocSimSet",
    "QAQuestion",
    "WordPairs",
    "read_analogies",
    "read_lee_docsim",
    "read_wikiqa",
    "read_word_pairs",
    "resolve_benchmark",
]


@dataclass(frozen=True)
class WordPairs:
    """Word pairs with gold similarity scores, in file order."""

    name: str
    pairs: list[tuple[str, str]]
    scores: Float64Array  # (len(pairs),)


@dataclass(frozen=True)
class AnalogySection:
    """One ``: section`` of an analogy file: questions ``a b c d`` meaning a:b :: c:d."""

    name: str
    questions: list[tuple[str, str, str, str]]


@dataclass(frozen=True)
class QAQuestion:
    """One answer-selection question: its candidate sentences and which of them answer it."""

    qid: str
    question: str
    candidates: list[str]
    labels: list[int]  # 1: the candidate answers the question, 0: it does not
    # the title of the document each candidate comes from (WikiQA's DocumentTitle); empty
    # when the source has none
    titles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocSimSet:
    """Documents and a symmetric matrix of human similarity ratings between them."""

    documents: list[str]
    ratings: Float64Array  # (n, n)


def resolve_benchmark(name_or_path: PathLike, *, progress: bool = True) -> Path:
    """A path as it is, or the local file of a registered dataset name (downloads if needed).

    ``progress``: show the download's progress bar (only a download shows one).
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    from embedlayer.data import get
    from embedlayer.data import path as data_path

    try:
        get(str(name_or_path))
    except DataError:
        if path.suffix or "/" in str(name_or_path):
            raise MissingFileError(f"{path}: no such file (nor a registered dataset name)") from None
        raise
    return data_path(str(name_or_path), progress=progress)


def _lines(path: Path, encoding: str = "utf-8") -> list[str]:
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    try:
        return path.read_text(encoding=encoding).splitlines()
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not {encoding} text (byte offset {exc.start})") from None


def read_word_pairs(path: PathLike, *, name: str | None = None) -> WordPairs:
    """``word1 word2 score`` lines (tab or whitespace separated); ``#`` comments and blanks skipped."""
    path = Path(path)
    pairs: list[tuple[str, str]] = []
    scores: list[float] = []
    for lineno, line in enumerate(_lines(path), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split("\t") if "\t" in text else text.split()
        if len(parts) < 3:
            raise FormatError(f"{path}: line {lineno}: expected 'word1 word2 score', got {text[:60]!r}")
        try:
            score = float(parts[2])
        except ValueError:
            raise FormatError(f"{path}: line {lineno}: score {parts[2][:30]!r} is not a number") from None
        if not np.isfinite(score):
            raise FormatError(f"{path}: line {lineno}: score {parts[2]!r} is not finite")
        pairs.append((parts[0].strip(), parts[1].strip()))
        scores.append(score)
    if not pairs:
        raise FormatError(f"{path}: no word pairs found")
    return WordPairs(name or path.stem, pairs, np.array(scores, dtype=np.float64))


def read_analogies(path: PathLike) -> list[AnalogySection]:
    """``: section`` headers followed by ``a b c d`` lines (the Google and CA8 format)."""
    path = Path(path)
    sections: list[AnalogySection] = []
    current: list[tuple[str, str, str, str]] | None = None
    for lineno, line in enumerate(_lines(path), start=1):
        text = line.strip()
        if not text:
            continue
        if text.startswith(":"):
            current = []
            sections.append(AnalogySection(text[1:].strip(), current))
            continue
        words = text.split()
        if len(words) != 4:
            raise FormatError(f"{path}: line {lineno}: expected 4 words 'a b c d', got {text[:60]!r}")
        if current is None:
            current = []
            sections.append(AnalogySection("(no section)", current))
        current.append((words[0], words[1], words[2], words[3]))
    if not any(s.questions for s in sections):
        raise FormatError(f"{path}: no analogy questions found")
    return sections


def read_lee_docsim(docs_path: PathLike, ratings_path: PathLike) -> DocSimSet:
    """The Lee set: ``lee.cor`` (one document a line, Latin-1) and the n x n rating matrix."""
    docs_path, ratings_path = Path(docs_path), Path(ratings_path)
    documents = [line for line in _lines(docs_path, encoding="latin-1") if line.strip()]
    rows = []
    for lineno, line in enumerate(_lines(ratings_path), start=1):
        if not line.strip():
            continue
        try:
            rows.append([float(x) for x in line.split()])
        except ValueError:
            raise FormatError(f"{ratings_path}: line {lineno}: expected numbers") from None
    n = len(documents)
    if len(rows) != n or any(len(r) != n for r in rows):
        raise FormatError(f"{ratings_path}: expected a {n} x {n} matrix for the {n} documents "
                          f"of {docs_path}, got {len(rows)} rows")
    return DocSimSet(documents, np.array(rows, dtype=np.float64))


_WIKIQA_COLUMNS = ["QuestionID", "Question", "DocumentID", "DocumentTitle", "SentenceID",
                   "Sentence", "Label"]


def read_wikiqa(path: PathLike) -> list[QAQuestion]:
    """WikiQA's tab-separated file (header row, one candidate sentence a line), grouped by
    question in file order. Every question is kept, also those with no correct sentence
    (the standard scores skip them; see ``embedlayer.eval.qa``)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not utf-8 text (byte offset {exc.start})") from None
    # split on newlines only: str.splitlines would also break at \x1c, \u2028... inside a text
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if not lines or lines[0].split("\t") != _WIKIQA_COLUMNS:
        raise FormatError(f"{path}: line 1: expected the WikiQA header "
                          f"{chr(9).join(_WIKIQA_COLUMNS)!r}")
    grouped: dict[str, QAQuestion] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) != len(_WIKIQA_COLUMNS) or cols[6] not in ("0", "1"):
            raise FormatError(f"{path}: line {lineno}: expected {len(_WIKIQA_COLUMNS)} "
                              f"tab-separated columns ending in a 0/1 label")
        qid, question, sentence = cols[0], cols[1], cols[5]
        item = grouped.get(qid)
        if item is None:
            item = grouped[qid] = QAQuestion(qid, question, [], [], [])
        elif item.question != question:
            raise FormatError(f"{path}: line {lineno}: question {qid} has two texts")
        item.candidates.append(sentence)
        item.labels.append(int(cols[6]))
        item.titles.append(cols[3])
    if not grouped:
        raise FormatError(f"{path}: no questions")
    return list(grouped.values())
