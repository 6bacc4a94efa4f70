"""`embedlayer train fasttext`: train subword word vectors on text files and write them.

Thin: declares the flags, then ``_train_common.run`` builds the token stream and the
``FastText`` estimator, calls ``fit`` (or ``resume`` / ``partial_fit``), writes the vectors (a
fastText ``.bin`` by default, or the composed vectors in another format; the whole model with
``--save-model``) and prints a summary.
"""

from __future__ import annotations

import argparse
from typing import Any

from embedlayer.cli._train_common import VECTOR_FORMATS, Setting, add_common, add_settings, run
from embedlayer.cli._train_dist import add_dist_options, run_distributed

FORMATS = ("fasttext-bin", *VECTOR_FORMATS)

SETTINGS = (
    Setting("--model", "model", "center predicts context or context predicts center",
            choices=("skipgram", "cbow")),
    Setting("--dim", "dim", "vector dimension", int),
    Setting("--window", "window", "maximal context distance", int),
    Setting("--negative", "negative", "negative samples per prediction", int),
    Setting("--ns-exponent", "ns_exponent", "negatives drawn ~ count**this", float),
    Setting("--min-count", "min_count", "drop words seen fewer times", int),
    Setting("--max-vocab", "max_vocab", "keep at most this many words (most frequent)", int),
    Setting("--max-types", "max_types",
            "bound the distinct words held while counting (rarest pruned)", int),
    Setting("--sample", "sample", "frequent-word subsampling threshold (0: off)", float),
    Setting("--epochs", "epochs", "passes over the corpus", int),
    Setting("--minn", "minn", "shortest character n-gram", int),
    Setting("--maxn", "maxn", "longest character n-gram (0: none)", int),
    Setting("--bucket", "bucket", "n-gram hash buckets", int),
    Setting("--learning-rate", "learning_rate", "learning rate at the start (fastText's -lr)",
            float),
    Setting("--min-learning-rate", "min_learning_rate", "learning rate at the end", float),
    Setting("--workers", "workers", "training threads", int),
    Setting("--seed", "seed", "everything random derives from it (an integer >= 0)", int),
    Setting("--no-shuffle", "shuffle",
            "train the text in file order, not chunks in a fixed random order", switch=True,
            invert=True),
)


def register(algos: argparse._SubParsersAction) -> None:
    ft = algos.add_parser(
        "fasttext", help="fastText skip-gram / CBOW over words and character n-grams",
        description="Train fastText (unsupervised) on CORPUS files (one sentence a line); "
                    "unknown words get vectors from their character n-grams.")
    add_common(ft, formats=FORMATS, default_format="fasttext-bin",
               what="model (fasttext-bin: facebook fastText and gensim read it) or vectors",
               checkpoint_minutes=True)
    from embedlayer.train.config import FastTextConfig

    add_settings(ft, SETTINGS, FastTextConfig)
    add_dist_options(ft)
    ft.set_defaults(func=_fasttext)


def _summary(model: Any) -> list[str]:
    return [f"vocabulary {len(model.vocab_):,} words + {model.config.ngram_buckets:,} n-gram "
            f"buckets; {model.words_per_epoch_:,} tokens an epoch "
            f"({model.raw_words_per_epoch_:,} read)",
            "loss per epoch: " + ", ".join(f"{x:.4f}" for x in model.loss_history_)]


def _fasttext(args: argparse.Namespace) -> int:
    from embedlayer.train import FastText

    if args.distributed:
        return run_distributed(args, estimator=FastText, settings=SETTINGS, summary=_summary)
    minutes = {"checkpoint_minutes": args.checkpoint_minutes}
    return run(args, estimator=FastText, settings=SETTINGS, fit_options=minutes,
               resume_options=minutes, summary=_summary)
