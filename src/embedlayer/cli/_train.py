"""`embedlayer train word2vec`: train word vectors on text files and write them.

Thin: declares the flags, then ``_train_common.run`` builds the token stream and the
estimator, calls ``fit`` (or ``resume`` / ``partial_fit``), writes the vectors (and the whole
model with ``--save-model``) and prints a summary. Also registers `train glove` and
`train fasttext` (their own modules; the shared parts live in ``_train_common.py``).
"""

from __future__ import annotations

import argparse
from typing import Any

from embedlayer.cli import _train_fasttext, _train_glove
from embedlayer.cli._train_common import VECTOR_FORMATS, Setting, add_common, add_settings, run
from embedlayer.cli._train_dist import add_dist_options, run_distributed

SETTINGS = (
    Setting("--model", "model", "predict context from word or word from context",
            choices=("skipgram", "cbow")),
    Setting("--loss", "loss", "negative sampling or hierarchical softmax", choices=("ns", "hs")),
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
    Setting("--learning-rate", "learning_rate", "learning rate at the start", float),
    Setting("--min-learning-rate", "min_learning_rate", "learning rate at the end", float),
    Setting("--workers", "workers", "training threads", int),
    Setting("--seed", "seed", "everything random derives from it (an integer >= 0)", int),
    Setting("--cbow-sum", "cbow_mean", "cbow: sum the context vectors, not their mean",
            switch=True, invert=True),
    Setting("--no-shuffle", "shuffle",
            "train the chunks in corpus order, not one fixed random order", switch=True,
            invert=True),
    Setting("--shared-negatives", "shared_negatives",
            "skipgram+ns: one negative set per window (auto: on for skipgram+ns)", both=True),
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="learn word vectors from text",
                            description="Learn word vectors from text files.")
    algos = parser.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True)
    w2v = algos.add_parser(
        "word2vec", help="skip-gram / CBOW with negative sampling or hierarchical softmax",
        description="Train word2vec on CORPUS files (one sentence or document a line).")
    add_common(w2v, formats=VECTOR_FORMATS, default_format="native", what="vectors",
               checkpoint_minutes=True)
    from embedlayer.train.config import Word2VecConfig

    add_settings(w2v, SETTINGS, Word2VecConfig)
    add_dist_options(w2v)
    w2v.set_defaults(func=_word2vec)
    _train_glove.register(algos)
    _train_fasttext.register(algos)


def _summary(model: Any) -> list[str]:
    return [f"vocabulary {len(model.vocab_):,} words; {model.words_per_epoch_:,} tokens an "
            f"epoch ({model.raw_words_per_epoch_:,} read)",
            "loss per epoch: " + ", ".join(f"{x:.4f}" for x in model.loss_history_)]


def _word2vec(args: argparse.Namespace) -> int:
    from embedlayer.train import Word2Vec

    if args.distributed:
        return run_distributed(args, estimator=Word2Vec, settings=SETTINGS, summary=_summary)
    minutes = {"checkpoint_minutes": args.checkpoint_minutes}
    return run(args, estimator=Word2Vec, settings=SETTINGS, fit_options=minutes,
               resume_options=minutes, summary=_summary)
