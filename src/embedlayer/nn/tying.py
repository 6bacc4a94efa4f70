"""`TiedOutputProjection`: an output layer that reuses the embedding matrix (weight tying).

What it holds: logits = h @ E.T + b, with E the ``weight`` Parameter of an ``EmbeddingLayer``
(the same object, not a copy: Press & Wolf 2017, Inan et al. 2017), so training the output
trains the embedding and the model stores one matrix. The projection owns only its bias; the
layer is kept as a plain reference, not a submodule, so a model's state dict holds the matrix
once (under the embedding layer) and saves to safetensors without shared tensors. What it
leaves out: softmax variants (adaptive, sampled) and untied output layers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from embedlayer.errors import ConfigError
from embedlayer.nn.embedding import EmbeddingLayer

__all__ = ["TiedOutputProjection"]


class TiedOutputProjection(nn.Module):
    """h (..., D) -> logits (..., V) with the embedding layer's own matrix (and a bias).

    Put the ``EmbeddingLayer`` in the model too (it owns the matrix). After
    ``layer.resize(...)`` the tie holds (the Parameter is the same object); call ``resize()``
    here to grow the bias (new entries: the mean of the old ones) before the next forward.
    """

    def __init__(self, layer: EmbeddingLayer, bias: bool = True) -> None:
        super().__init__()
        if not isinstance(layer, EmbeddingLayer):
            raise ConfigError(f"TiedOutputProjection: layer must be an EmbeddingLayer, "
                              f"got {type(layer).__name__}")
        object.__setattr__(self, "_layer", layer)  # a reference, not a registered submodule
        rows = layer.weight.shape[0]
        self.bias = nn.Parameter(torch.zeros(rows, device=layer.weight.device)) if bias else None

    @property
    def layer(self) -> EmbeddingLayer:
        return self._layer

    @property
    def weight(self) -> nn.Parameter:
        """The tied matrix (V, D): the layer's Parameter itself."""
        return self._layer.weight

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        w = self._layer.weight
        if h.shape[-1] != w.shape[1]:
            raise ConfigError(f"TiedOutputProjection: expected h of shape (..., {w.shape[1]}), "
                              f"got {tuple(h.shape)}")
        if self.bias is not None and self.bias.shape[0] != w.shape[0]:
            raise ConfigError(f"TiedOutputProjection: the embedding layer has {w.shape[0]} rows "
                              f"but the bias has {self.bias.shape[0]}; call resize() after "
                              f"resizing the layer")
        return F.linear(h, w, self.bias)  # (..., V)

    @torch.no_grad()
    def resize(self) -> TiedOutputProjection:
        """Grow the bias to the layer's current number of rows; returns ``self``."""
        if self.bias is None:
            return self
        rows, old = self._layer.weight.shape[0], self.bias.shape[0]
        if rows < old:
            raise ConfigError(f"TiedOutputProjection: the layer has {rows} rows, fewer than "
                              f"the bias ({old}); layers only grow")
        if rows > old:
            fill = self.bias.mean() if old else torch.zeros((), device=self.bias.device)
            self.bias.data = torch.cat([self.bias.data, fill.expand(rows - old)]).contiguous()
            self.bias.grad = None
        return self

    def extra_repr(self) -> str:
        return f"tied to ({self._layer.weight.shape[0]}, {self._layer.dim}), bias={self.bias is not None}"
