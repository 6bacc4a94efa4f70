"""The causal language model (``embedlayer.tasks.lm``): training throughput against
transformers' GPT2LMHeadModel, a 15-minute run, and the embedding-layer experiments (tied
head, positions, word-vector initialization, the token table as word vectors, compressing it).

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_lm.py
      [--parts main,throughput,tied,tied-long,tied-params,tied-data,positions,word,compress] [--seeds 3] [--jobs 2]
      [--repeats 5] [--workers 2]
(needs the contextual extra for transformers). Prints the command, then one Markdown table a
part; ``--plot`` writes the positions plot.

Data. ``main`` and ``throughput``: the ``corpora/en`` text files of the word-vector
benchmarks (bench_word2vec's ``CORPORA``); the experiments:
``corpora/en/brown.txt`` alone (1.16M words: small enough for many runs). In both, every 50th
line is the test set (spread over the whole corpus, so over every genre); the model trains on
the other lines, and ``fit`` holds out the last 2% of their token stream as its development
slice (the "val" perplexity during training). The tables report test perplexity
(``CausalLM.evaluate`` on the test lines).

- main: ``MAIN`` below (BPE 8,000, context 128, width 256, 4 layers, 4 heads, GPT-2's network:
  learned positions, tied head), ``MAIN_STEPS`` steps of 16 windows, 2 threads: the
  development perplexity along the way, test perplexity, tokens/s of the whole ``fit``. The
  trained folder is kept in the cache (``compress`` and ``throughput`` read it).
- throughput: our ``CausalTransformer`` and ``transformers.GPT2LMHeadModel`` built from the
  same settings (same parameter count: the test in tests/test_lm.py shows they compute the
  same function), trained on the same batches (windows of the main corpus, encoded by the main
  model's tokenizer) by the same loop (AdamW with the same parameter groups, clipping at 1.0,
  cross-entropy on the logits), ``--repeats`` interleaved rounds of ``THROUGHPUT_STEPS``
  steps each after a warm-up round; tokens/s medians, min-max and the ratio. transformers
  runs its default (SDPA) attention.
- tied: ``SMALL`` with a tied and an untied head, ``--seeds`` seeds each: parameters, test
  perplexity mean ± std.
- tied-long: the same with ``LONG_STEPS`` steps (about 6 passes over the training lines).
- tied-params: the tied model against an untied one of about the same parameter count (width
  ``UNTIED_SAME_PARAMS_DIM``), ``--seeds`` seeds.
- tied-data: tied against untied trained on every ``TIED_DATA_EVERY``-th training line only
  (about 7,000 lines, 150k words) for ``TIED_DATA_STEPS`` steps (about 20 passes): the
  data-limited regime of Press & Wolf (2017). Every table of the tied parts also gives the
  best dev perplexity along the way (early stopping on the dev slice, never on test lines).
- positions: ``SMALL`` (tied) with positions none / sinusoidal / learned / rotary, trained on
  windows of 64 tokens, scored on the test lines with windows of 64, 128 and 256 (learned
  positions have a table of 64 rows: longer windows are undefined for them); the rotary
  models scored a second time with NTK-aware scaling (``rope_scaling="ntk"``, no
  retraining); and the perplexity by position inside the 256-token windows (0-63, 64-127,
  128-255), whose last bucket is the cleanest measure of "beyond the training length".
- word: a word-level vocabulary (``tokenizer="word"``, 8,000 words), the token table random
  or initialized from word2vec trained on the same training lines (skip-gram, 128
  dimensions, 5 epochs), ``--seeds`` seeds; then the trained token table of the random-init
  model, exported with ``token_vectors()``, scored with the intrinsic suite (WS-353, SimLex,
  MEN, the Google analogies) next to that word2vec.
- compress: the main model's token table (tied: it is the output layer too) replaced by its
  int8, 4-bit, PQ and low-rank reconstructions, test perplexity against the dense table.

Every setting is fixed in this file, none chosen on the test lines. ``--jobs 2`` runs two
experiment fits at once with one thread each (their timings are then not comparable across
rows; only throughput and main are timing results, and they run alone).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

MAIN = dict(vocab_size=8000, context=128, dim=256, layers=4, heads=4, batch_size=16,
            learning_rate=1e-3, warmup=100, eval_every=250, eval_tokens=65536)
MAIN_STEPS = 2000
THROUGHPUT_STEPS = 8
SMALL = dict(vocab_size=4000, context=64, dim=128, layers=2, heads=4, batch_size=32,
             steps=1000, learning_rate=1e-3, warmup=50, eval_every=250, eval_tokens=65536)
WORD = dict(SMALL, tokenizer="word", vocab_size=8000)
LONG_STEPS = 4000
UNTIED_SAME_PARAMS_DIM = 88  # untied at width 88: 897,952 parameters; tied at 128: 916,992
TIED_DATA_EVERY = 8  # tied-data trains on every 8th training line of brown
TIED_DATA_STEPS = 2000
W2V = dict(model="skipgram", loss="ns", dim=128, window=5, negative=5, min_count=3, epochs=5,
           seed=1)
EVAL_CONTEXTS = (64, 128, 256)
COMPRESS = ["int8", "int4", "pq:m=64", "pq:m=32", "lowrank:rank=64", "lowrank:rank=32"]
WORDSIM = ("ws353-all", "simlex999", "men3k")


def cache_dir() -> Path:
    base = Path(os.environ.get("EMBEDLAYER_CACHE", Path.home() / ".cache" / "embedlayer"))
    return base / "bench-lm"


def split_lines(paths: list[Path]) -> tuple[list[str], list[str]]:
    """(training lines, test lines): every 50th non-empty line is a test line."""
    train, test = [], []
    i = 0
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                (test if i % 50 == 0 else train).append(line)
                i += 1
    return train, test


def main_corpus() -> list[Path]:
    """The English corpora of the word-vector benchmarks (bench_word2vec's ``CORPORA``)."""
    from bench_word2vec import CORPORA
    from embedlayer import data

    return [Path(data.path(name, progress=False)) for name in CORPORA]


def brown() -> list[Path]:
    from embedlayer import data

    return [Path(data.path("brown", progress=False))]


def mean_std(values: list[float], fmt: str = "{:.1f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.fmean(values))} ± {fmt.format(statistics.stdev(values))}"


def signed_mean_std(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:+.1f}"
    return f"{statistics.fmean(values):+.1f} ± {statistics.stdev(values):.1f}"


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    return (f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-"
            f"{fmt.format(max(values))})")


# --- one fit, in a worker process -------------------------------------------------------------
def fit_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train one model (``job["config"]``) on brown's training lines and score it."""
    import torch

    from embedlayer.tasks.lm import CausalLM, LMConfig

    torch.set_num_threads(job.get("threads", 1))
    train, test = split_lines(brown())
    train = train[::job.get("every", 1)]  # tied-data: every n-th training line
    init = None
    if job.get("init") == "word2vec":
        init = word2vec_of(job["w2v_path"])
    t0 = time.perf_counter()
    lm = CausalLM(LMConfig(**job["config"])).fit(train, init_vectors=init, progress=False) \
        if init is not None else CausalLM(LMConfig(**job["config"])).fit(train, progress=False)
    seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"name": job["name"], "seed": job["config"]["seed"],
                           "seconds": seconds,
                           "params": sum(p.numel() for p in lm.model_.parameters()),
                           "dev": lm.history_[-1].val_perplexity,
                           "best_dev": min(r.val_perplexity for r in lm.history_),
                           "best_step": min(lm.history_, key=lambda r: r.val_perplexity).step,
                           "lines": len(train), "test": {}}
    for ctx in job.get("contexts", (job["config"]["context"],)):
        try:
            out["test"][ctx] = lm.evaluate(test, context=ctx).perplexity
        except Exception as exc:  # learned positions past their table
            out["test"][ctx] = f"n/a ({type(exc).__name__})"
    if job.get("buckets"):  # perplexity by position inside the longest window
        scalings = ("none", "ntk") if job["config"]["positions"] == "rotary" else ("none",)
        out["buckets"] = {}
        for scaling in scalings:
            if scaling != "none":
                out["test_" + scaling] = {ctx: lm.evaluate(test, context=ctx,
                                                           rope_scaling=scaling).perplexity
                                          for ctx in job["contexts"]}
            if job["config"]["positions"] != "learned":
                out["buckets"][scaling] = position_buckets(lm, test, max(job["contexts"]),
                                                           scaling)
    if "init_rows_" in vars(lm):
        out["init_rows"] = lm.init_rows_
    if job.get("save"):
        lm.save(job["save"])
    return out


def position_buckets(lm, texts: list[str], window: int, rope_scaling: str) -> list[float]:
    """Test perplexity of the tokens at positions [0, c), [c, 2c), [2c, window) of windows of
    ``window`` tokens (c: the training context), scored as ``CausalLM.evaluate`` scores."""
    import numpy as np
    import torch
    import torch.nn.functional as F  # noqa: N812

    from embedlayer.tasks.lm._tokens import encode_text

    c = lm.config.context
    edges = [0, c, 2 * c, window]
    ids = encode_text(lm.tokenizer_, lm.vocab_, texts)
    net = lm.model_.eval()
    net.rope_scaling = rope_scaling
    total, count = np.zeros(3), np.zeros(3)
    starts = list(range(0, len(ids) - window - 1, window))  # whole windows only
    with torch.no_grad():
        for i in range(0, len(starts), 32):
            x = torch.from_numpy(np.stack([np.asarray(ids[s:s + window + 1], dtype=np.int64)
                                           for s in starts[i:i + 32]]))
            loss = F.cross_entropy(net(x[:, :-1]).flatten(0, 1), x[:, 1:].flatten(),
                                   reduction="none").view(len(x), -1)
            for b in range(3):
                total[b] += float(loss[:, edges[b]:edges[b + 1]].sum())
                count[b] += loss[:, edges[b]:edges[b + 1]].numel()
    net.rope_scaling = "none"
    return [math.exp(t / n) for t, n in zip(total, count, strict=True)]


def run_jobs(jobs: list[dict[str, Any]], workers: int) -> list[dict[str, Any]]:
    if workers <= 1:
        return [fit_job(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(fit_job, jobs))


def seeds_of(args) -> list[int]:
    return list(range(args.seeds))


# --- parts -------------------------------------------------------------------------------------
def part_main(args) -> None:
    import torch

    from embedlayer.tasks.lm import CausalLM, LMConfig

    torch.set_num_threads(args.workers)
    train, test = split_lines(main_corpus())
    config = LMConfig(**MAIN, steps=args.main_steps, seed=0)
    folder = cache_dir() / "main"
    t0 = time.perf_counter()
    lm = CausalLM(config).fit(train, progress=False)
    seconds = time.perf_counter() - t0
    tokens = args.main_steps * config.batch_size * config.context
    score = lm.evaluate(test)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    lm.save(folder)
    params = sum(p.numel() for p in lm.model_.parameters())
    print(f"\n### main: {config.vocab_size:,} BPE tokens, context {config.context}, width "
          f"{config.dim}, {config.layers} layers, {config.heads} heads, learned positions, tied "
          f"head ({params:,} parameters); {args.main_steps} steps x {config.batch_size} windows"
          f" ({tokens:,} tokens); {args.workers} threads\n")
    print(f"training lines {len(train):,}, test lines {len(test):,}\n")
    print("| step | train loss | dev perplexity | learning rate | s since last |\n"
          "| ---: | ---: | ---: | ---: | ---: |")
    for r in lm.history_:
        print(f"| {r.step} | {r.loss:.3f} | {r.val_perplexity:.1f} | {r.learning_rate:.2e} | "
              f"{r.seconds:.0f} |")
    print(f"\nwhole fit (tokenizer, encoding, training, dev scoring): {seconds:.0f} s, "
          f"{tokens / seconds:,.0f} training tokens/s")
    print(f"test perplexity: {score.perplexity:.1f} over {score.tokens:,} tokens")
    for seed in (0, 1):
        text = lm.generate("The", 30, strategy="sample", temperature=0.8, top_k=40, seed=seed)
        print(f"sample (seed {seed}, temperature 0.8, top-k 40): {text!r}")
    print(f"saved: {folder}")


def part_throughput(args) -> None:
    import numpy as np
    import torch
    import torch.nn.functional as F  # noqa: N812

    from embedlayer.contextual.checkpoint import offline
    from embedlayer.nn.transformer import CausalTransformer
    from embedlayer.tasks._training import optimizer_step
    from embedlayer.tasks.lm import CausalLM, LMConfig
    from embedlayer.tasks.lm._tokens import encode_text
    from embedlayer.tasks.lm._train import make_optimizer, sample_batch

    offline()
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.set_num_threads(args.workers)
    folder = cache_dir() / "main"
    if folder.exists():
        lm = CausalLM.load(folder)
    else:  # the tokenizer only
        train, _ = split_lines(main_corpus())
        lm = CausalLM(LMConfig(**{**MAIN, "steps": 1, "eval_every": 1})).fit(train,
                                                                             progress=False)
    c = lm.config
    train, _ = split_lines(main_corpus())
    ids = encode_text(lm.tokenizer_, lm.vocab_, train[:20000])
    rng = np.random.default_rng(0)
    batches = [sample_batch(ids, len(ids), c.context, c.batch_size, rng)
               for _ in range(THROUGHPUT_STEPS)]
    v = len(lm.vocab_)

    def ours() -> torch.nn.Module:
        return CausalTransformer(lm.vocab_, c.network())

    def theirs() -> torch.nn.Module:
        return GPT2LMHeadModel(GPT2Config(
            vocab_size=v, n_positions=c.context, n_embd=c.dim, n_layer=c.layers,
            n_head=c.heads, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
            bos_token_id=None, eos_token_id=None))

    forward = {"embedlayer": lambda m, x: m(x), "transformers": lambda m, x: m(input_ids=x).logits}
    models = {"embedlayer": ours(), "transformers": theirs()}
    counts = {k: sum(p.numel() for p in m.parameters()) for k, m in models.items()}
    optimizers = {k: make_optimizer(m, learning_rate=1e-3, weight_decay=0.1, betas=(0.9, 0.95))
                  for k, m in models.items()}

    def round_(name: str) -> float:
        model, opt = models[name], optimizers[name]
        model.train()
        t0 = time.perf_counter()
        for x, y in batches:
            logits = forward[name](model, x)
            loss = F.cross_entropy(logits.reshape(-1, v), y.reshape(-1))
            optimizer_step(loss, model, [opt], 1.0)
        return len(batches) * c.batch_size * c.context / (time.perf_counter() - t0)

    for name in models:  # warm-up
        round_(name)
    rates: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(args.repeats):
        for name in models:
            rates[name].append(round_(name))
    print(f"\n### training throughput: {c.layers} layers, width {c.dim}, {c.heads} heads, "
          f"context {c.context}, vocabulary {v:,}, batch {c.batch_size}; {args.repeats} "
          f"interleaved rounds of {THROUGHPUT_STEPS} steps, {args.workers} threads\n")
    print("| model | parameters | tokens/s median (min-max) |\n| --- | ---: | ---: |")
    for name in models:
        print(f"| {name} | {counts[name]:,} | {spread(rates[name])} |")
    ratio = statistics.median(rates["embedlayer"]) / statistics.median(rates["transformers"])
    per_round = [a / b for a, b in zip(rates["embedlayer"], rates["transformers"], strict=True)]
    print(f"\nembedlayer / transformers: {ratio:.2f}x (per round {min(per_round):.2f}-"
          f"{max(per_round):.2f})")
    import transformers

    print(f"torch {torch.__version__}, transformers {transformers.__version__}, attention "
          f"{models['transformers'].config._attn_implementation}")


def part_tied(args) -> None:
    tied_table(args, SMALL, "tied against untied output layer")


def part_tied_long(args) -> None:
    """``tied`` with ``LONG_STEPS`` steps (about 6 passes over brown's training lines): the
    regime where the untied head's extra rows can overfit."""
    tied_table(args, dict(SMALL, steps=LONG_STEPS, eval_every=500),
               "tied against untied, trained longer")


def part_tied_params(args) -> None:
    """The tied model against an untied one of (about) the same parameter count: the width
    ``UNTIED_SAME_PARAMS_DIM`` instead of ``SMALL``'s 128."""
    rows = (("tied", dict(SMALL, tied=True)),
            (f"untied, width {UNTIED_SAME_PARAMS_DIM}",
             dict(SMALL, tied=False, dim=UNTIED_SAME_PARAMS_DIM)))
    tied_table(args, SMALL, "tied against untied of the same parameter count", rows)


def part_tied_data(args) -> None:
    """``tied`` on every ``TIED_DATA_EVERY``-th training line only, ``TIED_DATA_STEPS`` steps
    (about 20 passes): the data-limited regime, where the untied head overfits."""
    config = dict(SMALL, steps=TIED_DATA_STEPS)
    tied_table(args, config, f"tied against untied, every {TIED_DATA_EVERY}th training line",
               every=TIED_DATA_EVERY)


def tied_table(args, config: dict[str, Any], title: str,
               rows: tuple[tuple[str, dict[str, Any]], ...] | None = None, *,
               every: int = 1) -> None:
    """Fit each of ``rows`` (name, config; default: ``config`` with a tied and an untied head)
    for every seed; print one table: the last step's test and dev perplexity, and the best dev
    perplexity along the way (scored every ``eval_every`` steps) with its step."""
    rows = rows or (("tied", dict(config, tied=True)), ("untied", dict(config, tied=False)))
    jobs = [{"name": name, "config": dict(c, seed=s), "every": every}
            for s in seeds_of(args) for name, c in rows]
    results = run_jobs(jobs, args.jobs)
    print(f"\n### {title}: brown ({results[0]['lines']:,} training lines), {config['steps']} "
          f"steps x {config['batch_size']} windows of {config['context']}, seeds "
          f"{', '.join(map(str, seeds_of(args)))}\n")
    print("| head | parameters | test perplexity | dev perplexity | best dev perplexity (step) "
          "| per seed (test) |\n| --- | ---: | ---: | ---: | ---: | --- |")
    for name, _ in rows:
        mine = [r for r in results if r["name"] == name]
        test = [r["test"][config["context"]] for r in mine]
        steps = ", ".join(str(r["best_step"]) for r in mine)
        print(f"| {name} | {mine[0]['params']:,} | {mean_std(test)} | "
              f"{mean_std([r['dev'] for r in mine])} | "
              f"{mean_std([r['best_dev'] for r in mine])} ({steps}) | "
              f"{', '.join(f'{t:.1f}' for t in test)} |")


def part_positions(args) -> None:
    kinds = tuple(k.strip() for k in args.kinds.split(","))
    jobs = [{"name": kind, "config": dict(SMALL, positions=kind, seed=s),
             "contexts": EVAL_CONTEXTS, "buckets": True}
            for s in seeds_of(args) for kind in kinds]
    results = run_jobs(jobs, args.jobs)
    print(f"\n### positions: trained on windows of {SMALL['context']} tokens, scored with "
          f"windows of {', '.join(map(str, EVAL_CONTEXTS))}; brown, seeds "
          f"{', '.join(map(str, seeds_of(args)))}\n")
    head = " | ".join(f"test ppl, window {c}" for c in EVAL_CONTEXTS)
    print(f"| positions | parameters | {head} | change {EVAL_CONTEXTS[0]} -> "
          f"{EVAL_CONTEXTS[-1]} (per seed: mean ± std) |\n| --- | ---: |"
          + " ---: |" * (len(EVAL_CONTEXTS) + 1))
    curves = {}
    rows_of = [(kind, kind, "test") for kind in kinds]
    if "rotary" in kinds:
        rows_of.append(("rotary, NTK-scaled when scoring", "rotary", "test_ntk"))
    for label, kind, key in rows_of:
        rows = [r for r in results if r["name"] == kind]
        cells, means = [], []
        for c in EVAL_CONTEXTS:
            values = [r[key][c] for r in rows]
            if all(isinstance(v, float) for v in values):
                cells.append(mean_std(values))
                means.append(statistics.fmean(values))
            else:
                cells.append("n/a (no rows past its table)")
                means.append(math.nan)
        if math.isfinite(means[-1]):
            changes = [100 * (r[key][EVAL_CONTEXTS[-1]] / r["test"][EVAL_CONTEXTS[0]] - 1)
                       for r in rows]
            change = signed_mean_std(changes) + "%"
        else:
            change = "n/a"
        curves[label] = means
        print(f"| {label} | {rows[0]['params']:,} | {' | '.join(cells)} | {change} |")
    c, w = SMALL["context"], EVAL_CONTEXTS[-1]
    print(f"\nBy position inside the windows of {w} (test perplexity of the tokens at those "
          f"positions; the last column: positions {2 * c}-{w - 1} against the same model's "
          f"window-{c} perplexity, per seed):\n")
    print(f"| positions | 0-{c - 1} (trained) | {c}-{2 * c - 1} | {2 * c}-{w - 1} | change, "
          f"{2 * c}-{w - 1} against window {c} |\n| --- | ---: | ---: | ---: | ---: |")
    for label, kind, key in rows_of:
        rows = [r for r in results if r["name"] == kind]
        scaling = "ntk" if key == "test_ntk" else "none"
        if not all(scaling in r.get("buckets", {}) for r in rows):
            continue
        cells = [mean_std([r["buckets"][scaling][b] for r in rows]) for b in range(3)]
        far = [100 * (r["buckets"][scaling][2] / r["test"][c] - 1) for r in rows]
        print(f"| {label} | {' | '.join(cells)} | {signed_mean_std(far)}% |")
    if args.plot is not None:
        plot_positions(curves, args.plot)


def positions_from(outputs: list[Path]) -> dict[str, list[float]]:
    """The positions table's means (per kind, per window) from saved outputs of this script;
    a kind in several outputs: the last one read."""
    curves: dict[str, list[float]] = {}
    for out in outputs:
        inside = False
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.startswith("### "):
                inside = line.startswith("### positions")
            elif inside and line.startswith("| ") and not line.startswith(("| positions",
                                                                               "| ---")):
                cells = [c.strip() for c in line.strip("|").split("|")]
                curves[cells[0]] = [float(c.split()[0]) if c[:1].isdigit() else math.nan
                                    for c in cells[2:2 + len(EVAL_CONTEXTS)]]
    return curves


def plot_positions(curves: dict[str, list[float]], path: Path) -> None:
    """Test perplexity against the scoring window, one line per position kind."""
    if path is None:
        raise SystemExit("--plot-from needs --plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for kind, means in curves.items():
        ax.plot(EVAL_CONTEXTS, means, marker="o", label=kind)
    ax.axvline(SMALL["context"], color="grey", linestyle=":", label="training window")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("scoring window (tokens)")
    ax.set_ylabel("test perplexity (mean over seeds)")
    ax.set_title("positions: perplexity beyond the training length")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"\nwrote {path}")


def word2vec_of(path: str):
    from embedlayer.vectors.io import load_vectors

    return load_vectors(path, progress=False)


def train_word2vec(path: Path) -> None:
    """word2vec on brown's training lines, tokenized by the word-level LM's own tokenizer."""
    from embedlayer.tasks.lm import CausalLM, LMConfig
    from embedlayer.train import Word2Vec

    train, _ = split_lines(brown())
    probe = CausalLM(LMConfig(**{**WORD, "steps": 1, "eval_every": 1})).fit(train,
                                                                            progress=False)
    sentences = [list(t) for t in probe.tokenizer_.tokenize_many(train)]
    model = Word2Vec(**W2V, workers=2).fit(sentences, progress=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_vectors(path)


def intrinsic(store) -> dict[str, float]:
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs

    out: dict[str, float] = {}
    for name in WORDSIM:
        result = evaluate_word_pairs(store, name, oov="skip")
        out[name], out[f"{name} pairs"] = result.spearman, result.scored
    analogy = evaluate_analogies(store, "google-analogy", restrict_vocab=30_000)
    out["analogy"] = analogy.accuracy
    out["answered"] = analogy.answered
    return out


def part_word(args) -> None:
    from embedlayer.tasks.lm import CausalLM
    from embedlayer.vectors import Vectors

    w2v = cache_dir() / "w2v-brown"
    if not w2v.exists():
        train_word2vec(w2v)
    save = cache_dir() / "word-random-0"
    jobs = [{"name": init, "config": dict(WORD, seed=s), "init": init, "w2v_path": str(w2v),
             "save": str(save) if (init == "random" and s == 0) else None}
            for s in seeds_of(args) for init in ("random", "word2vec")]
    if save.exists():
        import shutil

        shutil.rmtree(save)
    results = run_jobs(jobs, args.jobs)
    print(f"\n### word-level vocabulary ({WORD['vocab_size']:,} words): token table random or "
          f"from word2vec of the same training lines; brown, seeds "
          f"{', '.join(map(str, seeds_of(args)))}\n")
    print("| token table starts | test perplexity | dev perplexity | per seed (test) |\n"
          "| --- | ---: | ---: | --- |")
    for init in ("random", "word2vec"):
        rows = [r for r in results if r["name"] == init]
        test = [r["test"][WORD["context"]] for r in rows]
        extra = f" ({rows[0]['init_rows']:,} rows copied)" if rows[0].get("init_rows") else ""
        print(f"| {init}{extra} | {mean_std(test)} | {mean_std([r['dev'] for r in rows])} | "
              f"{', '.join(f'{t:.1f}' for t in test)} |")
    lm = CausalLM.load(save)
    table = lm.token_vectors()
    vectors = word2vec_of(w2v)
    shared = [w for w in table.keys if w in vectors]
    same_words = Vectors(shared, vectors.lookup(shared))
    print("\nThe trained token table (random start, seed 0) as word vectors, next to word2vec "
          "of the same lines (128 dimensions each), and word2vec cut to the table's words "
          "(the same questions answered). Spearman (pairs used) and analogy accuracy over the "
          "answered questions:\n")
    print("| vectors | words | WS-353 | SimLex | MEN | analogy (answered) |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, store in (("LM token table", table), ("word2vec, its own vocabulary", vectors),
                        ("word2vec, the table's words", same_words)):
        q = intrinsic(store)
        print(f"| {name} | {len(store):,} | "
              + " | ".join(f"{q[k]:.4f} ({q[f'{k} pairs']})" for k in WORDSIM)
              + f" | {q['analogy']:.4f} ({q['answered']:,}) |")


def part_compress(args) -> None:
    import numpy as np
    import torch

    from embedlayer.compress import compress
    from embedlayer.tasks.lm import CausalLM
    from embedlayer.vectors import Vectors

    torch.set_num_threads(args.workers)
    folder = cache_dir() / "main"
    if not folder.exists():
        raise SystemExit(f"compress: run --parts main first ({folder} is missing)")
    lm = CausalLM.load(folder)
    _, test = split_lines(main_corpus())
    weight = lm.model_.transformer.wte.weight
    dense = weight.detach().clone()
    base = lm.evaluate(test).perplexity
    table = Vectors([f"t{i}" for i in range(len(dense))], dense.numpy())
    print(f"\n### compressing the main model's token table ({len(dense):,} x {dense.shape[1]}, "
          f"tied: it is the output layer too); test perplexity\n")
    print("| token table | bytes | ratio | test perplexity | change |\n"
          "| --- | ---: | ---: | ---: | ---: |")
    full = dense.numel() * 4
    print(f"| dense float32 | {full:,} | 1.0x | {base:.2f} | +0.0% |")
    for method in COMPRESS:
        c = compress(table, method)
        with torch.no_grad():
            weight.copy_(torch.from_numpy(np.array(c.matrix, dtype=np.float32)))
        ppl = lm.evaluate(test).perplexity
        print(f"| {method} | {c.nbytes:,} | {full / c.nbytes:.1f}x | {ppl:.2f} | "
              f"{100 * (ppl / base - 1):+.1f}% |")
        with torch.no_grad():
            weight.copy_(dense)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="main,throughput,tied,positions,word,compress",
                        help="comma-separated parts (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds of each experiment row (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="experiment fits at once, one thread each (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="throughput rounds (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2,
                        help="torch threads of main, throughput and compress (default: "
                             "%(default)s)")
    parser.add_argument("--main-steps", type=int, default=MAIN_STEPS,
                        help="optimizer steps of the main run (default: %(default)s)")
    parser.add_argument("--small-steps", type=int, default=SMALL["steps"],
                        help="optimizer steps of each experiment fit (default: %(default)s)")
    parser.add_argument("--kinds", default="none,sinusoidal,learned,rotary",
                        help="the position kinds of the positions part (default: %(default)s)")
    parser.add_argument("--plot", type=Path, default=None,
                        help="write the positions plot here (default: none)")
    parser.add_argument("--plot-from", type=Path, nargs="+", default=None,
                        help="compute nothing: plot the positions tables of these saved "
                             "outputs into --plot (a kind in several: the last) (default: off)")
    args = parser.parse_args()
    if args.plot_from:
        plot_positions(positions_from(args.plot_from), args.plot)
        return
    SMALL["steps"] = WORD["steps"] = args.small_steps
    SMALL["eval_every"] = WORD["eval_every"] = min(SMALL["eval_every"], args.small_steps)
    os.environ.setdefault("EMBEDLAYER_PROGRESS", "0")
    print(f"command: python benchmarks/bench_lm.py {shlex.join(sys.argv[1:])}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    parts = {"main": part_main, "throughput": part_throughput, "tied": part_tied,
             "tied-long": part_tied_long, "tied-params": part_tied_params,
             "tied-data": part_tied_data,
             "positions": part_positions, "word": part_word, "compress": part_compress}
    for part in args.parts.split(","):
        parts[part.strip()](args)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; {time.perf_counter() - t0:.0f} s "
          f"in all")


if __name__ == "__main__":
    main()
