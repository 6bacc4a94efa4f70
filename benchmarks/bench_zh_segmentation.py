"""Word-segmentation F1 of jieba on the Academia Sinica treebank sample (traditional Chinese).

    EMBEDLAYER_DATA=../shared/data python benchmarks/bench_zh_segmentation.py [--quick]

Takes about 10 s (jieba and opencc-python-reimplemented are core dependencies); nothing else
may run meanwhile. ``--quick``: the first 500 sentences (a smoke
test). Prints the table for docs/benchmarks.md, headed by the exact command line.

Segments all 10,000 sentences of ``corpora/zh/sinica_unsegmented.txt`` with jieba's default
(simplified) dictionary, HMM on and off, on the text as it is and through a character-by-character
traditional→simplified copy (``convert="t2s"``, needs opencc-python-reimplemented), and scores
word spans against ``sinica_segmented.txt``. Not a test: the test suite asserts floors.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from embedlayer.errors import ConfigError
from embedlayer.text import JiebaSegmenter, TokenizerPipeline, evaluate_segmenter

ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    env = os.environ.get("EMBEDLAYER_DATA")
    return Path(env.split(os.pathsep)[0]) if env else ROOT.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the first 500 sentences only")
    args = parser.parse_args()
    folder = data_dir() / "corpora" / "zh"
    raw = (folder / "sinica_unsegmented.txt").read_text(encoding="utf-8").splitlines()
    gold = (folder / "sinica_segmented.txt").read_text(encoding="utf-8").splitlines()
    if args.quick:
        raw, gold = raw[:500], gold[:500]
    data = os.environ.get("EMBEDLAYER_DATA")  # the command as typed, for the table's heading
    env = f"EMBEDLAYER_DATA={shlex.quote(data)} " if data else ""
    print(f"`{env}{shlex.join(['python', *sys.argv])}`\n")
    start = time.perf_counter()
    JiebaSegmenter().pre_tokenize("預熱")  # load jieba's dictionary outside the timings
    print(f"{len(raw):,} sentences; jieba loaded in {time.perf_counter() - start:.2f} s")
    print(f"{'convert':8s} {'hmm':5s} {'P':>7s} {'R':>7s} {'F1':>7s} {'seconds':>8s}")
    for convert in ("none", "t2s"):
        for hmm in (True, False):
            try:
                segmenter = JiebaSegmenter(hmm=hmm, convert=convert)
            except ConfigError as exc:
                print(f"{convert:8s} {hmm!s:5s} skipped: {exc}")
                continue
            pipeline = TokenizerPipeline(pre_tokenizer=segmenter)
            start = time.perf_counter()
            score = evaluate_segmenter(pipeline, raw, gold)
            took = time.perf_counter() - start
            print(
                f"{convert:8s} {hmm!s:5s} {score.precision:7.4f} {score.recall:7.4f} "
                f"{score.f1:7.4f} {took:8.2f}"
            )


if __name__ == "__main__":
    main()
