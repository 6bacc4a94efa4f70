"""`embedlayer train word2vec`: train word vectors on text files and write them.

Thin: builds the token stream (files -> tokenizer), the estimator from the flags, calls
``fit`` (or ``resume``), saves the vectors in the chosen format and prints a summary.
"""

from __future__ import annotations

import argparse
from pathlib import Path

_FORMATS = ("native", "word2vec-text", "word2vec-binary", "glove", "fasttext-vec",
            "projector-tsv", "npy")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="learn word vectors from text",
                            description="Learn word vectors from text files.")
    algos = parser.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True)
    w2v = algos.add_parser(
        "word2vec", help="skip-gram / CBOW with negative sampling or hierarchical softmax",
        description="Train word2vec on CORPUS files (one sentence or document a line).")
    w2v.add_argument("corpus", nargs="+", metavar="CORPUS",
                     help="text files, folders or globs (.gz/.bz2/.xz streamed)")
    w2v.add_argument("-o", "--output", required=True, type=Path, help="where to write the vectors")
    w2v.add_argument("--format", choices=_FORMATS, default="native", help="output format")
    w2v.add_argument("--model", choices=["skipgram", "cbow"], default="skipgram")
    w2v.add_argument("--loss", choices=["ns", "hs"], default="ns",
                     help="negative sampling or hierarchical softmax")
    w2v.add_argument("--dim", type=int, default=100)
    w2v.add_argument("--window", type=int, default=5)
    w2v.add_argument("--negative", type=int, default=5)
    w2v.add_argument("--min-count", type=int, default=5)
    w2v.add_argument("--sample", type=float, default=1e-3)
    w2v.add_argument("--epochs", type=int, default=5)
    w2v.add_argument("--workers", type=int, default=2)
    w2v.add_argument("--seed", type=int, default=1)
    w2v.add_argument("--alpha", type=float, default=0.025)
    w2v.add_argument("--min-alpha", type=float, default=0.0001)
    w2v.add_argument("--cbow-sum", action="store_true", help="cbow: sum the context (default mean)")
    w2v.add_argument("--no-shuffle", action="store_true",
                     help="train the chunks in corpus order (default: one fixed random order)")
    w2v.add_argument("--shared-negatives", action=argparse.BooleanOptionalAction, default=None,
                     help="skipgram+ns: one negative set per window (default: on for skipgram+ns)")
    w2v.add_argument("--max-vocab-size", type=int, default=None,
                     help="bound the counting memory to this many distinct words")
    w2v.add_argument("--tokenizer", default="regex",
                     help="tokenizer name or saved pipeline .json (default regex)")
    w2v.add_argument("--lower", action="store_true", help="lower-case before tokenizing")
    w2v.add_argument("--encoding", default="utf-8")
    w2v.add_argument("--checkpoint-minutes", type=float, default=10.0,
                     help="save a checkpoint this often (and on Ctrl-C) next to the output")
    w2v.add_argument("--resume", action="store_true",
                     help="continue from the checkpoint next to the output")
    w2v.add_argument("--quiet", action="store_true", help="no progress bar")
    w2v.set_defaults(func=_word2vec)
    from embedlayer.cli import _train_fasttext, _train_glove  # they import _FORMATS from here

    _train_glove.register(algos)
    _train_fasttext.register(algos)


def checkpoint_path(output: Path) -> Path:
    return output.with_name(output.name + ".checkpoint")


def _word2vec(args: argparse.Namespace) -> int:
    import shutil

    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import Word2Vec

    tokens = TokenStream(TextCorpus(args.corpus, encoding=args.encoding),
                         get_tokenizer(args.tokenizer, lowercase=args.lower))
    ckpt = checkpoint_path(args.output)
    progress = not args.quiet
    if args.resume:
        model = Word2Vec.resume(ckpt, tokens, progress=progress,
                                checkpoint_minutes=args.checkpoint_minutes)
    else:
        model = Word2Vec(
            model=args.model, loss=args.loss, dim=args.dim, window=args.window,
            negative=args.negative, sample=args.sample, min_count=args.min_count,
            max_vocab_size=args.max_vocab_size, alpha=args.alpha, min_alpha=args.min_alpha,
            epochs=args.epochs, cbow_mean=not args.cbow_sum, workers=args.workers, seed=args.seed,
            shared_negatives=args.shared_negatives, shuffle=not args.no_shuffle,
        ).fit(tokens, progress=progress, checkpoint_dir=ckpt,
              checkpoint_minutes=args.checkpoint_minutes)
    path = model.save(args.output, format=args.format)
    shutil.rmtree(ckpt, ignore_errors=True)  # the run finished: its checkpoint is obsolete
    seconds = sum(model.epoch_seconds_)
    words = model.words_per_epoch_ * len(model.epoch_seconds_)
    print(f"vocabulary {len(model.vocab_):,} words; {model.words_per_epoch_:,} tokens an epoch")
    print("loss per epoch: " + ", ".join(f"{x:.4f}" for x in model.loss_history_))
    print(f"{words / seconds:,.0f} words/s over {seconds:.1f} s" if seconds > 0 else "")
    print(f"wrote {path}")
    return 0
