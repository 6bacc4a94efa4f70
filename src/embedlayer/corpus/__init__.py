"""Streaming corpus readers: text files, folders, globs, compressed files, Wikipedia dumps,
CoNLL column files.

A corpus is a re-iterable object: every ``iter()`` reads its files again and yields the same
items (strings, or :class:`Sentence` for CoNLL), holding one line, document or article in
memory, never a whole file. Tokenizing is left to ``embedlayer.text``; this package imports
only the package's base layer (errors, progress bars, atomic writes) and the standard library.

- :class:`TextCorpus`: lines (``str``) of files, folders and glob patterns; ``.gz``, ``.bz2``
  and ``.xz`` read by suffix; invalid bytes raise, are replaced or skip the line, and are
  always counted in ``.stats`` (:class:`CorpusStats`).
- :class:`DocumentCorpus`: documents (``str``), one a line or one a file.
- :class:`WikiCorpus`: plain text of the articles of a MediaWiki XML dump; ``.articles()``
  gives :class:`WikiArticle` ``(title, text)``; :func:`wiki_to_text` writes a dump as text;
  :func:`strip_wiki_markup` is the markup stripper on its own.
- :class:`ConllCorpus`: :class:`Sentence` ``(tokens, tags, columns)`` of CoNLL column files;
  :func:`write_conll` writes such columns back (a tagger's predictions next to the gold).
- :class:`TextShard`: part ``k`` of ``n`` of a text corpus (whole files, or line-aligned byte
  ranges of one big file), for one of several processes; :func:`plan_shards` says who reads
  what.
- :func:`summarize`: one counting pass (lines, bytes, whitespace tokens) over a text corpus.
"""

from __future__ import annotations

from embedlayer.corpus._lines import DecodePolicy
from embedlayer.corpus._wikimarkup import strip_markup as strip_wiki_markup
from embedlayer.corpus.conll import ConllCorpus, Sentence, write_conll
from embedlayer.corpus.shard import ShardPiece, TextShard, plan_shards
from embedlayer.corpus.stats import CorpusStats
from embedlayer.corpus.summary import CorpusSummary, summarize
from embedlayer.corpus.text import DocumentCorpus, DocumentUnit, TextCorpus
from embedlayer.corpus.wiki import WikiArticle, WikiCorpus, WikiLineUnit, WikiStats, wiki_to_text

__all__ = [
    "ConllCorpus",
    "CorpusStats",
    "CorpusSummary",
    "DecodePolicy",
    "DocumentCorpus",
    "DocumentUnit",
    "Sentence",
    "ShardPiece",
    "TextCorpus",
    "TextShard",
    "WikiArticle",
    "WikiCorpus",
    "WikiLineUnit",
    "WikiStats",
    "plan_shards",
    "strip_wiki_markup",
    "summarize",
    "wiki_to_text",
    "write_conll",
]
