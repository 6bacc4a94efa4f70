"""The torch models over several processes with ``DistributedDataParallel``: a
``TextClassifier`` and a ``SequenceTagger``, each rank drawing its batches from a
``DistributedSampler``, and a ``CausalLM``, each rank drawing its own seeded windows.

What it holds: :func:`fit_classifier_ddp` / :func:`fit_tagger_ddp` and the plan they hand
to the training loops (``tasks/_training.py``'s ``ParallelPlan``, which the tagger's own loop
in ``tasks/tag.py`` takes too): the network wrapped in DDP (gradients
averaged across ranks at every step, so every rank holds the same weights), this rank's
share of the examples each epoch (``DistributedSampler``, seeded, reshuffled per epoch), cut
into batches of ``batch_size / world_size`` so the global batch, and the number of steps an
epoch, stay those of a single-process run; and the held-out score taken from rank 0, so
early stopping stops every rank at the same epoch.
:func:`fit_lm_ddp` hands ``CausalLM``'s loop a smaller plan: the DDP wrapper, the rank
(which seeds its windows and dropout) and the per-rank batch size; rank 0 writes the folder.
What it leaves out: the training loops, the optimizers, saving (``tasks/``).

Every rank is given the whole training set (the same texts and labels, checked at start by
a digest): the tokenizer, vocabulary and held-out split are built the same way on each, and
the sampler decides who trains on what. Rank 0 is the one to save the model.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from embedlayer.dist.group import Group, broadcast, check_same_settings
from embedlayer.errors import ConfigError
from embedlayer.tasks._training import bucketed_batches

__all__ = ["fit_classifier_ddp", "fit_lm_ddp", "fit_tagger_ddp"]


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


def _sentences_digest(sentences: Sequence[Sequence[str]],
                      tags: Sequence[Sequence[str]] | None = None) -> str:
    digest = hashlib.sha256()
    for i, sentence in enumerate(sentences):
        digest.update("\x1f".join(sentence).encode())
        if tags is not None:
            digest.update(b"\x00" + "\x1f".join(tags[i]).encode())
        digest.update(b"\x01")
    return digest.hexdigest()


def fit_tagger_ddp(
    tagger: Any, group: Group, sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]], *,
    validation: tuple[Sequence[Sequence[str]], Sequence[Sequence[str]]] | None = None,
    progress: bool = True, settings: Mapping[str, Any] | None = None,
) -> Any:
    """Fit ``tagger`` (an unfitted ``SequenceTagger``) on every rank together with DDP.

    As :func:`fit_classifier_ddp`: every rank passes the same ``sentences`` / ``tags`` (and
    ``validation``), checked at start with the tagger's settings; each epoch a
    ``DistributedSampler`` gives each rank its share, in batches of ``batch_size /
    world_size``; every rank scores the development set (the same weights, the same score)
    and acts on rank 0's, so early stopping stays in step. Needs ``sparse=False``. Returns the
    tagger, fitted, the same on every rank.
    """
    if getattr(tagger.config, "sparse", False):
        raise ConfigError("fit_tagger_ddp: DistributedDataParallel averages dense gradients "
                          "only; build the SequenceTagger with TaggerConfig(sparse=False)")
    sentences, tags = [list(s) for s in sentences], [list(t) for t in tags]
    check_same_settings(group, {
        "config": asdict(tagger.config),
        "vectors": None if tagger.vectors is None else [type(tagger.vectors).__name__,
                                                         len(tagger.vectors.vocab),
                                                         tagger.vectors.dim],
        "contextual": None if tagger.contextual is None else tagger.contextual.identity(),
        "sentences": len(sentences),
        "data_sha256": _sentences_digest(sentences, tags),
        "validation_sha256": None if validation is None else _sentences_digest(
            [list(s) for s in validation[0]], [list(t) for t in validation[1]]),
        **dict(settings or {})})
    tagger._parallel = _DDPPlan(group, tagger.config.seed)
    try:
        tagger.fit(sentences, tags, validation=validation, progress=progress and group.is_main)
    finally:
        del tagger._parallel
    return tagger


class _LMPlan:
    """What ``CausalLM._train`` asks of a data-parallel run (see ``fit_lm_ddp``)."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.rank, self.world_size = group.rank, group.world_size

    def wrap(self, net: nn.Module) -> nn.Module:
        device = next(net.parameters()).device
        return DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda"
                                       else None)

    def batch_size(self, batch_size: int) -> int:
        return max(1, batch_size // self.world_size)


def _lines_digest(lines: Iterable[str]) -> tuple[int, str]:
    digest, n = hashlib.sha256(), 0
    for line in lines:
        digest.update(line.encode() + b"\n")
        n += 1
    return n, digest.hexdigest()


def fit_lm_ddp(
    lm: Any, group: Group, corpus: Any, *, output: str | None = None,
    init_vectors: Any = None, progress: bool = True,
    settings: Mapping[str, Any] | None = None,
) -> Any:
    """Fit ``lm`` (an unfitted ``CausalLM``) on every rank together with DDP.

    Every rank passes the same ``corpus`` (a path or lines; checked at start by a digest,
    with the settings): each trains the same tokenizer on it and encodes the same id stream,
    and the ranks differ only in the windows they draw: rank ``r`` draws ``batch_size /
    world_size`` windows a step from a generator seeded by ``(seed, r)``, so a step sees
    ``batch_size`` windows in all, as one process does; DDP averages the gradients, so every
    rank holds the same weights. Every rank scores the held-out slice (the same weights, the
    same score); rank 0 alone writes ``output`` (the model folder and its checkpoints). No
    ``resume`` (each rank's generator state would be needed): a stopped run starts again.
    Returns ``lm``, fitted, the same on every rank.
    """
    from embedlayer.tasks.lm.model import _lines

    lines = _lines(corpus)  # re-iterable: read here, then by the tokenizer and the encoder
    n, digest = _lines_digest(lines)
    check_same_settings(group, {"config": asdict(lm.config), "lines": n,
                                "corpus_sha256": digest,
                                "output": output, **dict(settings or {})})
    lm._parallel = _LMPlan(group)
    try:
        lm.fit(lines, output=output if group.is_main else None, init_vectors=init_vectors,
               progress=progress and group.is_main)
    finally:
        del lm._parallel
    return lm
