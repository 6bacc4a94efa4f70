"""CoNLL column files (one token a line, a blank line between sentences): :class:`ConllCorpus`.

Holds the sentence reader for tagging data such as CoNLL-2002/2003 NER (``token POS IOB-tag``)
and :func:`write_conll`, its writer (a tagger's predictions go next to the gold columns).
It leaves out what the tags mean (IOB schemes, entity spans belong to the tagging task) and
CoNLL-U specifics (comment lines, multi-word token ranges).

Layout: columns are split on tabs when the first data line holds a tab, else on runs of
whitespace; every data line must have as many columns as the first one (or as ``columns``
names). ``-DOCSTART-`` lines are document separators: skipped, and they end a sentence.
A sentence never spans two files. ``separator`` tells, after the first data line, which of
the two the files use, so that a writer can answer in kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, TextIO

from embedlayer.corpus._lines import DecodePolicy, LineSource
from embedlayer.corpus._paths import PathSpec
from embedlayer.corpus.stats import CorpusStats, Tally
from embedlayer.errors import ConfigError, CorpusError, FormatError

__all__ = ["ConllCorpus", "Sentence", "write_conll"]

_DOCSTART = "-DOCSTART-"


class Sentence(NamedTuple):
    """One sentence: its tokens, its tags, and every column (``columns[i][j]``: column i of
    token j, in file order; tokens and tags are two of them)."""

    tokens: list[str]
    tags: list[str]
    columns: tuple[list[str], ...]


class ConllCorpus:
    """Sentences of CoNLL column files, as :class:`Sentence` ``(tokens, tags, columns)``.

    ``columns`` optionally names the columns (e.g. ``("token", "pos", "ner")``); then the file
    must have exactly that many, and ``token_column``/``tag_column`` may be names. Indices may
    be negative (``tag_column=-1``: the last column).
    """

    def __init__(
        self, path: PathSpec, *, columns: Sequence[str] | None = None,
        token_column: int | str = 0, tag_column: int | str = -1, encoding: str = "utf-8",
        errors: DecodePolicy = "strict", progress: bool = False,
    ) -> None:
        self._source = LineSource(path, encoding=encoding, errors=errors)
        self.columns = tuple(columns) if columns is not None else None
        if self.columns is not None and not self.columns:
            raise ConfigError("columns=(); expected at least one column name, or None")
        self.token_column = token_column
        self.tag_column = tag_column
        self.progress = progress
        self.separator: str | None = None  # a tab, or " " (runs of whitespace), once read
        self._tally = Tally()
        if self.columns is not None:  # check names and indices now; otherwise at the 1st line
            self._index(token_column, len(self.columns), "token_column")
            self._index(tag_column, len(self.columns), "tag_column")

    @property
    def files(self) -> tuple[Path, ...]:
        return self._source.files

    @property
    def stats(self) -> CorpusStats:
        """Counts of the latest pass; ``items`` counts sentences."""
        return self._tally.snapshot()

    def _index(self, column: int | str, width: int, what: str) -> int:
        if isinstance(column, str):
            if self.columns is None or column not in self.columns:
                raise ConfigError(
                    f"{what}={column!r} names no column; expected an int index or one of "
                    f"{list(self.columns) if self.columns else 'the names given in columns='}"
                )
            return self.columns.index(column)
        if isinstance(column, bool) or not isinstance(column, int) or not -width <= column < width:
            raise ConfigError(
                f"{what}={column!r} is out of range; expected an index in [{-width}, {width - 1}]"
                f" for {width} column(s)"
            )
        return column % width

    def __iter__(self) -> Iterator[Sentence]:
        tally = self._tally = Tally()
        width = len(self.columns) if self.columns is not None else None
        first_where = "the columns= names"
        tab: bool | None = None
        tok_i = tag_i = 0
        if width is not None:
            tok_i = self._index(self.token_column, width, "token_column")
            tag_i = self._index(self.tag_column, width, "tag_column")
        rows: list[list[str]] = []
        current: Path | None = None
        lineno = 0

        def flush() -> Sentence:
            cols = tuple(list(col) for col in zip(*rows, strict=True))
            tally.items += 1
            return Sentence(tokens=cols[tok_i], tags=cols[tag_i], columns=cols)

        for path, block in self._source.blocks(
            tally, progress=self.progress, desc="conll", keep_gaps=True
        ):
            if path != current:
                if rows:
                    yield flush()
                    rows = []
                current, lineno = path, 0
            for line in block:
                lineno += 1
                if line is None:  # dropped by errors="skip-line" (counted in stats)
                    continue
                if not line or line.isspace():
                    if rows:
                        yield flush()
                        rows = []
                    continue
                if tab is None:
                    tab = "\t" in line
                    self.separator = "\t" if tab else " "
                fields = line.rstrip().split("\t") if tab else line.split()
                if fields[0] == _DOCSTART:
                    if rows:
                        yield flush()
                        rows = []
                    continue
                if width is None:
                    width = len(fields)
                    first_where = f"the first data line ({str(path)!r} line {lineno})"
                    tok_i = self._index(self.token_column, width, "token_column")
                    tag_i = self._index(self.tag_column, width, "tag_column")
                if len(fields) != width:
                    raise FormatError(
                        f"{str(path)!r}: line {lineno}: {len(fields)} column(s) in {line!r}; "
                        f"expected {width}, as in {first_where}"
                    )
                rows.append(fields)
        if rows:
            yield flush()
        if not tally.items:
            raise CorpusError(
                f"CoNLL corpus {self._source.describe()} is empty: {tally.lines} line(s) read "
                "and no sentence; expected token lines separated by blank lines"
            )

    def __repr__(self) -> str:
        return f"ConllCorpus({len(self.files)} file(s), columns={self.columns})"


def write_conll(
    fh: TextIO, sentences: Iterable[Sequence[Sequence[str]]], *, sep: str = " ",
) -> int:
    """Write sentences as column lines, a blank line after each; returns the sentence count.

    Each sentence is a sequence of columns (``Sentence.columns``, perhaps with a column of
    predicted tags added), each column a list with one string per token. ``sep`` is ``" "``
    (conlleval's default) or ``"\\t"``. A field that is empty, holds a line break or the
    separator (any whitespace with ``" "``) could not be read back: ``ConfigError`` naming
    the sentence, token and column.
    """
    if sep not in (" ", "\t"):
        raise ConfigError(f"write_conll: sep must be ' ' or '\\t', got {sep!r}")
    n = 0
    for n, columns in enumerate(sentences, start=1):
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ConfigError(f"write_conll: sentence {n} has columns of lengths "
                              f"{sorted(lengths)}; expected one value per token in each")
        for j, row in enumerate(zip(*columns, strict=True), start=1):
            for c, field in enumerate(row, start=1):
                if not field or "\n" in field or "\r" in field or sep in field \
                        or (sep == " " and any(ch.isspace() for ch in field)):
                    raise ConfigError(
                        f"write_conll: sentence {n}, token {j}, column {c} is {field!r}: an "
                        f"empty field, or one holding a line break or the separator "
                        f"{sep!r}, cannot be written as a CoNLL column (write tab-separated "
                        "columns, or JSON)")
            fh.write(sep.join(row) + "\n")
        fh.write("\n")
    return n
