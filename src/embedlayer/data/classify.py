"""Readers for text-classification data: the shared sets (MR, TREC, polarity 2.0) and CSV/TSV/JSONL.

What it holds: :class:`LabeledTexts` (texts and their string labels, in file order),
:class:`ClassificationData` (a training part and, where the set defines one, a test part),
one reader per layout, and :func:`load_classification`, which turns a registered dataset name
(``mr``, ``trec``, ``polarity2.0``) or the path of a ``.csv``/``.tsv``/``.jsonl`` file into a
:class:`ClassificationData`. Bad rows raise ``FormatError`` naming the file and line.
What it leaves out: tokenizing, encoding and models (``embedlayer.tasks.classify``).

Layouts:

- ``polarity-lines`` (MR): ``rt-polarity.pos`` and ``rt-polarity.neg``, one snippet a line;
  labels ``pos`` / ``neg``. No test split (the standard protocol is 10-fold CV).
- ``trec-qc`` (TREC): ``COARSE:fine question text`` lines in ``train.txt`` and ``test.txt``
  (Latin-1); the label is the coarse class (6 labels) or, with ``fine=True``, ``COARSE:fine``.
- ``polarity-docs`` (polarity 2.0): ``pos/*.txt`` and ``neg/*.txt``, one review a file (its
  lines joined by spaces); no test split.
- CSV / TSV: a header row naming the text and the label column (``text`` and ``label`` unless
  ``text_column`` / ``label_column`` say otherwise; matched ignoring case, any order, other
  columns ignored); JSONL: one object a line with those fields, the text a string and the
  label a string or an integer (kept as its decimal string). A missing column is a
  ``FormatError`` naming it and the columns the header has.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, DataError, FormatError, MissingFileError

__all__ = [
    "CLASSIFICATION_DATASETS",
    "ClassificationData",
    "LabeledTexts",
    "load_classification",
    "read_labeled_file",
    "read_polarity_docs",
    "read_polarity_lines",
    "read_trec",
]

# Registered dataset names that hold classification data, with a short alias or two.
CLASSIFICATION_DATASETS = ("mr", "trec", "polarity2.0")
_ALIASES = {"polarity": "polarity2.0", "polarity2": "polarity2.0"}
_FILE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class LabeledTexts:
    """Texts with one string label each, in the order they were read."""

    texts: list[str]
    labels: list[str]
    source: str  # where they came from: a file, or a dataset name and part

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ConfigError(f"{self.source}: {len(self.texts)} texts but "
                              f"{len(self.labels)} labels; expected one label per text")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> tuple[str, ...]:
        """The distinct labels, sorted."""
        return tuple(sorted(set(self.labels)))

    def counts(self) -> dict[str, int]:
        """Examples per label, labels sorted."""
        counts = Counter(self.labels)
        return {label: counts[label] for label in sorted(counts)}

    def select(self, indices: Iterable[int], *, source: str | None = None) -> LabeledTexts:
        """The examples at ``indices`` (in that order), e.g. one fold of a cross-validation."""
        idx = [int(i) for i in indices]
        return LabeledTexts([self.texts[i] for i in idx], [self.labels[i] for i in idx],
                            source if source is not None else self.source)

    @classmethod
    def concat(cls, parts: Sequence[LabeledTexts], *, source: str) -> LabeledTexts:
        return cls([t for p in parts for t in p.texts], [y for p in parts for y in p.labels],
                   source)


@dataclass(frozen=True)
class ClassificationData:
    """A classification set: its training part and, where it defines one, its test part."""

    name: str
    train: LabeledTexts
    test: LabeledTexts | None  # None: no standard split (use cross-validation)

    def all(self) -> LabeledTexts:
        """Every example: the training part followed by the test part."""
        if self.test is None:
            return self.train
        return LabeledTexts.concat([self.train, self.test], source=f"{self.name} (all)")


# --- the shared sets ------------------------------------------------------------------------
def _read_text(path: Path, encoding: str) -> str:
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not {encoding} text (byte offset {exc.start})") from None


def read_polarity_lines(folder: PathLike, *, encoding: str = "utf-8") -> LabeledTexts:
    """MR: ``rt-polarity.pos`` / ``.neg`` in ``folder``, one text a line (blanks skipped)."""
    folder = Path(folder)
    texts: list[str] = []
    labels: list[str] = []
    for label in ("pos", "neg"):
        path = folder / f"rt-polarity.{label}"
        lines = [line.strip() for line in _read_text(path, encoding).splitlines()]
        kept = [line for line in lines if line]
        if not kept:
            raise FormatError(f"{path}: no texts (expected one snippet a line)")
        texts += kept
        labels += [label] * len(kept)
    return LabeledTexts(texts, labels, str(folder))


def read_trec(path: PathLike, *, fine: bool = False, encoding: str = "latin-1") -> LabeledTexts:
    """TREC: ``COARSE:fine question`` a line; the coarse label unless ``fine``."""
    path = Path(path)
    texts: list[str] = []
    labels: list[str] = []
    for lineno, line in enumerate(_read_text(path, encoding).splitlines(), start=1):
        if not line.strip():
            continue
        label, _, question = line.strip().partition(" ")
        coarse, colon, rest = label.partition(":")
        if not colon or not coarse or not rest or not coarse.isupper():
            raise FormatError(f"{path}: line {lineno}: expected 'COARSE:fine question text', "
                              f"got {line[:60]!r}")
        texts.append(question.strip())
        labels.append(label if fine else coarse)
    if not texts:
        raise FormatError(f"{path}: no questions (expected 'COARSE:fine question text' lines)")
    return LabeledTexts(texts, labels, str(path))


def read_polarity_docs(folder: PathLike, *, encoding: str = "utf-8") -> LabeledTexts:
    """Polarity 2.0: ``pos/*.txt`` and ``neg/*.txt`` under ``folder``, one document a file."""
    folder = Path(folder)
    texts: list[str] = []
    labels: list[str] = []
    for label in ("pos", "neg"):
        sub = folder / label
        if not sub.is_dir():
            raise MissingFileError(f"{sub}: no such folder (expected pos/ and neg/ with one "
                                   "review a file)")
        files = sorted(sub.glob("*.txt"))
        if not files:
            raise FormatError(f"{sub}: no .txt files (expected one review a file)")
        for f in files:
            texts.append(" ".join(line.strip() for line in _read_text(f, encoding).splitlines()
                                  if line.strip()))
            labels.append(label)
    return LabeledTexts(texts, labels, str(folder))


# --- generic files --------------------------------------------------------------------------
def read_labeled_file(
    path: PathLike, *, text_column: str = "text", label_column: str = "label",
    encoding: str = "utf-8",
) -> LabeledTexts:
    """A ``.csv``, ``.tsv`` (header row) or ``.jsonl`` file of ``text, label`` examples."""
    path = Path(path)
    for name, value in (("text_column", text_column), ("label_column", label_column)):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name} must name a column, got {value!r}")
    if text_column.strip().lower() == label_column.strip().lower():
        raise ConfigError(f"text_column and label_column are both {text_column!r}; expected "
                          "two different columns")
    text_field, label_field = text_column.strip(), label_column.strip()
    kind = _FILE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"{path}: unknown suffix {path.suffix!r}; expected one of "
                          f"{sorted(_FILE_SUFFIXES)} (or a dataset name: "
                          f"{', '.join(CLASSIFICATION_DATASETS)})")
    content = _read_text(path, encoding).removeprefix("\ufeff")  # spreadsheets write a BOM
    if kind == "jsonl":
        texts, labels = _parse_jsonl(path, content, text_field, label_field)
    else:
        texts, labels = _parse_delimited(path, content, "," if kind == "csv" else "\t",
                                         text_field, label_field)
    if not texts:
        raise FormatError(f"{path}: no examples (expected one '{text_field}, {label_field}' "
                          f"example a {'line' if kind == 'jsonl' else 'row after the header'})")
    return LabeledTexts(texts, labels, str(path))


def _parse_delimited(
    path: Path, content: str, delimiter: str, text_field: str, label_field: str,
) -> tuple[list[str], list[str]]:
    reader = csv.reader(content.splitlines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError(f"{path}: empty file; expected a header row naming the "
                          f"'{text_field}' and '{label_field}' columns") from None
    except csv.Error as exc:
        raise FormatError(f"{path}: line 1: {exc}") from None
    names = [h.strip().lower() for h in header]
    missing = [f for f in (text_field, label_field) if f.lower() not in names]
    if missing:
        found = ", ".join(repr(h.strip()) for h in header)
        raise FormatError(f"{path}: line 1: no column {missing[0]!r} in the header; the "
                          f"columns found are {found} (expected '{text_field}' and "
                          f"'{label_field}'; choose others with text_column / label_column)")
    ti, li = names.index(text_field.lower()), names.index(label_field.lower())
    texts: list[str] = []
    labels: list[str] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            lineno = reader.line_num
            if len(row) != len(header):
                raise FormatError(f"{path}: line {lineno}: {len(row)} fields, expected "
                                  f"{len(header)} as in the header")
            label = row[li].strip()
            if not label:
                raise FormatError(f"{path}: line {lineno}: empty label")
            texts.append(row[ti])
            labels.append(label)
    except csv.Error as exc:
        raise FormatError(f"{path}: line {reader.line_num}: {exc}") from None
    return texts, labels


def _parse_jsonl(
    path: Path, content: str, text_field: str, label_field: str,
) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{path}: line {lineno}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise FormatError(f"{path}: line {lineno}: expected an object with "
                              f"'{text_field}' and '{label_field}', got {type(obj).__name__}")
        for key in (text_field, label_field):
            if key not in obj:
                found = ", ".join(repr(k) for k in obj) or "none"
                raise FormatError(f"{path}: line {lineno}: no field {key!r}; the fields found "
                                  f"are {found} (choose others with text_column / "
                                  "label_column)")
        text, label = obj.get(text_field), obj.get(label_field)
        if not isinstance(text, str):
            raise FormatError(f"{path}: line {lineno}: field '{text_field}' is {text!r}, "
                              "expected a string")
        if isinstance(label, int) and not isinstance(label, bool):
            label = str(label)
        if not isinstance(label, str) or not label.strip():
            raise FormatError(f"{path}: line {lineno}: field '{label_field}' is {label!r}, "
                              "expected a non-empty string or an integer")
        texts.append(text)
        labels.append(label.strip())
    return texts, labels


# --- one entry point ------------------------------------------------------------------------
def load_classification(
    spec: PathLike, *, fine: bool = False, progress: bool = True, text_column: str = "text",
    label_column: str = "label",
) -> ClassificationData:
    """A registered dataset name (``mr``, ``trec``, ``polarity2.0``) or a CSV/TSV/JSONL path.

    ``fine`` picks TREC's 50 fine labels instead of its 6 coarse ones. A file has no test part;
    ``text_column`` / ``label_column`` name its columns (JSONL: its fields).
    """
    path = Path(spec)
    if path.is_file():
        return ClassificationData(path.stem, read_labeled_file(
            path, text_column=text_column, label_column=label_column), None)
    name = _ALIASES.get(str(spec), str(spec))
    if name in CLASSIFICATION_DATASETS and (text_column, label_column) != ("text", "label"):
        raise ConfigError(f"text_column / label_column apply to CSV/TSV/JSONL files; the "
                          f"dataset {name!r} has its own layout")
    if name not in CLASSIFICATION_DATASETS:
        if path.is_dir():
            raise ConfigError(f"{path} is a folder; expected a .csv/.tsv/.jsonl file or a "
                              f"dataset name ({', '.join(CLASSIFICATION_DATASETS)})")
        if path.suffix or "/" in str(spec):
            raise MissingFileError(f"{path}: no such file (nor a classification dataset name: "
                                   f"{', '.join(CLASSIFICATION_DATASETS)})")
        raise DataError(f"unknown classification dataset {str(spec)!r}; expected a CSV/TSV/JSONL "
                        f"file or one of {', '.join(CLASSIFICATION_DATASETS)}")
    from embedlayer import data

    ds = data.get(name)
    encoding = ds.encoding or "utf-8"
    root = data.path(name, progress=progress)
    if ds.format == "polarity-lines":
        return ClassificationData(name, _named(read_polarity_lines(root, encoding=encoding),
                                               name), None)
    if ds.format == "polarity-docs":
        return ClassificationData(name, _named(read_polarity_docs(root, encoding=encoding),
                                               name), None)
    if ds.format == "trec-qc":
        train = read_trec(root / "train.txt", fine=fine, encoding=encoding)
        test = read_trec(root / "test.txt", fine=fine, encoding=encoding)
        return ClassificationData(name, _named(train, f"{name} train"),
                                  _named(test, f"{name} test"))
    raise DataError(f"dataset {name!r} has format {ds.format!r}, which is not a "
                    "classification layout")  # pragma: no cover - the registry is fixed


def _named(texts: LabeledTexts, source: str) -> LabeledTexts:
    return LabeledTexts(texts.texts, texts.labels, source)
