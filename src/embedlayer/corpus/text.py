"""Plain-text corpora: :class:`TextCorpus` (one item per line) and :class:`DocumentCorpus`.

Holds the two line-based readers every training run starts from. A corpus yields strings;
tokenizing them is the job of ``embedlayer.text``. Path resolution, decompression and the
decode policies are shared with the CoNLL reader (``_paths.py``, ``_open.py``, ``_lines.py``).

Both readers are re-iterable: each ``iter()`` opens the files again and yields the same items,
holding one block of lines (or one document) in memory, never a whole file.

Empty corpora: the paths are checked when the corpus is built (missing file, folder or glob
with no files), but whether any line survives ``skip_blank`` and the decode policy is only
known after reading everything, so a pass that yields nothing raises :class:`CorpusError`
when it reaches the end (rather than reading the whole corpus up front in ``__init__``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal, get_args

from embedlayer.corpus._lines import DecodePolicy, LineSource
from embedlayer.corpus._paths import PathSpec
from embedlayer.corpus.stats import CorpusStats, Tally
from embedlayer.errors import ConfigError, CorpusError

__all__ = ["DocumentCorpus", "DocumentUnit", "TextCorpus"]

DocumentUnit = Literal["line", "file"]


def _empty_error(source: LineSource, tally: Tally, what: str) -> CorpusError:
    return CorpusError(
        f"corpus {source.describe()} is empty: {tally.files} file(s), {tally.lines} line(s) "
        f"read ({tally.skipped_lines} skipped for invalid bytes) and no {what}; expected at "
        "least one non-blank line"
    )


class TextCorpus:
    """Lines of text files, folders or glob patterns, as ``str`` without the newline.

    ``errors`` decides what invalid bytes do: ``"strict"`` raises :class:`DecodeError`
    naming the file, line and byte offset; ``"replace"`` puts U+FFFD in their place;
    ``"skip-line"`` drops the line. Either way :attr:`stats` counts them. ``skip_blank``
    drops lines that are empty or only whitespace. ``progress`` shows a bar in on-disk bytes.
    """

    def __init__(
        self, paths: PathSpec, *, encoding: str = "utf-8", errors: DecodePolicy = "strict",
        skip_blank: bool = True, progress: bool = False,
    ) -> None:
        self._source = LineSource(paths, encoding=encoding, errors=errors)
        self.encoding = encoding
        self.errors = errors
        self.skip_blank = skip_blank
        self.progress = progress
        self._tally = Tally()

    @property
    def files(self) -> tuple[Path, ...]:
        """The files this corpus reads, resolved once, in reading order."""
        return self._source.files

    @property
    def stats(self) -> CorpusStats:
        """Counts of the latest pass (updated block by block while it runs)."""
        return self._tally.snapshot()

    def __iter__(self) -> Iterator[str]:
        tally = self._tally = Tally()
        skip_blank = self.skip_blank
        for _path, block in self._source.blocks(tally, progress=self.progress, desc="corpus"):
            # filter(str.strip) keeps lines with a non-whitespace character, at C speed.
            lines = list(filter(str.strip, block)) if skip_blank else block
            tally.items += len(lines)
            yield from lines  # type: ignore[misc]
        if not tally.items:
            raise _empty_error(self._source, tally, "non-blank line")

    def __repr__(self) -> str:
        return (
            f"TextCorpus({len(self.files)} file(s), encoding={self.encoding!r}, "
            f"errors={self.errors!r}, skip_blank={self.skip_blank})"
        )


class DocumentCorpus:
    """Documents as ``str``: one per line (``per="line"``) or one per file (``per="file"``).

    ``per="line"`` reads exactly like :class:`TextCorpus` (files such as
    ``lee_background.txt`` or ``lee.cor`` hold one document a line). ``per="file"`` yields
    each file's lines joined by ``"\\n"`` (blank lines dropped when ``skip_blank``), for
    folders of one-document files; a file with no kept line yields nothing. Memory is bounded
    by one document.
    """

    def __init__(
        self, paths: PathSpec, *, per: DocumentUnit = "line", encoding: str = "utf-8",
        errors: DecodePolicy = "strict", skip_blank: bool = True, progress: bool = False,
    ) -> None:
        if per not in get_args(DocumentUnit):
            raise ConfigError(f"unknown document unit per={per!r}; expected 'line' or 'file'")
        self.per = per
        self._lines = TextCorpus(
            paths, encoding=encoding, errors=errors, skip_blank=skip_blank, progress=progress
        )
        self._tally = Tally()

    @property
    def files(self) -> tuple[Path, ...]:
        return self._lines.files

    @property
    def stats(self) -> CorpusStats:
        return self._lines.stats if self.per == "line" else self._tally.snapshot()

    def __iter__(self) -> Iterator[str]:
        if self.per == "line":
            yield from self._lines
            return
        tally = self._tally = Tally()
        source, skip_blank = self._lines._source, self._lines.skip_blank
        doc: list[str] = []
        current = None
        for path, block in source.blocks(tally, progress=self._lines.progress, desc="corpus"):
            if path != current:
                if doc:
                    tally.items += 1
                    yield "\n".join(doc)
                doc, current = [], path
            doc.extend(filter(str.strip, block) if skip_blank else block)  # type: ignore[arg-type]
        if doc:
            tally.items += 1
            yield "\n".join(doc)
        if not tally.items:
            raise _empty_error(source, tally, "non-blank document")

    def __repr__(self) -> str:
        return f"DocumentCorpus({len(self.files)} file(s), per={self.per!r})"
