"""word2vec training: embedlayer against gensim on the English corpora, in one run.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_word2vec.py
      [--repeats 3] [--configs sg-ns,cbow-ns,sg-hs,cbow-hs] [--scaling] [--memory]
(needs gensim: ``pip install -e '.[bench]'``). Prints Markdown for docs/benchmarks.md.

The corpus is all of corpora/en/*.txt, lower-cased and regex-tokenized once into a temporary
file (one sentence a line, tokens separated by spaces); both tools then stream that file
(gensim ``LineSentence``, embedlayer a whitespace ``TokenStream``). Settings: dim 100,
window 5, negative 5, min_count 5, sample 1e-3, 5 epochs, 2 workers. Every training runs in
a fresh subprocess (so peak memory, ru_maxrss, is its own), contenders interleaved, each
``--repeats`` times. words/s = corpus tokens x epochs / training seconds (vocabulary
building excluded for both). Quality is measured with embedlayer's evaluation on the vectors
of every repeat (the median is shown): Spearman on WS-353, SimLex-999, MEN; Google analogies,
top 30k.
``--scaling`` adds 1 vs 2 workers; ``--memory`` trains on the corpus repeated 5 times (with
x1's vocabulary, min_count 25, and with min_count 5). ``sg-ns-classic``: embedlayer's
word2vec.c-order kernel (one negative set per pair), against gensim's sg-ns.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPORA = ("brown", "movie-reviews", "abc", "state-union", "inaugural", "webtext", "genesis",
           "lee-background")
CONFIGS = {"sg-ns": ("skipgram", "ns"), "cbow-ns": ("cbow", "ns"), "sg-hs": ("skipgram", "hs"),
           "cbow-hs": ("cbow", "hs")}
# embedlayer only, against gensim's sg-ns: word2vec.c's kernel, one negative set per pair.
CLASSIC = "sg-ns-classic"


def _prepare(folder: Path, repeat: int = 1) -> Path:
    from embedlayer import data
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import get_tokenizer

    path = folder / f"corpus-x{repeat}.txt"
    if path.exists():
        return path
    tok = get_tokenizer("regex", lowercase=True)
    files = [data.path(n, progress=False) for n in CORPORA]
    lines = [" ".join(t) for t in tok.tokenize_many(TextCorpus(files)) if t]
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(repeat):
            fh.write("\n".join(lines) + "\n")
    return path


def _one(tool: str, model: str, loss: str, corpus: Path, workers: int, out: Path,
         extra: dict) -> dict:
    """Train once in this process; return timings (the vectors go to ``out``)."""
    settings = {"dim": 100, "window": 5, "negative": 5, "min_count": 5, "sample": 1e-3,
                "epochs": 5, "workers": workers, "seed": 1}
    settings["min_count"] = extra.get("min_count", 5)
    with open(corpus, encoding="utf-8") as fh:
        tokens = sum(len(line.split()) for line in fh)
    if tool == "gensim":
        from gensim.models import Word2Vec as GensimW2V
        from gensim.models.word2vec import LineSentence

        sentences = LineSentence(str(corpus))
        m = GensimW2V(vector_size=settings["dim"], window=5, negative=5 if loss == "ns" else 0,
                      hs=int(loss == "hs"), sg=int(model == "skipgram"),
                      min_count=settings["min_count"],
                      sample=1e-3, epochs=5, workers=workers, seed=1)
        t0 = time.perf_counter()
        m.build_vocab(sentences)
        t1 = time.perf_counter()
        m.train(sentences, total_examples=m.corpus_count, epochs=m.epochs)
        t2 = time.perf_counter()
        m.wv.save_word2vec_format(str(out), binary=True)
        train_s, total_s = t2 - t1, t2 - t0
        vocab = len(m.wv)
    else:
        from embedlayer.corpus import TextCorpus
        from embedlayer.text import TokenStream, get_tokenizer
        from embedlayer.train import Word2Vec

        stream = TokenStream(TextCorpus(corpus), get_tokenizer("whitespace"))
        t0 = time.perf_counter()
        shared = extra.get("shared_negatives")
        m = Word2Vec(model=model, loss=loss, shared_negatives=shared, **settings).fit(
            stream, progress=False)
        total_s = time.perf_counter() - t0
        train_s = sum(m.epoch_seconds_)
        m.save(out, format="word2vec-binary")
        vocab = len(m.vocab_)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"train_s": train_s, "total_s": total_s, "words_s": tokens * 5 / train_s,
            "peak": peak, "tokens": tokens, "vocab": vocab}


def _spawn(tool: str, model: str, loss: str, corpus: Path, workers: int, out: Path,
           **extra: object) -> dict:
    cmd = [sys.executable, __file__, "--one", tool, model, loss, str(corpus), str(workers), str(out),
           json.dumps(extra)]
    env = {**os.environ, "EMBEDLAYER_PROGRESS": "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{tool} {model}-{loss} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _quality(path: Path) -> dict:
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs
    from embedlayer.vectors.io import load_vectors

    v = load_vectors(path)
    out = {name: evaluate_word_pairs(v, name).spearman for name in ("ws353-all", "simlex999", "men3k")}
    out["analogy"] = evaluate_analogies(v, "google-analogy", restrict_vocab=30_000).accuracy
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=7, metavar="X", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", default=f"sg-ns,{CLASSIC},cbow-ns,sg-hs,cbow-hs")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    if args.one:
        tool, model, loss, corpus, workers, out, extra = args.one
        print(json.dumps(_one(tool, model, loss, Path(corpus), int(workers), Path(out),
                              json.loads(extra))))
        return

    folder = Path(tempfile.mkdtemp(prefix="bench-w2v-"))
    corpus = _prepare(folder)
    rows = []
    for name in args.configs.split(","):
        model, loss = CONFIGS["sg-ns" if name == CLASSIC else name]
        extra = {"shared_negatives": False} if name == CLASSIC else {}
        tools = ("embedlayer",) if name == CLASSIC else ("embedlayer", "gensim")
        runs: dict[str, list[dict]] = {tool: [] for tool in tools}
        for r in range(args.repeats):
            for tool in tools:
                out = folder / f"{tool}-{name}-{r}.bin"
                runs[tool].append(_spawn(tool, model, loss, corpus, 2, out, **extra))
                print(f"{name} {tool} run {r}: {runs[tool][-1]['words_s']:,.0f} w/s",
                      file=sys.stderr, flush=True)
        for tool in tools:
            ws = [x["words_s"] for x in runs[tool]]
            per_run = [_quality(folder / f"{tool}-{name}-{r}.bin") for r in range(args.repeats)]
            q = {k: statistics.median(x[k] for x in per_run) for k in per_run[0]}
            rows.append((name, tool, ws, max(x["peak"] for x in runs[tool]), q, runs[tool]))
    tokens = rows[0][5][0]["tokens"]
    print(f"corpus: {tokens:,} tokens (corpora/en/*.txt, lower-cased regex tokens); dim 100, "
          f"window 5, negative 5, min_count 5, sample 1e-3, 5 epochs, 2 workers; "
          f"{args.repeats} repeats, interleaved\n")
    print("| config | tool | words/s median | min-max | train s | peak RSS MiB | WS-353 | SimLex | "
          "MEN | analogy 30k |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, tool, ws, peak, q, runs in rows:
        train = statistics.median(x["train_s"] for x in runs)
        print(f"| {name} | {tool} | {statistics.median(ws):,.0f} | {min(ws):,.0f}-{max(ws):,.0f} | "
              f"{train:.1f} | {peak / 2**20:,.0f} | {q['ws353-all']:.3f} | {q['simlex999']:.3f} | "
              f"{q['men3k']:.3f} | {q['analogy']:.2%} |")
    print()
    gensim = {name: ws for name, tool, ws, *_ in rows if tool == "gensim"}
    for name, tool, ws, *_ in rows:
        ref = gensim.get("sg-ns" if name == CLASSIC else name)
        if tool == "embedlayer" and ref:
            print(f"- {name}: {statistics.median(ws) / statistics.median(ref):.2f}x gensim's "
                  f"words/s (min/max ratio {min(ws) / max(ref):.2f}-{max(ws) / min(ref):.2f})")
    if args.scaling:
        print("\n| threads | embedlayer sg-ns words/s | gensim sg-ns words/s |\n| ---: | ---: | ---: |")
        for workers in (1, 2):
            a = _spawn("embedlayer", "skipgram", "ns", corpus, workers, folder / "s.bin")
            b = _spawn("gensim", "skipgram", "ns", corpus, workers, folder / "g.bin")
            print(f"| {workers} | {a['words_s']:,.0f} | {b['words_s']:,.0f} |")
    if args.memory:
        # x5 with min_count 25 keeps x1's vocabulary (every count is 5x): what grows then is
        # the corpus alone. x5 with min_count 5 admits 3x the words: the model grows, not the
        # corpus's share.
        big = _prepare(folder, repeat=5)
        print("\n| corpus | min_count | vocabulary | embedlayer sg-ns peak RSS MiB |\n"
              "| --- | ---: | ---: | ---: |")
        for path, label, mc in ((corpus, "x1", 5), (big, "x5", 25), (big, "x5", 5)):
            a = _spawn("embedlayer", "skipgram", "ns", path, 2, folder / "m.bin", min_count=mc)
            print(f"| {label} ({a['tokens']:,} tokens) | {mc} | {a['vocab']:,} | "
                  f"{a['peak'] / 2**20:,.0f} |", flush=True)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
