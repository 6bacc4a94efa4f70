"""The slow numpy reference of the GloVe kernels in ``_kernels_glove``, for tests only.

What it holds: :func:`count_reference`, the co-occurrence counts of encoded sentences as a
dict ``{(row, col): x}`` by the textbook double loop (Stanford ``cooccur``'s rule, see the
kernels' docstring), and :func:`train_reference`, the same signature and result as
``_kernels_glove.train_block``, one pair at a time with numpy row operations in float32
(exact ``sqrt`` and division, where the kernel may use a refined reciprocal square root).

:func:`subsample_reference` drops frequent words as ``subsample_chunk`` does (same random
stream). What it leaves out: speed (pure Python per pair: tiny inputs only), hashing and files.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

__all__ = ["count_reference", "subsample_reference", "train_reference"]


def count_reference(
    ids: np.ndarray, bounds: np.ndarray, *, window: int, symmetric: bool = True,
    distance_weighting: bool = True,
) -> dict[tuple[int, int], float]:
    """``X[left, right] += 1/d`` (and ``X[right, left]`` when symmetric) within sentences."""
    counts: dict[tuple[int, int], float] = defaultdict(float)
    for s in range(len(bounds) - 1):
        sentence = [int(t) for t in ids[bounds[s]:bounds[s + 1]]]
        for p, right in enumerate(sentence):
            for d in range(1, window + 1):
                if p - d < 0:
                    break
                left = sentence[p - d]
                weight = 1.0 / d if distance_weighting else 1.0
                counts[left, right] += weight
                if symmetric:
                    counts[right, left] += weight
    return dict(counts)


def subsample_reference(
    ids: np.ndarray, bounds: np.ndarray, keep: np.ndarray, seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(kept ids, their bounds): token ``w`` kept when its uniform draw is below ``keep[w]``."""
    from embedlayer.train._reference_w2v import SplitMix64

    rng = SplitMix64(seed)
    out: list[int] = []
    new_bounds = [0]
    for s in range(len(bounds) - 1):
        for w in ids[bounds[s]:bounds[s + 1]]:
            if rng.uniform() < keep[int(w)]:
                out.append(int(w))
        new_bounds.append(len(out))
    return np.array(out, dtype=np.int32), np.array(new_bounds, dtype=np.int64)


def train_reference(rows, cols, xs, W, C, bw, bc, GW, GC, gbw, gbc, x_max, alpha, eta,
                    grad_clip) -> tuple[float, int]:
    """AdaGrad over the triples in order, updating the arrays in place; (cost, skipped)."""
    cost = 0.0
    skipped = 0
    clip = np.float32(grad_clip)
    for i, j, x in zip(rows.tolist(), cols.tolist(), xs.tolist(), strict=True):
        w, c = W[i], C[j]
        dot = float(np.dot(w.astype(np.float64), c.astype(np.float64)))
        diff = dot + float(bw[i]) + float(bc[j]) - math.log(x)
        weight = 1.0 if x >= x_max else (x / x_max) ** alpha
        fdiff = weight * diff
        if not (math.isfinite(diff) and math.isfinite(fdiff)):
            skipped += 1
            continue
        cost += 0.5 * fdiff * diff
        g = np.float32(eta * fdiff)  # the biases' step: eta-scaled, unclipped
        fd = np.float32(fdiff)
        eta32 = np.float32(eta)
        tw = np.clip(fd * c, -clip, clip) * eta32  # glove.c: clip the gradient, then scale
        tc = np.clip(fd * w, -clip, clip) * eta32  # (from the rows before this pair)
        uw = tw / np.sqrt(GW[i])
        uc = tc / np.sqrt(GC[j])
        GW[i] += tw * tw
        GC[j] += tc * tc
        if np.isfinite(uw.sum()) and np.isfinite(uc.sum()):
            W[i] -= uw
            C[j] -= uc
        step_w = g / np.sqrt(gbw[i])
        step_c = g / np.sqrt(gbc[j])
        bw[i] -= step_w if np.isfinite(step_w) else np.float32(0)
        bc[j] -= step_c if np.isfinite(step_c) else np.float32(0)
        gbw[i] += g * g
        gbc[j] += g * g
    return cost, skipped
