"""`embedlayer demo`: the main job on the default data.

Today the pipeline runs as far as the foundation goes: resolve the English corpora through
the data registry (local mirror, cache or a verified download), stream them through the
regex tokenizer, count, build the vocabulary, print corpus statistics, and save the
vocabulary, the count shard and the tokenizer in one folder. Later stages (training,
evaluation, the classifier) extend this same command.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The English corpora of the shared data set, in the order the demo reads them.
DEFAULT_CORPORA = (
    "brown", "movie-reviews", "abc", "state-union", "inaugural", "webtext", "genesis",
    "lee-background",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the pipeline on the default data",
                       description="Build a vocabulary over the default English corpora and "
                                   "print corpus statistics; save everything in one folder.")
    p.add_argument("-o", "--output", type=Path, default=Path("embedlayer-demo"),
                   help="folder for the results (default: ./embedlayer-demo)")
    p.add_argument("--min-count", type=int, default=5, help="vocabulary min_count (default 5)")
    p.add_argument("--corpus", action="append", default=None, metavar="NAME",
                   help="dataset name to read instead of the default English corpora "
                        "(repeatable; see `embedlayer data list`)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_run)


@dataclass(frozen=True)
class CorpusRow:
    name: str
    lines: int
    tokens: int
    types: int


@dataclass(frozen=True)
class DemoResult:
    rows: list[CorpusRow]
    tokens: int
    types: int
    vocab_size: int
    coverage: float
    hapax: int
    zipf_slope: float
    seconds: float
    output: Path


def run_demo(
    *, output: Path, corpora: tuple[str, ...] = DEFAULT_CORPORA, min_count: int = 5,
    progress: bool = True,
) -> DemoResult:
    """Count the corpora, build and save the vocabulary; return the statistics."""
    from embedlayer import data
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import get_tokenizer
    from embedlayer.vocab import PAD, UNK, TokenCounter, save_counter, save_vocab

    tokenizer = get_tokenizer("regex", lowercase=True)
    total = TokenCounter()
    rows = []
    start = time.perf_counter()
    for name in corpora:
        path = data.path(name, progress=progress)
        corpus = TextCorpus(path, progress=progress)
        counter = TokenCounter().update_many(tokenizer.tokenize_many(corpus))
        rows.append(CorpusRow(name, corpus.stats.lines, counter.tokens, len(counter)))
        total.merge(counter)
    seconds = time.perf_counter() - start
    vocab = total.to_vocab(min_count=min_count, specials=[PAD, UNK])
    report = total.report(vocab)

    output.mkdir(parents=True, exist_ok=True)
    save_vocab(vocab, output / "vocab.tsv")
    save_counter(total, output / "counts.tsv")
    tokenizer.save(output / "tokenizer.json")

    counts = np.sort(np.fromiter(dict(total).values(), dtype=np.float64))[::-1]
    return DemoResult(
        rows=rows, tokens=total.tokens, types=len(total), vocab_size=len(vocab),
        coverage=report.coverage, hapax=int((counts == 1).sum()),
        zipf_slope=_zipf_slope(counts), seconds=seconds, output=output,
    )


def _zipf_slope(counts_desc: np.ndarray, *, head: int = 10_000) -> float:
    """Slope of log(count) against log(rank) over the top ``head`` ranks (Zipf: about -1)."""
    n = min(head, counts_desc.size)
    if n < 2:
        return math.nan
    ranks = np.log(np.arange(1, n + 1))
    return float(np.polyfit(ranks, np.log(counts_desc[:n]), 1)[0])


def _run(args: argparse.Namespace) -> int:
    from embedlayer.errors import ConfigError

    if args.min_count < 1:
        raise ConfigError(f"--min-count must be >= 1, got {args.min_count}")
    corpora = tuple(args.corpus) if args.corpus else DEFAULT_CORPORA
    result = run_demo(output=args.output, corpora=corpora, min_count=args.min_count,
                      progress=not args.quiet)
    print(f"{'corpus':<16}{'lines':>10}{'tokens':>12}{'types':>10}")
    for row in result.rows:
        print(f"{row.name:<16}{row.lines:>10,}{row.tokens:>12,}{row.types:>10,}")
    print(f"{'all':<16}{sum(r.lines for r in result.rows):>10,}{result.tokens:>12,}"
          f"{result.types:>10,}")
    rate = result.tokens / result.seconds if result.seconds > 0 else float("inf")
    print(f"\nread, tokenized and counted in {result.seconds:.1f} s ({rate:,.0f} tokens/s)")
    print(f"hapax legomena: {result.hapax:,} types ({result.hapax / result.types:.1%} of types)")
    print(f"Zipf slope over the top 10,000 ranks: {result.zipf_slope:.2f}")
    print(f"vocabulary at min_count {args.min_count}: {result.vocab_size:,} tokens "
          f"(with <pad>, <unk>), covering {result.coverage:.2%} of running tokens")
    print(f"\nsaved vocab.tsv, counts.tsv and tokenizer.json in {result.output.resolve()}")
    return 0
