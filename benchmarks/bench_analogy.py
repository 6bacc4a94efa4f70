"""The full Google analogy set (top 30k words, 100-d vectors): embedlayer against gensim.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_analogy.py [--repeats 3]
(needs gensim: ``pip install -e '.[bench]'``). Vectors: gensim skip-gram, dim 100, trained
once on all of corpora/en/*.txt (lower-cased regex tokens, min_count 5, 1 epoch: the timing
does not depend on how good the vectors are). Both evaluators then run ``--repeats`` times,
interleaved, and must agree on the accuracy. Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

from embedlayer import data
from embedlayer.corpus import TextCorpus
from embedlayer.eval import evaluate_analogies, evaluate_word_pairs
from embedlayer.text import get_tokenizer
from embedlayer.vectors import Vectors

CORPORA = ("brown", "movie-reviews", "abc", "state-union", "inaugural", "webtext", "genesis",
           "lee-background")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--restrict", type=int, default=30_000)
    args = parser.parse_args()

    from gensim.models import Word2Vec

    files = [data.path(n, progress=False) for n in CORPORA]
    tok = get_tokenizer("regex", lowercase=True)
    sentences = list(tok.tokenize_many(TextCorpus(files)))
    model = Word2Vec(sentences, vector_size=100, window=5, min_count=5, workers=2, epochs=1, seed=1)
    kv = model.wv
    ours = Vectors(kv.index_to_key, kv.vectors)
    questions = data.path("google-analogy")

    ours_t, gensim_t = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        mine = evaluate_analogies(ours, questions, restrict_vocab=args.restrict)
        ours_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        score, _ = kv.evaluate_word_analogies(str(questions), restrict_vocab=args.restrict)
        gensim_t.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    ws = evaluate_word_pairs(ours, data.path("simlex999"))
    ours_ws = time.perf_counter() - t0
    t0 = time.perf_counter()
    kv.evaluate_word_pairs(str(data.path("simlex999")))
    gensim_ws = time.perf_counter() - t0

    print(f"{len(ours):,} x 100 vectors; {mine.questions:,} questions, {mine.answered:,} answered "
          f"with the top {args.restrict:,} words; {args.repeats} interleaved repeats\n")
    print("| evaluator | median s | min-max s | accuracy |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| embedlayer evaluate_analogies (3CosAdd, batched) | {statistics.median(ours_t):.2f} | "
          f"{min(ours_t):.2f}-{max(ours_t):.2f} | {mine.accuracy:.4f} |")
    print(f"| gensim evaluate_word_analogies | {statistics.median(gensim_t):.2f} | "
          f"{min(gensim_t):.2f}-{max(gensim_t):.2f} | {score:.4f} |")
    print(f"\n- speed-up: {statistics.median(gensim_t) / statistics.median(ours_t):.1f}x; "
          f"accuracies {'equal' if abs(mine.accuracy - score) < 1e-12 else 'DIFFER'}")
    print(f"- SimLex-999 (one pass, for scale): embedlayer {ours_ws:.3f} s, gensim {gensim_ws:.3f} s; "
          f"rho {ws.spearman:.3f} over {ws.scored} pairs")


if __name__ == "__main__":
    main()
