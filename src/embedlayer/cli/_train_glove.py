"""`embedlayer train glove`: count co-occurrences, train GloVe vectors, write them.

Thin: builds the token stream (files -> tokenizer), the estimator from the flags (Stanford
GloVe's option names where they exist), calls ``fit`` (or ``resume``), saves the vectors (atomically) in the
chosen format and prints a summary. ``register(algos)`` is called by ``cli/_train.py``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from embedlayer.cli._train import _FORMATS


def register(algos: argparse._SubParsersAction) -> None:
    p = algos.add_parser(
        "glove", help="GloVe: co-occurrence counts in bounded memory, then AdaGrad",
        description="Train GloVe on CORPUS files (one sentence or document a line; pairs "
                    "never cross a line).")
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="text files, folders or globs (.gz/.bz2/.xz streamed)")
    p.add_argument("-o", "--output", required=True, type=Path, help="where to write the vectors")
    p.add_argument("--format", choices=_FORMATS, default="native", help="output format")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=15, help="context words on each side")
    sym = p.add_mutually_exclusive_group()
    sym.add_argument("--symmetric", dest="symmetric", action="store_true", default=True,
                     help="count left and right contexts (default)")
    sym.add_argument("--asymmetric", dest="symmetric", action="store_false",
                     help="count (left word, right word) pairs only (cooccur -symmetric 0)")
    p.add_argument("--no-distance-weighting", action="store_true",
                   help="a pair adds 1, not 1/distance")
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--sample", type=float, default=0.0,
                   help="drop frequent words before counting, word2vec's rule (e.g. 1e-3; "
                        "default 0: none, as Stanford's tools)")
    p.add_argument("--max-vocab", type=int, default=None, help="keep the most frequent words only")
    p.add_argument("--x-max", type=float, default=10.0, help="weighting cutoff")
    p.add_argument("--alpha", type=float, default=0.75, help="weighting exponent")
    p.add_argument("--eta", type=float, default=0.05, help="AdaGrad learning rate")
    p.add_argument("--grad-clip", type=float, default=100.0)
    p.add_argument("--epochs", type=int, default=15, help="iterations over the pairs")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--memory", type=float, default=1024.0,
                   help="MiB: soft cap on memory while counting (default 1024)")
    p.add_argument("--output-vectors", choices=["word", "word+context", "concat"],
                   default="word+context", help="publish W, W + C (default) or [W | C]")
    p.add_argument("--context-weight", type=float, default=1.0,
                   help="word+context publishes W + this * C (default 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tokenizer", default="regex",
                   help="tokenizer name or saved pipeline .json (default regex)")
    p.add_argument("--lower", action="store_true", help="lower-case before tokenizing")
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--resume", action="store_true",
                   help="finish the run whose checkpoint (saved after every epoch) is next to "
                        "the output; the corpus is counted again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_glove)


def _glove(args: argparse.Namespace) -> int:
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import GloVe

    tokens = TokenStream(TextCorpus(args.corpus, encoding=args.encoding),
                         get_tokenizer(args.tokenizer, lowercase=args.lower))
    from embedlayer.cli._train import checkpoint_path

    ckpt = checkpoint_path(args.output)
    if args.resume:
        model = GloVe.resume(ckpt, tokens, progress=not args.quiet)
        return _report(model, model.save(args.output, format=args.format), ckpt)
    model = GloVe(
        dim=args.dim, window=args.window, symmetric=args.symmetric,
        distance_weighting=not args.no_distance_weighting, min_count=args.min_count,
        max_vocab=args.max_vocab, sample=args.sample, context_weight=args.context_weight,
        x_max=args.x_max, alpha=args.alpha, eta=args.eta,
        grad_clip=args.grad_clip, epochs=args.epochs, output=args.output_vectors,
        memory=args.memory, workers=args.workers, seed=args.seed,
    ).fit(tokens, progress=not args.quiet, checkpoint_dir=ckpt)
    return _report(model, model.save(args.output, format=args.format), ckpt)


def _report(model: Any, path: Path, ckpt: Path) -> int:
    shutil.rmtree(ckpt, ignore_errors=True)  # the run finished: its checkpoint is obsolete
    r = model.cooccurrence_
    t = model.timings_
    print(f"vocabulary {len(model.vocab_):,} words; {model.words_:,} tokens; "
          f"{r.nonzero:,} non-zero pairs ({r.shards} shard(s), {r.buckets} shuffle bucket(s))")
    print("loss per epoch: " + ", ".join(f"{x:.4f}" for x in model.loss_history_))
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in t.items()))
    print(f"wrote {path}")
    return 0
