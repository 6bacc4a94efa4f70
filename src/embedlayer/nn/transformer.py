"""`CausalTransformer`: a small decoder-only transformer over an ``EmbeddingLayer``.

What it holds: the network of the causal language model (``tasks.lm``): token ids (B, T) ->
``EmbeddingLayer`` -> a positional choice (none, sinusoidal, learned, rotary) -> pre-norm
blocks (LayerNorm -> causal self-attention through torch's ``scaled_dot_product_attention``
-> residual; LayerNorm -> MLP 4x with tanh-GELU -> residual) -> final LayerNorm -> logits
(B, T, V) from an output head tied to the token table (``TiedOutputProjection``, no bias) or
its own matrix. With learned positions and a tied head it is exactly GPT-2 (Radford et al.
2019), module names included, so :func:`to_gpt2_tensors` / :func:`from_gpt2_tensors` only
rename nothing and transpose the four linear maps into GPT-2's ``Conv1D`` (in, out) layout.
Rotary positions rotate queries and keys inside attention (``RotaryEmbedding``; past the
training context, ``rope_scaling = "ntk"`` stretches their frequencies); sinusoidal
and learned ones are added to the token vectors (the sinusoidal table scaled to RMS 0.02 per
coordinate, the scale the token and learned tables start at). Weights start as GPT-2's: N(0, 0.02), the
residual projections scaled by 1/sqrt(2 * layers), from a generator seeded by ``seed``.
What it leaves out: tokenizing, training, generation and files (``tasks.lm``); no KV cache
(every step reruns the window: fine for the small models this is for).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from embedlayer.errors import ConfigError
from embedlayer.nn.embedding import EmbeddingLayer
from embedlayer.nn.positional import (
    LearnedPositionalEncoding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
)
from embedlayer.nn.tying import TiedOutputProjection
from embedlayer.vocab import Vocab

__all__ = ["CONV1D_WEIGHTS", "INIT_STD", "POSITION_KINDS", "ROPE_SCALINGS", "CausalTransformer",
           "PositionKind", "RopeScaling", "TransformerConfig", "from_gpt2_tensors",
           "to_gpt2_tensors"]

PositionKind = Literal["none", "sinusoidal", "learned", "rotary"]
POSITION_KINDS: tuple[str, ...] = ("none", "sinusoidal", "learned", "rotary")
RopeScaling = Literal["none", "ntk"]
ROPE_SCALINGS: tuple[str, ...] = ("none", "ntk")
# Linear weights that GPT-2 stores as Conv1D (in, out); nn.Linear holds (out, in).
INIT_STD = 0.02  # std of the initial weights (GPT-2's initializer_range)
CONV1D_WEIGHTS = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight",
                  "mlp.c_proj.weight")


@dataclass(frozen=True)
class TransformerConfig:
    """The shape of a ``CausalTransformer`` (the vocabulary gives the number of rows)."""

    context: int = 128  # longest window in tokens (GPT-2's n_positions)
    dim: int = 128  # model width (n_embd); a multiple of heads
    layers: int = 2  # transformer blocks (n_layer)
    heads: int = 4  # attention heads (n_head)
    positions: PositionKind = "learned"  # learned + tied = GPT-2
    tied: bool = True  # output head = the token table (no bias)
    dropout: float = 0.0  # on embeddings, attention weights and residual branches
    layer_norm_epsilon: float = 1e-5  # GPT-2's
    rope_base: float = 10000.0  # rotary positions' base
    seed: int = 0  # initial weights

    def check(self) -> TransformerConfig:
        def is_int(v: object) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        for name in ("context", "dim", "layers", "heads"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise ConfigError(f"TransformerConfig: {name} must be an int >= 1, got "
                                  f"{getattr(self, name)!r}")
        if self.dim % self.heads:
            raise ConfigError(f"TransformerConfig: dim ({self.dim}) must be a multiple of heads "
                              f"({self.heads})")
        if self.positions not in POSITION_KINDS:
            raise ConfigError(f"TransformerConfig: positions must be one of "
                              f"{', '.join(POSITION_KINDS)}, got {self.positions!r}")
        if self.positions == "rotary" and (self.dim // self.heads) % 2:
            raise ConfigError(f"TransformerConfig: rotary positions need an even head size, "
                              f"got dim / heads = {self.dim // self.heads}")
        if not isinstance(self.tied, bool):
            raise ConfigError(f"TransformerConfig: tied must be True or False, got {self.tied!r}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, int | float) \
                or not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"TransformerConfig: dropout must be in [0, 1), got "
                              f"{self.dropout!r}")
        for name, low in (("layer_norm_epsilon", 0.0), ("rope_base", 1.0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > low \
                    or not math.isfinite(v):
                raise ConfigError(f"TransformerConfig: {name} must be a number > {low:g}, "
                                  f"got {v!r}")
        if not is_int(self.seed) or self.seed < 0:
            raise ConfigError(f"TransformerConfig: seed must be an int >= 0, got {self.seed!r}")
        return self

    @property
    def gpt2_compatible(self) -> bool:
        """True when transformers' GPT2LMHeadModel computes the same function."""
        return self.positions == "learned" and self.tied


class CausalSelfAttention(nn.Module):
    """x (B, T, D) -> (B, T, D): multi-head attention where position t sees 0..t only."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.heads = config.heads
        self.dropout = float(config.dropout)
        self.c_attn = nn.Linear(config.dim, 3 * config.dim)  # q, k, v at once
        self.c_proj = nn.Linear(config.dim, config.dim)
        self.resid_drop = nn.Dropout(config.dropout)
        self.rotary = (RotaryEmbedding(config.dim // config.heads, config.rope_base)
                       if config.positions == "rotary" else None)
        self.context = config.context
        self.rope_scaling = "none"  # "ntk": stretch the frequencies past the context

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)  # each (B, T, D)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for z in (q, k, v))  # (B, nh, T, hs)
        if self.rotary is not None:
            scale = t / self.context if self.rope_scaling == "ntk" and t > self.context else 1
            q, k = self.rotary(q, scale=scale), self.rotary(k, scale=scale)  # positions 0..T-1
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).contiguous().view(b, t, d)  # heads side by side again
        return self.resid_drop(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.dim, 4 * config.dim)
        self.c_proj = nn.Linear(4 * config.dim, config.dim)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # GPT-2's gelu_new is GELU's tanh approximation.
        return self.drop(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    """Pre-norm: x + attn(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.dim, eps=config.layer_norm_epsilon)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.dim, eps=config.layer_norm_epsilon)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Backbone(nn.Module):
    """GPT-2's ``transformer``: wte, wpe, drop, h, ln_f."""

    def __init__(self, vocab: Vocab, config: TransformerConfig) -> None:
        super().__init__()
        self.wte = EmbeddingLayer(vocab, config.dim, oov_init="zeros", padding_idx=None)
        if config.positions == "learned":
            self.wpe: nn.Module | None = LearnedPositionalEncoding(config.context, config.dim)
        elif config.positions == "sinusoidal":
            # scaled to the token table's starting RMS per coordinate (INIT_STD), as the
            # learned table starts; unscaled, the [-1, 1] waves drown the 0.02-std tokens
            self.wpe = SinusoidalPositionalEncoding(config.dim, config.context,
                                                    scale=INIT_STD * math.sqrt(2.0))
        else:
            self.wpe = None  # none, or rotary (inside attention)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.ln_f = nn.LayerNorm(config.dim, eps=config.layer_norm_epsilon)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.wte(ids)  # (B, T, D)
        if self.wpe is not None:
            x = self.wpe(x)  # learned: ConfigError past its max_len rows
        x = self.drop(x)
        for block in self.h:
            x = block(x)
        return self.ln_f(x)


class CausalTransformer(nn.Module):
    """ids (B, T) int64 -> next-token logits (B, T, V); see the module docstring.

    State-dict names are GPT-2's (``transformer.wte.weight`` ...), except that an untied
    head is ``head.weight`` here and ``lm_head.weight`` in :func:`to_gpt2_tensors`.
    """

    def __init__(self, vocab: Vocab, config: TransformerConfig | None = None) -> None:
        super().__init__()
        if not isinstance(vocab, Vocab):
            raise ConfigError(f"CausalTransformer: vocab must be a Vocab, got "
                              f"{type(vocab).__name__}")
        self.config = (config or TransformerConfig()).check()
        self.transformer = Backbone(vocab, self.config)
        if self.config.tied:
            # Shares wte's Parameter (not a copy); holds no tensor of its own (no bias).
            self.head: nn.Module = TiedOutputProjection(self.transformer.wte, bias=False)
        else:
            self.head = nn.Linear(self.config.dim, len(vocab), bias=False)
        self._init_weights()

    @property
    def vocab(self) -> Vocab:
        return self.transformer.wte.vocab

    @property
    def rope_scaling(self) -> str:
        """How rotary positions treat a window longer than ``config.context``: "none" (the
        trained frequencies, angles never seen in training) or "ntk" (NTK-aware scaling:
        the frequencies stretched by window / context, see ``RotaryEmbedding.inv_freq_for``).
        A setting of the running model, not saved; windows up to the context are unchanged."""
        return self.transformer.h[0].attn.rope_scaling

    @rope_scaling.setter
    def rope_scaling(self, mode: str) -> None:
        if mode not in ROPE_SCALINGS:
            raise ConfigError(f"rope_scaling must be one of {', '.join(ROPE_SCALINGS)}, got "
                              f"{mode!r}")
        if mode != "none" and self.config.positions != "rotary":
            raise ConfigError(f"rope_scaling {mode!r} needs rotary positions; this model has "
                              f"{self.config.positions!r} positions")
        for block in self.transformer.h:
            block.attn.rope_scaling = mode

    @torch.no_grad()
    def _init_weights(self) -> None:
        gen = torch.Generator().manual_seed(self.config.seed)
        residual_std = INIT_STD / math.sqrt(2 * self.config.layers)
        for name, p in self.named_parameters():
            if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")):
                p.fill_(1.0)
            elif p.ndim == 1:
                p.zero_()
            else:
                std = residual_std if name.endswith("c_proj.weight") else INIT_STD
                p.copy_(torch.randn(p.shape, generator=gen) * std)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dim() != 2:
            raise ConfigError(f"CausalTransformer: expected ids of shape (B, T), got "
                              f"{tuple(ids.shape)}")
        return self.head(self.transformer(ids))  # (B, T, V)


def to_gpt2_tensors(model: CausalTransformer) -> dict[str, torch.Tensor]:
    """The weights under GPT-2's names and layouts (Conv1D weights as (in, out)), on the CPU,
    contiguous: ready for safetensors. A tied head adds no tensor; an untied one is
    ``lm_head.weight``."""
    out = {}
    for name, t in model.state_dict().items():
        t = t.detach().to("cpu")
        name = "lm_head.weight" if name == "head.weight" else name
        if name.endswith(CONV1D_WEIGHTS):
            t = t.t()
        out[name] = t.contiguous()
    return out


def from_gpt2_tensors(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """GPT-2-layout tensors -> this module's state dict (the inverse of ``to_gpt2_tensors``)."""
    return {("head.weight" if name == "lm_head.weight" else name):
            (t.t().contiguous() if name.endswith(CONV1D_WEIGHTS) else t)
            for name, t in tensors.items()}
