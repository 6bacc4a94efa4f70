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

from embedlayer.errors import ConfigError

_SPECIALS_HELP = "comma-separated special tokens placed first, e.g. '<pad>,<unk>' (default: none)"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("vocab", help="build, count, merge and inspect vocabularies",
                            description="Build, count, merge and inspect vocabularies.")
    cmds = parser.add_subparsers(dest="vocab_command", metavar="SUBCOMMAND", required=True)

    build = cmds.add_parser("build", help="count corpus files and write a vocabulary",
                            description="Stream CORPUS files through a tokenizer, count tokens "
                                        "and write a vocabulary (.json or .tsv).")
    _corpus_args(build)
    build.add_argument("-o", "--output", required=True, type=Path,
                       help="vocabulary file to write (.json or .tsv)")
    _vocab_args(build)
    build.add_argument("--counts-output", type=Path, default=None,
                       help="also write the full count shard here (to merge later)")
    build.set_defaults(func=_build)

    count = cmds.add_parser("count", help="count corpus files into a shard (no min_count cut)",
                            description="Count tokens into a shard file that 'vocab merge' can "
                                        "combine with shards counted elsewhere.")
    _corpus_args(count)
    count.add_argument("-o", "--output", required=True, type=Path, help="shard file (.tsv or .json)")
    count.set_defaults(func=_count)

    merge = cmds.add_parser("merge", help="merge count shards into one vocabulary",
                            description="Add up count shards and write one vocabulary.")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD")
    merge.add_argument("-o", "--output", required=True, type=Path,
                       help="vocabulary file to write (.json or .tsv)")
    _vocab_args(merge)
    merge.set_defaults(func=_merge)

    info = cmds.add_parser("info", help="summarize a saved vocabulary",
                           description="Print size, total count, specials and the top tokens.")
    info.add_argument("vocab", type=Path)
    info.add_argument("--top", type=int, default=10, help="how many top tokens to list")
    info.set_defaults(func=_info)


def _corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="text files, folders or glob patterns (.gz/.bz2/.xz read as streams)")
    p.add_argument("--tokenizer", default="regex",
                   help="tokenizer name (regex, whitespace, jieba, ...) or a saved pipeline .json")
    p.add_argument("--lower", action="store_true", help="lower-case before tokenizing")
    p.add_argument("--encoding", default="utf-8", help="corpus encoding (default utf-8)")
    p.add_argument("--errors", default="strict", choices=["strict", "replace", "skip-line"],
                   help="what to do with undecodable bytes (always counted)")
    p.add_argument("--max-types", type=int, default=None,
                   help="bound memory to this many distinct tokens (prunes rare ones, as "
                        "word2vec's -max-vocab... does)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _vocab_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-count", type=int, default=1, help="drop tokens seen fewer times")
    p.add_argument("--max-size", type=int, default=None, help="keep at most this many tokens")
    p.add_argument("--specials", default="", help=_SPECIALS_HELP)


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

    if args.max_types is not None and args.max_types < 1:
        raise ConfigError(f"--max-types must be >= 1, got {args.max_types}")
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

    vocab = counter.to_vocab(min_count=args.min_count, max_size=args.max_size,
                             specials=_specials(args.specials))
    report = counter.report(vocab)
    path = save_vocab(vocab, args.output)
    print(f"vocabulary   {len(vocab):>12,}   (min_count {args.min_count}, "
          f"covers {report.coverage:.2%} of tokens)")
    print(f"wrote {path}")


def _build(args: argparse.Namespace) -> int:
    from embedlayer.vocab import save_counter

    corpus, counter, seconds = _count_corpus(args)
    _print_corpus(corpus, counter, seconds)
    if args.counts_output is not None:
        save_counter(counter, args.counts_output)
        print(f"wrote {args.counts_output}")
    _write_vocab(counter, args)
    return 0


def _count(args: argparse.Namespace) -> int:
    from embedlayer.vocab import save_counter

    corpus, counter, seconds = _count_corpus(args)
    _print_corpus(corpus, counter, seconds)
    print(f"wrote {save_counter(counter, args.output)}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from embedlayer.vocab import TokenCounter, load_counter

    total = TokenCounter()
    for shard in args.shards:
        total.merge(load_counter(shard))
    print(f"shards       {len(args.shards):>12,}")
    print(f"tokens       {total.tokens:>12,}")
    print(f"types        {len(total):>12,}")
    _write_vocab(total, args)
    return 0


def _info(args: argparse.Namespace) -> int:
    from embedlayer.vocab import load_vocab

    vocab = load_vocab(args.vocab)
    print(f"tokens       {len(vocab):>12,}")
    print(f"total count  {vocab.total:>12,}")
    print(f"specials     {', '.join(vocab.specials) or '(none)'}")
    _print_top(vocab.tokens[len(vocab.specials):], vocab.counts[len(vocab.specials):], args.top)
    return 0


def _print_top(tokens: Sequence[str], counts: Iterable[int], n: int) -> None:
    for rank, (tok, c) in enumerate(zip(tokens[:n], counts, strict=False), start=1):
        print(f"{rank:>5}  {tok:<20} {int(c):>12,}")
