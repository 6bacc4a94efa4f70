"""numba kernels of the int8 path: per-row int8 quantization and the GEMM's float epilogue.

What it holds: :func:`quantize_rows` (each row of a float32 matrix, its columns first
multiplied by per-column smoothing factors, to int8 with its own scale ``max|row| / 127``,
rounding half to even) and :func:`dequantize_add_bias` (an int32
accumulator back to float32: ``acc[i, j] * row_scale[i] * col_scale[j] + bias[j]``), each with
a slow numpy reference (``*_reference``) they are tested against. Both take plain arrays and
write into caller-owned outputs; one pass over the data each, which is what makes the int8
path faster than float32 at all (the same steps as torch element-wise ops cost more than the
int8 GEMM saves). What it leaves out: the torch module that calls them
(``contextual/_int8.py``).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["dequantize_add_bias", "dequantize_add_bias_reference", "quantize_rows",
           "quantize_rows_reference"]


# fastmath lets the loops vectorize (2x here); it may move a value that lies on a rounding
# boundary by one level against the reference, which the tests allow.
@numba.njit(nogil=True, cache=True, boundscheck=False, fastmath=True)
def quantize_rows(x: np.ndarray, smooth: np.ndarray, out: np.ndarray,
                  scales: np.ndarray) -> None:
    """Rows of ``y = x * smooth`` (``smooth`` one factor per column) to int8:
    ``out[i] = rint(y[i] / scales[i])`` with ``scales[i] = max|y[i]| / 127`` (1 for a zero row)."""
    rows, cols = x.shape
    for i in range(rows):
        amax = np.float32(0.0)
        for j in range(cols):
            amax = max(amax, abs(x[i, j] * smooth[j]))
        scale = amax / np.float32(127.0) if amax > 0 else np.float32(1.0)
        # |x * inv| <= 127 up to one rounding step, which min/max clamps.
        inv = np.float32(1.0) / scale
        for j in range(cols):
            v = min(max(np.rint(x[i, j] * smooth[j] * inv), np.float32(-127.0)),
                    np.float32(127.0))
            out[i, j] = np.int8(np.int32(v))
        scales[i] = scale


@numba.njit(nogil=True, cache=True, boundscheck=False, fastmath=True)
def dequantize_add_bias(acc: np.ndarray, row_scales: np.ndarray, col_scales: np.ndarray,
                        bias: np.ndarray, out: np.ndarray) -> None:
    """``out[i, j] = acc[i, j] * row_scales[i] * col_scales[j] + bias[j]`` (float32)."""
    rows, cols = acc.shape
    for i in range(rows):
        r = row_scales[i]
        for j in range(cols):
            out[i, j] = np.float32(acc[i, j]) * (r * col_scales[j]) + bias[j]


def quantize_rows_reference(x: np.ndarray, smooth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slow numpy reference of :func:`quantize_rows`: (int8 matrix, float32 scales)."""
    x = np.asarray(x, dtype=np.float32) * np.asarray(smooth, dtype=np.float32)[None, :]
    amax = np.abs(x).max(axis=1) if x.shape[1] else np.zeros(len(x), np.float32)
    scales = np.where(amax > 0, amax / np.float32(127.0), np.float32(1.0)).astype(np.float32)
    inv = (np.float32(1.0) / scales).astype(np.float32)
    q = np.clip(np.rint(x * inv[:, None]), -127, 127).astype(np.int8)
    return q, scales


def dequantize_add_bias_reference(acc: np.ndarray, row_scales: np.ndarray,
                                  col_scales: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Slow numpy reference of :func:`dequantize_add_bias`."""
    scale = row_scales[:, None].astype(np.float32) * col_scales[None, :].astype(np.float32)
    return (acc.astype(np.float32) * scale + bias[None, :]).astype(np.float32)
