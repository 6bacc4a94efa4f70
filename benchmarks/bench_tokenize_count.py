"""Tokenizing and counting throughput on the English corpora, against gensim in the same run.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_tokenize_count.py
      [--repeats 5] [--quick]
(needs the bench extra: ``pip install -e '.[bench]'``). Takes about 2 min with the defaults on
a quiet 2-core machine; nothing else may run meanwhile. Prints a Markdown table for
docs/benchmarks.md, headed by the exact command line, with the load average (1 min) before
and after. ``--quick`` is a smoke test only (lee-background, 1 repeat). Every contender runs ``--repeats`` times, interleaved, so machine noise
hits all of them alike; the table shows the median and the min-max spread.

Stages, each over all of corpora/en/*.txt (~4.5M regex tokens):
- tokenize: lines already in memory -> token lists (lower-cased)
- count: token lists already in memory -> counts
- end to end: files on disk -> streamed lines -> tokens -> counts -> vocabulary (min_count 5)
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import statistics
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from pathlib import Path

from embedlayer import data
from embedlayer.corpus import TextCorpus
from embedlayer.text import get_tokenizer
from embedlayer.vocab import TokenCounter

CORPORA = ("brown", "movie-reviews", "abc", "state-union", "inaugural", "webtext", "genesis",
           "lee-background")


def _files(corpora: tuple[str, ...] = CORPORA) -> list[Path]:
    return [data.path(name, progress=False) for name in corpora]


def _lines(files: list[Path]) -> list[str]:
    out: list[str] = []
    for f in files:
        out.extend(f.read_text(encoding="utf-8").splitlines())
    return out


def _drain(items: Iterable[object]) -> None:
    deque(items, maxlen=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats (default: 5, 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: lee-background, 1 repeat (figures mean nothing)")
    args = parser.parse_args()
    args.repeats = args.repeats or (1 if args.quick else 5)
    data = os.environ.get("EMBEDLAYER_DATA")  # the command as typed, for the table's heading
    env = f"EMBEDLAYER_DATA={shlex.quote(data)} " if data else ""
    print(f"`{env}{shlex.join(['python', *sys.argv])}`\n")
    load_before = os.getloadavg()[0]

    from gensim.models import Word2Vec
    from gensim.utils import simple_preprocess

    files = _files(("lee-background",) if args.quick else CORPORA)
    lines = _lines(files)
    regex = get_tokenizer("regex", lowercase=True)
    sentences = list(regex.tokenize_many(lines))
    n_tokens = sum(map(len, sentences))

    def count_gensim() -> None:
        Word2Vec(vector_size=8, min_count=5, workers=1).build_vocab(sentences)

    def end_to_end_ours() -> None:
        corpus = TextCorpus(files)
        tokenizer = get_tokenizer("regex", lowercase=True)
        TokenCounter().update_many(tokenizer.tokenize_many(corpus)).to_vocab(min_count=5)

    def end_to_end_gensim() -> None:
        def stream():
            for f in files:
                with open(f, encoding="utf-8") as fh:
                    for line in fh:
                        yield simple_preprocess(line, min_len=1, max_len=100)

        Word2Vec(vector_size=8, min_count=5, workers=1).build_vocab(stream())

    contenders: dict[str, Callable[[], object]] = {
        # Token lists are produced and dropped one by one (as a streaming count consumes them).
        # A fresh tokenizer each run: the regex tokenizer memoizes chunks it has seen, and a
        # warm memo would flatter every repeat after the first.
        "tokenize: embedlayer regex (lower)": lambda: _drain(
            get_tokenizer("regex", lowercase=True).tokenize_many(lines)),
        "tokenize: embedlayer whitespace (lower)": lambda: _drain(
            get_tokenizer("whitespace", lowercase=True).tokenize_many(lines)),
        "tokenize: gensim simple_preprocess": lambda: _drain(
            simple_preprocess(x, min_len=1, max_len=100) for x in lines),
        "tokenize: str.lower().split()": lambda: _drain(x.lower().split() for x in lines),
        "count: embedlayer TokenCounter": lambda: TokenCounter().update_many(sentences),
        "count: gensim Word2Vec.build_vocab": count_gensim,
        "count: collections.Counter": lambda: Counter(t for s in sentences for t in s),
        "end to end: embedlayer (files -> vocab)": end_to_end_ours,
        "end to end: gensim (files -> vocab)": end_to_end_gensim,
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)

    print(f"{len(lines):,} lines, {n_tokens:,} regex tokens, {args.repeats} interleaved repeats; "
          f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| stage: contender | median s | min-max s | M tokens/s (median) |")
    print("| --- | ---: | ---: | ---: |")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med:.2f} | {min(ts):.2f}-{max(ts):.2f} | {n_tokens / med / 1e6:.2f} |")
    ratio = lambda a, b: statistics.median(times[b]) / statistics.median(times[a])  # noqa: E731
    print()
    print(f"- tokenize, embedlayer regex vs gensim simple_preprocess: "
          f"{ratio('tokenize: embedlayer regex (lower)', 'tokenize: gensim simple_preprocess'):.2f}x")
    print(f"- count, TokenCounter vs gensim build_vocab: "
          f"{ratio('count: embedlayer TokenCounter', 'count: gensim Word2Vec.build_vocab'):.2f}x")
    print(f"- end to end vs gensim: "
          f"{ratio('end to end: embedlayer (files -> vocab)', 'end to end: gensim (files -> vocab)'):.2f}x")


if __name__ == "__main__":
    main()
