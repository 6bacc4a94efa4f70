"""The int8 path of a transformer encoder: its linear layers as W8A8 integer matrix products.

What it holds: :class:`Int8Linear` (a drop-in for ``nn.Linear`` at inference: weights int8
with one scale per output channel, activations quantized to int8 per token at run time, the
product accumulated in int32 by ``torch._int_mm`` and scaled back to float32 with the bias
added), :class:`Int8GELUFeedForwardIn` (a BERT feed-forward block's first half handing its
second half int8 rows directly), :func:`activation_ranges` (each linear layer's per-channel
input maximum over calibration inputs, by forward hooks), :func:`quantize_linears`, which
swaps every ``nn.Linear`` of a module for an ``Int8Linear``, and :func:`quantize_model`, which
does that with the feed-forward fusion where the structure allows.

Why per token, and why smoothing: BERT-like models have a few activation channels far larger
than the rest (they come from the LayerNorm weights, whatever the text), so one scale for a
whole batch (torch's dynamic quantization) leaves most values a handful of levels: on
all-MiniLM-L6-v2, sentence cosines to float32 fall to 0.87. One scale per token lifts that to
0.98 on the worst (shortest) texts; moving part of each outlier channel's range into the
weights, SmoothQuant's per-channel factor ``s_j = sqrt(max|x_j| / max|W_j|)`` (Xiao et al.
2023, alpha 0.5; ``x / s`` is quantized, ``W * s`` is stored), lifts it above 0.99. The
channel maxima come from a calibration pass the caller runs (the encoder uses random word
sequences from the checkpoint's own vocabulary: no data set, and the same result every time).
The quantize step and the float epilogue are numba kernels (``_kernels_int8.py``): as torch
element-wise ops they cost about what the int8 product saves. What it leaves out: choosing
when to use it (``encoder.py``'s ``precision``) and training (this module has no gradient).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from embedlayer.contextual._kernels_int8 import (
    dequantize_add_bias,
    dequantize_gelu_quantize,
    quantize_rows,
)

__all__ = ["Int8Linear", "activation_ranges", "quantize_linears", "quantize_model"]


class Int8Linear(nn.Module):
    """Inference-only ``nn.Linear`` with int8 weights (per output channel) and int8 activations
    (per token, dynamic)."""

    def __init__(self, linear: nn.Linear, input_range: np.ndarray | None = None,
                 alpha: float = 0.5) -> None:
        super().__init__()
        weight = linear.weight.detach().to(torch.float32).cpu().numpy()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        smooth = np.ones(self.in_features, dtype=np.float32)
        if input_range is not None:
            w_range = np.maximum(np.abs(weight).max(axis=0), 1e-5)
            factor = np.maximum(np.maximum(input_range, 1e-5) ** alpha / w_range ** (1 - alpha),
                                1e-5).astype(np.float32)
            weight = weight * factor[None, :]
            smooth = (1.0 / factor).astype(np.float32)
        self.register_buffer("input_smooth", torch.from_numpy(smooth))
        amax = np.abs(weight).max(axis=1)
        scales = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.rint(weight / scales[:, None]), -127, 127).astype(np.int8)
        # (in, out), contiguous: the layout torch._int_mm wants for x @ W.T
        self.register_buffer("weight_int8", torch.from_numpy(np.ascontiguousarray(q.T)))
        self.register_buffer("weight_scale", torch.from_numpy(scales))
        bias = (linear.bias.detach().to(torch.float32).cpu().numpy() if linear.bias is not None
                else np.zeros(self.out_features, np.float32))
        self.register_buffer("bias", torch.from_numpy(np.ascontiguousarray(bias)))

    # Set by a producer that hands this layer its input already quantized (an int8 tensor):
    # (that tensor's data pointer, its per-row scales).
    _incoming: tuple[int, torch.Tensor] | None = None

    def quantize_input(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(int8 rows, float32 row scales) of ``x`` flattened to (rows, in_features)."""
        flat = x.reshape(-1, self.in_features).to(torch.float32).contiguous()
        rows = flat.shape[0]
        q = torch.empty((rows, self.in_features), dtype=torch.int8)
        scales = torch.empty(rows, dtype=torch.float32)
        quantize_rows(flat.numpy(), self.input_smooth.numpy(), q.numpy(), scales.numpy())
        return q, scales

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        if x.dtype == torch.int8:
            incoming, self._incoming = self._incoming, None
            if incoming is None or incoming[0] != x.data_ptr():
                raise RuntimeError("Int8Linear got an int8 tensor without its scales")
            q, scales = x.reshape(-1, self.in_features), incoming[1]
        else:
            q, scales = self.quantize_input(x)
        rows = q.shape[0]
        acc = torch._int_mm(q, self.weight_int8)
        out = torch.empty((rows, self.out_features), dtype=torch.float32)
        dequantize_add_bias(acc.numpy(), scales.numpy(), self.weight_scale.numpy(),
                            self.bias.numpy(), out.numpy())
        return out.view(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


def activation_ranges(module: nn.Module, run: Callable[[], object]) -> dict[str, np.ndarray]:
    """Per-channel ``max |input|`` of every ``nn.Linear`` in ``module`` while ``run()`` runs."""
    ranges: dict[str, np.ndarray] = {}
    hooks = []
    for name, child in module.named_modules():
        if isinstance(child, nn.Linear):
            def hook(_mod: nn.Module, inputs: tuple[torch.Tensor, ...], _out: object,
                     name: str = name) -> None:
                x = inputs[0].detach()
                seen = x.reshape(-1, x.shape[-1]).abs().amax(dim=0).to(torch.float32).numpy()
                ranges[name] = np.maximum(ranges[name], seen) if name in ranges else seen
            hooks.append(child.register_forward_hook(hook))
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return ranges


class Int8GELUFeedForwardIn(nn.Module):
    """A feed-forward block's first half, ``gelu(dense(x))``, handing its consumer (the
    block's second :class:`Int8Linear`) int8 rows and their scales instead of floats."""

    def __init__(self, dense: nn.Linear, input_range: np.ndarray | None,
                 consumer: Int8Linear, alpha: float) -> None:
        super().__init__()
        self.linear = Int8Linear(dense, input_range, alpha)
        self._consumer = [consumer]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lin, consumer = self.linear, self._consumer[0]
        q, scales = lin.quantize_input(x)
        acc = torch._int_mm(q, lin.weight_int8)
        rows = q.shape[0]
        out = torch.empty((rows, lin.out_features), dtype=torch.int8)
        out_scales = torch.empty(rows, dtype=torch.float32)
        dequantize_gelu_quantize(acc.numpy(), scales.numpy(), lin.weight_scale.numpy(),
                                 lin.bias.numpy(), consumer.input_smooth.numpy(), out.numpy(),
                                 out_scales.numpy())
        consumer._incoming = (out.data_ptr(), out_scales)
        return out.view(*x.shape[:-1], lin.out_features)


def _is_exact_gelu(fn: object) -> bool:
    name = type(fn).__name__
    return name == "GELUActivation" or (isinstance(fn, nn.GELU) and fn.approximate == "none")


def quantize_model(model: nn.Module, ranges: dict[str, np.ndarray] | None = None,
                   alpha: float = 0.5, *, fuse: bool = True) -> dict[str, int]:
    """Every linear layer of ``model`` to int8; with ``fuse``, a feed-forward block shaped as
    BERT's (``intermediate.dense`` + an exact-GELU ``intermediate_act_fn``, then
    ``output.dense``) passes int8 between its halves (:class:`Int8GELUFeedForwardIn`), so its
    widest activation is never written as float32. Everything else is
    :func:`quantize_linears`. Returns how many of each were made.

    (Fusing an attention block's query, key and value into one product, with one input
    quantization, was tried and left out: they then share one smoothing factor, which cost
    accuracy on the shortest texts (worst WikiQA cosine 0.9936 -> 0.9915) for about 5% speed.)
    """
    ranges = ranges or {}
    counts = {"feed_forward": 0, "linear": 0}
    for name, mod in list(model.named_modules()):
        prefix = f"{name}." if name else ""
        inter, out = getattr(mod, "intermediate", None), getattr(mod, "output", None)
        if (fuse and inter is not None and out is not None
                and isinstance(getattr(inter, "dense", None), nn.Linear)
                and isinstance(getattr(out, "dense", None), nn.Linear)
                and _is_exact_gelu(getattr(inter, "intermediate_act_fn", None))):
            consumer = Int8Linear(out.dense, ranges.get(prefix + "output.dense"), alpha)
            out.dense = consumer
            mod.intermediate = Int8GELUFeedForwardIn(
                inter.dense, ranges.get(prefix + "intermediate.dense"), consumer, alpha)
            counts["feed_forward"] += 1
    counts["linear"] = quantize_linears(model, ranges, alpha)
    return counts


def quantize_linears(module: nn.Module, ranges: dict[str, np.ndarray] | None = None,
                     alpha: float = 0.5) -> int:
    """Replace every ``nn.Linear`` inside ``module`` by an :class:`Int8Linear`; the count.

    ``ranges`` (from :func:`activation_ranges`, by module name) turns on smoothing with
    strength ``alpha``; a layer missing from it is quantized without.
    """
    count = 0
    for prefix, parent in list(module.named_modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                full = f"{prefix}.{name}" if prefix else name
                setattr(parent, name, Int8Linear(child, (ranges or {}).get(full), alpha))
                count += 1
    return count
