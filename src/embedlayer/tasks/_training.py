"""The training loop of the text classifier, and the pieces the sequence tagger shares with it.

Shared (``tasks/tag.py`` uses them too): padding token-id arrays into batches, length-bucketed
shuffling (``bucketed_batches``) and length-sorted inference batches, the optimizers
(``make_optimizers``: Adam with an L2 penalty, AdamW's decoupled weight decay, or SGD; lazy
Adam for tables with sparse gradients), the global gradient-norm clipping and one optimizer
step (``optimizer_step``), an optional linear warmup then linear decay of the learning rates
(the BERT fine-tuning schedule), and early stopping on a held-out score that restores the
best epoch's weights (``EarlyStopping``).
The classifier's own: ``ClassifierNet`` (embedding layer -> encoder -> linear output), a
stratified held-out split, the epoch loop (``train``) with its progress bar, and batched
inference (``forward_all``). Everything random comes from the seed: the numpy generator that
shuffles and splits is seeded once per fit, and the caller seeds torch (dropout, weights).
``train`` takes an optional ``parallel`` plan (``ParallelPlan``: which module runs the
training forward, which batches this process trains, the held-out score all processes act
on), so a data-parallel caller (``embedlayer.dist``) can run the same loop with
``DistributedDataParallel``; the loop itself knows nothing of processes.
What it leaves out: tokenizing, vocabularies, labels and saving (``tasks/classify.py``).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from embedlayer._progress import progress_bar
from embedlayer._types import IntArray

__all__ = ["ClassifierNet", "EarlyStopping", "EpochRecord", "ParallelPlan", "bucketed_batches",
           "forward_all", "make_optimizers", "optimizer_step", "sorted_batches",
           "stratified_split", "train"]

_POOL_BATCHES = 50  # batches per pool sorted by length: similar lengths, yet shuffled


class ClassifierNet(nn.Module):
    """ids (B, T) -> logits: (B,) for two classes (sigmoid), (B, C) for more (softmax)."""

    def __init__(self, embedding: nn.Module, encoder: nn.Module, n_classes: int) -> None:
        super().__init__()
        self.embedding = embedding
        self.encoder = encoder
        self.n_classes = n_classes
        self.head = nn.Linear(encoder.out_dim, 1 if n_classes == 2 else n_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = self.embedding.mask(ids)  # (B, T) True at real tokens
        features = self.encoder(self.embedding(ids), mask, ids)  # (B, H)
        logits = self.head(features)
        return logits.squeeze(-1) if self.n_classes == 2 else logits

    def loss(self, logits: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        if self.n_classes == 2:
            return F.binary_cross_entropy_with_logits(logits, y.to(logits.dtype),
                                                      reduction=reduction)
        return F.cross_entropy(logits, y, reduction=reduction)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """(B, C) class probabilities."""
        if self.n_classes == 2:
            p = torch.sigmoid(logits)
            return torch.stack([1.0 - p, p], dim=1)
        return torch.softmax(logits, dim=1)


def pad(seqs: Sequence[IntArray], pad_id: int) -> torch.Tensor:
    """A (B, T) int64 tensor, T the longest sequence, shorter rows filled with ``pad_id``."""
    width = max(1, *(len(s) for s in seqs)) if seqs else 1
    out = np.full((len(seqs), width), pad_id, dtype=np.int64)
    for row, s in enumerate(seqs):
        out[row, :len(s)] = s
    return torch.from_numpy(out)


def bucketed_batches(
    lengths: IntArray, batch_size: int, rng: np.random.Generator,
) -> list[IntArray]:
    """Shuffle, sort pools of ``_POOL_BATCHES`` batches by length, cut, shuffle the batches."""
    order = rng.permutation(len(lengths))
    pool = batch_size * _POOL_BATCHES
    batches: list[IntArray] = []
    for start in range(0, len(order), pool):
        chunk = order[start:start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def sorted_batches(lengths: IntArray, batch_size: int) -> list[IntArray]:
    """Batches of similar length in a fixed order (inference: least padding, no randomness)."""
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def stratified_split(
    y: IntArray, fraction: float, rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """(train, held-out) indices: ``fraction`` of each class held out, at least one kept."""
    held: list[IntArray] = []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        take = min(int(round(fraction * len(idx))), len(idx) - 1)
        held.append(idx[:take])
    out = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
    keep = np.setdiff1d(np.arange(len(y)), out)
    return keep.astype(np.int64), out.astype(np.int64)


@torch.no_grad()
def forward_all(
    net: ClassifierNet, seqs: Sequence[IntArray], pad_id: int, batch_size: int,
    device: torch.device,
) -> torch.Tensor:
    """Logits for every sequence, in input order, the net in eval mode."""
    was_training = net.training
    net.eval()
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    outs: list[torch.Tensor] = []
    order: list[IntArray] = []
    for batch in sorted_batches(lengths, batch_size):
        ids = pad([seqs[i] for i in batch], pad_id).to(device)
        outs.append(net(ids).float().cpu())
        order.append(batch)
    net.train(was_training)
    if not outs:
        shape = (0,) if net.n_classes == 2 else (0, net.n_classes)
        return torch.zeros(shape)
    logits = torch.cat(outs)
    inverse = torch.from_numpy(np.argsort(np.concatenate(order), kind="stable"))
    return logits[inverse]


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did (the ``history_`` of a fit)."""

    epoch: int  # 1-based
    loss: float  # mean training loss over the epoch's examples
    accuracy: float  # training accuracy over the epoch (as the batches were seen)
    val_loss: float | None  # on the held-out set, after the epoch; None without one
    val_accuracy: float | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in
                ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")}


def _predicted(net: ClassifierNet, logits: torch.Tensor) -> torch.Tensor:
    return (logits > 0).long() if net.n_classes == 2 else logits.argmax(dim=1)


def evaluate_logits(net: ClassifierNet, logits: torch.Tensor, y: IntArray) -> tuple[float, float]:
    """(mean loss, accuracy)."""
    target = torch.from_numpy(np.asarray(y, dtype=np.int64))
    loss = float(net.loss(logits, target).item())
    acc = float((_predicted(net, logits) == target).float().mean().item())
    return loss, acc


def make_optimizers(
    net: nn.Module, lr: float, embedding_lr: float | None, weight_decay: float,
    decoupled: bool = False, *, kind: str = "adam", momentum: float = 0.0,
) -> list[torch.optim.Optimizer]:  # lr: the learning rate (torch's name for it)
    """Adam (``kind="adam"``) or SGD (``"sgd"``, with ``momentum``) for dense parameters;
    lazy Adam (``SparseAdam``), or plain SGD, for tables with sparse gradients.

    ``net.embedding`` is the embedding layer: its matrix learns at ``embedding_lr`` (default
    ``lr``), the classifier's ``embedding_learning_rate`` and ``learning_rate``; an embedding
    module with ``pretrained_parameters()`` (a transformer) gives only those the embedding's
    rate (its scalar mix learns at ``lr`` with the head). Tables with sparse
    gradients (``EmbeddingLayer(sparse=True)``, the bag encoder's bigram buckets) move only
    the rows a batch used, which makes a step 2-4x faster on a large vocabulary; they get no
    weight decay (SparseAdam has none), so ``weight_decay`` applies to the dense parameters
    only (SGD on sparse tables has no momentum either).
    ``decoupled``: AdamW's weight decay (Loshchilov & Hutter 2019) instead of an L2 penalty,
    and, as in BERT's recipe, none on biases and normalization weights (1-d parameters).
    """
    emb_lr = lr if embedding_lr is None else embedding_lr
    own = getattr(net.embedding, "pretrained_parameters", net.embedding.parameters)
    embedding = {id(p) for p in own()}
    sparse = {id(m.weight) for m in net.modules() if isinstance(m, nn.Embedding) and m.sparse}
    if getattr(net.embedding, "sparse", False):
        sparse |= embedding
    groups: dict[tuple[bool, bool, bool], list[nn.Parameter]] = {}
    for p in net.parameters():
        no_decay = decoupled and p.ndim < 2
        groups.setdefault((id(p) in sparse, id(p) in embedding, no_decay), []).append(p)
    out: list[torch.optim.Optimizer] = []
    dense = [{"params": ps, "lr": emb_lr if is_emb else lr,
              "weight_decay": 0.0 if no_decay else weight_decay}
             for (is_sparse, is_emb, no_decay), ps in groups.items() if not is_sparse]
    lazy = [{"params": ps, "lr": emb_lr if is_emb else lr}
            for (is_sparse, is_emb, _), ps in groups.items() if is_sparse]
    if kind == "sgd":
        if dense:
            out.append(torch.optim.SGD(dense, lr=lr, momentum=momentum,
                                       weight_decay=weight_decay))
        if lazy:
            out.append(torch.optim.SGD(lazy, lr=lr))
        return out
    if dense:
        # The fused kernel updates all parameters in one pass: ~10x faster than the default
        # on CPU for a large dense embedding matrix.
        out.append(torch.optim.Adam(dense, lr=lr, weight_decay=weight_decay, fused=True,
                                    decoupled_weight_decay=decoupled))
    if lazy:
        out.append(torch.optim.SparseAdam(lazy, lr=lr))
    return out


def linear_schedule(total: int, warmup: float) -> Callable[[int], float]:
    """step -> factor of the learning rate: linear from 0 to 1 over the first ``warmup`` share
    of ``total`` steps, then linear down to 0 at step ``total`` (BERT's schedule)."""
    rise = max(1, int(round(warmup * total))) if warmup > 0 else 0

    def factor(step: int) -> float:
        if step < rise:
            return (step + 1) / (rise + 1)  # never exactly 0: the first step moves a little
        return max(0.0, (total - step) / max(1, total - rise))

    return factor


def _clip(net: nn.Module, max_norm: float) -> None:
    """Scale all gradients (dense and sparse) so that their global L2 norm is <= max_norm."""
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    if not grads:
        return
    squares = [(g.coalesce().values() if g.is_sparse else g).pow(2).sum() for g in grads]
    total = float(torch.stack(squares).sum().sqrt())
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for p in net.parameters():
            if p.grad is not None:
                p.grad = p.grad.coalesce() * scale if p.grad.is_sparse else p.grad.mul_(scale)


def optimizer_step(
    loss: torch.Tensor, net: nn.Module, optimizers: Sequence[torch.optim.Optimizer],
    clip_norm: float | None, schedulers: Sequence[Any] = (),
) -> None:
    """Back-propagate ``loss``, clip the global gradient norm to ``clip_norm`` (None: no
    clipping), step every optimizer, then every per-step learning-rate scheduler."""
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip_norm is not None:
        _clip(net, clip_norm)
    for optimizer in optimizers:
        optimizer.step()
    for scheduler in schedulers:
        scheduler.step()


class EarlyStopping:
    """Keeps the weights of the epoch with the best held-out score; says when to stop.

    ``update(net, score, epoch)`` after each epoch (``score`` a tuple, higher is better,
    compared as tuples so that later fields break ties; ``epoch`` 1-based) returns True once
    ``patience`` epochs in a row brought no better score (never with ``patience=None``);
    ``restore(net)`` loads the best weights back. ``best_epoch`` is ``default_epoch`` until a
    score is seen.
    """

    def __init__(self, patience: int | None, default_epoch: int = 0) -> None:
        self.patience = patience
        self.best: tuple[float, ...] | None = None
        self.best_epoch = default_epoch
        self.waited = 0
        self._state: dict[str, torch.Tensor] | None = None

    def update(self, net: nn.Module, score: tuple[float, ...], epoch: int) -> bool:
        if self.best is None or score > self.best:
            self.best, self.best_epoch, self.waited = score, epoch, 0
            self._state = copy.deepcopy(net.state_dict())
            return False
        self.waited += 1
        return self.patience is not None and self.waited >= self.patience

    def restore(self, net: nn.Module) -> None:
        if self._state is not None:
            net.load_state_dict(self._state)


class ParallelPlan(Protocol):
    """How ``train`` runs as one of several data-parallel processes (``embedlayer.dist``)."""

    def wrap(self, net: nn.Module) -> nn.Module:
        """The module whose forward the training steps call (a DDP wrapper of ``net``)."""
        ...

    def batches(self, lengths: IntArray, batch_size: int, rng: np.random.Generator,
                epoch: int) -> list[IntArray]:
        """This process's batches of epoch ``epoch`` (indices into the examples)."""
        ...

    def steps_per_epoch(self, n: int, batch_size: int) -> int:
        """How many batches ``batches`` gives for ``n`` examples."""
        ...

    def agree(self, score: tuple[float, ...]) -> tuple[float, ...]:
        """The held-out score every process acts on (early stopping stays in step)."""
        ...


def train(
    net: ClassifierNet, seqs: Sequence[IntArray], y: IntArray, *,
    val: tuple[Sequence[IntArray], IntArray] | None, pad_id: int, epochs: int, batch_size: int,
    learning_rate: float, embedding_learning_rate: float | None, weight_decay: float,
    clip_norm: float | None, patience: int | None,
    rng: np.random.Generator, device: torch.device, progress: bool,
    on_epoch_start: Callable[[int], None],
    on_epoch_end: Callable[[int, EpochRecord], None] | None = None,
    decoupled_weight_decay: bool = False, warmup: float | None = None,
    parallel: ParallelPlan | None = None,
) -> tuple[list[EpochRecord], int]:
    """Train ``net`` in place; returns (history, best epoch). With ``val``, the weights of the
    epoch with the best held-out accuracy (ties: lower loss) are restored at the end, and
    training stops after ``patience`` epochs without improvement. ``on_epoch_end(epoch,
    record)`` runs after each epoch (``epoch`` from 0). ``warmup``: the learning rates rise
    linearly from 0 over that share of all ``epochs`` x batches steps, then fall linearly to 0
    at the last step (None: constant rates). ``parallel``: train as one of several
    data-parallel processes (see ``ParallelPlan``)."""
    forward = net if parallel is None else parallel.wrap(net)
    optimizers = make_optimizers(net, learning_rate, embedding_learning_rate, weight_decay,
                                 decoupled_weight_decay)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    target = torch.from_numpy(np.asarray(y, dtype=np.int64))
    per_epoch = (math.ceil(len(seqs) / batch_size) if parallel is None
                 else parallel.steps_per_epoch(len(seqs), batch_size))
    schedulers = [] if warmup is None else [
        torch.optim.lr_scheduler.LambdaLR(o, linear_schedule(epochs * per_epoch, warmup))
        for o in optimizers]
    history: list[EpochRecord] = []
    stopper = EarlyStopping(patience, default_epoch=epochs)
    with progress_bar(total=epochs * per_epoch, desc="train", unit="batch", enabled=progress,
                      unit_scale=False) as bar:
        for epoch in range(epochs):
            start = time.perf_counter()
            on_epoch_start(epoch)
            net.train()
            loss_sum, correct, seen = 0.0, 0, 0
            batches = (bucketed_batches(lengths, batch_size, rng) if parallel is None
                       else parallel.batches(lengths, batch_size, rng, epoch))
            for batch in batches:
                ids = pad([seqs[i] for i in batch], pad_id).to(device)
                yb = target[batch].to(device)
                logits = forward(ids)
                loss = net.loss(logits, yb)
                optimizer_step(loss, net, optimizers, clip_norm, schedulers)
                loss_sum += float(loss.item()) * len(batch)
                correct += int((_predicted(net, logits.detach()) == yb).sum().item())
                seen += len(batch)
                bar.update(1)
                bar.set_postfix_str(f"epoch {epoch + 1}/{epochs} loss {loss_sum / seen:.4f} "
                                    f"acc {correct / seen:.4f}", refresh=False)
            seen = max(seen, 1)  # a data-parallel process may get no batch
            val_loss = val_acc = None
            if val is not None:
                val_loss, val_acc = evaluate_logits(
                    net, forward_all(net, val[0], pad_id, 256, device), val[1])
                bar.set_postfix_str(f"epoch {epoch + 1}/{epochs} loss {loss_sum / seen:.4f} "
                                    f"acc {correct / seen:.4f} val_loss {val_loss:.4f} "
                                    f"val_acc {val_acc:.4f}")
            history.append(EpochRecord(epoch + 1, loss_sum / seen, correct / seen, val_loss,
                                       val_acc, time.perf_counter() - start))
            if on_epoch_end is not None:
                on_epoch_end(epoch, history[-1])
            if val is None:
                continue
            score = (val_acc, -val_loss)
            if parallel is not None:
                score = parallel.agree(score)
            if stopper.update(net, score, epoch + 1):
                bar.total = bar.n  # stopped early: the bar ends full
                break
    stopper.restore(net)
    return history, stopper.best_epoch
