"""Distributed word2vec (issue 21): 1 rank x 2 threads against 2 ranks x 1 thread, on one machine.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_dist.py
      [--sync-every 200000,1000000,5000000] [--seeds 1] [--wait-load 1.5] [--max-wait 900]
      [--quick]
Takes about 5 min on a quiet 2-core machine (plus the wait for the load to fall). Prints
Markdown for docs/benchmarks.md, headed by the exact command line.

What is compared, from one settings dictionary (``SETTINGS``, bench_word2vec's word2vec
settings: skip-gram, negative sampling, dim 100, 5 epochs, min_count 5):

- ``1 rank x 2 threads``: ``Word2Vec(workers=2).fit`` in one process (the single-process
  trainer, hogwild threads);
- ``2 ranks x 1 thread, sync S``: ``torchrun --nproc-per-node 2``-style, two processes on
  127.0.0.1 with gloo, each training its half of the corpus (``TextShard``: by byte range
  of the one tokenized file) on one thread, ``dist.train_data_parallel`` adding the ranks'
  changes every S words (``combine="sum"``, the default).

Same tokens everywhere: all of corpora/en/*.txt lower-cased and regex-tokenized once into one
file (bench_word2vec's ``prepare_corpus``), read with the whitespace tokenizer. Times are
whole training loops (counting and encoding excluded on both sides); words/s = corpus tokens
x epochs / training seconds. Per synchronization: the payload each rank all-reduces
(syn0 + syn1), the bytes a ring all-reduce sends per rank (2 (W-1)/W of it), the seconds in
the parameter all-reduce and the seconds waiting for the slower rank (both from rank 0).
Quality: WS-353, SimLex-999, MEN (Spearman) and Google analogies in the 30k most frequent
words (bench_word2vec's ``_quality``). One run per seed (``--seeds``): the seed-to-seed spread of these
figures on this corpus is about 0.02 (Spearman) and 1.5 points (analogies), bench_word2vec's
tolerance. The load average is printed before and after; the timing runs start only once the
1-minute load is below ``--wait-load`` (waiting at most 15 minutes).

The last table is a PROJECTION, not a measurement: per-rank throughput and the all-reduce
cost measured here, put into a ring all-reduce model for N machines.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_word2vec import CORPORA, QUICK_CORPORA, _quality, prepare_corpus  # noqa: E402

SETTINGS = {"model": "skipgram", "loss": "ns", "dim": 100, "window": 5, "negative": 5,
            "min_count": 5, "sample": 1e-3, "learning_rate": 0.025,
            "min_learning_rate": 0.0001, "epochs": 5, "seed": 1}
SYNC_EVERY = (200_000, 1_000_000, 5_000_000)
MEASURES = ("ws353-all", "simlex999", "men3k", "analogy")


def command_line() -> str:
    data = os.environ.get("EMBEDLAYER_DATA")
    return (f"EMBEDLAYER_DATA={shlex.quote(data)} " if data else "") + shlex.join(
        ["python", *sys.argv])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load() -> float:
    return os.getloadavg()[0]


def _wait_for_quiet(limit: float, max_wait: float) -> None:
    start = time.monotonic()
    while _load() >= limit and time.monotonic() - start < max_wait:
        print(f"load {_load():.2f} >= {limit}: waiting", file=sys.stderr)
        time.sleep(30)


# --- the two sides ------------------------------------------------------------------------------
def _single(corpus: Path, out: Path, settings: dict) -> dict:
    """One process, 2 threads (run in a fresh subprocess: its own numba threads and memory)."""
    code = f"""
import json, time
from embedlayer.corpus import TextCorpus
from embedlayer.text import TokenStream, get_tokenizer
from embedlayer.train import Word2Vec
m = Word2Vec(**{settings!r}, workers=2)
m.fit(TokenStream(TextCorpus({str(corpus)!r}), get_tokenizer("whitespace")), progress=False)
m.save_vectors({str(out)!r})
print(json.dumps({{"train_seconds": m.train_seconds_, "tokens": m.tokens_trained_}}))
"""
    env = {**os.environ, "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker(spec_path: str) -> None:
    """One rank (``--worker SPEC``): train its part, rank 0 saves and reports."""
    from embedlayer.corpus import TextShard
    from embedlayer.dist import process_group, train_data_parallel
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import Word2Vec

    spec = json.loads(Path(spec_path).read_text())
    with process_group(timeout=600) as group:
        tokens = TokenStream(TextShard(spec["corpus"], part=group.rank, parts=group.world_size),
                             get_tokenizer("whitespace"))
        model = Word2Vec(**spec["settings"], workers=1)
        report = train_data_parallel(model, group, tokens, sync_every=spec["sync_every"],
                                     progress=False)
        if group.rank == 0:
            model.save_vectors(spec["out"])
            Path(spec["result"]).write_text(json.dumps(
                {**report.to_dict(), "tokens": model.tokens_trained_}))


def _distributed(corpus: Path, out: Path, settings: dict, sync_every: int,
                 folder: Path) -> dict:
    spec = folder / f"spec-{sync_every}.json"
    result = folder / f"result-{sync_every}.json"
    spec.write_text(json.dumps({"corpus": str(corpus), "settings": settings, "out": str(out),
                                "sync_every": sync_every, "result": str(result)}))
    port = _free_port()
    procs = []
    for rank in range(2):
        env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_RANK": str(rank),
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "NUMBA_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen([sys.executable, __file__, "--worker", str(spec)],
                                      env=env))
    if any(p.wait() != 0 for p in procs):
        raise SystemExit("a rank failed")
    return json.loads(result.read_text())


# --- the report ---------------------------------------------------------------------------------
def _projection(per_rank: float, payload: float, bandwidth: float, latency: float,
                sync_every: int, machines: int) -> tuple[float, float]:
    """(words/s, share of time synchronizing) for ``machines`` ranks, each training
    ``per_rank`` words/s, adding their changes every ``sync_every`` words with a ring
    all-reduce of ``payload`` bytes at ``bandwidth`` bytes/s and ``latency`` s per step."""
    if machines == 1:
        return per_rank, 0.0
    sync = 2 * (machines - 1) / machines * payload / bandwidth + 2 * (machines - 1) * latency
    compute = sync_every / machines / per_rank
    return sync_every / (compute + sync), sync / (compute + sync)


def _report(rows: list[dict], args: argparse.Namespace, corpus_tokens: int,
            loads: tuple[float, float]) -> None:
    print(f"`{command_line()}`\n")
    print(f"Corpus: all of corpora/en (regex tokens, lower-cased), {corpus_tokens:,} tokens; "
          f"skip-gram NS, dim {SETTINGS['dim']}, {SETTINGS['epochs']} epochs, min_count "
          f"{SETTINGS['min_count']}; load average (1 min) before {loads[0]:.2f}, "
          f"after {loads[1]:.2f}.\n")
    print("| run | seed | words/s | train s | syncs | payload / sync | sent / sync / rank | "
          "all-reduce s (per sync) | waiting s | WS-353 | SimLex | MEN | analogy |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        q = r["quality"]
        sync = (f"{r['rounds']} | {r['payload_bytes'] / 2**20:.1f} MiB | "
                f"{r['sent_bytes_per_sync'] / 2**20:.1f} MiB | {r['allreduce_seconds']:.1f} "
                f"({r['allreduce_seconds'] / max(r['rounds'], 1) * 1000:.0f} ms) | "
                f"{r['wait_seconds']:.1f}") if "rounds" in r else "- | - | - | - | -"
        print(f"| {r['name']} | {r['seed']} | {r['words_per_second']:,.0f} | {r['seconds']:.1f} | {sync} | "
              + " | ".join(f"{q[m]:.3f}" for m in MEASURES) + " |")
    dist_rows = [r for r in rows if "rounds" in r]
    if not dist_rows:
        return
    # Per-rank throughput: words a rank trains per second of its own training (sync excluded).
    ref = max(dist_rows, key=lambda r: r["sync_every"])
    per_rank = ref["local_words"] * SETTINGS["epochs"] / ref["train_seconds"]
    payload = ref["payload_bytes"]
    per_sync = [r["allreduce_seconds"] / r["rounds"] for r in dist_rows]
    loopback = payload / min(per_sync)  # bytes/s the 2-rank all-reduce reached here
    print(f"\nPROJECTION (a model, not a measurement): N machines, each one rank training "
          f"{per_rank:,.0f} words/s (measured here: one rank, one thread; a machine with more "
          f"cores trains faster and makes synchronization matter sooner), all-reducing "
          f"{payload / 2**20:.0f} MiB (syn0 + syn1 of this vocabulary) with a ring "
          f"all-reduce: 2 (N-1)/N x payload / bandwidth + 2 (N-1) x 50 us. Bandwidth: "
          f"10 Gbit/s (1.25 GB/s) between machines; measured here on loopback: "
          f"{loopback / 1e9:.2f} GB/s effective.\n")
    print("| sync every | N=1 | N=2 | N=4 | N=8 | N=16 | N=32 | N=64 | sync share at N=16 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in (200_000, 1_000_000, 5_000_000, 20_000_000):
        cells = [_projection(per_rank, payload, 1.25e9, 50e-6, s, n) for n in
                 (1, 2, 4, 8, 16, 32, 64)]
        share = _projection(per_rank, payload, 1.25e9, 50e-6, s, 16)[1]
        print(f"| {s:,} | " + " | ".join(f"{w / 1e6:.2f}M" for w, _ in cells)
              + f" | {share:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sync-every", default=",".join(str(s) for s in SYNC_EVERY),
                        help="comma-separated sync intervals in words (default: %(default)s)")
    parser.add_argument("--wait-load", type=float, default=1.5,
                        help="wait (at most 15 min) for the 1-minute load to fall below this "
                             "(default: %(default)s)")
    parser.add_argument("--seeds", default="1",
                        help="comma-separated seeds, one run of every row each (default: "
                             "%(default)s)")
    parser.add_argument("--max-wait", type=float, default=900.0,
                        help="seconds to wait at most for the load (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: lee-background, 1 epoch (figures mean nothing) "
                             "(default: off)")
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker)
        return
    settings = dict(SETTINGS)
    corpora = CORPORA
    if args.quick:
        settings["epochs"] = 1
        corpora = QUICK_CORPORA
    with tempfile.TemporaryDirectory(prefix="bench-dist-") as tmp:
        folder = Path(tmp)
        corpus, _ = prepare_corpus(folder, corpora)
        tokens = sum(len(line.split()) for line in corpus.open(encoding="utf-8"))
        _wait_for_quiet(args.wait_load, args.max_wait)
        before = _load()
        rows = []
        for seed in (int(x) for x in args.seeds.split(",")):
            settings["seed"] = seed
            out = folder / f"single-{seed}"
            single = _single(corpus, out, settings)
            rows.append({"name": "1 rank x 2 threads", "seed": seed,
                         "seconds": single["train_seconds"],
                         "words_per_second": tokens * settings["epochs"]
                         / single["train_seconds"], "quality": _quality(out)})
            for s in (int(x) for x in args.sync_every.split(",")):
                out = folder / f"dist-{s}-{seed}"
                r = _distributed(corpus, out, settings, s, folder)
                rows.append({**r, "name": f"2 ranks x 1 thread, sync every {s:,}", "seed": seed,
                             "seconds": r["wall_seconds"],
                             "words_per_second": tokens * settings["epochs"] / r["wall_seconds"],
                             "quality": _quality(out)})
                print(f"done: seed {seed}, sync {s}", file=sys.stderr)
        after = _load()
    _report(rows, args, tokens, (before, after))


if __name__ == "__main__":
    main()
