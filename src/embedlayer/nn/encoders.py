"""Sequence encoders: embedded tokens (B, T, D) and their mask (B, T) -> one vector per text (B, H).

What it holds: five encoders for text classification, each with a frozen config dataclass
that is saved next to the weights:

- ``lstm``: the project's founding example, ``LSTM(64)`` over the embeddings; the state after
  the last real token (packed sequences, so padding is never read).
- ``bilstm``: a bidirectional LSTM and a max over the real time steps (Conneau et al. 2017).
- ``cnn``: Kim (2014): filters of widths 3/4/5, 100 maps each, ReLU, max over time, dropout.
  The convolution is "wide" (a text shorter than a filter still yields its windows, zero
  padded), and windows made only of padding are left out of the max.
- ``bag``: fastText's bag of embeddings: the masked mean of the word vectors, optionally with
  word bigrams hashed into extra buckets of their own embedding table (Joulin et al. 2017).
- ``transformer``: the pooling that sits on a transformer's contextual vectors (mean over the
  real tokens, the first token's vector, or a max), then dropout. Its config also names the
  checkpoint and the layers that ``embedlayer.contextual.ContextualEmbedding`` reads; the
  transformer itself is the embedding layer's side, not this module's.

:func:`pool` is the masked pooling itself (mean / cls / max), shared with ``contextual``.

Every encoder takes ``(x, mask, ids)``: ``x`` the output of the embedding layer, ``mask``
True at real tokens, ``ids`` the token ids (only ``bag`` reads them, to hash bigrams). Padded
positions never change the output. What it leaves out: the embedding layer
(``nn/embedding.py``), the output layer, losses and training (``embedlayer.tasks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from embedlayer.errors import ConfigError

__all__ = [
    "ENCODER_KINDS",
    "BagConfig",
    "BagEncoder",
    "BiLSTMConfig",
    "BiLSTMEncoder",
    "CNNConfig",
    "CNNEncoder",
    "EncoderConfig",
    "EncoderKind",
    "LSTMConfig",
    "LSTMEncoder",
    "PoolingEncoder",
    "TransformerConfig",
    "build_encoder",
    "encoder_config",
    "encoder_config_dict",
    "pool",
]

EncoderKind = Literal["lstm", "bilstm", "cnn", "bag", "transformer"]
ENCODER_KINDS: tuple[str, ...] = ("lstm", "bilstm", "cnn", "bag", "transformer")
Pooling = Literal["mean", "cls", "max"]
POOLINGS: tuple[str, ...] = ("mean", "cls", "max")
LAYER_MODES: tuple[str, ...] = ("last", "mix")
# fastText's multiplier for combining two hashes into a word n-gram id (dictionary.cc).
_BIGRAM_PRIME = 116_049_371


@dataclass(frozen=True)
class LSTMConfig:
    """The founding example's encoder: one LSTM, its state after the last real token."""

    hidden: int = 64  # LSTM units (Keras LSTM(64))
    dropout: float = 0.0  # dropout on the final state, before the output layer


@dataclass(frozen=True)
class BiLSTMConfig:
    """A bidirectional LSTM with max pooling over the real time steps."""

    hidden: int = 128  # units per direction; the text vector has 2 * hidden
    dropout: float = 0.5  # dropout on the pooled vector


@dataclass(frozen=True)
class CNNConfig:
    """Kim (2014)'s convolutional encoder."""

    widths: tuple[int, ...] = (3, 4, 5)  # filter widths in tokens
    maps: int = 100  # feature maps per width; the text vector has maps * len(widths)
    dropout: float = 0.5  # dropout on the pooled vector


@dataclass(frozen=True)
class BagConfig:
    """fastText's bag of embeddings: the mean of word (and bigram) vectors."""

    bigrams: bool = False  # add hashed word bigrams to the bag
    # Rows of the bigram table; the name is fastText's and gensim's (fastText uses 2M; the
    # collisions of a smaller table are benign).
    bucket: int = 100_000
    dropout: float = 0.0  # dropout on the mean vector


@dataclass(frozen=True)
class TransformerConfig:
    """A transformer checkpoint read as contextual token vectors, pooled into one per text."""

    # The checkpoint the weights start from: a folder, or a name shipped in an installed
    # package (``embedlayer.contextual.KNOWN_CHECKPOINTS``). Recorded only once trained: a
    # saved classifier carries its own fine-tuned copy.
    checkpoint: str = "all-MiniLM-L6-v2"
    layers: Literal["last", "mix"] = "last"  # the last layer, or a learned scalar mix of all
    pooling: Literal["mean", "cls", "max"] = "mean"  # over the real tokens (padding masked)
    dropout: float = 0.1  # dropout on the pooled vector (BERT's classifier dropout)


EncoderConfig = LSTMConfig | BiLSTMConfig | CNNConfig | BagConfig | TransformerConfig
_CONFIGS: dict[str, type] = {"lstm": LSTMConfig, "bilstm": BiLSTMConfig, "cnn": CNNConfig,
                             "bag": BagConfig, "transformer": TransformerConfig}


def _check(cfg: EncoderConfig) -> EncoderConfig:
    name = type(cfg).__name__
    for key in ("hidden", "maps", "bucket"):
        value = getattr(cfg, key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name}: {key} must be an int >= 1, got {value!r}")
    if isinstance(cfg.dropout, bool) or not isinstance(cfg.dropout, int | float) \
            or not 0.0 <= cfg.dropout < 1.0:
        raise ConfigError(f"{name}: dropout must be a float in [0, 1), got {cfg.dropout!r}")
    if isinstance(cfg, CNNConfig) and (
            not cfg.widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1
                                  for w in cfg.widths)):
        raise ConfigError(f"CNNConfig: widths must be a non-empty tuple of ints >= 1, "
                          f"got {cfg.widths!r}")
    if isinstance(cfg, BagConfig) and not isinstance(cfg.bigrams, bool):
        raise ConfigError(f"BagConfig: bigrams must be True or False, got {cfg.bigrams!r}")
    if isinstance(cfg, TransformerConfig):
        if not isinstance(cfg.checkpoint, str) or not cfg.checkpoint:
            raise ConfigError(f"TransformerConfig: checkpoint must be a folder or a known name, "
                              f"got {cfg.checkpoint!r}")
        if cfg.layers not in LAYER_MODES:
            raise ConfigError(f"TransformerConfig: layers must be one of "
                              f"{', '.join(LAYER_MODES)}, got {cfg.layers!r}")
        if cfg.pooling not in POOLINGS:
            raise ConfigError(f"TransformerConfig: pooling must be one of "
                              f"{', '.join(POOLINGS)}, got {cfg.pooling!r}")
    return cfg


def encoder_config(kind: str, settings: Mapping[str, Any] | None = None) -> EncoderConfig:
    """The config of encoder ``kind`` with ``settings`` (field -> value) over its defaults."""
    if kind not in _CONFIGS:
        raise ConfigError(f"unknown encoder {kind!r}; expected one of {', '.join(ENCODER_KINDS)}")
    cls = _CONFIGS[kind]
    names = {f.name for f in fields(cls)}
    settings = dict(settings or {})
    unknown = sorted(set(settings) - names)
    if unknown:
        raise ConfigError(f"encoder {kind!r} has no setting {unknown[0]!r}; its settings are "
                          f"{sorted(names)}")
    if "widths" in settings and isinstance(settings["widths"], list):
        settings["widths"] = tuple(settings["widths"])  # JSON gives a list
    return _check(cls(**settings))


def encoder_config_dict(cfg: EncoderConfig) -> dict[str, Any]:
    """``{"kind": ..., <fields>}``: JSON values; ``encoder_config`` reads it back."""
    kind = next(k for k, c in _CONFIGS.items() if isinstance(cfg, c))
    data = asdict(cfg)
    if "widths" in data:
        data["widths"] = list(data["widths"])
    return {"kind": kind, **data}


def build_encoder(cfg: EncoderConfig, input_dim: int) -> nn.Module:
    """A fresh encoder module for ``input_dim``-dimensional embeddings; ``.out_dim`` is H."""
    _check(cfg)
    if isinstance(cfg, LSTMConfig):
        return LSTMEncoder(input_dim, cfg)
    if isinstance(cfg, BiLSTMConfig):
        return BiLSTMEncoder(input_dim, cfg)
    if isinstance(cfg, CNNConfig):
        return CNNEncoder(input_dim, cfg)
    if isinstance(cfg, BagConfig):
        return BagEncoder(input_dim, cfg)
    if isinstance(cfg, TransformerConfig):
        return PoolingEncoder(input_dim, cfg.pooling, cfg.dropout)
    raise ConfigError(f"not an encoder config: {cfg!r}")


def pool(x: torch.Tensor, mask: torch.Tensor, how: str = "mean") -> torch.Tensor:
    """(B, T, D) vectors and their (B, T) mask -> (B, D), padding never read.

    ``mean``: the mean over the real tokens (a row with none gives zeros); ``cls``: the first
    position's vector (BERT's [CLS]); ``max``: the element-wise max over the real tokens.
    """
    if how == "mean":
        m = mask.unsqueeze(-1).to(x.dtype)  # (B, T, 1)
        return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
    if how == "cls":
        return x[:, 0]
    if how == "max":
        filled = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values
        return torch.where(mask.any(dim=1, keepdim=True), filled, torch.zeros_like(filled))
    raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}, got {how!r}")


def _lengths(mask: torch.Tensor) -> torch.Tensor:
    # pack_padded_sequence wants int64 lengths on the CPU; an empty text reads one (zero) step.
    return mask.sum(dim=1).clamp(min=1).to("cpu", torch.int64)


class LSTMEncoder(nn.Module):
    """(B, T, D) -> (B, hidden): the LSTM state after each text's last real token."""

    def __init__(self, input_dim: int, cfg: LSTMConfig = LSTMConfig()) -> None:
        super().__init__()
        self.config = cfg
        self.lstm = nn.LSTM(input_dim, cfg.hidden, batch_first=True)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out_dim = cfg.hidden

    def forward(self, x: torch.Tensor, mask: torch.Tensor,
                ids: torch.Tensor | None = None) -> torch.Tensor:
        x = x * mask.unsqueeze(-1)
        packed = pack_padded_sequence(x, _lengths(mask), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)  # h: (1, B, hidden), in the batch's order
        return self.dropout(h[-1])


class BiLSTMEncoder(nn.Module):
    """(B, T, D) -> (B, 2 * hidden): max over real time steps of a bidirectional LSTM."""

    def __init__(self, input_dim: int, cfg: BiLSTMConfig = BiLSTMConfig()) -> None:
        super().__init__()
        self.config = cfg
        self.lstm = nn.LSTM(input_dim, cfg.hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out_dim = 2 * cfg.hidden

    def forward(self, x: torch.Tensor, mask: torch.Tensor,
                ids: torch.Tensor | None = None) -> torch.Tensor:
        x = x * mask.unsqueeze(-1)
        lengths = _lengths(mask)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)  # (B, T', 2H), T' = max length
        steps = torch.arange(out.shape[1], device=out.device)
        real = steps.unsqueeze(0) < lengths.to(out.device).unsqueeze(1)  # (B, T')
        out = out.masked_fill(~real.unsqueeze(-1), float("-inf"))
        return self.dropout(out.max(dim=1).values)


class CNNEncoder(nn.Module):
    """(B, T, D) -> (B, maps * len(widths)): wide convolutions, ReLU, max over time."""

    def __init__(self, input_dim: int, cfg: CNNConfig = CNNConfig()) -> None:
        super().__init__()
        self.config = cfg
        self.convs = nn.ModuleList(
            nn.Conv1d(input_dim, cfg.maps, w, padding=w - 1) for w in cfg.widths)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out_dim = cfg.maps * len(cfg.widths)

    def forward(self, x: torch.Tensor, mask: torch.Tensor,
                ids: torch.Tensor | None = None) -> torch.Tensor:
        x = (x * mask.unsqueeze(-1)).transpose(1, 2)  # (B, D, T)
        lengths = mask.sum(dim=1, keepdim=True)  # (B, 1)
        pooled = []
        for conv, w in zip(self.convs, self.config.widths, strict=True):
            h = torch.relu(conv(x))  # (B, maps, T + w - 1); output j sees tokens j-w+1 .. j
            steps = torch.arange(h.shape[2], device=h.device).unsqueeze(0)
            touches_text = steps < lengths + (w - 1)  # (B, T + w - 1): a real token in view
            # ReLU outputs are >= 0, so 0 is a neutral filler for the max.
            h = h.masked_fill(~touches_text.unsqueeze(1), 0.0)
            pooled.append(h.max(dim=2).values)  # (B, maps)
        return self.dropout(torch.cat(pooled, dim=1))


class BagEncoder(nn.Module):
    """(B, T, D) -> (B, D): the mean of the real tokens' vectors (and of their bigrams')."""

    def __init__(self, input_dim: int, cfg: BagConfig = BagConfig()) -> None:
        super().__init__()
        self.config = cfg
        self.bigram_table: nn.Embedding | None = None
        if cfg.bigrams:
            # Sparse gradients: a batch touches a few hundred of the buckets (see the trainer).
            self.bigram_table = nn.Embedding(cfg.bucket, input_dim, sparse=True)
            # fastText's initialization of its input rows: U(-1/dim, 1/dim).
            nn.init.uniform_(self.bigram_table.weight, -1.0 / input_dim, 1.0 / input_dim)
        self.dropout = nn.Dropout(cfg.dropout)
        self.out_dim = input_dim

    def bigram_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids -> (B, T - 1) bucket ids of the bigrams (ids[t], ids[t + 1])."""
        first, second = ids[:, :-1].to(torch.int64), ids[:, 1:].to(torch.int64)
        return (first * _BIGRAM_PRIME + second) % self.config.bucket

    def forward(self, x: torch.Tensor, mask: torch.Tensor,
                ids: torch.Tensor | None = None) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(x.dtype)  # (B, T, 1)
        total = (x * m).sum(dim=1)  # (B, D)
        count = m.sum(dim=1)  # (B, 1)
        if self.bigram_table is not None:
            if ids is None:
                raise ConfigError("BagEncoder with bigrams needs the token ids")
            if ids.shape[1] > 1:
                pair = (mask[:, :-1] & mask[:, 1:]).unsqueeze(-1).to(x.dtype)  # (B, T-1, 1)
                total = total + (self.bigram_table(self.bigram_ids(ids)) * pair).sum(dim=1)
                count = count + pair.sum(dim=1)
        return self.dropout(total / count.clamp(min=1.0))


class PoolingEncoder(nn.Module):
    """(B, T, D) -> (B, D): :func:`pool` over the real tokens, then dropout (no weights)."""

    def __init__(self, input_dim: int, how: str = "mean", dropout: float = 0.1) -> None:
        super().__init__()
        if how not in POOLINGS:
            raise ConfigError(f"PoolingEncoder: how must be one of {', '.join(POOLINGS)}, "
                              f"got {how!r}")
        self.how = how
        self.dropout = nn.Dropout(dropout)
        self.out_dim = input_dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor,
                ids: torch.Tensor | None = None) -> torch.Tensor:
        return self.dropout(pool(x, mask, self.how))
