"""Running the trainers over several processes or machines with ``torch.distributed``.

The trainers below stay single-process and know nothing of ranks; this package splits the
work, synchronizes and writes. Launched by ``torchrun`` (see docs/distributed.md):

- :func:`setup` / :func:`teardown` / :func:`process_group`: the process group from torchrun's
  environment (gloo on CPU; nccl for CUDA tensors), a timeout on every collective, so a lost
  rank stops the run with :class:`~embedlayer.errors.DistributedError` instead of a hang;
  :func:`check_same_settings` refuses ranks started with different settings, naming them.
- :func:`build_shared_vocab`: sharded counting (each rank counts its part, read with
  :class:`~embedlayer.corpus.shard.TextShard`), merged into one ``Vocab`` on every rank.
- :func:`train_data_parallel`: data-parallel word2vec and fastText by model averaging every
  ``sync_every`` words, the learning rate following the global word count, checkpoints by
  rank 0 and resuming; :class:`SyncReport` says what synchronizing cost.
- :func:`fit_glove_distributed`: GloVe's co-occurrences counted by every rank over its part,
  summed on rank 0 (:func:`merge_cooccurrences`) into the matrix one process would count;
  rank 0 then trains on it.
- :func:`fit_classifier_ddp` / :func:`fit_tagger_ddp`: a ``TextClassifier`` / a
  ``SequenceTagger`` trained with ``DistributedDataParallel``, each rank drawing its batches
  from a ``DistributedSampler``; :func:`fit_lm_ddp`: a ``CausalLM`` with DDP, each rank
  drawing its own windows (seeded by the seed and the rank), rank 0 writing the folder.

Importing it imports torch (an extra, as for ``nn`` and ``tasks``).
"""

from __future__ import annotations

from embedlayer.dist.ddp import fit_classifier_ddp, fit_lm_ddp, fit_tagger_ddp
from embedlayer.dist.glove import fit_glove_distributed, merge_cooccurrences
from embedlayer.dist.group import (
    DEFAULT_TIMEOUT,
    Group,
    check_same_settings,
    process_group,
    setup,
    teardown,
)
from embedlayer.dist.train import SyncReport, train_data_parallel
from embedlayer.dist.vocab import build_shared_vocab, merge_counts

__all__ = [
    "DEFAULT_TIMEOUT",
    "Group",
    "SyncReport",
    "build_shared_vocab",
    "check_same_settings",
    "fit_classifier_ddp",
    "fit_glove_distributed",
    "fit_lm_ddp",
    "fit_tagger_ddp",
    "merge_cooccurrences",
    "merge_counts",
    "process_group",
    "setup",
    "teardown",
    "train_data_parallel",
]
