"""Positional encodings: where a token sits, added to (or rotated into) its embedding.

What it holds: three composable modules for the front end of a transformer, applied after an
``EmbeddingLayer``: ``SinusoidalPositionalEncoding`` (Vaswani et al. 2017, fixed, any length),
``LearnedPositionalEncoding`` (a trained absolute table, as BERT and GPT-2) and
``RotaryEmbedding`` (RoPE, Su et al. 2021: rotates query and key vectors so that their dot
product depends on the relative position only). What it leaves out: attention itself.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from embedlayer.errors import ConfigError

__all__ = ["LearnedPositionalEncoding", "RotaryEmbedding", "SinusoidalPositionalEncoding",
           "sinusoidal_table"]


def _check_int(owner: str, name: str, value: object, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{owner}: {name} must be an int >= {low}, got {value!r}")
    return value


def _check_dropout(owner: str, p: object) -> float:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p < 1.0:
        raise ConfigError(f"{owner}: dropout must be a float in [0, 1), got {p!r}")
    return float(p)


def _check_input(owner: str, x: object, dim: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != dim:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ConfigError(f"{owner}: expected x of shape (B, T, {dim}), got {shape}")
    return x


def sinusoidal_table(length: int, dim: int, *, base: float = 10000.0) -> torch.Tensor:
    """(length, dim) float32: PE[pos, 2i] = sin(pos / base^(2i/dim)), PE[pos, 2i+1] = cos(same).

    Computed in float64 and rounded once, so far positions keep their precision. An odd ``dim``
    ends with a sine column.
    """
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)  # (L, 1)
    two_i = torch.arange(0, dim, 2, dtype=torch.float64)  # (ceil(D/2),)
    angle = pos / base ** (two_i / dim)  # (L, ceil(D/2))
    table = torch.empty((length, dim), dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle[:, : dim // 2])
    return table.float()


class SinusoidalPositionalEncoding(nn.Module):
    """x (B, T, D) -> dropout(x + PE[offset : offset + T]), the fixed sine/cosine encoding.

    ``max_len`` is the length of the table built up front; longer inputs extend it (the
    formula has no limit). ``offset`` shifts the positions (decoding one step at a time).
    ``scale`` multiplies the table (1: values in [-1, 1], as Vaswani et al., whose token
    vectors are scaled up by sqrt(D) to match; a model whose token vectors start small, as
    GPT-2's at std 0.02, needs the table scaled down instead, or positions drown the tokens).
    """

    def __init__(self, dim: int, max_len: int = 4096, dropout: float = 0.0,
                 scale: float = 1.0) -> None:
        super().__init__()
        self.dim = _check_int("SinusoidalPositionalEncoding", "dim", dim, low=1)
        self.max_len = _check_int("SinusoidalPositionalEncoding", "max_len", max_len, low=1)
        self.drop = nn.Dropout(_check_dropout("SinusoidalPositionalEncoding", dropout))
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0 \
                or not math.isfinite(scale):
            raise ConfigError(f"SinusoidalPositionalEncoding: scale must be a finite number > "
                              f"0, got {scale!r}")
        self.scale = float(scale)
        # Not saved with the weights: it is a function of (max_len, dim), rebuilt on load.
        self.register_buffer("pe", sinusoidal_table(max_len, dim) * self.scale,
                             persistent=False)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        x = _check_input("SinusoidalPositionalEncoding", x, self.dim)
        offset = _check_int("SinusoidalPositionalEncoding", "offset", offset, low=0)
        end = offset + x.shape[1]
        if end > self.pe.shape[0]:
            self.pe = (sinusoidal_table(max(end, 2 * self.pe.shape[0]), self.dim)
                       * self.scale).to(self.pe.device)
        return self.drop(x + self.pe[offset:end].to(x.dtype))

    def extra_repr(self) -> str:
        scale = "" if self.scale == 1.0 else f", scale={self.scale:g}"
        return f"dim={self.dim}, max_len={self.max_len}{scale}"


class LearnedPositionalEncoding(nn.Module):
    """x (B, T, D) -> dropout(x + P[offset : offset + T]), with P a trained (max_len, D) table.

    Rows start as N(0, init_std^2) (0.02: GPT-2, BERT) from a generator seeded with ``seed``.
    Positions at or past ``max_len`` have no row: ``ConfigError``.
    """

    def __init__(self, max_len: int, dim: int, *, dropout: float = 0.0, init_std: float = 0.02,
                 seed: int = 0) -> None:
        super().__init__()
        owner = "LearnedPositionalEncoding"
        self.max_len = _check_int(owner, "max_len", max_len, low=1)
        self.dim = _check_int(owner, "dim", dim, low=1)
        if isinstance(init_std, bool) or not isinstance(init_std, int | float) or init_std < 0:
            raise ConfigError(f"{owner}: init_std must be a number >= 0, got {init_std!r}")
        seed = _check_int(owner, "seed", seed, low=0)
        self.drop = nn.Dropout(_check_dropout(owner, dropout))
        gen = torch.Generator().manual_seed(seed)
        self.weight = nn.Parameter(torch.randn((max_len, dim), generator=gen) * init_std)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        x = _check_input("LearnedPositionalEncoding", x, self.dim)
        offset = _check_int("LearnedPositionalEncoding", "offset", offset, low=0)
        end = offset + x.shape[1]
        if end > self.max_len:
            raise ConfigError(f"LearnedPositionalEncoding: positions up to {end - 1} asked for, "
                              f"but the table has max_len={self.max_len} rows (0..{self.max_len - 1});"
                              f" truncate the input or build it with a larger max_len")
        return self.drop(x + self.weight[offset:end])

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, dim={self.dim}"


class RotaryEmbedding(nn.Module):
    """RoPE: rotates each pair (x[2i], x[2i+1]) of a query or key by angle pos * base^(-2i/d).

    Pairs are adjacent coordinates, as in the RoFormer paper (not the "half" layout of some
    checkpoints). Because a rotation by m then the transpose of one by n is a rotation by m - n,
    ``rotate(q, m) . rotate(k, n)`` depends only on m - n. No parameters.
    """

    def __init__(self, head_dim: int, base: float = 10000.0) -> None:
        super().__init__()
        self.head_dim = _check_int("RotaryEmbedding", "head_dim", head_dim, low=2)
        if head_dim % 2:
            raise ConfigError(f"RotaryEmbedding: head_dim must be even (coordinates are rotated "
                              f"in pairs), got {head_dim}")
        if isinstance(base, bool) or not isinstance(base, int | float) or base <= 1:
            raise ConfigError(f"RotaryEmbedding: base must be a number > 1, got {base!r}")
        self.base = float(base)
        inv_freq = self.base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
        self.register_buffer("inv_freq", inv_freq.float(), persistent=False)  # (head_dim / 2,)

    def inv_freq_for(self, scale: float = 1.0) -> torch.Tensor:
        """The rotation frequencies (head_dim / 2,) stretched for windows ``scale`` times the
        trained length by NTK-aware scaling (bloc97 2023; transformers' ``rope_scaling``
        "dynamic"): the base becomes ``base * scale ** (d / (d - 2))``, so the slowest pair
        turns ``scale`` times slower (its angles stay within those seen in training) while
        the fastest, which tell neighbours apart, stay almost as they were. ``scale`` 1: the
        trained frequencies."""
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale >= 1 \
                or not math.isfinite(scale):
            raise ConfigError(f"RotaryEmbedding: scale must be a finite number >= 1, got "
                              f"{scale!r}")
        if scale == 1:
            return self.inv_freq
        d = self.head_dim
        base = self.base * scale ** (d / (d - 2)) if d > 2 else self.base * scale
        return (base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)).float().to(
            self.inv_freq.device)

    def rotate(self, x: torch.Tensor, positions: torch.Tensor | None = None, *,
               scale: float = 1.0) -> torch.Tensor:
        """x (..., T, head_dim) rotated by position; ``positions`` (T,) or broadcastable to
        (..., T), default 0..T-1; ``scale`` > 1: NTK-aware frequencies for a window that
        many times the trained length (:meth:`inv_freq_for`). Returns a tensor of x's shape
        and dtype."""
        if not isinstance(x, torch.Tensor) or x.dim() < 2 or x.shape[-1] != self.head_dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ConfigError(f"RotaryEmbedding: expected x of shape (..., T, {self.head_dim}), "
                              f"got {shape}")
        if positions is None:
            positions = torch.arange(x.shape[-2], device=x.device)
        elif not isinstance(positions, torch.Tensor):
            positions = torch.as_tensor(positions, device=x.device)
        inv_freq = self.inv_freq_for(scale)
        angle = positions.to(torch.float32).unsqueeze(-1) * inv_freq  # (..., T, head_dim/2)
        cos, sin = torch.cos(angle), torch.sin(angle)
        pairs = x.float().unflatten(-1, (self.head_dim // 2, 2))  # (..., T, head_dim/2, 2)
        even, odd = pairs[..., 0], pairs[..., 1]
        out = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
        return out.flatten(-2).to(x.dtype)

    def forward(self, x: torch.Tensor, positions: torch.Tensor | None = None, *,
                scale: float = 1.0) -> torch.Tensor:
        return self.rotate(x, positions, scale=scale)

    def extra_repr(self) -> str:
        return f"head_dim={self.head_dim}, base={self.base:g}"
