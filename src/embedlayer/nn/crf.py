"""`CRF`: a linear-chain conditional random field over per-token tag scores.

What it holds: the module that scores whole tag sequences, ``score(y) = start[y_1] +
sum_t emissions[t, y_t] + sum_t transitions[y_{t-1}, y_t] + end[y_T]``, with the log of the
partition function by the forward algorithm in log space (``log_partition``), the negative
log-likelihood of gold sequences (``neg_log_likelihood``, the training loss) and the best
sequence by Viterbi (``decode``). Optional constraints forbid transitions (and first or last
tags): a forbidden move costs ``FORBIDDEN`` (-10,000) in training and decoding alike, so the
likelihood is that of the constrained model and Viterbi never picks one while an allowed path
exists; the learned scores of forbidden moves get no gradient.

Shapes: ``emissions`` (B, T, K) float, ``mask`` (B, T) bool with True at real tokens, every row
a prefix of True (left-aligned) of length >= 1, ``tags`` (B, T) int64. Padded steps change
nothing: the forward variables and back-pointers are carried through them unchanged.
What it leaves out: where the tag set and its constraints come from (``tasks.tagschemes``)
and the network that produces the emissions (``tasks.tag``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from embedlayer.errors import ConfigError

__all__ = ["CRF", "FORBIDDEN"]

FORBIDDEN = -10_000.0  # added to the score of a forbidden move (AllenNLP's constant)


def _bool_tensor(value: Any, shape: tuple[int, ...], name: str) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.bool)
    if tuple(t.shape) != shape:
        raise ConfigError(f"CRF: {name} must have shape {shape}, got {tuple(t.shape)}")
    return t


class CRF(nn.Module):
    """A linear-chain CRF over ``num_tags`` tags.

    ``allowed`` (K, K) bool: ``allowed[i, j]`` says tag j may follow tag i; ``allowed_start``
    and ``allowed_end`` (K,) say which tags may begin and end a sequence (None: all). The
    learned transition, start and end scores start uniform in [-0.1, 0.1], drawn from torch's
    generator (seed it for repeatable weights).
    """

    def __init__(
        self, num_tags: int, *, allowed: Any = None, allowed_start: Any = None,
        allowed_end: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ConfigError(f"CRF: num_tags must be an int >= 1, got {num_tags!r}")
        k = num_tags
        self.num_tags = k
        self.transitions = nn.Parameter(torch.empty(k, k).uniform_(-0.1, 0.1))  # (from, to)
        self.start = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))
        self.end = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))
        ok = torch.ones(k, k, dtype=torch.bool) if allowed is None else \
            _bool_tensor(allowed, (k, k), "allowed")
        ok_start = torch.ones(k, dtype=torch.bool) if allowed_start is None else \
            _bool_tensor(allowed_start, (k,), "allowed_start")
        ok_end = torch.ones(k, dtype=torch.bool) if allowed_end is None else \
            _bool_tensor(allowed_end, (k,), "allowed_end")
        if not bool(ok_start.any()) or not bool(ok_end.any()):
            raise ConfigError("CRF: the constraints allow no tag to start or to end a sequence")
        # Saved with the weights (buffers), so a loaded model decodes under the same rules.
        self.register_buffer("allowed", ok)
        self.register_buffer("allowed_start", ok_start)
        self.register_buffer("allowed_end", ok_end)

    # --- the effective scores ------------------------------------------------------------
    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(transitions (K, K), start (K,), end (K,)) with the constraints applied."""
        forbidden = torch.tensor(FORBIDDEN, dtype=self.transitions.dtype,
                                 device=self.transitions.device)
        return (torch.where(self.allowed, self.transitions, forbidden),
                torch.where(self.allowed_start, self.start, forbidden),
                torch.where(self.allowed_end, self.end, forbidden))

    def _check(self, emissions: torch.Tensor, mask: torch.Tensor) -> None:
        if emissions.dim() != 3 or emissions.shape[2] != self.num_tags:
            raise ConfigError(f"CRF: emissions must be (B, T, {self.num_tags}), got "
                              f"{tuple(emissions.shape)}")
        if tuple(mask.shape) != tuple(emissions.shape[:2]) or mask.dtype != torch.bool:
            raise ConfigError(f"CRF: mask must be a bool tensor of shape "
                              f"{tuple(emissions.shape[:2])}, got {mask.dtype} "
                              f"{tuple(mask.shape)}")
        if emissions.shape[1] == 0 or not bool(mask[:, 0].all()):
            raise ConfigError("CRF: every sequence needs at least one real step, at position 0 "
                              "(mask[:, 0] all True)")

    # --- training --------------------------------------------------------------------------
    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B,) log of the sum over all tag sequences of exp(score): the forward algorithm."""
        self._check(emissions, mask)
        trans, start, end = self._scores()
        alpha = start + emissions[:, 0]  # (B, K): log-sum of the paths ending in each tag
        for t in range(1, emissions.shape[1]):
            # (B, K_from, 1) + (K_from, K_to) -> sum out K_from
            step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def score(self, emissions: torch.Tensor, tags: torch.Tensor,
              mask: torch.Tensor) -> torch.Tensor:
        """(B,) the score of the tag sequences ``tags`` (padded steps ignored)."""
        self._check(emissions, mask)
        if tuple(tags.shape) != tuple(mask.shape):
            raise ConfigError(f"CRF: tags must have shape {tuple(mask.shape)}, got "
                              f"{tuple(tags.shape)}")
        trans, start, end = self._scores()
        tags = tags.masked_fill(~mask, 0)  # any valid index; those steps are masked out below
        m = mask.to(emissions.dtype)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        total = start[tags[:, 0]] + (emit * m).sum(dim=1)
        if tags.shape[1] > 1:
            moves = trans[tags[:, :-1], tags[:, 1:]]  # (B, T - 1)
            total = total + (moves * m[:, 1:]).sum(dim=1)
        last = tags.gather(1, (mask.sum(dim=1, keepdim=True) - 1)).squeeze(1)  # (B,)
        return total + end[last]

    def neg_log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor,
                           mask: torch.Tensor) -> torch.Tensor:
        """(B,) ``log_partition - score``: minus the log-probability of each gold sequence."""
        return self.log_partition(emissions, mask) - self.score(emissions, tags, mask)

    # --- decoding --------------------------------------------------------------------------
    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T) int64: each row's highest-scoring tag sequence (Viterbi); -1 on padded steps.

        Ties go to the lower tag id (``max`` keeps the first maximum).
        """
        self._check(emissions, mask)
        trans, start, end = self._scores()
        b, steps, k = emissions.shape
        best = start + emissions[:, 0]  # (B, K): the best path's score ending in each tag
        keep = torch.arange(k, device=emissions.device).expand(b, k)
        pointers = []
        for t in range(1, steps):
            scores, came_from = (best.unsqueeze(2) + trans).max(dim=1)  # (B, K_to)
            real = mask[:, t].unsqueeze(1)
            best = torch.where(real, scores + emissions[:, t], best)
            pointers.append(torch.where(real, came_from, keep))  # padded: stay on the tag
        last = (best + end).argmax(dim=1)  # (B,)
        out = torch.empty(b, steps, dtype=torch.int64, device=emissions.device)
        out[:, steps - 1] = last
        for t in range(steps - 1, 0, -1):
            last = pointers[t - 1].gather(1, last.unsqueeze(1)).squeeze(1)
            out[:, t - 1] = last
        return out.masked_fill(~mask, -1)

    def extra_repr(self) -> str:
        forbidden = int((~self.allowed).sum())
        return f"{self.num_tags} tags" + (f", {forbidden} forbidden transitions"
                                          if forbidden else "")
