"""Primitives shared by every training kernel (numba): random stream, draws, logistic, row helpers.

What it holds, each defined once and imported by ``_kernels_w2v``, ``_kernels_ft`` and
``_kernels_glove``:

- the compile options (``jit``): ``nogil``, disk cache, and fast-math *without* the
  no-NaN / no-infinity assumptions, so a diverging run yields a non-finite loss instead of
  whatever the optimizer made of an impossible NaN;
- the random stream: splitmix64 (``mix64`` its finalizer, ``next_u64`` one step),
  ``below(z, n)`` an index in [0, n) from the high 32 bits of a draw, ``unit(z)`` a float in
  [0, 1) from 53 of its bits, ``subsample`` (one draw per token);
- the negative-sampling draw: ``draw_negatives`` over a Walker/Vose alias table (one draw per
  negative: its high 32 bits pick a column, its low 32 bits choose between the column's word
  and its alias; see ``vocab.sampling.alias_table``);
- the exact logistic: ``logistic(f)`` gives sigma(f) and ``1 + exp(-|f|)``, ``hinge(f,
  label)`` the other part of the loss ``-log sigma(+-f) = hinge + log(1 + exp(-|f|))``, written
  so that a non-finite logit gives a non-finite loss (``max(-f, 0)`` would turn ``f = +inf``
  into 0 and hide it);
- ``predict`` (one logistic prediction: output row and input gradient updated) and
  ``ns_targets`` (the center word and its negatives), the negative-sampling step word2vec's
  and fastText's kernels share;
- row helpers: ``add`` (axpy with a = 1), ``fill0``, ``prefetch`` / ``prefetch_rows``;
- ``in_place``: the dispatchers' refusal of a matrix the kernels would silently copy.

What it leaves out: the training loops themselves (the three kernel modules) and argument
validation (the estimators). Numba's disk cache keys each compiled kernel on its own source
file only: after editing this file, clear ``train/__pycache__`` (an installed release ships
all the files together, so only a source checkout can hold stale kernels).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["FASTMATH", "add", "below", "draw_negatives", "fill0", "hinge", "in_place", "jit",
           "logistic", "mix64", "next_u64", "ns_targets", "predict", "prefetch", "prefetch_rows",
           "subsample", "unit"]

# Reassociation (SIMD reductions), reciprocal and approximate-function math, contraction, and
# signless zeros; not "nnan"/"ninf": with them LLVM may assume NaN and infinity never occur,
# fold the checks that look for them, and a diverged run would report a finite loss.
FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})
jit = numba.njit(nogil=True, cache=True, fastmath=set(FASTMATH), error_model="numpy")

# Globals are frozen into the compiled code as typed constants: uint64 ones keep the RNG in
# unsigned 64-bit arithmetic (numba turns uint64-with-int64 arithmetic into float64), float32
# ones keep the vector math in float32.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31, _S32 = (np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31),
                                np.uint64(32))
_LOW32 = np.uint64(0xFFFF_FFFF)
_UNIT53 = 2.0**-53  # float64: 53 random bits -> [0, 1)
_UNIT32 = 2.0**-32  # float64: 32 random bits -> [0, 1), exactly representable
_ZERO = np.float32(0.0)
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)


# --- random stream --------------------------------------------------------------------------


@jit
def mix64(z):
    """splitmix64's finalizer: 64 well-mixed bits of the uint64 ``z`` (also a hash)."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@jit
def next_u64(state):
    """splitmix64: the advanced state and 64 random bits."""
    state = state + _GOLDEN
    return state, mix64(state)


@jit
def below(z, n):
    """An index in [0, n) from the high 32 bits of ``z`` (n < 2**32): a multiply, no division.

    Some indices get one more of the 2**32 values than others: a relative bias of at most
    n / 2**32 (7e-6 for a 30k vocabulary), far below anything training can see.
    """
    return np.int64(((z >> _S32) * n) >> _S32)


@jit
def unit(z):
    """A float64 in [0, 1) from the top 53 bits of ``z``."""
    return np.float64(z >> _S11) * _UNIT53


@jit
def subsample(ids, start, stop, keep, sen, state):
    """Copy the kept tokens of ``ids[start:stop]`` to the front of ``sen``; (count, state).

    One draw per token, in order: token ``w`` is kept when ``unit(z) < keep[w]``.
    """
    m = 0
    for i in range(start, stop):
        w = ids[i]
        state, z = next_u64(state)
        if unit(z) < keep[w]:
            sen[m] = w
            m += 1
    return m, state


@jit
def draw_negatives(prob, alias, count, negs, state):
    """``count`` draws from the alias table (``prob`` float32, ``alias`` int32, both (V,)) into
    ``negs[:count]``, in stream order; returns the state.

    One 64-bit draw per negative: column ``i = below(z, V)`` from the high 32 bits, then the
    column's own word when ``(z & 0xFFFFFFFF) / 2**32 < prob[i]``, else ``alias[i]``. Every
    word is drawn with its probability up to the column bias of ``below`` (relative, at most
    V / 2**32) and the 2**-32 resolution of the split, however rare it is.

    Drawn for a whole center before any training on it: independent loads issued together
    wait for memory once, not once per negative. The stream does not depend on the floats,
    so the order of draws, and the results, are those of drawing each negative when used.
    """
    n = np.uint64(prob.shape[0])
    for q in range(count):
        state, z = next_u64(state)
        i = below(z, n)
        u = np.float64(np.int64(z & _LOW32)) * _UNIT32
        negs[q] = i if u < prob[i] else alias[i]
    return state


# --- logistic -------------------------------------------------------------------------------


@jit
def logistic(f):
    """(sigma(f), 1 + exp(-|f|)) in float32 for a float32 logit ``f``, never overflowing.

    The second value is what the loss needs: ``-log sigma(+-f) = hinge(f, label) +
    log(1 + exp(-|f|))``; kernels multiply these factors (each in [1, 2]) over a term and take
    one ``log``. A NaN ``f`` gives NaN for both.
    """
    e = math.exp(-abs(f))  # in (0, 1]
    r = _ONE / (_ONE + e)
    return (r if f >= _ZERO else e * r), _ONE + e


@jit
def hinge(f, positive):
    """``max(-f, 0)`` when ``positive`` (label 1), else ``max(f, 0)``, as ``(|f| -+ f) / 2``.

    The same values for every finite ``f`` (the halving is exact), but infinite or NaN for a
    non-finite ``f`` of either sign: divergence cannot hide behind a clipped term.
    """
    a = abs(f)
    return _HALF * (a - f) if positive else _HALF * (a + f)


# --- rows -----------------------------------------------------------------------------------


@jit
def add(dst, src):
    """``dst += src`` (rows of equal length)."""
    for k in range(dst.shape[0]):
        dst[k] += src[k]


@jit
def fill0(buf):
    for k in range(buf.shape[0]):
        buf[k] = _ZERO


@intrinsic
def prefetch(typingctx, arr, idx):
    """``llvm.prefetch`` of ``arr[idx]``: a cache hint that never faults nor waits."""

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])  # read, keep in all levels, data
        return context.get_dummy_value()

    return types.void(arr, idx), codegen


@jit
def prefetch_row(row):
    """Ask for every cache line of one float32 row."""
    for k in range(0, row.shape[0], 16):  # 16 float32 = one 64-byte line
        prefetch(row, k)


@jit
def prefetch_rows(mat, rows, count):
    """Ask for every cache line of ``mat[rows[:count]]`` before the first of them is used.

    Rows of drawn negatives are spread over the whole matrix (V x D x 4 bytes): asked for
    together, their misses overlap instead of stalling one prediction each.
    """
    for q in range(count):
        prefetch_row(mat[rows[q]])


# --- one logistic prediction, and the center word against its negatives -----------------------
# (word2vec's and fastText's negative sampling: one definition for both kernels)


@jit
def predict(l1, out, neu1e, label, alpha):
    """One logistic prediction of ``label`` (float32 0 or 1) from input ``l1`` (D,).

    Updates the output row ``out`` (D,) in place and adds the input's gradient to ``neu1e``
    (D,). Returns (``max(-+f, 0)``, ``1 + e``): the two parts of ``-log sigma(+-f)``.
    """
    dim = l1.shape[0]
    f = _ZERO
    for k in range(dim):
        f += l1[k] * out[k]
    s, prod = logistic(f)
    g = (label - s) * alpha
    for k in range(dim):  # one pass: the old output row feeds neu1e, then takes its update
        o = out[k]
        neu1e[k] += g * o
        out[k] = o + g * l1[k]
    return hinge(f, label > _ZERO), prod


@jit
def ns_targets(word, negs, q0, negative, l1, syn1, neu1e, alpha):
    """The center word and its negatives ``negs[q0:q0+negative]`` against input ``l1``; loss."""
    part, prod = predict(l1, syn1[word], neu1e, _ONE, alpha)
    loss = np.float64(part)
    prod64 = np.float64(prod)
    for q in range(q0, q0 + negative):
        t = negs[q]
        if t == word:  # word2vec.c skips it: one negative fewer, not a redraw
            continue
        part, prod = predict(l1, syn1[t], neu1e, _ZERO, alpha)
        loss += part
        prod64 *= prod
    return loss + math.log(prod64)



# --- the dispatchers' checks ----------------------------------------------------------------


def in_place(name: str, a: np.ndarray) -> np.ndarray:
    """``a`` itself, if the kernels can update it in place; else ``TypeError`` naming it."""
    # A converted copy would be trained and thrown away: refuse instead of losing updates.
    if a.dtype != np.float32 or a.ndim != 2 or not a.flags.c_contiguous or not a.flags.writeable:
        raise TypeError(f"{name} must be a writeable C-contiguous float32 matrix, got dtype="
                        f"{a.dtype}, shape {a.shape}, C-contiguous {a.flags.c_contiguous}, "
                        f"writeable {a.flags.writeable}")
    return a


def alias_arrays(name: str, table: object) -> tuple[np.ndarray, np.ndarray]:
    """``(prob float32, alias int32)`` of an alias table (``vocab.sampling.AliasTable`` or
    any pair of equal-length 1-d arrays); ``TypeError`` naming ``name`` otherwise."""
    if not isinstance(table, tuple) or len(table) != 2:
        raise TypeError(f"{name} must be an alias table (prob, alias) from "
                        f"embedlayer.vocab.alias_table, got {type(table).__name__}")
    prob = np.ascontiguousarray(table[0], dtype=np.float32)
    alias = np.ascontiguousarray(table[1], dtype=np.int32)
    if prob.ndim != 1 or prob.shape != alias.shape or prob.size == 0 or prob.size >= 2**32:
        raise TypeError(f"{name} must hold two 1-d arrays of one length in [1, 2**32), got "
                        f"shapes {prob.shape} and {alias.shape}")
    return prob, alias
