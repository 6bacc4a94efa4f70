"""`embedlayer train word2vec|fasttext|glove --distributed`: the same command, one process per
rank.

Launched by ``torchrun`` (``torchrun --nproc-per-node 2 -m embedlayer train word2vec CORPUS
-o OUT --distributed``; docs/distributed.md). Every rank parses the same command; they check
at start that they agree on it (settings, corpus files and sizes, outputs), rank 0 checks the
outputs before any work, each rank reads its part of CORPUS (``corpus/shard.py``), and
``dist.train_data_parallel`` does the rest. Rank 0 alone writes the vectors, ``--save-model``
and the checkpoint (next to the output, as without ``--distributed``); ``--resume`` continues
an interrupted distributed run with the same launch. GloVe: every rank counts the
co-occurrences of its part, rank 0 sums them and trains (``dist.fit_glove_distributed``); no
checkpoint, no ``--resume``.
What it leaves out: the flags of each algorithm (``_train.py``, ``_train_fasttext.py``) and
the single-process run (``_train_common.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from embedlayer.cli._train_common import (
    Setting,
    _config_kwargs,
    _remove_checkpoint,
    check_output,
    checkpoint_path,
    flagify,
)
from embedlayer.errors import ConfigError, EmbedlayerError

__all__ = ["add_dist_options", "run_distributed"]

SYNC_EVERY = 1_000_000


def add_dist_options(parser: argparse.ArgumentParser, *, counting: bool = False) -> None:
    """``--distributed``, ``--sync-every`` and ``--dist-timeout`` (``counting``: GloVe's
    variant, where the ranks count together and rank 0 trains: no ``--sync-every``)."""
    group = parser.add_argument_group("distributed training (launch with torchrun)")
    if counting:
        group.add_argument("--distributed", action="store_true",
                           help="one rank of a torchrun launch: each rank counts the "
                                "co-occurrences of its part of CORPUS, rank 0 sums them and "
                                "trains (default: off)")
    else:
        group.add_argument("--distributed", action="store_true",
                           help="one rank of a torchrun launch: each rank trains its part of "
                                "CORPUS and the ranks average their parameters (default: off)")
    group.add_argument("--dist-timeout", type=float, default=300.0, metavar="SECONDS",
                       help="stop with an error when another rank has not answered for this "
                            "long (default: %(default)s)")
    if counting:
        return
    group.add_argument("--sync-every", type=int, default=SYNC_EVERY, metavar="WORDS",
                       help="average the ranks' parameters every this many words, all ranks "
                            "together (default: %(default)s)")


def _outputs_problem(args: argparse.Namespace, estimator: type, config: Any,
                     ckpt: Path) -> str | None:
    """What rank 0 finds wrong with the outputs before any work (None: fine)."""
    from embedlayer.vectors.io._folder import check_target

    try:
        check_output(args.output, flag="-o", force=args.force, inputs=args.corpus,
                     replaceable=lambda p: check_target(p, args.format))
        if args.save_model is not None:
            if args.save_model.resolve() == args.output.resolve():
                raise ConfigError(f"--save-model {args.save_model}: the same path as -o")
            check_output(args.save_model, flag="--save-model", force=args.force,
                         inputs=args.corpus,
                         replaceable=estimator.from_config(config)._check_save_target)
        if args.resume and not ckpt.is_dir():
            raise ConfigError(f"--resume: no checkpoint at {ckpt}; run without --resume")
        if not args.resume and ckpt.exists():
            if not args.force:
                raise ConfigError(f"{ckpt} holds the checkpoint of an interrupted run: add "
                                  "--resume to continue it, or --force to start over")
            _remove_checkpoint(ckpt)
    except EmbedlayerError as exc:
        return str(exc)
    return None


def run_distributed(args: argparse.Namespace, *, estimator: type, settings: Sequence[Setting],
                    summary: Callable[[Any], list[str]]) -> int:
    """This rank's part of a distributed `train` command; rank 0 writes and prints."""
    try:
        return _run(args, estimator, settings, summary)
    except EmbedlayerError as exc:
        text = flagify(str(exc), settings).replace("sync_every", "--sync-every")
        if text == str(exc):
            raise
        raise type(exc)(text) from None


def _run(args: argparse.Namespace, estimator: type, settings: Sequence[Setting],
         summary: Callable[[Any], list[str]]) -> int:
    from embedlayer.corpus.shard import TextShard
    from embedlayer.dist import process_group, train_data_parallel
    from embedlayer.dist.group import agree
    from embedlayer.text import TokenStream, get_tokenizer

    if args.continue_from is not None or args.update_vocab:
        raise ConfigError("--continue and --update-vocab are not supported with --distributed; "
                          "train further on one process")
    counting = estimator.NAME == "GloVe"  # the ranks count together, rank 0 trains
    if counting and args.resume:
        raise ConfigError("--resume is not supported for GloVe with --distributed: counting "
                          "is redone anyway; launch the run again without --resume")
    config = estimator.CONFIG(**_config_kwargs(args, settings)).check()
    ckpt = checkpoint_path(args.output)
    with process_group(timeout=args.dist_timeout) as group:
        shard = TextShard(args.corpus, part=group.rank, parts=group.world_size,
                          encoding=args.encoding, errors=args.errors)
        files = [str(p) for p in shard.files]
        launch = {"corpus": files, "corpus_bytes": [os.path.getsize(f) for f in files],
                  "tokenizer": args.tokenizer, "lower": args.lower, "encoding": args.encoding,
                  "errors": args.errors, "output": str(args.output), "format": args.format,
                  "save_model": str(args.save_model), "force": args.force}
        problem = _outputs_problem(args, estimator, config, ckpt) if group.is_main else None
        agree(group, problem, "the output check")
        tokens = TokenStream(shard, get_tokenizer(args.tokenizer, lowercase=args.lower))
        model = estimator.from_config(config)
        progress = not args.quiet
        if counting:
            return _glove(args, group, model, tokens, launch, summary, progress)
        try:
            report = train_data_parallel(
                model, group, tokens, sync_every=args.sync_every, progress=progress,
                checkpoint_dir=ckpt, checkpoint_minutes=getattr(args, "checkpoint_minutes", None),
                resume=args.resume, settings=launch)
        except KeyboardInterrupt:
            if group.is_main and ckpt.exists():
                print(f"embedlayer train {args.algorithm}: interrupted; the checkpoint is in "
                      f"{ckpt}: launch the same command with --resume to continue",
                      file=sys.stderr)
            raise
        if not group.is_main:
            return 0
        path = model.save_vectors(args.output, format=args.format)
        lines = summary(model)
        lines.append(f"{group.world_size} ranks: {model.tokens_per_second_:,.0f} tokens/s over "
                     f"{model.train_seconds_:.1f} s; {report.rounds} synchronizations of "
                     f"{report.payload_bytes / 2**20:,.1f} MiB ({report.allreduce_seconds:.1f} s "
                     f"in all-reduce, {report.wait_seconds:.1f} s waiting for other ranks)")
        lines.append(f"wrote {path}")
        if args.save_model is not None:
            lines.append(f"saved the model to {model.save(args.save_model)}")
        shutil.rmtree(ckpt, ignore_errors=True)
        print("\n".join(lines))
    return 0


def _glove(args: argparse.Namespace, group: Any, model: Any, tokens: Any,
           launch: dict[str, Any], summary: Callable[[Any], list[str]], progress: bool) -> int:
    """GloVe: every rank counts its part, rank 0 sums the counts, trains and writes."""
    from embedlayer.dist import fit_glove_distributed

    fit_glove_distributed(model, group, tokens, progress=progress, settings=launch)
    if not group.is_main:
        return 0
    path = model.save_vectors(args.output, format=args.format)
    lines = summary(model)
    lines.append(f"{group.world_size} ranks counted the co-occurrences (slowest rank "
                 f"{model.timings_['count']:.1f} s); rank 0 summed them and trained")
    lines.append(f"wrote {path}")
    if args.save_model is not None:
        lines.append(f"saved the model to {model.save(args.save_model)}")
    print("\n".join(line for line in lines if line))
    return 0
