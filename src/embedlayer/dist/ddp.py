"""The torch models over several processes: a ``TextClassifier`` trained with
``DistributedDataParallel``, each rank drawing its batches from a ``DistributedSampler``.

What it holds: :func:`fit_classifier_ddp` and the plan it hands to the classifier's training
loop (``tasks/_training.py``'s ``ParallelPlan``): the network wrapped in DDP (gradients
averaged across ranks at every step, so every rank holds the same weights), this rank's
share of the examples each epoch (``DistributedSampler``, seeded, reshuffled per epoch), cut
into batches of ``batch_size / world_size`` so the global batch, and the number of steps an
epoch, stay those of a single-process run; and the held-out score taken from rank 0, so
early stopping stops every rank at the same epoch.
What it leaves out: the training loop, the optimizers, saving (``tasks/``).

Every rank is given the whole training set (the same texts and labels, checked at start by
a digest): the tokenizer, vocabulary and held-out split are built the same way on each, and
the sampler decides who trains on what. Rank 0 is the one to save the model.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from embedlayer.dist.group import Group, broadcast, check_same_settings
from embedlayer.errors import ConfigError
from embedlayer.tasks._training import bucketed_batches

__all__ = ["fit_classifier_ddp"]


class _DDPPlan:
    """``ParallelPlan`` for one rank (see the module docstring)."""

    def __init__(self, group: Group, seed: int) -> None:
        self.group, self.seed = group, seed

    def wrap(self, net: nn.Module) -> nn.Module:
        device = next(net.parameters()).device
        return DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda"
                                       else None)

    def _share(self, n: int, epoch: int) -> np.ndarray:
        sampler = DistributedSampler(range(n), num_replicas=self.group.world_size,
                                     rank=self.group.rank, shuffle=True, seed=self.seed)
        sampler.set_epoch(epoch)
        return np.fromiter(iter(sampler), dtype=np.int64)

    def _per_rank(self, batch_size: int) -> int:
        return max(1, batch_size // self.group.world_size)

    def batches(self, lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                epoch: int) -> list[np.ndarray]:
        idx = self._share(len(lengths), epoch)
        return [idx[b] for b in bucketed_batches(lengths[idx], self._per_rank(batch_size), rng)]

    def steps_per_epoch(self, n: int, batch_size: int) -> int:
        return math.ceil(math.ceil(n / self.group.world_size) / self._per_rank(batch_size))

    def agree(self, score: tuple[float, ...]) -> tuple[float, ...]:
        values = np.asarray(score, dtype=np.float64)
        broadcast(self.group, values, "sharing the held-out score")
        return tuple(float(x) for x in values)


def _data_digest(texts: Sequence[str], labels: Sequence[Any]) -> str:
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{text}\x00{label}\x01".encode())
    return digest.hexdigest()


def fit_classifier_ddp(
    classifier: Any, group: Group, texts: Sequence[str], labels: Sequence[Any], *,
    validation: tuple[Sequence[str], Sequence[Any]] | None = None, progress: bool = True,
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """Fit ``classifier`` (an unfitted ``TextClassifier``) on every rank together with DDP.

    Every rank passes the same ``texts`` / ``labels`` (and ``validation``): checked at start
    with the classifier's settings and any more ``settings``; ranks started differently are
    refused, the setting named. The classifier needs ``sparse=False`` (DDP reduces dense
    gradients). Returns the classifier, fitted, the same on every rank.
    """
    if getattr(classifier.config, "sparse", False):
        raise ConfigError("fit_classifier_ddp: DistributedDataParallel averages dense "
                          "gradients only; build the TextClassifier with sparse=False")
    texts, labels = list(texts), list(labels)
    check_same_settings(group, {
        "config": asdict(classifier.config), "encoder": repr(classifier.encoder),
        "examples": len(texts), "data_sha256": _data_digest(texts, labels),
        "validation_sha256": None if validation is None else _data_digest(*validation),
        **dict(settings or {})})
    classifier._parallel = _DDPPlan(group, classifier.config.seed)
    try:
        classifier.fit(texts, labels, validation=validation, progress=progress and group.is_main)
    finally:
        del classifier._parallel
    return classifier
