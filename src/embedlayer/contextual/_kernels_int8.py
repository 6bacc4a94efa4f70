"""numba kernels of the int8 path: per-row int8 quantization and the GEMM's float epilogue.

What it holds: :func:`quantize_rows` (each row of a float32 matrix, its columns first
multiplied by per-column smoothing factors, to int8 with its own scale ``max|row| / 127``,
rounding half away from zero) and :func:`dequantize_add_bias` (an int32
accumulator back to float32: ``acc[i, j] * row_scale[i] * col_scale[j] + bias[j]``), each with
a slow numpy reference (``*_reference``) they are tested against; and
:func:`dequantize_gelu_quantize`, the two fused for a feed-forward block (the first product's
accumulator to float, bias, exact GELU, the next layer's smoothing, back to int8 per row)
so the widest activation of the block is never written out as float32. Both take plain arrays and
write into caller-owned outputs; one pass over the data each, which is what makes the int8
path faster than float32 at all (the same steps as torch element-wise ops cost more than the
int8 GEMM saves). What it leaves out: the torch module that calls them
(``contextual/_int8.py``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["dequantize_add_bias", "dequantize_add_bias_reference", "dequantize_gelu_quantize",
           "dequantize_gelu_quantize_reference", "quantize_rows", "quantize_rows_reference"]


# fastmath and error_model="numpy" (no ZeroDivisionError branch) let the loops vectorize (2-10x
# here); fastmath may move a value that lies on a rounding boundary by one level against the
# reference, which the tests allow.
_LANES = 16  # a row's absolute maximum is kept per lane, so the loop vectorizes


@numba.njit(inline="always", fastmath=True, error_model="numpy", boundscheck=False)
def _absmax(row: np.ndarray, smooth: np.ndarray, lanes: np.ndarray) -> float:
    """max_j |row[j] * smooth[j]|; written per lane (a plain ``max`` reduction stays scalar)."""
    cols = row.shape[0]
    lanes[:] = 0.0
    j = 0
    while j + _LANES <= cols:
        for k in range(_LANES):
            a = abs(row[j + k] * smooth[j + k])
            lanes[k] = a if a > lanes[k] else lanes[k]
        j += _LANES
    amax = np.float32(0.0)
    for k in range(_LANES):
        amax = lanes[k] if lanes[k] > amax else amax
    while j < cols:
        a = abs(row[j] * smooth[j])
        amax = a if a > amax else amax
        j += 1
    return amax


@numba.njit(inline="always", fastmath=True, error_model="numpy", boundscheck=False)
def _to_int8(row: np.ndarray, smooth: np.ndarray, inv: float, out: np.ndarray) -> None:
    """out[j] = round(row[j] * smooth[j] * inv), half away from zero; |out| <= 127 since inv
    is 127 over the row's absolute maximum (a last rounding step is clamped)."""
    for j in range(row.shape[0]):
        v = row[j] * smooth[j] * inv
        v = v + (np.float32(0.5) if v >= 0 else np.float32(-0.5))
        v = min(max(v, np.float32(-127.0)), np.float32(127.0))
        out[j] = np.int32(v)


@numba.njit(nogil=True, cache=True, boundscheck=False, fastmath=True, error_model="numpy")
def quantize_rows(x: np.ndarray, smooth: np.ndarray, out: np.ndarray,
                  scales: np.ndarray) -> None:
    """Rows of ``y = x * smooth`` (``smooth`` one factor per column) to int8:
    ``out[i] = round(y[i] / scales[i])`` with ``scales[i] = max|y[i]| / 127`` (1 for a zero
    row), rounding half away from zero."""
    rows = x.shape[0]
    lanes = np.zeros(_LANES, dtype=np.float32)
    for i in range(rows):
        amax = _absmax(x[i], smooth, lanes)
        scale = amax / np.float32(127.0) if amax > 0 else np.float32(1.0)
        _to_int8(x[i], smooth, np.float32(1.0) / scale, out[i])
        scales[i] = scale


@numba.njit(nogil=True, cache=True, boundscheck=False, fastmath=True, error_model="numpy")
def dequantize_add_bias(acc: np.ndarray, row_scales: np.ndarray, col_scales: np.ndarray,
                        bias: np.ndarray, out: np.ndarray) -> None:
    """``out[i, j] = acc[i, j] * row_scales[i] * col_scales[j] + bias[j]`` (float32)."""
    rows, cols = acc.shape
    for i in range(rows):
        r = row_scales[i]
        for j in range(cols):
            out[i, j] = np.float32(acc[i, j]) * (r * col_scales[j]) + bias[j]


_SQRT_HALF = 0.7071067811865476
# Abramowitz & Stegun 7.1.28: erf(x) = 1 - (1 + a1 x + ... + a6 x^6)^-16 for x >= 0, absolute
# error below 3e-7 (float32's own rounding is 6e-8; int8's step is 1/127 of a row's range).
# Polynomials and a division vectorize where math.erf, a scalar libm call, does not (4x the
# whole fused kernel).
_A1, _A2, _A3 = 0.0705230784, 0.0422820123, 0.0092705272
_A4, _A5, _A6 = 0.0001520143, 0.0002765672, 0.0000430638


@numba.njit(inline="always", fastmath=True, error_model="numpy")
def _erf(z: float) -> float:
    ax = min(abs(z), np.float32(6.0))  # erf(6) is 1 in float32; keeps t**16 finite
    t = np.float32(1.0) + ax * (np.float32(_A1) + ax * (np.float32(_A2) + ax * (
        np.float32(_A3) + ax * (np.float32(_A4) + ax * (np.float32(_A5) + ax * np.float32(_A6))))))
    t2 = t * t
    t4 = t2 * t2
    t8 = t4 * t4
    e = np.float32(1.0) - np.float32(1.0) / (t8 * t8)
    return e if z >= 0 else -e


@numba.njit(nogil=True, cache=True, boundscheck=False, fastmath=True, error_model="numpy")
def dequantize_gelu_quantize(acc: np.ndarray, row_scales: np.ndarray, col_scales: np.ndarray,
                             bias: np.ndarray, smooth: np.ndarray, out: np.ndarray,
                             out_scales: np.ndarray) -> None:
    """``y = gelu(acc * row_scales[:, None] * col_scales + bias) * smooth``, each row of ``y``
    to int8 as :func:`quantize_rows` does (``out``, ``out_scales``). GELU is the exact one,
    ``v / 2 * (1 + erf(v / sqrt 2))``."""
    rows, cols = acc.shape
    buf = np.empty(cols, dtype=np.float32)
    lanes = np.zeros(_LANES, dtype=np.float32)
    for i in range(rows):
        r = row_scales[i]
        for j in range(cols):
            v = np.float32(acc[i, j]) * (r * col_scales[j]) + bias[j]
            buf[j] = np.float32(0.5) * v * (np.float32(1.0) + _erf(v * np.float32(_SQRT_HALF)))
        amax = _absmax(buf, smooth, lanes)
        scale = amax / np.float32(127.0) if amax > 0 else np.float32(1.0)
        _to_int8(buf, smooth, np.float32(1.0) / scale, out[i])
        out_scales[i] = scale


def dequantize_gelu_quantize_reference(acc: np.ndarray, row_scales: np.ndarray,
                                       col_scales: np.ndarray, bias: np.ndarray,
                                       smooth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slow numpy reference of :func:`dequantize_gelu_quantize`: (int8 matrix, scales)."""
    v = dequantize_add_bias_reference(acc, row_scales, col_scales, bias).astype(np.float64)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    g = (0.5 * v * (1.0 + erf(v * _SQRT_HALF))).astype(np.float32)
    return quantize_rows_reference(g, smooth)


def quantize_rows_reference(x: np.ndarray, smooth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slow numpy reference of :func:`quantize_rows`: (int8 matrix, float32 scales)."""
    x = np.asarray(x, dtype=np.float32) * np.asarray(smooth, dtype=np.float32)[None, :]
    amax = np.abs(x).max(axis=1) if x.shape[1] else np.zeros(len(x), np.float32)
    scales = np.where(amax > 0, amax / np.float32(127.0), np.float32(1.0)).astype(np.float32)
    inv = (np.float32(1.0) / scales).astype(np.float32)
    y = x * inv[:, None]
    q = np.clip(np.trunc(y + np.copysign(np.float32(0.5), y)), -127, 127).astype(np.int8)
    return q, scales


def dequantize_add_bias_reference(acc: np.ndarray, row_scales: np.ndarray,
                                  col_scales: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Slow numpy reference of :func:`dequantize_add_bias`."""
    scale = row_scales[:, None].astype(np.float32) * col_scales[None, :].astype(np.float32)
    return (acc.astype(np.float32) * scale + bias[None, :]).astype(np.float32)
