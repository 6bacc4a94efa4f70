"""`ContextualEmbedding`: a transformer checkpoint used as an embedding layer whose vectors
depend on their context, frozen or fine-tuned inside a larger model.

What it holds: the module (token ids (B, T) -> contextual vectors (B, T, H), the last layer or
a learned scalar mix of all layers as in ELMo (Peters et al. 2018): ``gamma * sum_j
softmax(w)_j * h_j``), freezing (always, or for the first N epochs, as ``EmbeddingLayer``),
the checkpoint's own fast tokenizer (``tokenizer.json`` read with the ``tokenizers`` library)
with truncation to ``max_length`` sub-word tokens that is counted, never silent, and two
views for callers: :meth:`ContextualEmbedding.embed` (one pooled vector per text: mean over
the real tokens, the first token (CLS), or a max) and :meth:`ContextualEmbedding.words` (one
vector per word: the first or the mean of its sub-tokens, with the word's character span),
built on :func:`word_index` and the differentiable :func:`word_pool` that a tagger trains
through.
The forward pass is the ``transformers`` model's own (``AutoModel``); nothing is
re-implemented. Loading never downloads: :func:`~embedlayer.contextual.offline` is set before
``transformers`` is imported, and only local folders are read.

Padding is ``-1`` in the id arrays this module hands out and reads (``PAD_ID``), so a
checkpoint needs no padding token of its own; :meth:`mask` is ``ids >= 0``.

What it leaves out: checking checkpoint folders (``contextual/checkpoint.py``), the pooling
function itself (``nn.encoders.pool``), classifiers and training (``embedlayer.tasks``),
sliding windows over long texts and the int8 path (the encoder's side of issue 14).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from embedlayer._types import IntArray
from embedlayer.contextual.checkpoint import offline, open_checkpoint
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.nn.encoders import LAYER_MODES, POOLINGS, pool

__all__ = ["PAD_ID", "ContextualEmbedding", "WordVectors", "count_truncated", "load_tokenizer",
           "word_index", "word_pool"]

PAD_ID = -1  # the padding id of the batches this module reads (never a real token id)
_WORD_MODES = ("first", "mean")


@dataclass(frozen=True)
class WordVectors:
    """One text's word-level view: a vector per word and the word's character span."""

    vectors: torch.Tensor  # (W, H) float32, one row per word that fit in max_length
    spans: list[tuple[int, int]]  # (start, end) character offsets of each word in the text
    truncated: bool  # True when words past max_length were left out


def load_tokenizer(path: str | os.PathLike[str]) -> Any:
    """The fast tokenizer of ``tokenizer.json`` (a ``tokenizers.Tokenizer``), with its own
    padding and truncation switched off (this module pads and truncates, and counts it)."""
    from tokenizers import Tokenizer

    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such tokenizer file (expected a tokenizer.json "
                               f"written by the tokenizers library)")
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as exc:  # the Rust side raises a plain Exception
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"{path}: not a tokenizers file ({first})") from None
    tok.no_padding()
    tok.no_truncation()
    return tok


def count_truncated(checkpoint: Any, texts: Sequence[str], max_length: int | None) -> int:
    """How many ``texts`` the tokenizer of ``checkpoint`` (an ``open_checkpoint`` result)
    makes longer than ``max_length`` tokens, special tokens included (None: the checkpoint's
    ``max_position_embeddings``): the texts a ``ContextualEmbedding`` would cut."""
    if max_length is None:
        max_length = int(checkpoint.config.get("max_position_embeddings", 512))
    tok = load_tokenizer(checkpoint.tokenizer)
    tok.enable_truncation(max_length)
    return sum(1 for e in tok.encode_batch(list(texts), add_special_tokens=True)
               if e.overflowing)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No progress bars or load reports from ``transformers`` inside the block."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def _auto_model(folder: Path, *, pretrained: bool) -> nn.Module:
    """The checkpoint's ``transformers`` model: its weights, or (``pretrained=False``) only
    its architecture from ``config.json``, for a caller that loads weights of its own."""
    offline()
    from transformers import AutoConfig, AutoModel

    with _quiet_transformers():
        try:
            if pretrained:
                return AutoModel.from_pretrained(str(folder), local_files_only=True)
            return AutoModel.from_config(AutoConfig.from_pretrained(str(folder),
                                                                    local_files_only=True))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0][:200]
            raise FormatError(f"{folder}: transformers cannot build a model from this "
                              f"checkpoint ({first})") from None


class ContextualEmbedding(nn.Module):
    """Token ids (B, T), padded with ``PAD_ID``, -> contextual vectors (B, T, H).

    >>> emb = ContextualEmbedding.from_checkpoint("all-MiniLM-L6-v2")  # doctest: +SKIP
    >>> emb.embed(["a gripping film"]).shape  # doctest: +SKIP
    torch.Size([1, 384])

    ``freeze``: ``True`` keeps the transformer fixed (run without gradients, dropout off),
    ``False`` fine-tunes it, N keeps it fixed for the first N epochs (``on_epoch_start``).
    ``layers``: ``"last"`` (the last hidden layer) or ``"mix"`` (a learned, softmax-normalized
    weight per hidden layer, the embedding output included, times a learned scale; these
    weights train even when the transformer is frozen). ``max_length``: sub-word tokens kept
    per text, special tokens included (None: the checkpoint's ``max_position_embeddings``).
    """

    def __init__(
        self, model: nn.Module, tokenizer: Any, *, freeze: bool | int = False,
        layers: Literal["last", "mix"] = "last", max_length: int | None = None,
        name: str = "",
    ) -> None:
        super().__init__()
        if layers not in LAYER_MODES:
            raise ConfigError(f"ContextualEmbedding: layers must be one of "
                              f"{', '.join(LAYER_MODES)}, got {layers!r}")
        if isinstance(freeze, bool):
            self._freeze_epochs = -1 if freeze else 0
        elif isinstance(freeze, int) and freeze >= 0:
            self._freeze_epochs = freeze
        else:
            raise ConfigError(f"ContextualEmbedding: freeze must be True, False or a number "
                              f"of epochs >= 0, got {freeze!r}")
        config = model.config
        limit = getattr(config, "max_position_embeddings", None)
        if max_length is None:
            max_length = limit if isinstance(limit, int) and limit > 0 else 512
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2:
            raise ConfigError(f"ContextualEmbedding: max_length must be an int >= 2 or None, "
                              f"got {max_length!r}")
        if isinstance(limit, int) and limit > 0 and max_length > limit:
            raise ConfigError(f"ContextualEmbedding: max_length {max_length} is more than the "
                              f"checkpoint's max_position_embeddings ({limit})")
        self.model = model
        self.tokenizer = tokenizer
        self.layers = layers
        self.max_length = max_length
        self.name = name
        self.dim = int(config.hidden_size)
        self.n_layers = int(config.num_hidden_layers)
        if layers == "mix":
            # ELMo's scalar mix: zeros -> an equal weight per layer at the start.
            self.mix_weights = nn.Parameter(torch.zeros(self.n_layers + 1))
            self.gamma = nn.Parameter(torch.ones(()))
        self.on_epoch_start(0)

    @classmethod
    def from_checkpoint(
        cls, checkpoint: str | os.PathLike[str], *, freeze: bool | int = False,
        layers: Literal["last", "mix"] = "last", max_length: int | None = None,
        pretrained: bool = True,
    ) -> ContextualEmbedding:
        """Build from a checkpoint folder or a known name (``open_checkpoint`` checks it).

        ``pretrained=False`` reads only ``config.json`` and ``tokenizer.json`` of a folder
        (random weights): for a caller that loads a fine-tuned state dict next.
        """
        if pretrained:
            ckpt = open_checkpoint(checkpoint)
            folder, name = ckpt.path, ckpt.name
        else:
            folder, name = Path(checkpoint), Path(checkpoint).name
            if not (folder / "config.json").is_file():
                raise MissingFileError(f"{folder}: config.json is missing (the transformer's "
                                       f"configuration)")
        model = _auto_model(folder, pretrained=pretrained)
        tokenizer = load_tokenizer(folder / "tokenizer.json")
        return cls(model, tokenizer, freeze=freeze, layers=layers, max_length=max_length,
                   name=name)

    # --- freezing ----------------------------------------------------------------------------
    @property
    def freeze(self) -> bool | int:
        """``True`` (always frozen), ``False``, or N: frozen for epochs 0..N-1."""
        return True if self._freeze_epochs < 0 else (self._freeze_epochs or False)

    def on_epoch_start(self, epoch: int) -> None:
        """Apply the freezing schedule for ``epoch`` (0-based) to the transformer's weights."""
        self.frozen = self._freeze_epochs < 0 or epoch < self._freeze_epochs
        for p in self.model.parameters():
            p.requires_grad_(not self.frozen)
        self.train(self.training)

    def train(self, mode: bool = True) -> ContextualEmbedding:
        super().train(mode)
        if self.frozen:
            self.model.eval()  # a fixed feature extractor: no dropout inside it
        return self

    def pretrained_parameters(self) -> Iterator[nn.Parameter]:
        """The transformer's own weights (not the scalar mix): trainers give them their own,
        smaller learning rate."""
        return self.model.parameters()

    # --- the forward pass --------------------------------------------------------------------
    def mask(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) bool: True at real tokens (``PAD_ID`` is padding)."""
        return ids >= 0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) ids padded with ``PAD_ID`` -> (B, T, H) float32 contextual vectors."""
        mask = self.mask(ids)
        grad = torch.is_grad_enabled() and not self.frozen
        with torch.set_grad_enabled(grad):
            out = self.model(input_ids=ids.clamp(min=0), attention_mask=mask.long(),
                             output_hidden_states=self.layers == "mix", return_dict=True)
        if self.layers == "last":
            return out.last_hidden_state
        hidden = torch.stack(out.hidden_states, dim=0)  # (L + 1, B, T, H)
        weights = torch.softmax(self.mix_weights, dim=0).to(hidden.dtype)
        return self.gamma * torch.einsum("l,lbth->bth", weights, hidden)

    # --- texts -------------------------------------------------------------------------------
    def encodings(self, texts: Sequence[str]) -> list[Any]:
        """The tokenizer's encodings (ids, word ids, offsets), each cut to ``max_length``."""
        self.tokenizer.enable_truncation(self.max_length)
        try:
            return self.tokenizer.encode_batch(list(texts), add_special_tokens=True)
        finally:
            self.tokenizer.no_truncation()

    def tokenize(self, texts: Sequence[str]) -> tuple[list[IntArray], int]:
        """(int64 id arrays, how many texts were cut to ``max_length``). An empty text keeps
        its special tokens (BERT: ``[CLS] [SEP]``), so it gets a defined vector."""
        encodings = self.encodings(texts)
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        return ids, sum(1 for e in encodings if e.overflowing)

    @torch.inference_mode()
    def embed(self, texts: Sequence[str], *, pooling: str = "mean", normalize: bool = False,
              batch_size: int = 32) -> torch.Tensor:
        """(N, H) float32: one pooled vector per text (``pooling``: mean, cls or max over the
        real tokens), optionally L2-normalized; batches sorted by length, eval mode."""
        if pooling not in POOLINGS:
            raise ConfigError(f"ContextualEmbedding.embed: pooling must be one of "
                              f"{', '.join(POOLINGS)}, got {pooling!r}")
        ids, _ = self.tokenize(texts)
        out = torch.zeros(len(ids), self.dim)
        with _eval(self):
            for batch in _sorted_batches(ids, batch_size):
                x = _pad([ids[i] for i in batch])
                vectors = pool(self(x), self.mask(x), pooling).float()
                out[torch.from_numpy(batch)] = vectors
        return torch.nn.functional.normalize(out, dim=1) if normalize else out

    @torch.inference_mode()
    def words(self, texts: Sequence[str], *, how: str = "first",
              batch_size: int = 32) -> list[WordVectors]:
        """One vector per word of each text: its first sub-token's (``how="first"``, as BERT
        taggers read words) or the mean of its sub-tokens' (``"mean"``). Words are the
        tokenizer's pre-tokenized words; those past ``max_length`` are left out (``truncated``)."""
        if how not in _WORD_MODES:
            raise ConfigError(f"ContextualEmbedding.words: how must be one of "
                              f"{', '.join(_WORD_MODES)}, got {how!r}")
        encodings = self.encodings(texts)
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        views = [word_index(e) for e in encodings]
        result: list[WordVectors] = [None] * len(ids)  # type: ignore[list-item]
        with _eval(self):
            for batch in _sorted_batches(ids, batch_size):
                hidden = self(_pad([ids[i] for i in batch])).float()  # (B, T, H)
                index = _pad([views[i][0] for i in batch])  # (B, T), -1: no word
                pooled, _ = word_pool(hidden, index, how)  # (B, W, H)
                for row, i in enumerate(batch):
                    spans = views[i][1]
                    result[i] = WordVectors(pooled[row, :len(spans)].clone(), spans,
                                            bool(encodings[i].overflowing))
        return result

    def config(self) -> dict[str, Any]:
        """The settings as a JSON-able dict (not the weights)."""
        return {"checkpoint": self.name, "model_type": str(getattr(self.model.config,
                                                                    "model_type", "")),
                "dim": self.dim, "n_layers": self.n_layers, "layers": self.layers,
                "freeze": self.freeze, "max_length": self.max_length}

    def extra_repr(self) -> str:
        return (f"{self.name or 'checkpoint'}, dim={self.dim}, layers={self.layers!r}, "
                f"freeze={self.freeze}, max_length={self.max_length}")


def word_index(encoding: Any) -> tuple[IntArray, list[tuple[int, int]]]:
    """A tokenizer encoding -> (the word position of each token, ``-1`` for special tokens;
    the (start, end) character span of each word). Words are numbered 0, 1, ... in order."""
    index = np.full(len(encoding.ids), -1, dtype=np.int64)
    spans: list[tuple[int, int]] = []
    position: dict[int, int] = {}  # the tokenizer's word id -> its position here
    for t, w in enumerate(encoding.word_ids):
        if w is None:
            continue
        start, end = encoding.offsets[t]
        if w not in position:
            position[w] = len(spans)
            spans.append((start, end))
        index[t] = position[w]
        spans[position[w]] = (spans[position[w]][0], end)
    return index, spans


def word_pool(hidden: torch.Tensor, index: torch.Tensor,
              how: str = "first") -> tuple[torch.Tensor, torch.Tensor]:
    """Sub-token vectors (B, T, H) and each token's word position (B, T), ``-1`` for special
    tokens and padding -> word vectors (B, W, H) and their mask (B, W), W the most words of
    a row. ``first``: a word's first sub-token; ``mean``: the mean of its sub-tokens.
    Differentiable (a tagger trains through it)."""
    if how not in _WORD_MODES:
        raise ConfigError(f"word_pool: how must be one of {', '.join(_WORD_MODES)}, "
                          f"got {how!r}")
    b, t, h = hidden.shape
    n_words = int(index.max().item()) + 1 if index.numel() else 0
    slot = torch.where(index >= 0, index, torch.full_like(index, n_words))  # extra: a bin
    counts = torch.zeros(b, n_words + 1, dtype=hidden.dtype, device=hidden.device)
    counts.scatter_add_(1, slot, torch.ones_like(slot, dtype=hidden.dtype))
    mask = counts[:, :n_words] > 0
    if how == "mean":
        total = torch.zeros(b, n_words + 1, h, dtype=hidden.dtype, device=hidden.device)
        total = total.scatter_add(1, slot.unsqueeze(-1).expand(b, t, h), hidden)
        return total[:, :n_words] / counts[:, :n_words].clamp(min=1.0).unsqueeze(-1), mask
    steps = torch.arange(t, device=hidden.device).expand(b, t)
    first = torch.full((b, n_words + 1), t - 1, dtype=torch.int64, device=hidden.device)
    first = first.scatter_reduce(1, slot, steps, reduce="amin", include_self=True)
    vectors = hidden.gather(1, first[:, :n_words].unsqueeze(-1).expand(b, n_words, h))
    return vectors * mask.unsqueeze(-1).to(hidden.dtype), mask


def _sorted_batches(ids: list[IntArray], batch_size: int) -> list[IntArray]:
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _pad(seqs: Sequence[IntArray]) -> torch.Tensor:
    """(B, T) int64, shorter rows filled with ``PAD_ID``."""
    width = max(1, *(len(s) for s in seqs)) if seqs else 1
    out = np.full((len(seqs), width), PAD_ID, dtype=np.int64)
    for row, s in enumerate(seqs):
        out[row, :len(s)] = s
    return torch.from_numpy(out)


@contextlib.contextmanager
def _eval(module: nn.Module) -> Iterator[None]:
    was = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was)
