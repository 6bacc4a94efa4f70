"""fastText skip-gram training: embedlayer against gensim and facebook fastText, in one run.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_fasttext.py
      [--repeats 3] [--tools embedlayer,gensim,fasttext] [--epochs 5]
      [--model skipgram|cbow] [--quick]
(needs gensim and fasttext: ``pip install -e '.[bench]'``). Prints Markdown for
docs/benchmarks.md.

The corpus is bench_word2vec.py's: all of corpora/en/*.txt, lower-cased and regex-tokenized
once into a temporary file (one sentence a line, tokens separated by spaces), which every tool
then reads. Settings, the same for all (fastText's defaults where the issue names none): minn
3, maxn 6, bucket 2M, dim 100, window 5, negative 5, min_count 5, sample (fastText's -t) 1e-4,
lr 0.05 decaying linearly to 0, 5 epochs, 2 threads. gensim's defaults differ (alpha 0.025,
sample 1e-3, ns_exponent 0.75): it gets alpha 0.05, sample 1e-4 and ns_exponent 0.5 here
(fastText samples negatives by count^0.5, and so does embedlayer by default).

Every training runs in a fresh subprocess (so peak memory, ru_maxrss, is its own), tools
interleaved, ``--repeats`` times each. words/s = corpus tokens x epochs / training seconds:
``train()`` alone for gensim and embedlayer (vocabulary building excluded), the whole
``train_unsupervised`` call for facebook fastText (its vocabulary pass included: its API has
no other clock); the words/s/thread fastText prints itself, times 2, is listed beside it.
Quality, with embedlayer's evaluation on the first repeat's model, each saved as a fastText
``.bin`` and read back by embedlayer (in-vocabulary words only, as the eval skips unknown
ones): Spearman on WS-353, SimLex-999, MEN; Google analogies, top 30k words.
``--quick``: one repeat of 2 epochs (provisional figures on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_word2vec import _prepare  # noqa: E402 - the same corpus as the word2vec benchmark

TOOLS = ("embedlayer", "gensim", "fasttext")
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "min_count": 5, "sample": 1e-4,
            "alpha": 0.05, "minn": 3, "maxn": 6, "bucket": 2_000_000, "workers": 2, "seed": 1}


def _one(tool: str, model: str, corpus: Path, epochs: int, out: Path) -> dict:
    """Train once in this process; the model goes to ``out`` as a fastText .bin."""
    s = SETTINGS
    with open(corpus, encoding="utf-8") as fh:
        tokens = sum(len(line.split()) for line in fh)
    printed = None
    if tool == "gensim":
        from gensim.models import FastText as GensimFT
        from gensim.models.fasttext import save_facebook_model
        from gensim.models.word2vec import LineSentence

        sentences = LineSentence(str(corpus))
        m = GensimFT(vector_size=s["dim"], window=s["window"], negative=s["negative"],
                     sg=int(model == "skipgram"), hs=0, min_count=s["min_count"],
                     sample=s["sample"], alpha=s["alpha"], min_alpha=0.0, min_n=s["minn"],
                     max_n=s["maxn"], bucket=s["bucket"], epochs=epochs, workers=s["workers"],
                     seed=s["seed"], ns_exponent=0.5)
        t0 = time.perf_counter()
        m.build_vocab(sentences)
        t1 = time.perf_counter()
        m.train(sentences, total_examples=m.corpus_count, epochs=m.epochs)
        t2 = time.perf_counter()
        save_facebook_model(m, str(out))
        train_s, total_s = t2 - t1, t2 - t0
    elif tool == "fasttext":
        import fasttext

        t0 = time.perf_counter()
        m = fasttext.train_unsupervised(
            str(corpus), model=model, lr=s["alpha"], dim=s["dim"], ws=s["window"],
            epoch=epochs, minCount=s["min_count"], neg=s["negative"], minn=s["minn"],
            maxn=s["maxn"], bucket=s["bucket"], t=s["sample"], thread=s["workers"],
            verbose=2)
        train_s = total_s = time.perf_counter() - t0
        m.save_model(str(out))
    else:
        from embedlayer.corpus import TextCorpus
        from embedlayer.text import TokenStream, get_tokenizer
        from embedlayer.train import FastText

        stream = TokenStream(TextCorpus(corpus), get_tokenizer("whitespace"))
        t0 = time.perf_counter()
        m = FastText(model=model, epochs=epochs, **s).fit(stream, progress=False)
        total_s = time.perf_counter() - t0
        train_s = sum(m.epoch_seconds_)
        m.save(out, format="fasttext-bin")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"train_s": train_s, "total_s": total_s, "words_s": tokens * epochs / train_s,
            "peak": peak, "tokens": tokens, "printed": printed}


def _spawn(tool: str, model: str, corpus: Path, epochs: int, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--one", tool, model, str(corpus), str(epochs), str(out)]
    env = {**os.environ, "EMBEDLAYER_PROGRESS": "0"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if tool == "fasttext":  # "words/sec/thread:  71234" in its last progress line
        found = re.findall(r"words/sec/thread:\s*(\d+)", proc.stderr + proc.stdout)
        result["printed"] = int(found[-1]) * SETTINGS["workers"] if found else None
    return result


def _quality(path: Path) -> dict:
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs
    from embedlayer.vectors.io import load_vectors

    v = load_vectors(path, format="fasttext-bin", mmap=False)  # mapped, composing is slow
    out = {name: evaluate_word_pairs(v, name).spearman for name in ("ws353-all", "simlex999", "men3k")}
    out["analogy"] = evaluate_analogies(v, "google-analogy", restrict_vocab=30_000).accuracy
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=5, metavar="X", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--epochs", type=int, default=None, help="default 5 (2 with --quick)")
    parser.add_argument("--tools", default="embedlayer,gensim,fasttext",
                        help=f"comma-separated, from {','.join(TOOLS)}")
    parser.add_argument("--model", choices=["skipgram", "cbow"], default="skipgram")
    parser.add_argument("--quick", action="store_true", help="one repeat of 2 epochs")
    args = parser.parse_args()
    if args.one:
        tool, model, corpus, epochs, out = args.one
        print(json.dumps(_one(tool, model, Path(corpus), int(epochs), Path(out))))
        return
    repeats = args.repeats or (1 if args.quick else 3)
    epochs = args.epochs or (2 if args.quick else 5)
    tools = args.tools.split(",")
    unknown = set(tools) - set(TOOLS)
    if unknown:
        raise SystemExit(f"unknown tools {sorted(unknown)}; known: {', '.join(TOOLS)}")

    folder = Path(tempfile.mkdtemp(prefix="bench-ft-"))
    corpus = _prepare(folder)
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    for r in range(repeats):
        for tool in tools:
            out = folder / f"{tool}-{r}.bin"
            runs[tool].append(_spawn(tool, args.model, corpus, epochs, out))
            print(f"{tool} run {r}: {runs[tool][-1]['words_s']:,.0f} w/s", file=sys.stderr,
                  flush=True)
            if r > 0:
                out.unlink()  # 0.8 GB each: only the first repeat's models are evaluated
    quality = {t: _quality(folder / f"{t}-0.bin") for t in tools}
    shutil.rmtree(folder)  # ~0.8 GB a model
    tokens = runs[tools[0]][0]["tokens"]
    s = SETTINGS
    print(f"corpus: {tokens:,} tokens (corpora/en/*.txt, lower-cased regex tokens); fastText "
          f"{args.model}, minn {s['minn']}, maxn {s['maxn']}, bucket {s['bucket']:,}, dim "
          f"{s['dim']}, window {s['window']}, negative {s['negative']}, min_count "
          f"{s['min_count']}, sample {s['sample']}, lr {s['alpha']}, {epochs} epochs, "
          f"{s['workers']} threads; {repeats} repeats, interleaved\n")
    print("| tool | words/s median | min-max | train s | total s | peak RSS MiB | WS-353 | "
          "SimLex | MEN | analogy 30k |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    median = {}
    for tool in tools:
        ws = [x["words_s"] for x in runs[tool]]
        median[tool] = statistics.median(ws)
        q = quality[tool]
        train = statistics.median(x["train_s"] for x in runs[tool])
        total = statistics.median(x["total_s"] for x in runs[tool])
        peak = max(x["peak"] for x in runs[tool])
        printed = [x["printed"] for x in runs[tool] if x.get("printed")]
        note = f" (prints {statistics.median(printed):,.0f})" if printed else ""
        print(f"| {tool} | {median[tool]:,.0f}{note} | {min(ws):,.0f}-{max(ws):,.0f} | "
              f"{train:.1f} | {total:.1f} | {peak / 2**20:,.0f} | {q['ws353-all']:.3f} | "
              f"{q['simlex999']:.3f} | {q['men3k']:.3f} | {q['analogy']:.2%} |")
    print()
    for peer in (t for t in tools if t != "embedlayer" and "embedlayer" in tools):
        print(f"- embedlayer: {median['embedlayer'] / median[peer]:.2f}x {peer}'s words/s")


if __name__ == "__main__":
    main()
