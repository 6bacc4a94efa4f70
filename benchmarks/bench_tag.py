"""Named-entity recognition on CoNLL-2002 Spanish: embedlayer's BiLSTM-CRF tagger (with this
project's fastText vectors, character features, a CRF) and its ablations, next to a classic
feature-based CRF (sklearn-crfsuite).

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_tag.py
      [--configs full,random,nochar,softmax,crfsuite] [--seeds 3] [--only-seeds 2,3]
      [--workers 1] [--log FILE] [--summarize LOG...] [--quick]
(needs sklearn-crfsuite for the peer: ``pip install -e '.[bench]'``). Prints the command
line, one log line per run (also appended to ``--log`` as it ends, so a long run that is
stopped keeps what it finished) and the Markdown table for docs/benchmarks.md;
``--summarize`` prints the table from the logs of earlier runs without training anything.

Data: ``conll2002-esp`` (esp.train 8,323 sentences for training, esp.testa 1,915 for
development, esp.testb 1,517 for the test figure), IOB2 tags, the token column only (the POS
column is not used by any contender). Every choice (the epoch kept by early stopping) is made
on testa; testb is tagged once per run, at the end.

Vectors: ``embedlayer.train.FastText`` (``SETTINGS["vectors"]``) trained on the Spanish text
available here: corpora/es/cess_esp.txt (6,013 sentences) plus the tokens of esp.train and
esp.testa (not testb), in the form the tagger looks words up (lower-cased, digits made 0);
trained once and cached under ``$EMBEDLAYER_CACHE/bench-tag``. The tagger takes a row for
every word of the vectors (``vocab_from_vectors``).

Contenders (``CONFIGS``): ``full`` = vectors + character CNN + CRF (``SETTINGS["tagger"]``);
``random`` = the same with a random start (dim 100); ``nochar`` = no character features;
``softmax`` = a per-token softmax instead of the CRF; ``crfsuite`` = sklearn-crfsuite's
L-BFGS CRF (``SETTINGS["crfsuite"]``: c1 = c2 = 0.1, 100 iterations, its tutorial's values,
not tuned) over the usual hand-made features of each token and its neighbours within 2
(lower-cased word, prefixes and suffixes of 1-3 characters, word shape, case and digit
flags). Each neural contender runs ``--seeds`` seeds (seed s for weights, dropout and
shuffling); the L-BFGS peer is deterministic and runs once. Figures: conlleval's entity
micro-F1 (``tasks.tagging_metrics``) as mean ± sample std over seeds; "s / epoch" is the
median training pass over esp.train (the peer: one L-BFGS iteration, a pass over the data);
"tag sent/s" tags the 1,517 testb sentences in one call (encoding or feature extraction
included), after training; all with ``--workers`` torch threads (default 1). ``--quick``:
500 training sentences, 2 epochs, a smoke test only.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

SETTINGS: dict[str, dict] = {
    # fastText skip-gram on ~0.5M tokens: more epochs than the usual 5 for a small corpus;
    # every word kept (min_count 1) so the training words all have a vector.
    "vectors": {"model": "skipgram", "dim": 100, "window": 5, "negative": 5, "min_count": 1,
                "epochs": 10, "minn": 3, "maxn": 6, "bucket": 200_000, "seed": 1,
                "workers": 1},
    # TaggerConfig's defaults (Lample et al. 2016's architecture with Adam), written out.
    "tagger": {"char_encoder": "cnn", "char_dim": 25, "char_hidden": 50, "case_dim": 10,
               "hidden": 100, "layers": 1, "dropout": 0.5, "head": "crf",
               "internal_scheme": "iobes", "lowercase": True, "zeros": True,
               "singleton_unk": 0.5, "optimizer": "adam", "learning_rate": 1e-3,
               "clip_norm": 5.0, "batch_size": 16, "epochs": 50, "patience": 5},
    "crfsuite": {"algorithm": "lbfgs", "c1": 0.1, "c2": 0.1, "max_iterations": 100,
                 "all_possible_transitions": True},
}
# contender -> (uses the vectors, TaggerConfig settings over SETTINGS["tagger"])
CONFIGS: dict[str, tuple[bool, dict]] = {
    "full": (True, {}),
    "random": (False, {"dim": 100}),
    "nochar": (True, {"char_encoder": "none"}),
    "softmax": (True, {"head": "softmax"}),
}
PEER = "crfsuite"
LOG_COLUMNS = ("config", "seed", "dev_f1", "test_f1", "test_precision", "test_recall",
               "epochs", "best_epoch", "s_per_epoch", "train_s", "tag_sentences_per_s")


def cache_dir() -> Path:
    base = Path(os.environ.get("EMBEDLAYER_CACHE", Path.home() / ".cache" / "embedlayer"))
    return base / "bench-tag"


def load_data(quick: bool):
    from embedlayer import data
    from embedlayer.tasks import read_tagged

    parts = {name: read_tagged(data.path("conll2002-esp", f"ner/conll2002/esp.{name}"))
             for name in ("train", "testa", "testb")}
    if quick:
        parts = {k: (s[:500 if k == "train" else 200], t[:500 if k == "train" else 200])
                 for k, (s, t) in parts.items()}
    return parts


def spanish_vectors(parts, quick: bool):
    """fastText vectors of cess_esp + esp.train + esp.testa tokens (trained once, cached)."""
    from embedlayer import data
    from embedlayer.tasks._tagger_net import normalizer
    from embedlayer.train import FastText
    from embedlayer.vectors.io import load_vectors

    cfg = dict(SETTINGS["vectors"], epochs=1) if quick else SETTINGS["vectors"]
    tagger = SETTINGS["tagger"]
    name = "ft-" + "-".join(f"{k}{v}" for k, v in cfg.items()) + ("-quick" if quick else "")
    folder = cache_dir() / name
    if not folder.exists():
        key = normalizer(tagger["lowercase"], tagger["zeros"])
        with open(data.path("cess-esp"), encoding="utf-8") as fh:
            text = [[key(t) for t in line.split()] for line in fh if line.strip()]
        for part in ("train", "testa"):
            text += [[key(t) for t in s] for s in parts[part][0]]
        t0 = time.perf_counter()
        model = FastText(**cfg).fit(text, progress=False)
        print(f"trained {name} on {len(text):,} sentences, {sum(map(len, text)):,} tokens in "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        model.save_vectors(folder, format="native")
    return load_vectors(folder)


def run_tagger(config: str, seed: int, parts, vectors, args) -> dict:
    from embedlayer.tasks import SequenceTagger, TaggerConfig, tagging_report

    use_vectors, extra = CONFIGS[config]
    settings = {**SETTINGS["tagger"], **extra, "seed": seed}
    if args.quick:
        settings["epochs"] = 2

    def show(model, epoch, r) -> None:
        print(f"  {config} seed {seed} epoch {r.epoch}: loss {r.loss:.3f} dev F1 "
              f"{100 * r.val_f1:.2f} ({r.seconds:.0f} s + {r.val_seconds:.0f} s dev)",
              file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    tagger = SequenceTagger(TaggerConfig(**settings), vectors=vectors if use_vectors else None,
                            workers=args.workers)
    tagger.fit(*parts["train"], validation=parts["testa"], progress=False, callbacks=[show])
    train_s = time.perf_counter() - t0
    sentences, gold = parts["testb"]
    t0 = time.perf_counter()
    predicted = tagger.predict(sentences)
    tag_s = time.perf_counter() - t0
    report = tagging_report(gold, predicted, scheme=tagger.scheme_)
    best = tagger.history_[tagger.best_epoch_ - 1]
    return {"config": config, "seed": seed, "dev_f1": best.val_f1, "test_f1": report.f1,
            "test_precision": report.precision, "test_recall": report.recall,
            "epochs": len(tagger.history_), "best_epoch": tagger.best_epoch_,
            "s_per_epoch": statistics.median(r.seconds for r in tagger.history_),
            "train_s": train_s, "tag_sentences_per_s": len(sentences) / tag_s,
            "coverage": str(tagger.coverage_) if use_vectors else ""}


def _shape(word: str) -> str:
    """Xxxx -> Xx, 2002 -> d, EFE -> X: character classes with runs collapsed."""
    out = []
    for c in word:
        k = "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)


def token_features(sentence: list[str], i: int) -> dict[str, object]:
    """The usual features of token i and its neighbours within 2 (no POS tags)."""
    w = sentence[i]
    low = w.lower()
    f: dict[str, object] = {
        "bias": 1.0, "w": low, "shape": _shape(w), "upper": w.isupper(),
        "title": w.istitle(), "digit": w.isdigit(), "has_digit": any(c.isdigit() for c in w),
        "len": min(len(w), 8),
    }
    for n in (1, 2, 3):
        f[f"pre{n}"] = low[:n]
        f[f"suf{n}"] = low[-n:]
    for off in (-2, -1, 1, 2):
        j = i + off
        if 0 <= j < len(sentence):
            v = sentence[j]
            f.update({f"{off}:w": v.lower(), f"{off}:title": v.istitle(),
                      f"{off}:upper": v.isupper(), f"{off}:suf3": v.lower()[-3:],
                      f"{off}:shape": _shape(v)})
        else:
            f[f"{off}:pad"] = True
    return f


def sentence_features(sentence: list[str]) -> list[dict[str, object]]:
    return [token_features(sentence, i) for i in range(len(sentence))]


def run_crfsuite(parts, args) -> dict:
    import sklearn_crfsuite

    from embedlayer.tasks import tagging_report

    t0 = time.perf_counter()
    x = [sentence_features(s) for s in parts["train"][0]]
    settings = dict(SETTINGS["crfsuite"])
    if args.quick:
        settings["max_iterations"] = 5
    crf = sklearn_crfsuite.CRF(**settings)
    fit_start = time.perf_counter()
    crf.fit(x, parts["train"][1])
    fit_s = time.perf_counter() - fit_start
    train_s = time.perf_counter() - t0
    log = getattr(crf, "training_log_", None)
    iterations = len(getattr(log, "iterations", [])) or settings["max_iterations"]
    dev = tagging_report(parts["testa"][1],
                         crf.predict([sentence_features(s) for s in parts["testa"][0]]))
    sentences, gold = parts["testb"]
    t0 = time.perf_counter()
    predicted = crf.predict([sentence_features(s) for s in sentences])
    tag_s = time.perf_counter() - t0
    report = tagging_report(gold, [list(p) for p in predicted])
    return {"config": PEER, "seed": 0, "dev_f1": dev.f1, "test_f1": report.f1,
            "test_precision": report.precision, "test_recall": report.recall,
            "epochs": iterations, "best_epoch": iterations, "s_per_epoch": fit_s / iterations,
            "train_s": train_s, "tag_sentences_per_s": len(sentences) / tag_s, "coverage": ""}


def _read_logs(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        if not lines or tuple(lines[0].split("\t")) != LOG_COLUMNS:
            raise SystemExit(f"{path}: not a bench_tag log (header {LOG_COLUMNS})")
        for line in lines[1:]:
            values = line.split("\t")
            row = dict(zip(LOG_COLUMNS, values, strict=True))
            rows.append({k: (v if k == "config" else float(v)) for k, v in row.items()})
    return rows


def _mean_sd(values: list[float]) -> str:
    mean = 100 * statistics.fmean(values)
    sd = 100 * statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.2f} ± {sd:.2f}"


def print_table(rows: list[dict]) -> None:
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by[r["config"]].append(r)
    print("| contender | vectors | chars | head | runs | dev F1 (testa) | test F1 (testb) | "
          "test P / R | epochs (best) | s / epoch | train s | tag sent/s |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    order = [c for c in (*CONFIGS, PEER) if c in by]
    for name in order:
        rs = by[name]
        if name == PEER:
            vec, chars, head = "-", "-", "crfsuite (features)"
        else:
            use, extra = CONFIGS[name]
            settings = {**SETTINGS["tagger"], **extra}
            vec = "fastText (ours)" if use else "random"
            chars, head = settings["char_encoder"], settings["head"]
        med = {k: statistics.median(r[k] for r in rs) for k in
               ("s_per_epoch", "train_s", "tag_sentences_per_s")}
        epochs = ", ".join(f"{int(r['epochs'])} ({int(r['best_epoch'])})" for r in rs)
        p = 100 * statistics.fmean(r["test_precision"] for r in rs)
        rec = 100 * statistics.fmean(r["test_recall"] for r in rs)
        print(f"| {name} | {vec} | {chars} | {head} | {len(rs)} | "
              f"{_mean_sd([r['dev_f1'] for r in rs])} | {_mean_sd([r['test_f1'] for r in rs])} "
              f"| {p:.2f} / {rec:.2f} | {epochs} | {med['s_per_epoch']:.1f} | "
              f"{med['train_s']:.0f} | {med['tag_sentences_per_s']:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="full,random,nochar,softmax,crfsuite",
                        help="comma-separated contenders (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="seeds per neural contender (default: %(default)s)")
    parser.add_argument("--only-seeds", default=None,
                        help="comma-separated seeds to run, e.g. 2,3 to add to a log that has "
                             "seed 1 (default: 1..--seeds)")
    parser.add_argument("--workers", type=int, default=1,
                        help="torch threads (default: %(default)s)")
    parser.add_argument("--log", type=Path, default=Path("bench_tag_runs.tsv"),
                        help="per-run log, tab-separated, appended to (default: %(default)s)")
    parser.add_argument("--summarize", type=Path, nargs="+", default=None, metavar="LOG",
                        help="train nothing: print the table from these logs (default: off)")
    parser.add_argument("--quick", action="store_true",
                        help="500 training sentences, 2 epochs: a smoke test (default: off)")
    args = parser.parse_args()
    if args.summarize:
        print_table(_read_logs(args.summarize))
        return
    seeds = list(range(1, args.seeds + 1))
    if args.only_seeds is not None:
        try:
            seeds = [int(x) for x in args.only_seeds.split(",") if x.strip()]
        except ValueError:
            raise SystemExit(f"--only-seeds takes seeds, got {args.only_seeds!r}") from None
    names = [c for c in args.configs.split(",") if c]
    unknown = [c for c in names if c not in CONFIGS and c != PEER]
    if unknown:
        raise SystemExit(f"unknown contender {unknown[0]!r}; expected one of "
                         f"{', '.join([*CONFIGS, PEER])}")

    import torch

    torch.set_num_threads(args.workers)
    command = "python benchmarks/bench_tag.py " + shlex.join(sys.argv[1:])
    print(f"command: {command}", flush=True)
    print(f"torch {torch.__version__}, {args.workers} thread(s); load average before: "
          f"{os.getloadavg()[0]:.2f} (1 min)", flush=True)
    parts = load_data(args.quick)
    vectors = None
    if any(CONFIGS[c][0] for c in names if c in CONFIGS):
        vectors = spanish_vectors(parts, args.quick)
        print(f"vectors: {vectors!r}", flush=True)
    if not args.log.exists():
        args.log.write_text("\t".join(LOG_COLUMNS) + "\n", encoding="utf-8")
    rows = []
    for name in names:
        runs = [0] if name == PEER else seeds
        for seed in runs:
            row = run_crfsuite(parts, args) if name == PEER else \
                run_tagger(name, seed, parts, vectors, args)
            rows.append(row)
            line = "\t".join(f"{row[k]:.4f}" if isinstance(row[k], float) else str(row[k])
                             for k in LOG_COLUMNS)
            with open(args.log, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            print(line + (f"\t{row['coverage']}" if row["coverage"] else ""), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)\n")
    print_table(rows)


if __name__ == "__main__":
    main()
