"""The causal language model's training pieces: schedule, batches, held-out loss, AdamW state.

What it holds: the learning rate at a step (linear warm-up, then cosine decay to
``min_lr_ratio`` of the peak), seeded random windows of the token stream as batches, the
summed next-token loss over fixed non-overlapping windows (validation and ``evaluate``),
AdamW with weight decay on matrices only (GPT-2 / nanoGPT), the optimizer's state as
plain tensors + JSON (pickle-free) and back, and :func:`copy_vectors`, which starts the token
table from word vectors. The loop itself is ``CausalLM.fit``
(``tasks.lm.model``). What it leaves out: tokenizing and files.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from embedlayer.errors import ConfigError, FormatError
from embedlayer.nn.transformer import INIT_STD
from embedlayer.vocab import Vocab

__all__ = ["StepRecord", "copy_vectors", "learning_rate_at", "make_optimizer", "optimizer_from_state",
           "optimizer_state", "sample_batch", "window_loss"]


@dataclass(frozen=True)
class StepRecord:
    """One evaluation during training (the ``history_`` of a fit)."""

    step: int  # optimizer steps done
    loss: float  # mean training loss over the steps since the previous record
    learning_rate: float  # at the last of those steps
    val_loss: float | None  # mean next-token loss on the held-out slice; None without one
    val_perplexity: float | None  # exp(val_loss)
    seconds: float  # wall time since the previous record

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def learning_rate_at(step: int, *, total: int, warmup: int, peak: float,
                     min_ratio: float) -> float:
    """Step 0-based: (step+1)/warmup of the peak while warming up, then a half cosine from
    the peak down to ``min_ratio`` x peak at the last step."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - 1 - warmup)
    return peak * (min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def sample_batch(ids: np.ndarray, end: int, context: int, batch_size: int,
                 rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y), each (B, context) int64: windows starting uniformly in ids[:end - context],
    y shifted by one token."""
    starts = rng.integers(0, end - context, size=batch_size)
    rows = np.stack([np.asarray(ids[s:s + context + 1], dtype=np.int64) for s in starts])
    block = torch.from_numpy(rows)
    return block[:, :-1], block[:, 1:]


@torch.no_grad()
def window_loss(net: nn.Module, ids: np.ndarray, context: int, batch_size: int,
                device: torch.device) -> tuple[float, int]:
    """(summed loss, tokens predicted) over ``ids`` cut into windows of ``context + 1`` that
    overlap by one token: every token after the first is predicted once, from the tokens
    before it in its window (at most ``context``)."""
    was_training = net.training
    net.eval()
    starts = list(range(0, max(1, len(ids) - 1), context))
    total, count = 0.0, 0
    for i in range(0, len(starts), batch_size):
        chunk = [np.asarray(ids[s:s + context + 1], dtype=np.int64) for s in starts[i:i + batch_size]]
        chunk = [c for c in chunk if len(c) > 1]
        width = max(len(c) for c in chunk) if chunk else 0
        if not width:
            break
        block = np.full((len(chunk), width), -100, dtype=np.int64)  # -100: ignored target
        for row, c in enumerate(chunk):
            block[row, :len(c)] = c
        x = torch.from_numpy(block[:, :-1]).clamp(min=0).to(device)
        y = torch.from_numpy(block[:, 1:]).to(device)
        logits = net(x)  # (B, T, V); padded positions come after the real ones: causal
        total += float(F.cross_entropy(logits.flatten(0, 1).float(), y.flatten(),
                                       ignore_index=-100, reduction="sum"))
        count += int((y != -100).sum())
    net.train(was_training)
    return total, count


@torch.no_grad()
def copy_vectors(table: torch.Tensor, vocab: Vocab, store: Any) -> tuple[int, float]:
    """Copy the vectors of ``store`` (a ``VectorStore`` of ``table``'s width) into the rows of
    ``table`` (V, D) whose token (special tokens excepted) it holds, all scaled by one factor
    so that the copied block's root mean square per coordinate is ``INIT_STD`` (0.02, the
    random rows' std). Returns (rows copied, the factor); ``ConfigError`` when no token is
    found or the found vectors are all zero."""
    width = int(table.shape[1])
    if store.dim != width:
        raise ConfigError(f"init_vectors has dimension {store.dim}, the token table {width}")
    first = len(vocab.specials)
    rows = [i for i in range(first, len(vocab)) if vocab.token(i) in store]
    if not rows:
        raise ConfigError(f"init_vectors holds none of the model's {len(vocab) - first:,} "
                          f"tokens (e.g. {vocab.tokens[first:first + 3]}): nothing to copy")
    block = np.asarray(store.lookup([vocab.token(i) for i in rows]), dtype=np.float64)  # (k, D)
    rms = float(np.sqrt(np.mean(block ** 2)))
    if not math.isfinite(rms) or rms == 0.0:
        raise ConfigError(f"init_vectors: the {len(rows):,} vectors found have root mean "
                          f"square {rms}; cannot scale them to the init's std {INIT_STD}")
    scale = INIT_STD / rms
    index = torch.tensor(rows, dtype=torch.long, device=table.device)
    table[index] = torch.from_numpy(block * scale).to(table.device, table.dtype)
    return len(rows), scale


def make_optimizer(net: nn.Module, *, learning_rate: float, weight_decay: float,
                   betas: tuple[float, float]) -> torch.optim.AdamW:
    """AdamW; matrices (token and position tables, linear weights) decay, biases and
    LayerNorm weights do not."""
    decay = [p for p in net.parameters() if p.ndim >= 2]
    rest = [p for p in net.parameters() if p.ndim < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": rest, "weight_decay": 0.0}],
                             lr=learning_rate, betas=betas)


def optimizer_state(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors ``optim.{param}.{name}``, JSON-able param groups) of ``opt.state_dict()``."""
    state = opt.state_dict()
    tensors = {f"optim.{i}.{name}": t.detach().to("cpu").contiguous()
               for i, entry in state["state"].items() for name, t in entry.items()}
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()}
              for g in state["param_groups"]]
    return tensors, {"param_groups": groups}


def optimizer_from_state(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                         doc: Any, where: str) -> None:
    """Load what :func:`optimizer_state` saved into ``opt`` (built over the same model)."""
    try:
        groups = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()}
                  for g in doc["param_groups"]]
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, t in tensors.items():
            if key.startswith("optim."):
                _, i, name = key.split(".", 2)
                state.setdefault(int(i), {})[name] = t
        opt.load_state_dict({"state": state, "param_groups": groups})
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise FormatError(f"{where}: the optimizer state does not fit the model "
                          f"({type(exc).__name__}: {str(exc)[:200]})") from None
