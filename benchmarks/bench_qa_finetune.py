"""WikiQA with a fine-tuned cross-encoder, cross-validated over questions.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_qa_finetune.py
      [--folds 5] [--seed 0] [--epochs 1] [--workers 2] [--only-folds 0,1] [--log FILE]
      [--summarize LOG...]
(needs the contextual extra). Prints the command, one line per fold, and the MAP / MRR table.

WikiQA has only its test split here, so the model is trained inside the same 5 question folds
as ``bench_qa.py`` (seed 0): for each fold, all-MiniLM-L6-v2 is fine-tuned end to end as a
cross-encoder on the candidates of the other four folds' questions, then scores the held-out
fold's candidates; no question is ever scored by a model that saw it. Input: one sequence,
``question [SEP] title. sentence`` (WikiQA's DocumentTitle), label 1 for a correct sentence;
the score is the predicted probability of 1. Settings, fixed before any run: the classifier's
``transformer`` preset (BERT's recipe: AdamW, 5e-5 for the transformer and 1e-3 for the head,
warmup 10% then linear decay, batches of 32, 128 tokens, dropout 0.1), one epoch (the
sentence-transformers cross-encoder examples' count; set for time on 2 cores, before any
fold had been scored), no early
stopping (accuracy on a 5%-positive set says nothing about ranking) and no development split.
MAP / MRR over the 243 questions with a correct sentence, as everywhere (``eval.qa``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path


def pair_texts(question) -> list[str]:
    return [f"{question.question} [SEP] {t}. {c}" if t else f"{question.question} [SEP] {c}"
            for t, c in zip(question.titles, question.candidates, strict=True)]


def run_fold(questions, train, held, args, fold: int) -> list:
    from embedlayer.nn.encoders import encoder_config
    from embedlayer.tasks import TextClassifier
    from embedlayer.tasks.presets import recommended

    enc, settings = recommended("transformer", pretrained=False)
    settings.update(epochs=args.epochs, dev_split=0.0, refit=False)
    model = TextClassifier(encoder_config("transformer", enc), seed=args.seed + fold, **settings)
    texts = [t for i in train for t in pair_texts(questions[i])]
    labels = [str(lab) for i in train for lab in questions[i].labels]
    t0 = time.perf_counter()
    model.fit(texts, labels, progress=not args.quiet)
    seconds = time.perf_counter() - t0
    positive = model.labels_.index("1")
    scores = []
    for i in held:
        proba = model.predict_proba(pair_texts(questions[i]))
        scores.append(proba[:, positive])
    print(f"fold {fold}: trained on {len(texts):,} pairs in {seconds:.0f} s", file=sys.stderr)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument("--epochs", type=int, default=1, help="default: %(default)s")
    parser.add_argument("--workers", type=int, default=2, help="default: %(default)s")
    parser.add_argument("--only-folds", default=None, help="default: every fold")
    parser.add_argument("--log", type=Path, default=None,
                        help="write each fold's scores (npz per fold) into this folder "
                             "(default: none)")
    parser.add_argument("--summarize", type=Path, default=None,
                        help="only print the table from a --log folder (default: run)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args()

    import numpy as np
    import torch

    from embedlayer import data
    from embedlayer.contextual import offline
    from embedlayer.data.readers import read_wikiqa
    from embedlayer.eval.qa import answer_selection
    from embedlayer.tasks.hybrid import question_folds

    offline()
    torch.set_num_threads(args.workers)
    questions = read_wikiqa(data.path("wikiqa-test", progress=False))
    parts = question_folds(len(questions), args.folds, seed=args.seed)
    print(f"command: python benchmarks/bench_qa_finetune.py {shlex.join(sys.argv[1:])}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.workers} torch threads")
    folder = args.summarize or args.log
    if args.summarize is None:
        wanted = (range(args.folds) if args.only_folds is None
                  else [int(f) for f in args.only_folds.split(",")])
        for f in wanted:
            held = parts[f]
            train = np.setdiff1d(np.arange(len(questions)), held)
            scores = run_fold(questions, train, held, args, f)
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                np.savez(folder / f"fold{f}.npz", held=held,
                         **{f"q{int(i)}": s for i, s in zip(held, scores, strict=True)})
            fold_q = [questions[int(i)] for i in held]
            r = answer_selection(scores, [q.labels for q in fold_q])
            print(f"fold {f}: MAP {r.map:.4f} MRR {r.mrr:.4f} over {r.questions} questions",
                  flush=True)
    if folder is None:
        return
    scores_by_q = {}
    for f in range(args.folds):
        path = folder / f"fold{f}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as z:
                for i in z["held"]:
                    scores_by_q[int(i)] = z[f"q{int(i)}"]
    if len(scores_by_q) != len(questions):
        print(f"{len(scores_by_q)} of {len(questions)} questions scored so far: no table yet")
        return
    r = answer_selection([scores_by_q[i] for i in range(len(questions))],
                         [q.labels for q in questions])
    print("\n| scorer | MAP | MRR | questions |\n| --- | ---: | ---: | ---: |")
    print(f"| MiniLM cross-encoder, fine-tuned on the other folds (title context) | "
          f"{r.map:.4f} | {r.mrr:.4f} | {r.questions} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
