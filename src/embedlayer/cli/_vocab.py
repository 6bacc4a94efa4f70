"""`embedlayer vocab`: build, count, merge and inspect vocabularies.

``build`` streams corpus files through a tokenizer into a ``TokenCounter`` and writes a
vocabulary; ``count`` writes a count shard instead, and ``merge`` combines shards counted
elsewhere (another process or machine) into one vocabulary.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from embedlayer.cli._outputs import add_force, add_hidden_alias, check_outputs, flag_hints
from embedlayer.errors import ConfigError, VocabError

_SPECIALS_HELP = ("comma-separated special tokens placed first, e.g. '<pad>,<unk>' "
                  "(default: none)")
# Spelled out (not imported from embedlayer.vocab) so building the parser imports nothing;
# tests/test_vocab_cli.py checks they match embedlayer.vocab.VOCAB_FORMATS.
VOCAB_FORMATS = ("json", "tsv", "word-count")
_FORMAT_HELP = ("format of the file written: json, tsv (with a header) or word-count (plain 'word count' "
                "lines, as word2vec's -save-vocab writes) (default: by suffix: .tsv/.txt tsv, "
                ".vocab word-count, else json)")
_FROM_HELP = ("format of the file(s) read: json, tsv or word-count (default: detected from "
              "the suffix and the first line; headerless files are read as 'word count' "
              "lines)")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("vocab", help="build, count, merge and inspect vocabularies",
                            description="Build, count, merge and inspect vocabularies.")
    cmds = parser.add_subparsers(dest="vocab_command", metavar="SUBCOMMAND", required=True)

    build = cmds.add_parser("build", help="count corpus files and write a vocabulary",
                            description="Stream CORPUS files through a tokenizer, count tokens "
                                        "and write a vocabulary (.json, .tsv or .vocab).")
    _corpus_args(build)
    build.add_argument("-o", "--output", required=True, type=Path,
                       help="vocabulary file to write (required)")
    build.add_argument("--format", choices=VOCAB_FORMATS, default=None, help=_FORMAT_HELP)
    _vocab_args(build)
    build.add_argument("--counts-output", type=Path, default=None,
                       help="also write the full count shard here, to merge later "
                            "(default: none)")
    add_force(build)
    build.set_defaults(func=_build)

    count = cmds.add_parser("count", help="count corpus files into a shard (no min_count cut)",
                            description="Count tokens into a shard file that 'vocab merge' can "
                                        "combine with shards counted elsewhere.")
    _corpus_args(count)
    count.add_argument("-o", "--output", required=True, type=Path,
                       help="shard file to write (required)")
    count.add_argument("--format", choices=VOCAB_FORMATS, default=None, help=_FORMAT_HELP)
    add_force(count)
    count.set_defaults(func=_count)

    merge = cmds.add_parser("merge", help="merge count shards into one vocabulary",
                            description="Add up count shards (from 'vocab count', or plain "
                                        "'word count' files) and write one vocabulary.")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD",
                       help="count shards, space-separated")
    merge.add_argument("--from", dest="from_format", choices=VOCAB_FORMATS, default=None,
                       metavar="FORMAT", help=_FROM_HELP)
    add_hidden_alias(merge, "--input-format", "from_format",
                     choices=VOCAB_FORMATS)  # the old name of --from
    merge.add_argument("-o", "--output", required=True, type=Path,
                       help="vocabulary file to write (required)")
    merge.add_argument("--format", choices=VOCAB_FORMATS, default=None, help=_FORMAT_HELP)
    _vocab_args(merge)
    add_force(merge)
    merge.set_defaults(func=_merge)

    info = cmds.add_parser("info", help="summarize a saved vocabulary",
                           description="Print size, total count, specials and the top tokens "
                                       "of a vocabulary (json, tsv or a plain 'word count' file).")
    info.add_argument("vocab", type=Path, metavar="VOCAB")
    info.add_argument("--from", dest="from_format", choices=VOCAB_FORMATS, default=None,
                      metavar="FORMAT", help=_FROM_HELP)
    info.add_argument("--topn", type=int, default=10,
                      help="how many top tokens to list (default: %(default)s)")
    add_hidden_alias(info, "--top", "topn", type=int)  # the old name of --topn
    info.set_defaults(func=_info)


def _corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="text files, folders or glob patterns, space-separated (.gz/.bz2/.xz "
                        "read as streams)")
    p.add_argument("--tokenizer", default="regex",
                   help="tokenizer name (regex, whitespace, jieba, ...) or a saved pipeline "
                        ".json (default: %(default)s)")
    p.add_argument("--lower", action="store_true",
                   help="lower-case before tokenizing (default: keep case)")
    p.add_argument("--encoding", default="utf-8", help="corpus encoding (default: %(default)s)")
    p.add_argument("--errors", default="strict", choices=["strict", "replace", "skip-line"],
                   help="what to do with undecodable bytes in the corpus, always counted: "
                        "stop, U+FFFD, or drop the whole line (corpus text only; vector files "
                        "use --unicode-errors, which acts inside a key) (default: %(default)s)")
    p.add_argument("--max-types", type=int, default=None,
                   help="bound memory while counting to this many distinct tokens, pruning the "
                        "rarest as word2vec's ReduceVocab does (default: no cap)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (default: show it)")


def _vocab_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-count", type=int, default=1,
                   help="drop tokens seen fewer times (default: %(default)s)")
    p.add_argument("--max-vocab", type=int, default=None,
                   help="keep at most this many tokens, the most frequent; specials come on "
                        "top (default: no cap)")
    p.add_argument("--specials", default="", help=_SPECIALS_HELP)


def _check_int(flag: str, value: int | None, *, minimum: int) -> None:
    if value is not None and value < minimum:
        raise ConfigError(f"{flag} must be >= {minimum}, got {value}")


def _input_files(args: argparse.Namespace) -> list[Path]:
    """The corpus arguments that name files (folders and globs cannot be an output path)."""
    return [Path(c) for c in args.corpus if Path(c).is_file()]


def _check_args(args: argparse.Namespace, outputs: list[tuple[str, Path | None]],
                inputs: list[Path]) -> None:
    """Everything the command can know is wrong, before any counting starts."""
    _check_int("--min-count", getattr(args, "min_count", None), minimum=1)
    _check_int("--max-vocab", getattr(args, "max_vocab", None), minimum=1)
    _check_int("--max-types", getattr(args, "max_types", None), minimum=1)
    specials = _specials(getattr(args, "specials", ""))
    if len(set(specials)) != len(specials):
        raise ConfigError(f"--specials {args.specials!r} repeats a token; expected distinct "
                          f"tokens")
    check_outputs(outputs, force=args.force, inputs=inputs)


def _specials(raw: str) -> list[str]:
    return [s for s in (x.strip() for x in raw.split(",")) if s]


def _token_stream(args: argparse.Namespace):
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import get_tokenizer

    corpus = TextCorpus(args.corpus, encoding=args.encoding, errors=args.errors,
                        progress=not args.quiet)
    tokenizer = get_tokenizer(args.tokenizer, lowercase=args.lower)
    return corpus, tokenizer.tokenize_many(corpus)


def _count_corpus(args: argparse.Namespace):
    from embedlayer.vocab import TokenCounter

    corpus, sentences = _token_stream(args)
    start = time.perf_counter()
    counter = TokenCounter(max_types=args.max_types).update_many(sentences)
    seconds = time.perf_counter() - start
    return corpus, counter, seconds


def _print_corpus(corpus, counter, seconds: float) -> None:
    stats = corpus.stats
    rate = counter.tokens / seconds if seconds > 0 else float("inf")
    print(f"files        {len(corpus.files):>12,}")
    print(f"lines        {stats.lines:>12,}")
    print(f"tokens       {counter.tokens:>12,}   ({rate:,.0f} tokens/s, {seconds:.1f} s)")
    print(f"types        {len(counter):>12,}")
    if stats.decode_errors or stats.skipped_lines:
        print(f"decode errors{stats.decode_errors:>12,}   skipped lines {stats.skipped_lines:,}")
    if counter.pruned:
        print(f"pruned       {counter.pruned_types:>12,} types / {counter.pruned_tokens:,} "
              f"occurrences (memory cap {counter.max_types:,}; counts are approximate)")


def _write_vocab(counter, args: argparse.Namespace) -> None:
    from embedlayer.vocab import save_vocab

    try:
        vocab = counter.to_vocab(min_count=args.min_count, max_vocab=args.max_vocab,
                                 specials=_specials(args.specials))
    except VocabError as exc:  # name the flag that empties it, not the Python keyword
        raise VocabError(f"{exc}; try a lower --min-count (now {args.min_count})") from None
    report = counter.report(vocab)
    path = save_vocab(vocab, args.output, format=args.format)
    print(f"vocabulary   {len(vocab):>12,}   (min_count {args.min_count}, "
          f"covers {report.coverage:.2%} of tokens)")
    print(f"wrote {path}")


@flag_hints()
def _build(args: argparse.Namespace) -> int:
    from embedlayer.vocab import save_counter

    _check_args(args, [("-o/--output", args.output), ("--counts-output", args.counts_output)],
                _input_files(args))
    corpus, counter, seconds = _count_corpus(args)
    _print_corpus(corpus, counter, seconds)
    if args.counts_output is not None:
        save_counter(counter, args.counts_output)
        print(f"wrote {args.counts_output}")
    _write_vocab(counter, args)
    return 0


@flag_hints()
def _count(args: argparse.Namespace) -> int:
    from embedlayer.vocab import save_counter

    _check_args(args, [("-o/--output", args.output)], _input_files(args))
    corpus, counter, seconds = _count_corpus(args)
    _print_corpus(corpus, counter, seconds)
    print(f"wrote {save_counter(counter, args.output, format=args.format)}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from embedlayer.vocab import TokenCounter, load_counter

    _check_args(args, [("-o/--output", args.output)], list(args.shards))
    total = TokenCounter()
    for shard in args.shards:
        total.merge(load_counter(shard, format=args.from_format))
    print(f"shards       {len(args.shards):>12,}")
    print(f"tokens       {total.tokens:>12,}")
    print(f"types        {len(total):>12,}")
    _write_vocab(total, args)
    return 0


def _info(args: argparse.Namespace) -> int:
    from embedlayer.vocab import load_vocab

    _check_int("--topn", args.topn, minimum=0)
    vocab = load_vocab(args.vocab, format=args.from_format)
    print(f"tokens       {len(vocab):>12,}")
    print(f"total count  {vocab.total:>12,}")
    print(f"specials     {', '.join(vocab.specials) or '(none)'}")
    _print_top(vocab.tokens[len(vocab.specials):], vocab.counts[len(vocab.specials):],
               args.topn)
    return 0


def _print_top(tokens: Sequence[str], counts: Iterable[int], n: int) -> None:
    for rank, (tok, c) in enumerate(zip(tokens[:n], counts, strict=False), start=1):
        print(f"{rank:>5}  {tok:<20} {int(c):>12,}")
