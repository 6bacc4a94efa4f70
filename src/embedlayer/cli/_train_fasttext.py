"""`embedlayer train fasttext`: train subword word vectors on text files and write them.

Thin: builds the token stream (files -> tokenizer), the ``FastText`` estimator from the flags,
calls ``fit`` (or ``resume``), saves the model (a fastText ``.bin`` by default, or the composed
vectors in another format) and prints a summary.
"""

from __future__ import annotations

import argparse
from pathlib import Path

_FORMATS = ("fasttext-bin", "fasttext-vec", "native", "word2vec-text", "word2vec-binary", "glove",
            "projector-tsv", "npy")


def register(algos: argparse._SubParsersAction) -> None:
    ft = algos.add_parser(
        "fasttext", help="fastText skip-gram / CBOW over words and character n-grams",
        description="Train fastText (unsupervised) on CORPUS files (one sentence a line); "
                    "unknown words get vectors from their character n-grams.")
    ft.add_argument("corpus", nargs="+", metavar="CORPUS",
                    help="text files, folders or globs (.gz/.bz2/.xz streamed)")
    ft.add_argument("-o", "--output", required=True, type=Path, help="where to write the model")
    ft.add_argument("--format", choices=_FORMATS, default="fasttext-bin",
                    help="fasttext-bin: the whole model (facebook fastText and gensim read it); "
                         "others: the vocabulary's composed vectors")
    ft.add_argument("--model", choices=["skipgram", "cbow"], default="skipgram")
    ft.add_argument("--dim", type=int, default=100)
    ft.add_argument("--window", type=int, default=5)
    ft.add_argument("--negative", type=int, default=5)
    ft.add_argument("--min-count", type=int, default=5)
    ft.add_argument("--sample", type=float, default=1e-4)
    ft.add_argument("--epochs", type=int, default=5)
    ft.add_argument("--minn", type=int, default=3, help="shortest character n-gram")
    ft.add_argument("--maxn", type=int, default=6, help="longest character n-gram (0: none)")
    ft.add_argument("--bucket", type=int, default=2_000_000, help="n-gram hash buckets")
    ft.add_argument("--workers", type=int, default=2)
    ft.add_argument("--seed", type=int, default=1)
    ft.add_argument("--alpha", type=float, default=0.05, help="learning rate (fastText's -lr)")
    ft.add_argument("--min-alpha", type=float, default=0.0)
    ft.add_argument("--no-shuffle", action="store_true",
                    help="train the text in file order (default: chunks in a fixed random order)")
    ft.add_argument("--max-vocab-size", type=int, default=None,
                    help="bound the counting memory to this many distinct words")
    ft.add_argument("--tokenizer", default="regex",
                    help="tokenizer name or saved pipeline .json (default regex)")
    ft.add_argument("--lower", action="store_true", help="lower-case before tokenizing")
    ft.add_argument("--encoding", default="utf-8")
    ft.add_argument("--checkpoint-minutes", type=float, default=10.0,
                    help="save a checkpoint this often (and on Ctrl-C) next to the output")
    ft.add_argument("--resume", action="store_true",
                    help="continue from the checkpoint next to the output")
    ft.add_argument("--quiet", action="store_true", help="no progress bar")
    ft.set_defaults(func=_fasttext)


def _fasttext(args: argparse.Namespace) -> int:
    import shutil

    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import FastText

    tokens = TokenStream(TextCorpus(args.corpus, encoding=args.encoding),
                         get_tokenizer(args.tokenizer, lowercase=args.lower))
    ckpt = args.output.with_name(args.output.name + ".checkpoint")
    progress = not args.quiet
    if args.resume:
        model = FastText.resume(ckpt, tokens, progress=progress,
                                checkpoint_minutes=args.checkpoint_minutes)
    else:
        model = FastText(
            model=args.model, dim=args.dim, window=args.window, negative=args.negative,
            sample=args.sample, min_count=args.min_count, max_vocab_size=args.max_vocab_size,
            alpha=args.alpha, min_alpha=args.min_alpha, epochs=args.epochs, minn=args.minn,
            maxn=args.maxn, bucket=args.bucket, workers=args.workers, seed=args.seed,
            shuffle=not args.no_shuffle,
        ).fit(tokens, progress=progress, checkpoint_dir=ckpt,
              checkpoint_minutes=args.checkpoint_minutes)
    path = model.save(args.output, format=args.format)
    shutil.rmtree(ckpt, ignore_errors=True)  # the run finished: its checkpoint is obsolete
    seconds = sum(model.epoch_seconds_)
    words = model.raw_words_per_epoch_ * len(model.epoch_seconds_)
    print(f"vocabulary {len(model.vocab_):,} words + {model.config.ngram_buckets:,} n-gram "
          f"buckets; {model.words_per_epoch_:,} tokens an epoch")
    print("loss per epoch: " + ", ".join(f"{x:.4f}" for x in model.loss_history_))
    if seconds > 0:
        print(f"{words / seconds:,.0f} words/s over {seconds:.1f} s")
    print(f"wrote {path}")
    return 0
