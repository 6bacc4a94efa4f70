"""`embedlayer train glove`: count co-occurrences, train GloVe vectors, write them.

Thin: declares the flags (Stanford GloVe's names where they exist), then
``_train_common.run`` builds the token stream and the estimator, calls ``fit`` (or ``resume``
/ ``partial_fit``), writes the vectors (and the whole model with ``--save-model``) and prints
a summary. ``register(algos)`` is called by ``cli/_train.py``. With ``--distributed`` (under
torchrun) ``_train_dist.run_distributed`` runs instead: the ranks count, rank 0 trains.
"""

from __future__ import annotations

import argparse
from typing import Any

from embedlayer.cli._train_common import VECTOR_FORMATS, Setting, add_common, add_settings, run
from embedlayer.cli._train_dist import add_dist_options, run_distributed

SETTINGS = (
    Setting("--dim", "dim", "vector dimension", int),
    Setting("--window", "window", "context words on each side", int),
    Setting("--asymmetric", "symmetric",
            "count (left word, right word) pairs only (cooccur -symmetric 0)", switch=True,
            invert=True),
    Setting("--no-distance-weighting", "distance_weighting", "a pair adds 1, not 1/distance",
            switch=True, invert=True),
    Setting("--min-count", "min_count", "drop words seen fewer times", int),
    Setting("--max-vocab", "max_vocab", "keep at most this many words (most frequent)", int),
    Setting("--max-types", "max_types",
            "bound the distinct words held while counting (rarest pruned)", int),
    Setting("--sample", "sample",
            "drop frequent words before counting, word2vec's rule (e.g. 1e-3; 0: none, as "
            "Stanford's tools)", float),
    Setting("--x-max", "x_max", "weighting cutoff", float),
    Setting("--alpha", "alpha", "weighting exponent (not a learning rate)", float),
    Setting("--learning-rate", "learning_rate", "AdaGrad learning rate (glove's eta)", float),
    Setting("--grad-clip", "grad_clip", "clip each gradient component to +-this", float),
    Setting("--epochs", "epochs", "iterations over the pairs", int),
    Setting("--workers", "workers", "threads for counting and training", int),
    Setting("--memory-mib", "memory_mib", "soft cap on memory while counting, MiB", float),
    Setting("--output-vectors", "output", "publish W, W + C or [W | C]",
            choices=("word", "word+context", "concat")),
    Setting("--context-weight", "context_weight", "word+context publishes W + this * C",
            float),
    Setting("--seed", "seed", "everything random derives from it (an integer >= 0)", int),
)


def register(algos: argparse._SubParsersAction) -> None:
    p = algos.add_parser(
        "glove", help="GloVe: co-occurrence counts in bounded memory, then AdaGrad",
        description="Train GloVe on CORPUS files (one sentence or document a line; pairs "
                    "never cross a line). A checkpoint is saved next to the output after "
                    "every epoch; --resume counts the corpus again.")
    add_common(p, formats=VECTOR_FORMATS, default_format="native", what="vectors",
               checkpoint_minutes=False)
    from embedlayer.train.config import GloVeConfig

    add_settings(p, SETTINGS, GloVeConfig)
    add_dist_options(p, counting=True)
    p.set_defaults(func=_glove)


def _summary(model: Any) -> list[str]:
    r, t = model.cooccurrence_, model.timings_
    return [f"vocabulary {len(model.vocab_):,} words; {model.words_:,} tokens "
            f"({model.raw_words_:,} read); {r.nonzero:,} non-zero pairs ({r.shards} shard(s), "
            f"{r.buckets} shuffle bucket(s))",
            "loss per epoch: " + ", ".join(f"{x:.4f}" for x in model.loss_history_),
            "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in t.items()),
            (f"skipped {model.skipped_pairs_:,} pairs whose error was not finite"
             if getattr(model, "skipped_pairs_", 0) else "")]


def _glove(args: argparse.Namespace) -> int:
    from embedlayer.train import GloVe

    if args.distributed:
        return run_distributed(args, estimator=GloVe, settings=SETTINGS, summary=_summary)
    return run(args, estimator=GloVe, settings=SETTINGS, fit_options={}, resume_options={},
               summary=_summary)
