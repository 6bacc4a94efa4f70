"""fastText training: embedlayer against gensim and facebook fastText, whole jobs, in one run.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_fasttext.py
      [--repeats 3] [--tools embedlayer,gensim,gensim-file,fasttext] [--epochs 5]
      [--model skipgram|cbow] [--quick]
(needs gensim and fasttext: ``pip install -e '.[bench]'``). Takes 30-40 min with the
defaults on a quiet 2-core machine; nothing else may run meanwhile. Prints Markdown for
docs/benchmarks.md, headed by the exact command line.

The corpus is bench_word2vec.py's: all of corpora/en/*.txt, lower-cased and regex-tokenized
by embedlayer once into a file (one sentence a line, tokens separated by spaces; the writing
is timed and reported, never counted in a row), which every tool then reads. One settings
dictionary (``SETTINGS``; fastText's defaults where the issue names none) fixes all sides:
minn 3, maxn 6, bucket 2M, dim 100, window 5, negative 5, min_count 5, sample (fastText's -t)
1e-4, learning rate 0.05 decaying linearly to 0, 5 epochs, 2 workers, negatives drawn by
count^0.5 (fastText's rule; gensim's defaults differ and are overridden).

Contenders: ``embedlayer`` (``FastText.fit``), ``gensim`` (``build_vocab`` + ``train`` over a
``LineSentence``), ``gensim-file`` (the same with ``corpus_file=``, gensim's fastest mode),
``fasttext`` (facebook fastText 0.9.3, ``train_unsupervised``). The compared time is the
WHOLE job on every side (vocabulary pass + training), because facebook fastText's API has no
other clock; training alone is shown where a tool can separate it. tokens/s = corpus tokens x
epochs / total seconds (every token of the text, before vocabulary filtering and
subsampling). Every training runs in a fresh subprocess (peak memory, ru_maxrss, is its own),
repeats interleaved, repeat r with seed r + 1 (facebook fastText's Python API takes no seed); the load average
(``os.getloadavg``, 1 min) is recorded before and after every run; one untimed embedlayer run
first fills numba's on-disk compilation cache. Quality, with embedlayer's evaluation on every
repeat's model (saved as a fastText ``.bin``, read back by embedlayer; medians shown):
Spearman on WS-353, SimLex-999, MEN; Google analogies, top 30k words.
``--quick`` is a smoke test only (lee-background, 1 epoch, 1 repeat, 100k buckets).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
# the same corpus file as the word2vec benchmark
from bench_word2vec import (  # noqa: E402
    CORPORA,
    MEASURES,
    QUICK_CORPORA,
    command_line,
    prepare_corpus,
)

TOOLS = ("embedlayer", "gensim", "gensim-file", "fasttext")
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "ns_exponent": 0.5, "min_count": 5,
            "sample": 1e-4, "learning_rate": 0.05, "min_learning_rate": 0.0, "minn": 3,
            "maxn": 6, "bucket": 2_000_000, "epochs": 5, "workers": 2}


def _train_embedlayer(settings: dict, model: str, corpus: Path, out: Path, *,
                      seed: int) -> tuple[float, float]:
    """Every call of embedlayer's trainer in this script: (total s, train s).

    Written against the trainer API of this tree; the renames of issue 13 (learning_rate,
    progress, saving) change this function only.
    """
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import FastText

    s = settings
    stream = TokenStream(TextCorpus(corpus), get_tokenizer("whitespace"))
    t0 = time.perf_counter()
    m = FastText(model=model, dim=s["dim"], window=s["window"], negative=s["negative"],
                 ns_exponent=s["ns_exponent"], sample=s["sample"], min_count=s["min_count"],
                 learning_rate=s["learning_rate"], min_learning_rate=s["min_learning_rate"],
                 epochs=s["epochs"], minn=s["minn"], maxn=s["maxn"], bucket=s["bucket"],
                 workers=s["workers"], seed=seed).fit(stream, progress=False)
    total_s = time.perf_counter() - t0  # counting + encoding + training
    m.save_vectors(out, format="fasttext-bin")
    return total_s, sum(m.epoch_seconds_)


def _train_gensim(settings: dict, model: str, corpus: Path, out: Path, *, seed: int,
                  from_file: bool) -> tuple[float, float]:
    from gensim.models import FastText as GensimFT
    from gensim.models.fasttext import save_facebook_model
    from gensim.models.word2vec import LineSentence

    s = settings
    m = GensimFT(vector_size=s["dim"], window=s["window"], negative=s["negative"],
                 ns_exponent=s["ns_exponent"], sg=int(model == "skipgram"), hs=0,
                 min_count=s["min_count"], sample=s["sample"], alpha=s["learning_rate"],
                 min_alpha=s["min_learning_rate"], min_n=s["minn"], max_n=s["maxn"],
                 bucket=s["bucket"], epochs=s["epochs"], workers=s["workers"], seed=seed)
    t0 = time.perf_counter()
    if from_file:
        m.build_vocab(corpus_file=str(corpus))
        t1 = time.perf_counter()
        m.train(corpus_file=str(corpus), total_words=m.corpus_total_words, epochs=m.epochs)
    else:
        sentences = LineSentence(str(corpus))
        m.build_vocab(sentences)
        t1 = time.perf_counter()
        m.train(sentences, total_examples=m.corpus_count, epochs=m.epochs)
    t2 = time.perf_counter()
    save_facebook_model(m, str(out))
    return t2 - t0, t2 - t1


def _train_fasttext(settings: dict, model: str, corpus: Path, out: Path, *,
                    seed: int) -> tuple[float, None]:
    import fasttext

    del seed  # train_unsupervised takes none: its C++ seed stays 0 (threads vary it anyway)
    s = settings
    t0 = time.perf_counter()
    m = fasttext.train_unsupervised(
        str(corpus), model=model, lr=s["learning_rate"], dim=s["dim"], ws=s["window"],
        epoch=s["epochs"], minCount=s["min_count"], neg=s["negative"], minn=s["minn"],
        maxn=s["maxn"], bucket=s["bucket"], t=s["sample"], thread=s["workers"], verbose=2)
    total_s = time.perf_counter() - t0  # its vocabulary pass included: no other clock
    m.save_model(str(out))
    return total_s, None


def _one(tool: str, model: str, corpus: Path, out: Path, settings: dict, seed: int) -> dict:
    """Train once in this process; the model goes to ``out`` as a fastText .bin."""
    with open(corpus, encoding="utf-8") as fh:
        tokens = sum(len(line.split()) for line in fh)
    if tool == "fasttext":
        total_s, train_s = _train_fasttext(settings, model, corpus, out, seed=seed)
    elif tool.startswith("gensim"):
        total_s, train_s = _train_gensim(settings, model, corpus, out, seed=seed,
                                         from_file=tool == "gensim-file")
    else:
        total_s, train_s = _train_embedlayer(settings, model, corpus, out, seed=seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"train_s": train_s, "total_s": total_s,
            "tokens_s": tokens * settings["epochs"] / total_s, "peak": peak, "tokens": tokens}


def _spawn(tool: str, model: str, corpus: Path, out: Path, settings: dict, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--one", tool, model, str(corpus), str(out),
           json.dumps(settings), str(seed)]
    env = {**os.environ, "EMBEDLAYER_PROGRESS": "0"}
    load_before = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    load_after = os.getloadavg()[0]
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["load"] = (load_before, load_after)
    if tool == "fasttext":  # "words/sec/thread:  71234" in its last progress line
        found = re.findall(r"words/sec/thread:\s*(\d+)", proc.stderr + proc.stdout)
        result["printed"] = int(found[-1]) * settings["workers"] if found else None
    return result


def _quality(path: Path) -> dict:
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs
    from embedlayer.vectors.io import load_vectors

    # Read into memory as in the earlier runs; since the .bin reader aligns its matrix, a
    # memory-mapped model composes out-of-vocabulary words without a slow path too.
    v = load_vectors(path, format="fasttext-bin", mmap=False)
    out = {name: evaluate_word_pairs(v, name).spearman for name in ("ws353-all", "simlex999", "men3k")}
    out["analogy"] = evaluate_analogies(v, "google-analogy", restrict_vocab=30_000).accuracy
    return out


def _report(runs: dict[str, list[dict]], args: argparse.Namespace, settings: dict,
            info: str) -> None:
    import numba

    print(f"`{args.command}`\n")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {info}; fastText "
          f"{args.model}; {', '.join(f'{k} {v}' for k, v in settings.items())}; "
          f"{args.repeats} repeat(s), interleaved, seed r + 1 in repeat r; Python "
          f"{platform.python_version()}, numba {numba.__version__}, {os.cpu_count()} CPUs\n")
    print("| tool | total s median | total min-max | train s median | tokens/s (total) | "
          "peak RSS MiB | load avg before-after | WS-353 | SimLex | MEN | analogy 30k |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for tool, rs in runs.items():
        total = [x["total_s"] for x in rs]
        trains = [x["train_s"] for x in rs if x["train_s"] is not None]
        train = f"{statistics.median(trains):.1f}" if trains else "- (not separable)"
        printed = [x["printed"] for x in rs if x.get("printed")]
        note = f" (prints {statistics.median(printed):,.0f} words/s training)" if printed else ""
        loads = [v for x in rs for v in x["load"]]
        q = {m: statistics.median(x["quality"][m] for x in rs) for m in MEASURES}
        print(f"| {tool} | {statistics.median(total):.1f} | {min(total):.1f}-{max(total):.1f} | "
              f"{train} | {statistics.median(x['tokens_s'] for x in rs):,.0f}{note} | "
              f"{max(x['peak'] for x in rs) / 2**20:,.0f} | {min(loads):.1f}-{max(loads):.1f} | "
              f"{q['ws353-all']:.3f} | {q['simlex999']:.3f} | {q['men3k']:.3f} | "
              f"{q['analogy']:.2%} |")
    if "embedlayer" not in runs:
        return
    print("\nSpeed-up = the peer's total seconds / embedlayer's total seconds, per repeat (same "
          "repeat; the same seed where a tool takes one); median (each repeat's, in order):\n")
    for peer in (t for t in runs if t != "embedlayer"):
        r = [p["total_s"] / o["total_s"] for o, p in zip(runs["embedlayer"], runs[peer],
                                                          strict=True)]
        target = {"gensim": " (target >= 2x)", "fasttext": " (target >= 3x)"}.get(peer, "")
        print(f"- embedlayer against {peer}, whole job: {statistics.median(r):.2f}x "
              f"({', '.join(f'{x:.2f}' for x in r)}){target}")
    print("\n<details><summary>every run, in order</summary>\n")
    print("| repeat (seed) | tool | total s | train s | load avg before | after |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in range(args.repeats):
        for tool, rs in runs.items():
            x = rs[r]
            train = "-" if x["train_s"] is None else f"{x['train_s']:.1f}"
            print(f"| {r} ({r + 1}) | {tool} | {x['total_s']:.1f} | {train} | "
                  f"{x['load'][0]:.2f} | {x['load'][1]:.2f} |")
    print("\n</details>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=6, metavar="X", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats (default: 3, 1 with --quick)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the corpus (default: 5, 1 with --quick)")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--model", choices=["skipgram", "cbow"], default="skipgram",
                        help="(default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: lee-background, 1 epoch, 100k buckets (figures mean "
                             "nothing)")
    args = parser.parse_args()
    if args.one:
        tool, model, corpus, out, settings, seed = args.one
        print(json.dumps(_one(tool, model, Path(corpus), Path(out), json.loads(settings),
                              int(seed))))
        return
    args.command = command_line()
    args.repeats = args.repeats or (1 if args.quick else 3)
    settings = dict(SETTINGS)
    if args.quick:
        settings.update(epochs=1, bucket=100_000)
    if args.epochs:
        settings["epochs"] = args.epochs
    tools = args.tools.split(",")
    unknown = set(tools) - set(TOOLS)
    if unknown:
        raise SystemExit(f"--tools: unknown {sorted(unknown)}; known: {', '.join(TOOLS)}")

    folder = Path(tempfile.mkdtemp(prefix="bench-ft-"))
    try:
        corpus, write_s = prepare_corpus(folder, QUICK_CORPORA if args.quick else CORPORA)
        if "embedlayer" in tools:  # fill numba's cache, untimed
            tiny, _ = prepare_corpus(folder, QUICK_CORPORA)
            _spawn("embedlayer", args.model, tiny, folder / "warm.bin",
                   {**settings, "epochs": 1, "bucket": 1000}, seed=1)
        runs: dict[str, list[dict]] = {t: [] for t in tools}
        for r in range(args.repeats):
            for tool in tools:
                out = folder / f"{tool}-{r}.bin"
                res = _spawn(tool, args.model, corpus, out, settings, seed=r + 1)
                res["quality"] = _quality(out)
                out.unlink()  # 0.8 GB a model
                runs[tool].append(res)
                print(f"repeat {r} {tool}: total {res['total_s']:.1f} s, load "
                      f"{res['load'][0]:.1f}-{res['load'][1]:.1f}", file=sys.stderr, flush=True)
        first = runs[tools[0]][0]
        info = (f"corpus: {first['tokens']:,} tokens "
                f"({'lee-background' if args.quick else 'corpora/en/*.txt'}, lower-cased regex "
                f"tokens written once in {write_s:.1f} s, not counted in any row)")
        _report(runs, args, settings, info)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
