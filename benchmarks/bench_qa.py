"""Answer-sentence selection (WikiQA test, 243 questions) and Lee document similarity: BM25,
static, transformer and hybrid scorers, with every tuned setting chosen by cross-validation.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_qa.py
      [--workers 1] [--folds 5] [--seed 0] [--no-static]
(needs the contextual and search extras). Prints the command, the machine's load average
and the two Markdown tables for docs/benchmarks.md, with what each cross-validation fold chose.

Every row below was fixed before the tables were printed, and everything learned inside a row
is learned on other folds. One choice was not: the rows over MiniLM + title (without the
title-and-previous-sentence score) exist because the two contexts were compared on the test
split first; the "every context" rows are the ones whose every choice is cross-validated
(docs/benchmarks.md says this next to the figures).

WikiQA (only the test split is available, so anything learned is learned by 5-fold
cross-validation over its 633 questions, seeded folds: each question is scored by a setting
chosen on the other four folds). MAP / MRR over the 243 questions with a correct sentence
(``eval.qa``; ties in file order). Rows:
- BM25: bm25s defaults (k1 1.5, b 0.75, lucene), regex lower-cased tokens, IDF over the
  split's 6,165 candidate sentences (distinct ones);
- static: mean and SIF of this project's word2vec (bench_classify's skip-gram, 300 d) and
  fastText (bench_fasttext's settings, skip-gram 100 d, unknown words from subwords) vectors,
  trained once on corpora/en; SIF fitted on the split's texts (no labels); fastText's mean
  composes unknown words from their subwords, SIF skips them (it weighs vocabulary rows);
- MiniLM (all-MiniLM-L6-v2, mean pooling, normalized): cosine of question and candidate;
  "+ title": each candidate encoded as "<document title>. <sentence>" (WikiQA's DocumentTitle;
  the question is encoded alone); "+ title + previous": "<title>. <previous candidate>
  <sentence>" (candidates are in document order); the last row puts every context tried into
  one cross-validated logistic regression, and the row after it also chooses which of the
  four scores to use, per fold, by a 4-fold cross-validation nested inside the other four
  folds (every non-empty subset), so the choice between contexts is made on the other folds
  too, not by comparing rows on the test split; the last row learns the same four weights
  with a pairwise (ranking) loss instead of a pointwise one;
- hybrids with BM25: RRF (k 60, dense weight from 0, 0.05, ..., 1) and a linear mix
  (min-max or z-score per question, same weights), both chosen per fold by MAP on the other
  folds; a logistic regression (C 1) over the per-question z-scored scores, learned on the
  other folds.

Lee (50 documents, 1,225 rated pairs, no development split: fixed settings only, all
reported): MiniLM at its 256-token window (no Lee document is longer, so this is also the
"truncated" figure), MiniLM in 128-token windows (stride 32; the length it was trained on),
MiniLM as the mean of its sentence vectors, TF-IDF (sublinear, fitted on lee-background plus
the 50 documents), the static vectors (SIF fitted on the same texts), and one mix fixed in
advance: 0.5 x MiniLM cosine + 0.5 x TF-IDF cosine.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classify import pretrained_vectors  # noqa: E402 - the same word2vec vectors
from bench_fasttext import SETTINGS as FT_SETTINGS  # noqa: E402 - the same fastText settings

FT = {"model": "skipgram", **FT_SETTINGS, "seed": 1}
LEE_MIX = 0.5  # TF-IDF's share in the one mixed Lee row, fixed in advance


class Precomputed:
    """A scorer that hands back scores computed once (so each encoder runs once)."""

    def __init__(self, name: str, scores):
        self.name = name
        self.scores = scores

    def score(self, questions, *, progress=False):
        return self.scores


def fasttext_vectors():
    from _pretrained import cache_root, trained_vectors

    name = "ft-" + "-".join(f"{k}{v}" for k, v in FT.items()) + ".bin"
    return trained_vectors("fasttext", FT, cache_root() / "bench-pretrained" / name)


def static_encoders(fit_texts: list[str]) -> dict:
    """name -> StaticEncoder for w2v / fastText x mean / SIF (SIF fitted on ``fit_texts``)."""
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors import SIF
    from embedlayer.vectors.encoder import StaticEncoder

    tok = get_tokenizer("regex", lowercase=True)
    docs = [tok.tokenize(t) for t in fit_texts]
    out = {}
    for name, store, oov in (("word2vec", pretrained_vectors(), "skip"),
                             ("fastText", fasttext_vectors(), "store")):
        out[f"{name} mean"] = StaticEncoder(store, tok, oov=oov)
        # SIF weighs the store's own rows: words outside them are skipped (fastText too)
        out[f"{name} SIF"] = StaticEncoder(store, tok, method="sif", sif=SIF(store).fit(docs))
    return out


def wikiqa_table(args, minilm) -> None:
    from embedlayer import data
    from embedlayer.data.readers import read_wikiqa
    from embedlayer.tasks.qa import BM25Scorer, DenseScorer, evaluate_answer_selection

    questions = read_wikiqa(data.path("wikiqa-test", progress=False))
    texts = list(dict.fromkeys([q.question for q in questions]
                               + [c for q in questions for c in q.candidates]))
    t0 = time.perf_counter()
    bm25 = Precomputed("bm25", BM25Scorer().score(questions))
    dense = Precomputed("MiniLM", DenseScorer(minilm).score(questions, progress=True))
    titled = Precomputed("MiniLM+title", DenseScorer(minilm, context="title").score(
        questions, progress=True))
    previous = Precomputed("MiniLM+title+previous", DenseScorer(
        minilm, context="title-previous").score(questions, progress=True))
    print(f"WikiQA scores computed in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    rows = [("BM25 (bm25s defaults)", [bm25], None)]
    if not args.no_static:
        rows += [(name, [Precomputed(name, DenseScorer(enc).score(questions))], None)
                 for name, enc in static_encoders(texts).items()]
    rows += [
        ("MiniLM", [dense], None),
        ("MiniLM + BM25, RRF, CV weight", [dense, bm25], "rrf"),
        ("MiniLM + BM25, linear, CV weight and normalization", [dense, bm25], "linear"),
        ("MiniLM + BM25, logistic regression (CV)", [dense, bm25], "logistic"),
        ("MiniLM + title", [titled], None),
        ("MiniLM + title + BM25, RRF, CV weight", [titled, bm25], "rrf"),
        ("MiniLM + title + BM25, linear, CV weight and normalization", [titled, bm25], "linear"),
        ("MiniLM, MiniLM + title, BM25: logistic regression (CV)", [dense, titled, bm25],
         "logistic"),
        ("MiniLM + title + previous sentence", [previous], None),
        ("every context (MiniLM, + title, + title + previous) and BM25: logistic regression "
         "(CV)", [dense, titled, previous, bm25], "logistic"),
        ("every context and BM25: which of them (nested CV) and weights (CV), logistic",
         [dense, titled, previous, bm25], "select"),
        ("every context and BM25: pairwise logistic regression (CV)",
         [dense, titled, previous, bm25], "pairwise"),
    ]
    print(f"\n### WikiQA test: {len(questions)} questions, "
          f"{sum(len(q.candidates) for q in questions):,} candidates\n")
    print("| scorer | MAP | MRR | questions | chosen on the other folds (per fold) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, scorers, hybrid in rows:
        report = evaluate_answer_selection(
            questions, scorers,
            hybrid="logistic" if hybrid in ("select", "pairwise") else hybrid,
            folds=args.folds, seed=args.seed, select_features=hybrid == "select",
            objective="pairwise" if hybrid == "pairwise" else "pointwise")
        chosen = "; ".join(report.method.get("chosen_per_fold", [])) or "-"
        r = report.result
        print(f"| {name} | {r.map:.4f} | {r.mrr:.4f} | {r.questions} | {chosen} |", flush=True)


def lee_table(args, minilm) -> None:
    from embedlayer import data
    from embedlayer.contextual import TransformerEncoder
    from embedlayer.eval.docsim import evaluate_docsim, load_lee
    from embedlayer.tasks.tfidf import TfidfEncoder

    ds = load_lee(progress=False)
    background = Path(data.path("lee-background", progress=False)).read_text(
        encoding="utf-8").splitlines()
    fit_texts = [line for line in background if line.strip()] + ds.documents
    tfidf = TfidfEncoder().fit(fit_texts)
    windows = TransformerEncoder("all-MiniLM-L6-v2", max_length=128, stride=32,
                                 workers=args.workers)
    rows = [("MiniLM, 256-token window (whole documents)", [minilm], None),
            ("MiniLM, 128-token windows, stride 32, pooled", [windows], None),
            ("MiniLM, mean of sentence vectors", [SentenceMean(minilm)], None),
            ("TF-IDF (sublinear; IDF: lee-background + the 50 documents)", [tfidf], None)]
    if not args.no_static:
        rows += [(name, [enc], None) for name, enc in static_encoders(fit_texts).items()]
    rows += [(f"{1 - LEE_MIX:g} x MiniLM + {LEE_MIX:g} x TF-IDF (fixed in advance)",
              [minilm, tfidf], [1 - LEE_MIX, LEE_MIX])]
    print(f"\n### Lee: {len(ds.documents)} documents, 1,225 pairs\n")
    print("| encoder | Pearson | Spearman | documents split into windows |")
    print("| --- | ---: | ---: | ---: |")
    for name, encoders, weights in rows:
        result = evaluate_docsim(encoders, weights=weights, docsim=ds, dataset="lee-docsim")
        stats = getattr(encoders[0], "stats_", None)
        split = getattr(stats, "windowed_texts", "-") if len(encoders) == 1 else "-"
        print(f"| {name} | {result.pearson:.4f} | {result.spearman:.4f} | {split} |",
              flush=True)


class SentenceMean:
    """A document as the mean of its sentences' vectors (sentences cut after . ! ?)."""

    def __init__(self, encoder):
        self.encoder = encoder

    def encode(self, texts, *, progress=False):
        import numpy as np

        parts = [[s for s in re.split(r"(?<=[.!?])\s+", t.strip()) if s] or [t] for t in texts]
        vectors = self.encoder.encode([s for p in parts for s in p], progress=progress)
        out, start = [], 0
        for p in parts:
            out.append(vectors[start:start + len(p)].mean(axis=0))
            start += len(p)
        return np.asarray(out, dtype=np.float32)

    def identity(self):
        return {"kind": "sentence-mean", "of": self.encoder.identity()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1,
                        help="torch threads (default: %(default)s)")
    parser.add_argument("--folds", type=int, default=5, help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the question folds (default: %(default)s)")
    parser.add_argument("--no-static", action="store_true",
                        help="skip the word2vec / fastText rows (default: include them)")
    args = parser.parse_args()

    from embedlayer.contextual import TransformerEncoder

    command = "python benchmarks/bench_qa.py " + shlex.join(sys.argv[1:])
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    minilm = TransformerEncoder("all-MiniLM-L6-v2", workers=args.workers)
    print(f"command: {command}")
    wikiqa_table(args, minilm)
    lee_table(args, minilm)
    print(f"\n{args.workers} torch thread(s), {os.cpu_count()} CPUs; load average (1 min) at the "
          f"start {load_start:.2f}, at the end {os.getloadavg()[0]:.2f}; "
          f"{time.perf_counter() - t0:.0f} s in all")


if __name__ == "__main__":
    main()
