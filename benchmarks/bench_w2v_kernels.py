"""Single-thread throughput of the word2vec kernels against gensim, plus a WS-353 sanity check.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_w2v_kernels.py
      [--epochs 1] [--quality-epochs 2] [--chunk 20000] [--only sg_ns,cbow_ns] [--quick]
(needs gensim: ``pip install -e '.[bench]'``). Takes about 6 min with the defaults on a quiet
2-core machine; nothing else may run meanwhile. Prints Markdown for docs/benchmarks.md,
headed by the exact command line, with the load average (1 min) before and after.
``--quick`` is a smoke test only (lee_background.txt, no quality pass): its figures mean nothing.

Corpus: all of corpora/en/*.txt, lower-cased regex tokens, one line = one sentence, min_count
5, encoded once (not timed). Settings: dim 100, window 5, negative 5, sample 1e-3, learning
rate 0.025 -> 0.0001 linearly over the run, one thread.

- ours: ``train_chunk`` over chunks of ``--chunk`` tokens (whole sentences), called from a
  plain Python loop; tokens/s = every encoded token (subsampled ones included) / wall time. The
  first call (numba compiling, or loading its cache) is timed apart.
- gensim: ``Word2Vec(workers=1)`` on the same in-vocabulary token lists (so both see the same
  words), vocabulary built outside the timing, ``train()`` timed end to end: that includes
  gensim's own conversion of strings to ids in its worker, which ours did beforehand.
- quality: WS-353 (all) Spearman after ``--quality-epochs`` epochs, ours and gensim's.

Both sides get the encoded corpus, so the tokens counted are the in-vocabulary ones (words
under min_count never reach a kernel): tokens/s here is the kernels' rate, not the whole
job's (bench_word2vec.py times whole jobs over every token of the text).
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import shlex
import sys
import time

import numpy as np

from embedlayer.corpus import TextCorpus
from embedlayer.eval import evaluate_word_pairs
from embedlayer.text import get_tokenizer
from embedlayer.train import _kernels_w2v as K
from embedlayer.vectors import Vectors
from embedlayer.vocab import TokenCounter, alias_table, huffman_codes, keep_probabilities

DIM, WINDOW, NEGATIVE, SAMPLE, MIN_COUNT = 100, 5, 5, 1e-3, 5
LEARNING_RATE, MIN_LEARNING_RATE = 0.025, 0.0001
KERNELS = {  # name -> (model, loss, shared negatives)
    "sg_ns": (K.SKIPGRAM, K.NS, False),
    "sg_ns_shared": (K.SKIPGRAM, K.NS, True),
    "cbow_ns": (K.CBOW, K.NS, False),
    "sg_hs": (K.SKIPGRAM, K.HS, False),
    "cbow_hs": (K.CBOW, K.HS, False),
}
GENSIM = {"sg_ns": (1, 0), "cbow_ns": (0, 0), "sg_hs": (1, 1), "cbow_hs": (0, 1)}  # sg, hs


def load_corpus(data_dir: str, pattern: str = "*.txt"):
    files = sorted(glob.glob(os.path.join(data_dir, "corpora", "en", pattern)))
    tok = get_tokenizer("regex", lowercase=True)
    sentences = list(tok.tokenize_many(TextCorpus(files)))
    vocab = TokenCounter().update_many(sentences).to_vocab(min_count=MIN_COUNT)
    encoded = [vocab.encode(s) for s in sentences]
    encoded = [e for e in encoded if e.size]
    ids = np.concatenate(encoded).astype(np.int32)
    bounds = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([e.size for e in encoded], out=bounds[1:])
    return vocab, ids, bounds


def chunks(bounds: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Sentence ranges [s0, s1) of about ``size`` tokens each."""
    out, s0 = [], 0
    while s0 < len(bounds) - 1:
        s1 = int(np.searchsorted(bounds, bounds[s0] + size, side="left"))
        s1 = min(max(s1, s0 + 1), len(bounds) - 1)
        out.append((s0, s1))
        s0 = s1
    return out


def train_ours(name, vocab, ids, bounds, tables, *, epochs, chunk, seed=1):
    model, loss, shared = KERNELS[name]
    v = len(vocab)
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((v, DIM), dtype=np.float32) - 0.5) / DIM).astype(np.float32)
    syn1 = np.zeros((v if loss == K.NS else v - 1, DIM), np.float32)
    parts = chunks(bounds, chunk)
    total = len(parts) * epochs
    t_first = loss_sum = 0.0
    terms = words = 0
    t0 = time.perf_counter()
    for step in range(total):
        s0, s1 = parts[step % len(parts)]
        b0, b1 = int(bounds[s0]), int(bounds[s1])
        rate = LEARNING_RATE - (LEARNING_RATE - MIN_LEARNING_RATE) * step / total
        ts = time.perf_counter()
        out = K.train_chunk(model, loss, ids[b0:b1], bounds[s0:s1 + 1] - b0, syn0, syn1,
                            tables["keep"], tables["table"], *tables["hs"], WINDOW, NEGATIVE,
                            rate, True, seed * 1_000_003 + step, shared)
        if step == 0:
            t_first = time.perf_counter() - ts
        loss_sum += out[0]
        terms += out[1]
        words += out[2]
    wall = time.perf_counter() - t0 - t_first
    rest = words - (bounds[parts[0][1]] - bounds[0])  # words after the first call
    return syn0, {"tokens_s": rest / wall, "first_call_s": t_first, "loss": loss_sum / terms}


def train_gensim(name, vocab, ids, bounds, *, epochs):
    from gensim.models import Word2Vec

    sg, hs = GENSIM[name]
    tokens = np.array(vocab.tokens, dtype=object)
    sentences = [tokens[ids[bounds[s]:bounds[s + 1]]].tolist() for s in range(len(bounds) - 1)]
    m = Word2Vec(vector_size=DIM, window=WINDOW, min_count=MIN_COUNT, sample=SAMPLE, sg=sg,
                 hs=hs, negative=0 if hs else NEGATIVE, workers=1, epochs=epochs, seed=1,
                 alpha=LEARNING_RATE, min_alpha=MIN_LEARNING_RATE)
    m.build_vocab(sentences)
    t0 = time.perf_counter()
    m.train(sentences, total_examples=m.corpus_count, epochs=epochs)
    wall = time.perf_counter() - t0
    return m, {"tokens_s": epochs * ids.size / wall}


def ws353(keys, matrix) -> float:
    return evaluate_word_pairs(Vectors(keys, matrix), "ws353-all").spearman


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1,
                        help="timed passes over the corpus (default: %(default)s)")
    parser.add_argument("--quality-epochs", type=int, default=2,
                        help="epochs of the WS-353 check, 0 = none (default: %(default)s)")
    parser.add_argument("--chunk", type=int, default=20_000,
                        help="tokens per kernel call (default: %(default)s)")
    parser.add_argument("--only", default=",".join(KERNELS),
                        help="comma-separated kernels (default: %(default)s)")
    parser.add_argument("--no-gensim", action="store_true", help="our kernels only")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: lee_background.txt only, no quality pass")
    args = parser.parse_args()
    if args.quick:
        args.quality_epochs = 0
    logging.getLogger("gensim").setLevel(logging.WARNING)
    data_dir = os.environ.get("EMBEDLAYER_DATA", "../shared/data").split(os.pathsep)[0]
    data = os.environ.get("EMBEDLAYER_DATA")  # the command as typed, for the table's heading
    env = f"EMBEDLAYER_DATA={shlex.quote(data)} " if data else ""
    print(f"`{env}{shlex.join(['python', *sys.argv])}`\n")
    load_before = os.getloadavg()[0]

    t0 = time.perf_counter()
    vocab, ids, bounds = load_corpus(data_dir, "lee_background.txt" if args.quick else "*.txt")
    counts = vocab.counts
    h = huffman_codes(counts)
    tables = {
        "keep": keep_probabilities(counts, SAMPLE).astype(np.float32),
        "table": alias_table(counts),
        "hs": (h.codes, h.points, h.offsets),
    }
    print(f"corpus: {ids.size:,} tokens, {len(bounds) - 1:,} sentences, vocab {len(vocab):,} "
          f"(prepared in {time.perf_counter() - t0:.0f} s)\n")

    names = args.only.split(",")
    print("| kernel | ours tokens/s | first call s | mean loss | gensim tokens/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        _, ours = train_ours(name, vocab, ids, bounds, tables, epochs=args.epochs,
                             chunk=args.chunk)
        theirs = (None if args.no_gensim or name not in GENSIM
                  else train_gensim(name, vocab, ids, bounds, epochs=args.epochs)[1])
        g = f"{theirs['tokens_s']:,.0f}" if theirs else "-"
        ratio = f"{ours['tokens_s'] / theirs['tokens_s']:.2f}x" if theirs else "-"
        print(f"| {name} | {ours['tokens_s']:,.0f} | {ours['first_call_s']:.2f} | "
              f"{ours['loss']:.4f} | {g} | {ratio} |", flush=True)

    if args.quality_epochs:
        e = args.quality_epochs
        print(f"\nWS-353 (all) Spearman after {e} epoch(s), skip-gram NS:\n")
        print("| trainer | Spearman | tokens/s |")
        print("|---|---:|---:|")
        for name in ("sg_ns", "sg_ns_shared"):
            if name in names:
                syn0, st = train_ours(name, vocab, ids, bounds, tables, epochs=e,
                                      chunk=args.chunk)
                print(f"| ours {name} | {ws353(vocab.tokens, syn0):.3f} | {st['tokens_s']:,.0f} |",
                      flush=True)
        if not args.no_gensim:
            m, st = train_gensim("sg_ns", vocab, ids, bounds, epochs=e)
            print(f"| gensim sg_ns | {ws353(m.wv.index_to_key, m.wv.vectors):.3f} | "
                  f"{st['tokens_s']:,.0f} |")
    print(f"\nload average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
