"""`EmbeddingLayer`: a ``Vocab`` (and maybe pretrained vectors) as one trainable lookup table.

What it holds: the module that maps token ids (B, T) to vectors (B, T, D): the matrix built once
from the vocabulary and an optional ``VectorStore`` (rules and coverage: ``nn/_init.py``),
padding (the padding row is zeros, its gradient is zero, padded positions come out as exact
zeros) and ``mask``, freezing (always, or for the first N epochs), embedding dropout, ``max_norm``
and scaling by sqrt(D), resizing to a vocabulary that extends the old one, export back to
``Vectors``, and ``config`` / ``from_config`` for saving next to the weights. The lookup itself is
``torch.nn.functional.embedding``. What it leaves out: positional encodings
(``nn/positional.py``), tied output layers (``nn/tying.py``), encoders and tasks.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from embedlayer.errors import ConfigError
from embedlayer.nn._init import OOV_INITS, CoverageReport, OOVInit, initial_matrix, is_subword_store
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import Vocab

__all__ = ["DropoutMode", "EmbeddingLayer"]

# Embedding dropout drops whole vectors, never single coordinates: "type" drops a word type
# everywhere in the batch (Gal & Ghahramani 2016, as AWD-LSTM's embedded_dropout), "token"
# drops each occurrence on its own. Kept vectors are scaled by 1 / (1 - p).
DropoutMode = Literal["type", "token"]
_DROPOUT_MODES = ("type", "token")
_CONFIG_FORMAT = "embedlayer.nn.EmbeddingLayer"
_CONFIG_VERSION = 1


def _check_int(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigError(f"EmbeddingLayer: {name} must be an int >= {low}, got {value!r}")
    return int(value)


class EmbeddingLayer(nn.Module):
    """Token ids (B, T) -> vectors (B, T, D) float32, with padded positions exactly zero.

    ``vocab`` gives the rows (``len(vocab)``); ``dim`` the columns (may be omitted when
    ``vectors`` is given). ``vectors`` (any ``VectorStore``) initializes the rows of the words it
    holds; ``oov_init`` the others (``"normal"``, ``"uniform"``, ``"zeros"``, ``"subword"`` with
    ``SubwordVectors``); ``coverage`` reports how that went. ``padding_idx="auto"`` uses the
    vocabulary's ``<pad>`` (none if it has none). ``freeze``: ``True`` keeps the matrix fixed,
    an int N keeps it fixed for epochs 0..N-1 (0-based; call ``on_epoch_start(epoch)``).
    ``dropout`` is embedding dropout (see ``dropout_mode``), ``max_norm`` renormalizes looked-up
    rows as ``torch.nn.Embedding`` does, ``scale`` multiplies the output by sqrt(dim); ``seed``
    makes the initialization repeatable. ``sparse=True`` gives the matrix a sparse gradient (only
    the rows a batch looked up), as ``nn.Embedding(sparse=True)``: train it with
    ``torch.optim.SparseAdam`` or SGD; a large vocabulary then costs nothing per step.
    """

    def __init__(
        self,
        vocab: Vocab,
        dim: int | None = None,
        *,
        vectors: VectorStore | None = None,
        oov_init: OOVInit = "normal",
        padding_idx: int | Literal["auto"] | None = "auto",
        freeze: bool | int = False,
        dropout: float = 0.0,
        dropout_mode: DropoutMode = "type",
        max_norm: float | None = None,
        scale: bool = False,
        sparse: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(vocab, Vocab):
            raise ConfigError(f"EmbeddingLayer: vocab must be a Vocab, got {type(vocab).__name__}")
        if len(vocab) == 0:
            raise ConfigError("EmbeddingLayer: the vocabulary is empty")
        if vectors is not None and not isinstance(vectors, VectorStore):
            raise ConfigError(f"EmbeddingLayer: vectors must be a VectorStore (Vectors, "
                              f"SubwordVectors...), got {type(vectors).__name__}")
        if dim is None:
            if vectors is None:
                raise ConfigError("EmbeddingLayer: give dim, or vectors to take it from")
            dim = vectors.dim
        dim = _check_int("dim", dim, low=1)
        if vectors is not None and vectors.dim != dim:
            raise ConfigError(f"EmbeddingLayer: dim={dim} but the vectors have dim {vectors.dim} "
                              f"({vectors!r}); leave dim out to take the vectors' dim")
        if oov_init not in OOV_INITS:
            raise ConfigError(f"EmbeddingLayer: oov_init must be one of {', '.join(OOV_INITS)}, "
                              f"got {oov_init!r}")
        if oov_init == "subword" and not is_subword_store(vectors):
            got = "no vectors" if vectors is None else type(vectors).__name__
            raise ConfigError(f"EmbeddingLayer: oov_init='subword' needs SubwordVectors (fastText "
                              f"vectors with n-gram buckets), got {got}")
        self.padding_idx = self._resolve_padding(vocab, padding_idx)
        if isinstance(freeze, bool):
            self._freeze_epochs = -1 if freeze else 0  # -1: always
        else:
            self._freeze_epochs = _check_int("freeze (True/False or a number of epochs)", freeze,
                                             low=0)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) \
                or not 0.0 <= dropout < 1.0:
            raise ConfigError(f"EmbeddingLayer: dropout must be a float in [0, 1), got {dropout!r}")
        if dropout_mode not in _DROPOUT_MODES:
            raise ConfigError(f"EmbeddingLayer: dropout_mode must be one of "
                              f"{', '.join(_DROPOUT_MODES)}, got {dropout_mode!r}")
        if max_norm is not None and (isinstance(max_norm, bool)
                                     or not isinstance(max_norm, int | float) or max_norm <= 0):
            raise ConfigError(f"EmbeddingLayer: max_norm must be a number > 0 or None, "
                              f"got {max_norm!r}")
        if not isinstance(scale, bool):
            raise ConfigError(f"EmbeddingLayer: scale must be True or False, got {scale!r}")
        if not isinstance(sparse, bool):
            raise ConfigError(f"EmbeddingLayer: sparse must be True or False, got {sparse!r}")
        seed = _check_int("seed", seed, low=0)

        self.vocab = vocab
        self.dim = dim
        self.oov_init: str = oov_init
        self.dropout = float(dropout)
        self.dropout_mode: str = dropout_mode
        self.max_norm = None if max_norm is None else float(max_norm)
        self.scale = scale
        self.sparse = sparse
        self.seed = seed
        matrix, self.coverage = initial_matrix(vocab, dim, vectors, oov_init, self.padding_idx, seed)
        self.weight = nn.Parameter(matrix)  # (V, D) float32
        self.on_epoch_start(0)

    @staticmethod
    def _resolve_padding(vocab: Vocab, padding_idx: Any) -> int | None:
        if padding_idx == "auto":
            return vocab.pad_id
        if padding_idx is None:
            return None
        n = len(vocab)
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, int) \
                or not -n <= padding_idx < n:
            raise ConfigError(f"EmbeddingLayer: padding_idx must be 'auto', None or an id in "
                              f"[{-n}, {n}) for a vocabulary of {n} tokens, got {padding_idx!r}")
        return padding_idx % n

    @classmethod
    def from_tables(cls, tables: Any, *, freeze: bool | int = False,
                    padding_idx: int | None = None) -> EmbeddingLayer:
        """A layer holding a checkpoint's token table, row for row (``EmbeddingTables``).

        ``tables`` comes from ``embedlayer.contextual.read_embedding_layer``; the vocabulary is
        its keys in id order, so the checkpoint's tokenizer ids index this layer directly.
        ``padding_idx`` is None by default: a checkpoint's padding row is not zeros (BERT's
        ``[PAD]`` row is trained), and naming one here would zero it. The position and type
        tables are left to the caller (``LearnedPositionalEncoding`` and the like).
        """
        tokens = getattr(tables, "tokens", None)
        if not isinstance(tokens, Vectors):
            raise ConfigError(f"EmbeddingLayer.from_tables: expected EmbeddingTables (from "
                              f"read_embedding_layer), got {type(tables).__name__}")
        return cls(tokens.vocab, vectors=tokens, oov_init="zeros", padding_idx=padding_idx,
                   freeze=freeze)

    # --- the lookup ----------------------------------------------------------------------
    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) (or any shape) integer ids -> (..., D) float32 vectors."""
        if not isinstance(ids, torch.Tensor) or ids.dtype not in (torch.int64, torch.int32):
            what = ids.dtype if isinstance(ids, torch.Tensor) else type(ids).__name__
            raise ConfigError(f"EmbeddingLayer: ids must be an int64 or int32 tensor, got {what}")
        trainable = self.weight.requires_grad
        # max_norm renormalizes the looked-up rows of self.weight in place, as nn.Embedding
        # does; a frozen matrix must not change, so there the outputs are renormalized instead.
        out = F.embedding(ids, self.weight, self.padding_idx,
                          self.max_norm if trainable else None,
                          sparse=self.sparse)  # (B, T, D)
        if self.max_norm is not None and not trainable:
            norm = out.norm(dim=-1, keepdim=True)
            out = out * (self.max_norm / (norm + 1e-7)).clamp(max=1.0)  # nn.Embedding's rule
        if self.training and self.dropout > 0:
            out = out * self._dropout_mask(ids)
        if self.scale:
            out = out * math.sqrt(self.dim)
        if self.padding_idx is not None:
            # The padding row is zeros and gets no gradient; this keeps padded outputs exactly
            # zero even if someone wrote into that row (a loaded state dict, an optimizer step).
            out = out.masked_fill((ids == self.padding_idx).unsqueeze(-1), 0.0)
        return out

    def _dropout_mask(self, ids: torch.Tensor) -> torch.Tensor:
        """(..., 1) float mask: 0 for dropped vectors, 1 / (1 - p) for kept ones."""
        keep = 1.0 - self.dropout
        if self.dropout_mode == "type":
            rows = torch.empty(self.weight.shape[0], device=ids.device,
                               dtype=self.weight.dtype).bernoulli_(keep)
            mask = F.embedding(ids, rows.unsqueeze(1))  # (..., 1): one draw per word type
        else:
            mask = torch.empty((*ids.shape, 1), device=ids.device,
                              dtype=self.weight.dtype).bernoulli_(keep)
        return mask / keep

    def mask(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) bool: True where ``ids`` is a real token (not ``padding_idx``)."""
        if self.padding_idx is None:
            return torch.ones_like(ids, dtype=torch.bool)
        return ids != self.padding_idx

    # --- freezing ------------------------------------------------------------------------
    @property
    def freeze(self) -> bool | int:
        """``True`` (always frozen), ``False``, or N: frozen for epochs 0..N-1."""
        return True if self._freeze_epochs < 0 else (self._freeze_epochs or False)

    def on_epoch_start(self, epoch: int) -> None:
        """Apply the freezing schedule for ``epoch`` (0-based): sets ``weight.requires_grad``.

        A frozen weight gets no gradient, so optimizers skip it; build the optimizer over all
        parameters (frozen ones included) so that it fine-tunes the matrix once unfrozen.
        """
        epoch = _check_int("epoch", epoch, low=0)
        frozen = self._freeze_epochs < 0 or epoch < self._freeze_epochs
        self.weight.requires_grad_(not frozen)

    # --- vocabulary changes and export ---------------------------------------------------
    @torch.no_grad()
    def resize(self, new_vocab: Vocab) -> EmbeddingLayer:
        """Grow to ``new_vocab``, which must extend the vocabulary (same tokens at the same ids).

        Old rows are kept; new rows are the mean of the existing rows (the padding row left
        out). The ``weight`` Parameter stays the same object (its data is replaced), so tied
        projections keep sharing it (call their ``resize()`` to grow their bias); build the
        optimizer again afterwards, as its state has the old shape. Returns ``self``.
        """
        if not isinstance(new_vocab, Vocab):
            raise ConfigError(f"resize: new_vocab must be a Vocab, got {type(new_vocab).__name__}")
        old, new = self.vocab.tokens, new_vocab.tokens
        if len(new) < len(old) or new[:len(old)] != old:
            at = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                      len(new))
            seen = repr(new[at]) if at < len(new) else "the end of the new vocabulary"
            raise ConfigError(f"resize: the new vocabulary ({len(new)} tokens) must extend the old "
                              f"one ({len(old)} tokens): id {at} is {old[at]!r} in the old one "
                              f"and {seen} in the new one")
        if new_vocab.specials[:len(self.vocab.specials)] != self.vocab.specials:
            raise ConfigError(f"resize: the new vocabulary's special tokens {new_vocab.specials} "
                              f"must start with the old ones {self.vocab.specials}")
        w = self.weight.data
        keep = torch.ones(w.shape[0], dtype=torch.bool, device=w.device)
        if self.padding_idx is not None:
            keep[self.padding_idx] = False
        mean = w[keep].mean(dim=0) if bool(keep.any()) else torch.zeros_like(w[0])
        grown = torch.cat([w, mean.expand(len(new) - len(old), -1)], dim=0).contiguous()
        self.weight.data = grown
        self.weight.grad = None
        self.vocab = new_vocab
        return self

    def to_vectors(self) -> Vectors:
        """The current matrix as ``Vectors`` keyed by the vocabulary's tokens (every row)."""
        matrix = self.weight.detach().to("cpu", torch.float32).numpy()
        return Vectors(self.vocab, matrix)  # Vectors copies a writable array: no shared memory

    # --- saving --------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The settings as a JSON-able dict (not the vocabulary, vectors or weights).

        Includes the vocabulary size (checked by ``from_config``) and the coverage report of
        the initialization, for the record.
        """
        return {
            "format": _CONFIG_FORMAT,
            "format_version": _CONFIG_VERSION,
            "vocab_size": len(self.vocab),
            "dim": self.dim,
            "oov_init": self.oov_init,
            "padding_idx": self.padding_idx,
            "freeze": self.freeze,
            "dropout": self.dropout,
            "dropout_mode": self.dropout_mode,
            "max_norm": self.max_norm,
            "scale": self.scale,
            "sparse": self.sparse,
            "seed": self.seed,
            "coverage": {"found": self.coverage.found, "total": self.coverage.total,
                         "missing": list(self.coverage.missing), "policy": self.coverage.policy,
                         "lowercased": self.coverage.lowercased, "source": self.coverage.source},
        }

    @classmethod
    def from_config(cls, vocab: Vocab, config: dict[str, Any]) -> EmbeddingLayer:
        """A layer of the same shape and settings; load the weights with ``load_state_dict``."""
        if not isinstance(config, dict) or config.get("format") != _CONFIG_FORMAT:
            raise ConfigError(f"from_config: not an EmbeddingLayer config (format should be "
                              f"{_CONFIG_FORMAT!r}), got {str(config)[:80]}")
        if config.get("format_version") != _CONFIG_VERSION:
            raise ConfigError(f"from_config: EmbeddingLayer config format_version "
                              f"{config.get('format_version')!r} is not supported "
                              f"(expected {_CONFIG_VERSION})")
        if config.get("vocab_size") != len(vocab):
            raise ConfigError(f"from_config: the config is for a vocabulary of "
                              f"{config.get('vocab_size')} tokens, got one of {len(vocab)}")
        try:
            layer = cls(vocab, config["dim"], oov_init="zeros", padding_idx=config["padding_idx"],
                        freeze=config["freeze"], dropout=config["dropout"],
                        dropout_mode=config["dropout_mode"], max_norm=config["max_norm"],
                        scale=config["scale"], sparse=bool(config.get("sparse", False)),
                        seed=config["seed"])
        except KeyError as exc:
            raise ConfigError(f"from_config: the EmbeddingLayer config lacks {exc}") from None
        # The weights come from the state dict; the record of how they began stays.
        layer.oov_init = str(config.get("oov_init", "normal"))
        cov = config.get("coverage")
        if isinstance(cov, dict):
            try:
                layer.coverage = CoverageReport(**cov)
            except TypeError as exc:
                raise ConfigError(f"from_config: bad coverage record {cov!r}: {exc}") from None
        return layer

    def extra_repr(self) -> str:
        parts = [f"{len(self.vocab)}, {self.dim}"]
        if self.padding_idx is not None:
            parts.append(f"padding_idx={self.padding_idx}")
        if self.freeze:
            parts.append(f"freeze={self.freeze}")
        if self.dropout:
            parts.append(f"dropout={self.dropout} ({self.dropout_mode})")
        if self.max_norm is not None:
            parts.append(f"max_norm={self.max_norm}")
        if self.scale:
            parts.append("scale=True")
        if self.sparse:
            parts.append("sparse=True")
        return ", ".join(parts)
