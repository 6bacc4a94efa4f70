"""`embedlayer corpus`: inspect text corpora and turn Wikipedia dumps into plain text.

Sub-commands (each parses, calls one public function of ``embedlayer.corpus``, prints):

- ``corpus stats PATH...``: files, lines, bytes, decode errors and whitespace tokens;
- ``corpus wiki DUMP -o OUT.txt``: the dump's articles as plain text, one article a line
  (or one paragraph a line with ``--per paragraph``), written atomically; an existing output
  is refused before the dump is read, unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from embedlayer.cli._outputs import add_force, check_outputs, flag_hints

__all__ = ["register"]

# The choices of embedlayer.corpus's Literal modes, spelled out so that building the parser
# (which `embedlayer --help` does for every command) does not import the corpus readers;
# tests/test_corpus_cli.py checks they match.
DECODE_POLICIES = ("strict", "replace", "skip-line")
DOCUMENT_UNITS = ("line", "file")
WIKI_LINE_UNITS = ("article", "paragraph")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "corpus", help="inspect text corpora, convert Wikipedia dumps",
        description="Inspect text corpora and convert Wikipedia XML dumps to plain text.",
    )
    commands = parser.add_subparsers(dest="corpus_command", metavar="SUBCOMMAND", required=True)

    stats = commands.add_parser(
        "stats", help="count files, lines, bytes, decode errors and tokens",
        description="Read text corpora (files, folders, glob patterns; .gz/.bz2/.xz by suffix) "
        "once and print their files, lines, bytes, decode errors and whitespace-token count.",
    )
    stats.add_argument("paths", nargs="+", metavar="PATH",
                       help="files, folders or glob patterns, space-separated")
    stats.add_argument("--encoding", default="utf-8", help="text encoding (default: utf-8)")
    stats.add_argument(
        "--errors", default="strict", choices=DECODE_POLICIES,
        help="what invalid bytes in the text do: stop with an error, become U+FFFD, or drop "
        "their whole line (corpus text only; vector files use --unicode-errors, which acts "
        "inside a key) (default: strict)",
    )
    stats.add_argument(
        "--per", default="line", choices=DOCUMENT_UNITS,
        help="what an item is: a line, or a whole file (default: line)",
    )
    stats.add_argument("--keep-blank", action="store_true",
                       help="count blank lines as items (default: skip them)")
    stats.add_argument("--json", action="store_true",
                       help="print one JSON object (default: a table)")
    stats.add_argument("--quiet", action="store_true", help="no progress bar (default: show it)")
    stats.set_defaults(func=_stats)

    wiki = commands.add_parser(
        "wiki", help="write a Wikipedia XML dump's articles as plain text",
        description="Strip a MediaWiki XML dump (.xml, .xml.bz2) to plain article text: "
        "namespace-0 articles only, no redirects, templates, tables, references or images.",
    )
    wiki.add_argument("dump", metavar="DUMP", help="the XML dump (.xml or .xml.bz2)")
    wiki.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                      help="text file to write (required)")
    wiki.add_argument(
        "--per", default="article", choices=WIKI_LINE_UNITS,
        help="one article a line, or one paragraph a line with a blank line between "
        "articles (default: article)",
    )
    wiki.add_argument(
        "--min-chars", type=int, default=200, metavar="N",
        help="skip articles shorter than N characters of text (default: 200)",
    )
    wiki.add_argument("--quiet", action="store_true", help="no progress bar (default: show it)")
    add_force(wiki)
    wiki.set_defaults(func=_wiki)


@flag_hints()
def _stats(args: argparse.Namespace) -> int:
    from embedlayer.corpus import DocumentCorpus, summarize

    corpus = DocumentCorpus(
        args.paths, per=args.per, encoding=args.encoding, errors=args.errors,
        skip_blank=not args.keep_blank, progress=not args.quiet,
    )
    summary = summarize(corpus)
    if args.json:
        print(json.dumps(summary.as_dict(), sort_keys=True))
        return 0
    s = summary.stats
    rows = [
        ("files", s.files), ("lines", s.lines), ("items", s.items), ("bytes", s.bytes),
        ("text bytes", s.text_bytes),
        ("decode errors", s.decode_errors), ("replaced", s.replaced),
        ("skipped lines", s.skipped_lines), ("tokens", summary.tokens),
        ("chars", summary.chars),
    ]
    # "items": lines kept (non-blank unless --keep-blank), or files with --per file.
    for name, value in rows:
        print(f"{name:<14} {value}")
    return 0


def _wiki(args: argparse.Namespace) -> int:
    from embedlayer.corpus import wiki_to_text
    from embedlayer.errors import ConfigError

    if args.min_chars < 0:
        raise ConfigError(f"--min-chars must be >= 0, got {args.min_chars}")
    check_outputs([("-o/--output", args.output)], force=args.force, inputs=[Path(args.dump)])
    stats = wiki_to_text(
        args.dump, args.output, per=args.per, min_article_chars=args.min_chars,
        progress=not args.quiet,
    )
    print(
        f"wrote {stats.articles} articles to {args.output} ({stats.pages} pages read: "
        f"{stats.redirects} redirects, {stats.other_namespaces} outside the article "
        f"namespace, {stats.too_short} shorter than {args.min_chars} characters)"
    )
    return 0
