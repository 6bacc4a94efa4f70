"""WikiQA with a fine-tuned cross-encoder or bi-encoder, cross-validated over questions.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_qa_finetune.py
      [--model cross|bi] [--folds 5] [--seed 0] [--epochs N] [--workers 2]
      [--only-folds 0,1] [--log FOLDER] [--summarize FOLDER]
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

``--model bi``: all-MiniLM-L6-v2 stays a bi-encoder (question and ``title. sentence`` encoded
apart, scored by cosine, so its vectors can go into an index) and is fine-tuned with
``tasks.fine_tune_retriever`` on the other folds' questions that have a correct sentence:
each correct sentence against the question's other candidates (hard negatives, same page) and
the rest of the batch. Settings, fixed before any fold was scored (after the cross-encoder's
run): sentence-transformers' defaults for its ``MultipleNegativesRankingLoss`` (scale 20,
AdamW 2e-5, warmup 10% then linear decay, gradient norm 1), batches of 8 questions (~90
texts), 2 epochs (~50 steps: what 1 torch thread beside other jobs allowed), seed 0 + fold.
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


def run_fold_bi(questions, train, held, args, fold: int) -> list:
    from embedlayer.contextual import TransformerEncoder
    from embedlayer.tasks import DenseScorer, fine_tune_retriever, retrieval_examples

    encoder = TransformerEncoder("all-MiniLM-L6-v2", workers=args.workers)
    examples = retrieval_examples([questions[i] for i in train], context="title")
    t0 = time.perf_counter()
    tuned = fine_tune_retriever(encoder, examples, epochs=args.epochs, batch_size=8,
                                lr=2e-5, warmup=0.1, scale=20.0, seed=args.seed + fold,
                                progress=not args.quiet)
    seconds = time.perf_counter() - t0
    print(f"fold {fold}: trained on {len(examples):,} questions in {seconds:.0f} s; loss per "
          f"epoch {', '.join(f'{x:.3f}' for x in tuned.history_)}", file=sys.stderr)
    return DenseScorer(tuned, context="title").score([questions[int(i)] for i in held])


ROW = {"cross": "MiniLM cross-encoder, fine-tuned on the other folds (title context)",
       "bi": "MiniLM bi-encoder, fine-tuned on the other folds (title context)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument("--model", choices=("cross", "bi"), default="cross",
                        help="a cross-encoder (pair classifier) or a bi-encoder (fine-tuned "
                             "sentence vectors) (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: 1 for cross, 2 for bi")
    parser.add_argument("--workers", type=int, default=2, help="default: %(default)s")
    parser.add_argument("--only-folds", default=None, help="default: every fold")
    parser.add_argument("--log", type=Path, default=None,
                        help="write each fold's scores (npz per fold) into this folder "
                             "(default: none)")
    parser.add_argument("--summarize", type=Path, default=None,
                        help="only print the table from a --log folder (default: run)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 1 if args.model == "cross" else 2

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
            scores = (run_fold if args.model == "cross" else run_fold_bi)(
                questions, train, held, args, f)
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
    print(f"| {ROW[args.model]} | {r.map:.4f} | {r.mrr:.4f} | {r.questions} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
