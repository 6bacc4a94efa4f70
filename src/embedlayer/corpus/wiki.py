"""Wikipedia (MediaWiki XML dump) corpora: :class:`WikiCorpus`.

Holds the streaming dump reader: ``xml.etree.ElementTree.iterparse`` over the (decompressed)
dump, one ``<page>`` at a time, clearing each page once read so memory stays bounded by one
article. Only articles are kept: namespace 0, not redirects, and at least
``min_article_chars`` characters of text once the markup is stripped (``_wikimarkup.py``).
It leaves out templates expansion, disambiguation detection and multi-stream indexes.

Iterating a :class:`WikiCorpus` yields each article's text (``str``, paragraphs joined by
``"\\n"``, section headings kept as paragraphs of their own); :meth:`WikiCorpus.articles`
yields :class:`WikiArticle` ``(title, text)`` pairs. :func:`wiki_to_text` writes a dump out as
a plain-text corpus file (atomically).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple, get_args
from xml.etree.ElementTree import Element, ParseError, iterparse

from embedlayer._atomic import atomic_write
from embedlayer._progress import progress_bar
from embedlayer._types import PathLike
from embedlayer.corpus._open import READ_ERRORS, compression_of, open_binary, read_error
from embedlayer.corpus._wikimarkup import strip_markup
from embedlayer.errors import ConfigError, CorpusError, FormatError, MissingFileError

__all__ = ["WikiArticle", "WikiCorpus", "WikiLineUnit", "WikiStats", "wiki_to_text"]

WikiLineUnit = Literal["article", "paragraph"]


class WikiArticle(NamedTuple):
    """One article: its title and its plain text (paragraphs joined by ``"\\n"``)."""

    title: str
    text: str


@dataclass(frozen=True)
class WikiStats:
    """Counts of the latest pass over a dump."""

    pages: int = 0  # <page> elements read
    articles: int = 0  # articles yielded
    redirects: int = 0  # namespace-0 pages skipped as redirects
    other_namespaces: int = 0  # pages skipped for ns != 0 (talk, user, file, template...)
    too_short: int = 0  # articles skipped for fewer than min_article_chars characters
    bytes: int = 0  # bytes read from disk (compressed size for .bz2)
    complete: bool = False  # the pass reached the end of the dump


def _local(tag: str) -> str:
    """A tag without its XML namespace: ``{http://www.mediawiki.org/...}page`` → ``page``."""
    return tag.rsplit("}", 1)[-1]


def _child(page: Element, name: str) -> Element | None:
    for child in page:
        if _local(child.tag) == name:
            return child
    return None


class WikiCorpus:
    """Articles of a MediaWiki XML dump (``.xml``, ``.xml.bz2``, ``.gz``, ``.xz``), streamed.

    ``min_article_chars`` drops stubs and near-empty pages (counted in :attr:`stats`); 0
    keeps every namespace-0 non-redirect page with any text left.
    """

    def __init__(
        self, path: PathLike, *, min_article_chars: int = 200, progress: bool = False,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            if self.path.exists():
                raise CorpusError(f"Wikipedia dump {str(path)!r} is not a regular file")
            raise MissingFileError(f"Wikipedia dump {str(path)!r} does not exist")
        if isinstance(min_article_chars, bool) or not isinstance(min_article_chars, int) or (
            min_article_chars < 0
        ):
            raise ConfigError(
                f"min_article_chars={min_article_chars!r}; expected an integer >= 0"
            )
        self.min_article_chars = min_article_chars
        self.progress = progress
        self._stats = WikiStats()

    @property
    def stats(self) -> WikiStats:
        """Counts of the latest pass (updated page by page while it runs)."""
        return self._stats

    def __iter__(self) -> Iterator[str]:
        for article in self.articles():
            yield article.text

    def articles(self) -> Iterator[WikiArticle]:
        """Each kept article as ``(title, text)``, in dump order."""
        counts = dict.fromkeys(
            ("pages", "articles", "redirects", "other_namespaces", "too_short", "bytes"), 0
        )
        self._stats = WikiStats()
        with open_binary(self.path) as opened, progress_bar(
            total=self.path.stat().st_size, desc="wiki", unit="B", enabled=self.progress
        ) as bar:
            root: Element | None = None
            try:
                for event, elem in iterparse(opened.stream, events=("start", "end")):
                    if root is None:
                        root = elem  # <mediawiki>: cleared after each page, so it stays small
                    if event != "end" or _local(elem.tag) != "page":
                        continue
                    article = self._read_page(elem, counts)
                    elem.clear()
                    root.clear()
                    pos = opened.disk_pos()
                    bar.update(pos - counts["bytes"])
                    counts["bytes"] = pos
                    self._stats = WikiStats(**counts)
                    if article is not None:
                        yield article
            except ParseError as exc:
                line, col = getattr(exc, "position", (0, 0))
                raise FormatError(
                    f"{str(self.path)!r}: line {line}, column {col}: invalid XML ({exc}); "
                    "expected a MediaWiki XML dump"
                ) from exc
            except READ_ERRORS as exc:
                raise read_error(self.path, exc) from exc
        self._stats = WikiStats(**counts, complete=True)
        if not counts["pages"]:
            kind = compression_of(self.path)
            raise CorpusError(
                f"Wikipedia dump {str(self.path)!r} holds no <page> elements"
                f" ({kind} compression by suffix); expected a MediaWiki XML export"
            )

    def _read_page(self, page: Element, counts: dict[str, int]) -> WikiArticle | None:
        counts["pages"] += 1
        ns = _child(page, "ns")
        if ns is not None and (ns.text or "").strip() != "0":
            counts["other_namespaces"] += 1
            return None
        revision = _child(page, "revision")
        text_elem = _child(revision, "text") if revision is not None else None
        wikitext = (text_elem.text if text_elem is not None else None) or ""
        if _child(page, "redirect") is not None or wikitext[:9].upper() == "#REDIRECT":
            counts["redirects"] += 1
            return None
        text = strip_markup(wikitext)
        if len(text) < self.min_article_chars or not text:
            counts["too_short"] += 1
            return None
        counts["articles"] += 1
        title_elem = _child(page, "title")
        title = (title_elem.text or "") if title_elem is not None else ""
        return WikiArticle(title=title, text=text)

    def __repr__(self) -> str:
        return f"WikiCorpus({str(self.path)!r}, min_article_chars={self.min_article_chars})"


def wiki_to_text(
    dump: PathLike, out: PathLike, *, per: WikiLineUnit = "article",
    min_article_chars: int = 200, progress: bool = True,
) -> WikiStats:
    """Write a dump's articles as plain text, atomically: one article a line
    (``per="article"``, paragraphs joined by a space) or one paragraph a line
    (``per="paragraph"``, a blank line after each article). Returns the pass's counts."""
    if per not in get_args(WikiLineUnit):
        raise ConfigError(f"unknown unit per={per!r}; expected one of {list(get_args(WikiLineUnit))}")
    corpus = WikiCorpus(dump, min_article_chars=min_article_chars, progress=progress)
    with atomic_write(out, "w", encoding="utf-8", newline="\n") as fh:
        for text in corpus:
            if per == "article":
                fh.write(text.replace("\n", " "))
                fh.write("\n")
            else:
                fh.write(text)
                fh.write("\n\n")
    return corpus.stats
