"""The int8 path of a transformer encoder: its linear layers as W8A8 integer matrix products.

What it holds: :class:`Int8Linear` (a drop-in for ``nn.Linear`` at inference: weights int8
with one scale per output channel, activations quantized to int8 per token at run time, the
product accumulated in int32 by ``torch._int_mm`` and scaled back to float32 with the bias
added) and :func:`quantize_linears`, which swaps every ``nn.Linear`` of a module for one.

Why per token: BERT-like models have a few activation channels far larger than the rest, so a
single scale for a whole batch (torch's dynamic quantization) leaves most values a handful of
levels and costs accuracy (on all-MiniLM-L6-v2, sentence cosines to float32 down to 0.87);
one scale per token keeps every sentence above 0.99. The quantize step and the float epilogue
are numba kernels (``_kernels_int8.py``): as torch element-wise ops they cost about what the
int8 product saves. What it leaves out: choosing when to use it (``encoder.py``'s
``precision``) and training (this module has no gradient).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from embedlayer.contextual._kernels_int8 import dequantize_add_bias, quantize_rows

__all__ = ["Int8Linear", "quantize_linears"]


class Int8Linear(nn.Module):
    """Inference-only ``nn.Linear`` with int8 weights (per output channel) and int8 activations
    (per token, dynamic)."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().to(torch.float32).cpu().numpy()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        amax = np.abs(weight).max(axis=1)
        scales = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.rint(weight / scales[:, None]), -127, 127).astype(np.int8)
        # (in, out), contiguous: the layout torch._int_mm wants for x @ W.T
        self.register_buffer("weight_int8", torch.from_numpy(np.ascontiguousarray(q.T)))
        self.register_buffer("weight_scale", torch.from_numpy(scales))
        bias = (linear.bias.detach().to(torch.float32).cpu().numpy() if linear.bias is not None
                else np.zeros(self.out_features, np.float32))
        self.register_buffer("bias", torch.from_numpy(np.ascontiguousarray(bias)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, self.in_features).to(torch.float32).contiguous()
        rows = flat.shape[0]
        q = torch.empty((rows, self.in_features), dtype=torch.int8)
        scales = torch.empty(rows, dtype=torch.float32)
        quantize_rows(flat.numpy(), q.numpy(), scales.numpy())
        acc = torch._int_mm(q, self.weight_int8)
        out = torch.empty((rows, self.out_features), dtype=torch.float32)
        dequantize_add_bias(acc.numpy(), scales.numpy(), self.weight_scale.numpy(),
                            self.bias.numpy(), out.numpy())
        return out.view(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


def quantize_linears(module: nn.Module) -> int:
    """Replace every ``nn.Linear`` inside ``module`` by an :class:`Int8Linear`; the count."""
    count = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                setattr(parent, name, Int8Linear(child))
                count += 1
    return count
