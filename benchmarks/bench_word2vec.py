"""word2vec training: embedlayer against gensim 4.4, like for like, in one run.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_word2vec.py
      [--repeats 3] [--configs sg-ns,cbow-ns,sg-hs,cbow-hs] [--scaling] [--memory] [--quick]
(needs gensim: ``pip install -e '.[bench]'``). Takes 30-45 min with the defaults on a quiet
2-core machine (``--scaling`` and ``--memory`` add ~15 min); nothing else may run meanwhile.
Prints Markdown for docs/benchmarks.md, headed by the exact command line.

Same tokens on every side: all of corpora/en/*.txt is lower-cased and regex-tokenized by
embedlayer once into a file in gensim's LineSentence format (one sentence a line, tokens
separated by spaces); writing it is timed and reported, never counted in a row. Every
contender then reads that file:

- ``embedlayer``: the default estimator (for skip-gram NS: shared negatives, one negative set
  per window, Ji et al. 2016 -- a different estimator from gensim's per-pair negatives);
- ``embedlayer-classic`` (sg-ns only): ``shared_negatives=False``, word2vec.c's per-pair
  negatives, the same estimator as gensim's;
- ``gensim``: ``build_vocab`` + ``train`` over a ``LineSentence`` iterable;
- ``gensim-file``: ``build_vocab`` + ``train`` with ``corpus_file=`` (gensim's fastest mode for
  a pre-tokenized file: each worker reads its own part of the file, no Python queue).

One settings dictionary (``SETTINGS``) fixes both sides. Each training runs in a fresh
subprocess (peak memory, ru_maxrss, is its own); repeats are interleaved (every contender of
every config once per repeat, in order) and repeat r uses seed r + 1 on every side; one
untimed run per embedlayer kernel first fills numba's on-disk compilation cache. Times:
``total`` = the whole job (vocabulary building + corpus encoding + training; for gensim
build_vocab + train), ``train`` = training alone. tokens/s = corpus tokens x epochs / train
seconds (every token of the text, before vocabulary filtering and subsampling). The load
average (``os.getloadavg``, 1 min) is recorded before and after every run. Quality is
measured with embedlayer's evaluation on every repeat's vectors (medians shown): Spearman on
WS-353, SimLex-999, MEN; Google analogies restricted to the 30k most frequent words.

``--scaling`` adds 1 vs 2 workers (sg-ns); ``--memory`` trains on the corpus repeated 5
times (x1's vocabulary with min_count 25, and min_count 5). ``--quick`` is a smoke test only
(lee-background, 1 epoch, 1 repeat): its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPORA = ("brown", "movie-reviews", "abc", "state-union", "inaugural", "webtext", "genesis",
           "lee-background")
QUICK_CORPORA = ("lee-background",)
# Both sides' settings: gensim's argument names are mapped in _gensim_kwargs, ours in
# _train_embedlayer. Learning rate 0.025 -> 0.0001 is word2vec.c's and both tools' default.
SETTINGS = {"dim": 100, "window": 5, "negative": 5, "ns_exponent": 0.75, "min_count": 5,
            "sample": 1e-3, "learning_rate": 0.025, "min_learning_rate": 0.0001, "epochs": 5,
            "workers": 2}
CONFIGS = {"sg-ns": ("skipgram", "ns"), "cbow-ns": ("cbow", "ns"), "sg-hs": ("skipgram", "hs"),
           "cbow-hs": ("cbow", "hs")}
GENSIM_MODES = ("gensim", "gensim-file")
# Quality tolerance for "equal": about the seed-to-seed spread of these figures on this corpus.
TOL_SPEARMAN, TOL_ANALOGY = 0.02, 0.015
MEASURES = ("ws353-all", "simlex999", "men3k", "analogy")


def command_line() -> str:
    """This run's command line as typed, with the data path it read (for the table's heading)."""
    data = os.environ.get("EMBEDLAYER_DATA")
    return (f"EMBEDLAYER_DATA={shlex.quote(data)} " if data else "") + shlex.join(
        ["python", *sys.argv])


def prepare_corpus(folder: Path, corpora: tuple[str, ...] = CORPORA,
                   repeat: int = 1) -> tuple[Path, float]:
    """Tokenize ``corpora`` once into a LineSentence file; return it and the seconds it took."""
    from embedlayer import data
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import get_tokenizer

    path = folder / f"corpus-{len(corpora)}-x{repeat}.txt"
    t0 = time.perf_counter()
    tok = get_tokenizer("regex", lowercase=True)
    files = [data.path(n, progress=False) for n in corpora]
    lines = [" ".join(t) for t in tok.tokenize_many(TextCorpus(files)) if t]
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(repeat):
            fh.write("\n".join(lines) + "\n")
    return path, time.perf_counter() - t0


def _prepare(folder: Path, repeat: int = 1) -> Path:
    """The corpus file bench_fasttext.py and bench_glove.py share with this benchmark."""
    path = folder / f"corpus-{len(CORPORA)}-x{repeat}.txt"
    return path if path.exists() else prepare_corpus(folder, CORPORA, repeat)[0]


def _train_embedlayer(settings: dict, model: str, loss: str, corpus: Path, out: Path, *,
                      seed: int, shared_negatives: bool | None) -> tuple[float, float, int]:
    """Every call of embedlayer's trainer in this script: (total s, train s, vocabulary size).

    Written against the trainer API of this tree; the renames of issue 13 (learning_rate,
    progress, saving vectors) change this function only.
    """
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import Word2Vec

    s = settings
    stream = TokenStream(TextCorpus(corpus), get_tokenizer("whitespace"))
    t0 = time.perf_counter()
    m = Word2Vec(model=model, loss=loss, dim=s["dim"], window=s["window"],
                 negative=s["negative"], ns_exponent=s["ns_exponent"], sample=s["sample"],
                 min_count=s["min_count"], learning_rate=s["learning_rate"],
                 min_learning_rate=s["min_learning_rate"], epochs=s["epochs"], workers=s["workers"],
                 seed=seed, shared_negatives=shared_negatives).fit(stream, progress=False)
    total_s = time.perf_counter() - t0  # counting + encoding + training
    m.save_vectors(out, format="word2vec-binary")
    return total_s, sum(m.epoch_seconds_), len(m.vocab_)


def _gensim_kwargs(settings: dict, model: str, loss: str, seed: int) -> dict:
    s = settings
    return {"vector_size": s["dim"], "window": s["window"],
            "negative": s["negative"] if loss == "ns" else 0, "hs": int(loss == "hs"),
            "sg": int(model == "skipgram"), "ns_exponent": s["ns_exponent"],
            "min_count": s["min_count"], "sample": s["sample"], "alpha": s["learning_rate"],
            "min_alpha": s["min_learning_rate"], "epochs": s["epochs"],
            "workers": s["workers"], "seed": seed}


def _train_gensim(settings: dict, model: str, loss: str, corpus: Path, out: Path, *,
                  seed: int, from_file: bool) -> tuple[float, float, int]:
    from gensim.models import Word2Vec as GensimW2V
    from gensim.models.word2vec import LineSentence

    m = GensimW2V(**_gensim_kwargs(settings, model, loss, seed))
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
    m.wv.save_word2vec_format(str(out), binary=True)
    return t2 - t0, t2 - t1, len(m.wv)


def _one(contender: str, model: str, loss: str, corpus: Path, out: Path, settings: dict,
         seed: int) -> dict:
    """Train once in this process; return timings (the vectors go to ``out``)."""
    with open(corpus, encoding="utf-8") as fh:
        tokens = sum(len(line.split()) for line in fh)
    if contender.startswith("gensim"):
        total_s, train_s, vocab = _train_gensim(settings, model, loss, corpus, out, seed=seed,
                                                from_file=contender == "gensim-file")
    else:
        shared = False if contender == "embedlayer-classic" else None
        total_s, train_s, vocab = _train_embedlayer(settings, model, loss, corpus, out,
                                                    seed=seed, shared_negatives=shared)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"train_s": train_s, "total_s": total_s,
            "tokens_s": tokens * settings["epochs"] / train_s, "peak": peak, "tokens": tokens,
            "vocab": vocab}


def _spawn(contender: str, model: str, loss: str, corpus: Path, out: Path, settings: dict,
           seed: int) -> dict:
    cmd = [sys.executable, __file__, "--one", contender, model, loss, str(corpus), str(out),
           json.dumps(settings), str(seed)]
    env = {**os.environ, "EMBEDLAYER_PROGRESS": "0"}
    load_before = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    load_after = os.getloadavg()[0]
    if proc.returncode != 0:
        raise SystemExit(f"{contender} {model}-{loss} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["load"] = (load_before, load_after)
    return result


def _quality(path: Path) -> dict:
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs
    from embedlayer.vectors.io import load_vectors

    v = load_vectors(path)
    out = {name: evaluate_word_pairs(v, name).spearman for name in ("ws353-all", "simlex999", "men3k")}
    out["analogy"] = evaluate_analogies(v, "google-analogy", restrict_vocab=30_000).accuracy
    return out


def _contenders(config: str) -> tuple[str, ...]:
    ours = ("embedlayer", "embedlayer-classic") if config == "sg-ns" else ("embedlayer",)
    return ours + GENSIM_MODES


def _med(runs: list[dict], key: str) -> float:
    return statistics.median(x[key] for x in runs)


def _equal_or_better(q: dict, ref: dict) -> bool:
    return all(q[k] >= ref[k] - (TOL_ANALOGY if k == "analogy" else TOL_SPEARMAN)
               for k in MEASURES)


def _report(rows: dict, args: argparse.Namespace, settings: dict, corpus_info: str) -> None:
    import gensim
    import numba

    print(f"`{args.command}`\n")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {corpus_info}; "
          f"{', '.join(f'{k} {v}' for k, v in settings.items())}; {args.repeats} repeat(s), "
          f"interleaved, seed r + 1 in repeat r; Python {platform.python_version()}, "
          f"gensim {gensim.__version__}, numba {numba.__version__}, {os.cpu_count()} CPUs\n")
    print("| config | contender | total s median | total min-max | train s median | "
          "tokens/s (train) | peak RSS MiB | load avg before-after | WS-353 | SimLex | MEN | "
          "analogy 30k |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for (config, contender), (runs, q) in rows.items():
        total = [x["total_s"] for x in runs]
        loads = [v for x in runs for v in x["load"]]
        print(f"| {config} | {contender} | {statistics.median(total):.1f} | "
              f"{min(total):.1f}-{max(total):.1f} | {_med(runs, 'train_s'):.1f} | "
              f"{_med(runs, 'tokens_s'):,.0f} | {max(x['peak'] for x in runs) / 2**20:,.0f} | "
              f"{min(loads):.1f}-{max(loads):.1f} | {q['ws353-all']:.3f} | "
              f"{q['simlex999']:.3f} | {q['men3k']:.3f} | {q['analogy']:.2%} |")
    print("\nSpeed-up = gensim seconds / embedlayer seconds, per repeat (same repeat, same seed); "
          "median (each repeat's, in order):\n")
    print("| config | embedlayer | against | whole job | training alone |")
    print("| --- | --- | --- | ---: | ---: |")
    verdicts = []
    for config in dict.fromkeys(c for c, _ in rows):
        best = min(GENSIM_MODES, key=lambda g: _med(rows[config, g][0], "total_s"))
        for ours in (c for c in _contenders(config) if c.startswith("embedlayer")):
            our_runs, our_q = rows[config, ours]
            for peer in GENSIM_MODES:
                peer_runs = rows[config, peer][0]
                cells = []
                for key in ("total_s", "train_s"):
                    r = [p[key] / o[key] for o, p in zip(our_runs, peer_runs, strict=True)]
                    each = ", ".join(f"{x:.2f}" for x in r)
                    cells.append(f"{statistics.median(r):.2f}x ({each})")
                tag = " (gensim's best mode)" if peer == best else ""
                print(f"| {config} | {ours} | {peer}{tag} | {cells[0]} | {cells[1]} |")
            if config == "sg-ns":
                target = 2.0 if ours == "embedlayer" else 1.5
                peer_runs, peer_q = rows[config, best]
                ratio = statistics.median(p["total_s"] / o["total_s"]
                                          for o, p in zip(our_runs, peer_runs, strict=True))
                quality = _equal_or_better(our_q, peer_q)
                met = "MET" if ratio >= target and quality else "NOT MET"
                verdicts.append(f"- target: sg-ns {ours} whole job >= {target}x gensim's best mode "
                                f"({best}) at equal{' or better' if target == 2 else ''} quality: "
                                f"{ratio:.2f}x, quality {'equal or better' if quality else 'WORSE'}"
                                f" -> **{met}**")
    print("\nTargets (quality \"equal\" = every Spearman within "
          f"{TOL_SPEARMAN} and analogy within {TOL_ANALOGY:.1%} of gensim's, or above):")
    print("\n".join(verdicts) if verdicts else "- (sg-ns not run: no target to check)")
    _runs_table(rows, args.repeats)


def _runs_table(rows: dict, repeats: int) -> None:
    """Every run in the order it ran, with the load average around it."""
    print("\n<details><summary>every run, in order</summary>\n")
    print("| repeat (seed) | config | contender | total s | train s | load avg before | after |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for r in range(repeats):
        for (config, contender), (runs, _) in rows.items():
            x = runs[r]
            print(f"| {r} ({r + 1}) | {config} | {contender} | {x['total_s']:.1f} | "
                  f"{x['train_s']:.1f} | {x['load'][0]:.2f} | {x['load'][1]:.2f} |")
    print("\n</details>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=7, metavar="X", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats (default: 3, 1 with --quick)")
    parser.add_argument("--configs", default="sg-ns,cbow-ns,sg-hs,cbow-hs",
                        help="comma-separated, from sg-ns,cbow-ns,sg-hs,cbow-hs "
                             "(default: %(default)s)")
    parser.add_argument("--scaling", action="store_true", help="add 1 vs 2 workers (sg-ns)")
    parser.add_argument("--memory", action="store_true", help="add the x5-corpus memory table")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: lee-background, 1 epoch (figures mean nothing)")
    args = parser.parse_args()
    if args.one:
        contender, model, loss, corpus, out, settings, seed = args.one
        print(json.dumps(_one(contender, model, loss, Path(corpus), Path(out),
                              json.loads(settings), int(seed))))
        return
    args.command = command_line()
    args.repeats = args.repeats or (1 if args.quick else 3)
    configs = args.configs.split(",")
    unknown = set(configs) - set(CONFIGS)
    if unknown:
        raise SystemExit(f"--configs: unknown {sorted(unknown)}; known: {', '.join(CONFIGS)}")
    settings = {**SETTINGS, "epochs": 1} if args.quick else dict(SETTINGS)

    folder = Path(tempfile.mkdtemp(prefix="bench-w2v-"))
    try:
        corpus, write_s = prepare_corpus(folder, QUICK_CORPORA if args.quick else CORPORA)
        _warm_up(folder, configs, settings)
        runs: dict[tuple[str, str], list[dict]] = {}
        for r in range(args.repeats):
            for config in configs:
                model, loss = CONFIGS[config]
                for contender in _contenders(config):
                    out = folder / f"{config}-{contender}-{r}.bin"
                    res = _spawn(contender, model, loss, corpus, out, settings, seed=r + 1)
                    res["quality"] = _quality(out)
                    out.unlink()
                    runs.setdefault((config, contender), []).append(res)
                    print(f"repeat {r} {config} {contender}: total {res['total_s']:.1f} s, "
                          f"train {res['train_s']:.1f} s, load {res['load'][0]:.1f}-"
                          f"{res['load'][1]:.1f}", file=sys.stderr, flush=True)
        rows = {key: (v, {m: statistics.median(x["quality"][m] for x in v) for m in MEASURES})
                for key, v in runs.items()}
        first = next(iter(runs.values()))[0]
        info = (f"corpus: {first['tokens']:,} tokens, vocabulary {first['vocab']:,} "
                f"({'lee-background' if args.quick else 'corpora/en/*.txt'}, lower-cased "
                f"regex tokens written once as a LineSentence file in {write_s:.1f} s, not "
                f"counted in any row)")
        _report(rows, args, settings, info)
        if args.scaling:
            _scaling(corpus, folder, settings)
        if args.memory:
            _memory(folder, settings, corpus)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _warm_up(folder: Path, configs: list[str], settings: dict) -> None:
    """Fill numba's on-disk cache (untimed), as any run after a package's first one finds it."""
    tiny, _ = prepare_corpus(folder, QUICK_CORPORA)
    for config in configs:
        for contender in (c for c in _contenders(config) if c.startswith("embedlayer")):
            _spawn(contender, *CONFIGS[config], tiny, folder / "warm.bin",
                   {**settings, "epochs": 1}, seed=1)


def _scaling(corpus: Path, folder: Path, settings: dict) -> None:
    print("\n| workers | embedlayer sg-ns tokens/s | gensim sg-ns tokens/s | "
          "gensim-file sg-ns tokens/s |\n| ---: | ---: | ---: | ---: |")
    for workers in (1, 2):
        s = {**settings, "workers": workers}
        cells = [_spawn(c, "skipgram", "ns", corpus, folder / "s.bin", s, seed=1)["tokens_s"]
                 for c in ("embedlayer", *GENSIM_MODES)]
        print(f"| {workers} | " + " | ".join(f"{x:,.0f}" for x in cells) + " |", flush=True)


def _memory(folder: Path, settings: dict, corpus: Path) -> None:
    # x5 with min_count 25 keeps x1's vocabulary (every count is 5x): what grows then is the
    # corpus alone. x5 with min_count 5 admits 3x the words: the model grows, not the corpus.
    big = _prepare(folder, repeat=5)
    print("\n| corpus | min_count | vocabulary | embedlayer sg-ns peak RSS MiB |\n"
          "| --- | ---: | ---: | ---: |")
    for path, label, mc in ((corpus, "x1", 5), (big, "x5", 25), (big, "x5", 5)):
        a = _spawn("embedlayer", "skipgram", "ns", path, folder / "m.bin",
                   {**settings, "min_count": mc}, seed=1)
        print(f"| {label} ({a['tokens']:,} tokens) | {mc} | {a['vocab']:,} | "
              f"{a['peak'] / 2**20:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
