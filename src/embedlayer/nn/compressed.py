"""Compressed embedding layers that drop in for ``EmbeddingLayer``: quantized, PQ and low-rank.

What it holds: three torch modules with ``EmbeddingLayer``'s contract (ids (B, T) int64 ->
(B, T, D) float32, padded positions exactly zero, ``vocab`` (or None), ``dim``,
``padding_idx``, ``mask``, ``on_epoch_start``, ``to_vectors``, ``config`` / ``from_config``),
each storing the matrix in fewer bytes:

- ``QuantizedEmbedding``: fixed 8- or 4-bit scalar codes with a float32 ``scale`` and
  ``offset`` per row or per column (value = offset + scale * code);
- ``PQEmbedding``: fixed product-quantized codes (one byte per subspace) and codebooks, with an
  optional OPQ rotation;
- ``LowRankEmbedding``: E = A @ B with both factors trainable, so a model can train with it
  from the start, or compress a trained ``EmbeddingLayer`` by truncated SVD.

The quantized and PQ layers dequantize only the rows a batch looks up, never the whole
matrix. Their array layouts are the ones the ``compress`` package writes (documented on each
class), so its results load here unchanged. What it leaves out: training codebooks (k-means,
OPQ) and choosing bit widths, which are ``compress``'s work; the plain ``EmbeddingLayer``
(``nn/embedding.py``) and its freezing, dropout and resizing, which fixed codes do not need.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from torch import nn

from embedlayer.errors import ConfigError
from embedlayer.nn._init import initial_matrix
from embedlayer.nn.embedding import EmbeddingLayer
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import Vocab

__all__ = ["LowRankEmbedding", "PQEmbedding", "QuantAxis", "QuantizedEmbedding",
           "embedding_from_config"]

# "row": one scale and offset per vocabulary row (N of each); "dim": one per column (D of each).
QuantAxis = Literal["row", "dim"]
_AXES = ("row", "dim")
_BITS = (4, 8)
_MAX_CENTROIDS = 256  # a PQ code is one byte
_CONFIG_VERSION = 1


# --- argument checks, shared by the three layers ------------------------------------------
def _check_int(owner: str, name: str, value: Any, *, low: int, high: int | None = None) -> int:
    bad = isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low \
        or (high is not None and value > high)
    if bad:
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ConfigError(f"{owner}: {name} must be an int {span}, got {value!r}")
    return int(value)


def _as_array(owner: str, name: str, value: Any) -> np.ndarray:
    """A numpy view of an array-like or tensor (detached, on the CPU); dtype unchanged."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu").numpy()
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{owner}: {name} is not an array: {exc}") from None


def _float_matrix(owner: str, name: str, value: Any, *, ndim: int = 2) -> np.ndarray:
    """A finite, non-empty float32 array of ``ndim`` dimensions (a copy)."""
    arr = _as_array(owner, name, value)
    if arr.dtype.kind not in "fiu" or arr.dtype == np.bool_:
        raise ConfigError(f"{owner}: {name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ConfigError(f"{owner}: {name} must have {ndim} dimensions, got shape {arr.shape}")
    if arr.size == 0:
        raise ConfigError(f"{owner}: {name} is empty (shape {arr.shape})")
    out = np.array(arr, dtype=np.float32)  # copy: the layer owns its numbers
    if not np.isfinite(out).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise ConfigError(f"{owner}: {name} holds a NaN or infinite value at index {where} "
                          f"({out[where]})")
    return out


def _check_mode(owner: str, bits: Any, axis: Any) -> None:
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer) or bits not in _BITS:
        raise ConfigError(f"{owner}: bits must be 4 or 8, got {bits!r}")
    if axis not in _AXES:
        raise ConfigError(f"{owner}: axis must be one of {', '.join(_AXES)}, got {axis!r}")


def _check_vocab(owner: str, vocab: Any, n: int) -> Vocab | None:
    if vocab is None:
        return None
    if not isinstance(vocab, Vocab):
        raise ConfigError(f"{owner}: vocab must be a Vocab or None, got {type(vocab).__name__}")
    if len(vocab) != n:
        raise ConfigError(f"{owner}: the vocabulary has {len(vocab)} tokens but the matrix has "
                          f"{n} rows")
    return vocab


def _check_padding(owner: str, padding_idx: Any, n: int) -> int | None:
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int | np.integer) \
            or not -n <= padding_idx < n:
        raise ConfigError(f"{owner}: padding_idx must be None or a row id in [{-n}, {n}) for a "
                          f"matrix of {n} rows, got {padding_idx!r}")
    return int(padding_idx) % n


def _check_config(owner: str, config: Any, vocab: Vocab | None) -> dict[str, Any]:
    fmt = f"embedlayer.nn.{owner}"
    if not isinstance(config, dict) or config.get("format") != fmt:
        raise ConfigError(f"from_config: not a {owner} config (format should be {fmt!r}), "
                          f"got {str(config)[:80]}")
    if config.get("format_version") != _CONFIG_VERSION:
        raise ConfigError(f"from_config: {owner} config format_version "
                          f"{config.get('format_version')!r} is not supported "
                          f"(expected {_CONFIG_VERSION})")
    if vocab is not None and config.get("vocab_size") != len(vocab):
        raise ConfigError(f"from_config: the config is for a vocabulary of "
                          f"{config.get('vocab_size')} tokens, got one of {len(vocab)}")
    return config


# --- what the three layers share ----------------------------------------------------------
class _CompressedLayer(nn.Module):
    """The ``EmbeddingLayer`` contract around a ``_rows(flat_ids) -> (n, D)`` lookup."""

    vocab: Vocab | None
    dim: int
    padding_idx: int | None

    def _rows(self, flat: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def reconstruct(self) -> torch.Tensor:
        """The whole (N, D) float32 matrix this layer stands for (padding row zeros), detached.

        For export and inspection only: ``forward`` never builds it.
        """
        with torch.no_grad():
            n = self.num_rows
            flat = torch.arange(n, device=self._device())
            return self.forward(flat.unsqueeze(0)).squeeze(0).detach()  # (N, D)

    @property
    def num_rows(self) -> int:
        """N, the number of rows (``len(vocab)`` when there is a vocabulary)."""
        raise NotImplementedError  # pragma: no cover - every layer defines it

    def _device(self) -> torch.device:
        for tensor in (*self.buffers(), *self.parameters()):
            return tensor.device
        return torch.device("cpu")  # pragma: no cover - every layer holds a tensor

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) (or any shape) integer ids -> (..., D) float32 vectors."""
        if not isinstance(ids, torch.Tensor) or ids.dtype not in (torch.int64, torch.int32):
            what = ids.dtype if isinstance(ids, torch.Tensor) else type(ids).__name__
            raise ConfigError(f"{type(self).__name__}: ids must be an int64 or int32 tensor, "
                              f"got {what}")
        out = self._rows(ids.reshape(-1).long()).reshape(*ids.shape, self.dim)  # (..., D)
        if self.padding_idx is not None:
            out = out.masked_fill((ids == self.padding_idx).unsqueeze(-1), 0.0)
        return out

    def mask(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) bool: True where ``ids`` is a real token (not ``padding_idx``)."""
        if self.padding_idx is None:
            return torch.ones_like(ids, dtype=torch.bool)
        return ids != self.padding_idx

    def on_epoch_start(self, epoch: int) -> None:
        """Nothing to do (no freezing schedule); checks ``epoch`` as ``EmbeddingLayer`` does."""
        _check_int(type(self).__name__, "epoch", epoch, low=0)

    def to_vectors(self) -> Vectors:
        """The reconstructed matrix as ``Vectors`` keyed by the vocabulary (padding row zeros)."""
        if self.vocab is None:
            raise ConfigError(f"{type(self).__name__}.to_vectors: the layer has no vocabulary "
                              f"(it was built from arrays without vocab=); give one to key the rows")
        return Vectors(self.vocab, self.reconstruct().to("cpu", torch.float32).numpy())

    def _stored(self) -> list[tuple[torch.Tensor, int]]:  # pragma: no cover - abstract
        """(tensor, how many numbers it holds) for every array the layer stores."""
        raise NotImplementedError

    @property
    def parameter_count(self) -> dict[str, int]:
        """How much the embedding holds, for reports, next to the dense float32 matrix's size.

        ``n_parameters``: numbers stored (a 4-bit code counts as one number, as a float does);
        ``nbytes``: bytes of the stored tensors; ``dense_n_parameters`` = N * D and
        ``dense_nbytes`` = 4 * N * D for the ``EmbeddingLayer`` it replaces.
        """
        stored = self._stored()
        dense = self.num_rows * self.dim
        return {"n_parameters": sum(n for _, n in stored),
                "nbytes": sum(t.numel() * t.element_size() for t, _ in stored),
                "dense_n_parameters": dense, "dense_nbytes": 4 * dense}


# --- scalar quantization ------------------------------------------------------------------
def _quantize(x: np.ndarray, bits: int, axis: str,
              skip_row: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Asymmetric min/max quantization of a float32 (N, D) matrix -> unpacked codes (N, D)
    uint8, scale and offset float32 ((N,) for "row", (D,) for "dim").

    ``skip_row`` (the padding row) is left out of the per-column ranges, as its output is
    zero whatever it holds; its codes are 0.
    """
    levels = 2 ** bits - 1
    keep = np.ones(x.shape[0], dtype=bool)
    if skip_row is not None and x.shape[0] > 1:
        keep[skip_row] = False
    if axis == "row":
        lo, hi = x.min(axis=1), x.max(axis=1)  # (N,)
    else:
        lo, hi = x[keep].min(axis=0), x[keep].max(axis=0)  # (D,)
    offset = lo.astype(np.float32)  # x is float32, so the minimum is exact
    scale = ((hi.astype(np.float64) - lo) / levels).astype(np.float32)
    # Codes are rounded against the stored float32 scale and offset, so the error bound
    # |x - (offset + scale * code)| <= scale / 2 holds for what is kept. A constant row or
    # column has scale 0: code 0 gives back its value exactly, with no division by zero.
    safe = np.where(scale > 0, scale, 1.0).astype(np.float64)
    if axis == "row":
        q = (x - offset[:, None].astype(np.float64)) / safe[:, None]
    else:
        q = (x - offset[None, :].astype(np.float64)) / safe[None, :]
    codes = np.clip(np.rint(q), 0, levels).astype(np.uint8)  # (N, D)
    codes[~keep] = 0
    return codes, scale, offset


def _pack4(codes: np.ndarray) -> np.ndarray:
    """(N, D) codes < 16 -> (N, ceil(D/2)): column 2j in the low nibble, 2j+1 in the high one."""
    if codes.shape[1] % 2:
        codes = np.concatenate([codes, np.zeros((codes.shape[0], 1), np.uint8)], axis=1)
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)


class QuantizedEmbedding(_CompressedLayer):
    """Fixed scalar-quantized rows: ids (B, T) -> (B, T, D) float32, padded positions zero.

    Buffers (not trainable; saved in the state dict): ``codes`` uint8, (N, D) for ``bits=8``
    or (N, ceil(D/2)) for ``bits=4`` with two codes a byte (column 2j in the low nibble, 2j+1
    in the high one; for an odd D the last high nibble is unused); ``scale`` and ``offset``
    float32, (N,) for ``axis="row"`` or (D,) for ``axis="dim"``. A value is
    ``offset + scale * code``. Build one with ``from_arrays`` (codes made elsewhere, e.g. by
    ``compress``), ``from_weight`` (quantize a float matrix) or ``from_layer`` (a trained
    ``EmbeddingLayer``). Only the looked-up rows are dequantized.
    """

    def __init__(self, codes: torch.Tensor, scale: torch.Tensor, offset: torch.Tensor, *,
                 bits: int, axis: QuantAxis, dim: int, vocab: Vocab | None,
                 padding_idx: int | None) -> None:
        # Checked arguments only: use the classmethods.
        super().__init__()
        self.register_buffer("codes", codes)
        self.register_buffer("scale", scale)
        self.register_buffer("offset", offset)
        self.bits, self.axis, self.dim = bits, axis, dim
        self.vocab, self.padding_idx = vocab, padding_idx

    @classmethod
    def from_arrays(cls, codes: Any, scale: Any, offset: Any, *, bits: int, axis: QuantAxis,
                    dim: int, vocab: Vocab | None = None,
                    padding_idx: int | None = None) -> QuantizedEmbedding:
        """A layer over given codes, scale and offset (layout: the class docstring); copies them."""
        owner = "QuantizedEmbedding"
        _check_mode(owner, bits, axis)
        dim = _check_int(owner, "dim", dim, low=1)
        arr = _as_array(owner, "codes", codes)
        if arr.dtype != np.uint8:
            raise ConfigError(f"{owner}: codes must be uint8, got dtype {arr.dtype}")
        width = dim if bits == 8 else (dim + 1) // 2
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != width:
            raise ConfigError(f"{owner}: codes must have shape (N, {width}) with N >= 1 for "
                              f"bits={bits} and dim={dim}, got {arr.shape}")
        n = arr.shape[0]
        want = (n,) if axis == "row" else (dim,)
        parts = []
        for name, value in (("scale", scale), ("offset", offset)):
            got = _as_array(owner, name, value).shape
            if got != want:
                raise ConfigError(f"{owner}: {name} must have shape {want} for axis={axis!r} "
                                  f"({'one per row' if axis == 'row' else 'one per column'}), "
                                  f"got {got}")
            parts.append(torch.from_numpy(_float_matrix(owner, name, value, ndim=1)))
        return cls(torch.from_numpy(np.array(arr)), parts[0], parts[1], bits=int(bits),
                   axis=axis, dim=dim, vocab=_check_vocab(owner, vocab, n),
                   padding_idx=_check_padding(owner, padding_idx, n))

    @classmethod
    def from_weight(cls, weight: Any, *, bits: int = 8, axis: QuantAxis = "row",
                    vocab: Vocab | None = None,
                    padding_idx: int | None = None) -> QuantizedEmbedding:
        """Quantize a float (N, D) matrix (tensor or array): min/max per row or per column.

        scale = (max - min) / (2**bits - 1), offset = min, code = round((x - offset) / scale),
        so every kept value is within scale / 2 of the original (a constant row or column is
        exact, with scale 0). The padding row is left out of per-column ranges; its output is
        zero whatever its codes.
        """
        owner = "QuantizedEmbedding.from_weight"
        _check_mode(owner, bits, axis)
        x = _float_matrix(owner, "weight", weight)  # (N, D) float32
        pad = _check_padding(owner, padding_idx, x.shape[0])
        codes, scale, offset = _quantize(x, bits, axis, pad)
        if bits == 4:
            codes = _pack4(codes)
        return cls.from_arrays(codes, scale, offset, bits=bits, axis=axis, dim=x.shape[1],
                               vocab=vocab, padding_idx=pad)

    @classmethod
    def from_layer(cls, layer: EmbeddingLayer, *, bits: int = 8,
                   axis: QuantAxis = "row") -> QuantizedEmbedding:
        """Post-training compression of a trained ``EmbeddingLayer`` (its vocab and padding kept).

        Only the matrix carries over: dropout, ``max_norm`` and ``scale`` are not applied.
        """
        if not isinstance(layer, EmbeddingLayer):
            raise ConfigError(f"QuantizedEmbedding.from_layer: expected an EmbeddingLayer, "
                              f"got {type(layer).__name__}")
        return cls.from_weight(layer.weight, bits=bits, axis=axis, vocab=layer.vocab,
                               padding_idx=layer.padding_idx)

    @property
    def num_rows(self) -> int:
        """N, the number of rows."""
        return int(self.codes.shape[0])

    def _rows(self, flat: torch.Tensor) -> torch.Tensor:
        c = self.codes.index_select(0, flat)  # (n, D) or (n, ceil(D/2)) uint8
        if self.bits == 4:
            c = torch.stack((c & 0x0F, c >> 4), dim=-1).reshape(c.shape[0], -1)[:, :self.dim]
        q = c.to(self.scale.dtype)  # (n, D)
        if self.axis == "row":
            return self.offset[flat].unsqueeze(1) + self.scale[flat].unsqueeze(1) * q
        return self.offset.unsqueeze(0) + self.scale.unsqueeze(0) * q

    def _stored(self) -> list[tuple[torch.Tensor, int]]:
        return [(self.codes, self.num_rows * self.dim), (self.scale, self.scale.numel()),
                (self.offset, self.offset.numel())]

    def config(self) -> dict[str, Any]:
        """The shape and settings as a JSON-able dict (the arrays go in the state dict)."""
        return {"format": "embedlayer.nn.QuantizedEmbedding", "format_version": _CONFIG_VERSION,
                "vocab_size": self.num_rows, "dim": self.dim, "bits": self.bits,
                "axis": self.axis, "padding_idx": self.padding_idx}

    @classmethod
    def from_config(cls, vocab: Vocab | None, config: dict[str, Any]) -> QuantizedEmbedding:
        """A zero layer of the recorded shape; load the arrays with ``load_state_dict``."""
        config = _check_config("QuantizedEmbedding", config, vocab)
        try:
            n, dim, bits, axis = (config["vocab_size"], config["dim"], config["bits"],
                                  config["axis"])
            pad = config["padding_idx"]
        except KeyError as exc:
            raise ConfigError(f"from_config: the QuantizedEmbedding config lacks {exc}") from None
        dim = _check_int("QuantizedEmbedding.from_config", "dim", dim, low=1)
        n = _check_int("QuantizedEmbedding.from_config", "vocab_size", n, low=1)
        width = dim if bits == 8 else (dim + 1) // 2
        size = n if axis == "row" else dim
        return cls.from_arrays(np.zeros((n, width), np.uint8), np.zeros(size, np.float32),
                               np.zeros(size, np.float32), bits=bits, axis=axis, dim=dim,
                               vocab=vocab, padding_idx=pad)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_rows}, {self.dim}, bits={self.bits}, axis={self.axis!r}{pad}"


# --- product quantization -----------------------------------------------------------------
class PQEmbedding(_CompressedLayer):
    """Fixed product-quantized rows: ids (B, T) -> (B, T, D) float32, padded positions zero.

    Buffers (not trainable): ``codes`` uint8 (N, M), one centroid id per subspace;
    ``codebooks`` float32 (M, K, r/M) with K <= 256; optional ``rotation`` float32 (D, r)
    with orthonormal columns (OPQ's square rotation, or with r < D a projection on the top r
    singular directions as well). A row is ``concat_j codebooks[j, codes[i, j]]``, times
    ``rotation.T`` when there is a rotation R (the codes quantize x @ R); without one, r = D.
    Only the looked-up rows are rebuilt.
    """

    def __init__(self, codes: torch.Tensor, codebooks: torch.Tensor,
                 rotation: torch.Tensor | None, *, vocab: Vocab | None,
                 padding_idx: int | None) -> None:
        # Checked arguments only: use from_arrays.
        super().__init__()
        self.register_buffer("codes", codes)
        self.register_buffer("codebooks", codebooks)
        self.register_buffer("rotation", rotation)
        m, _, dsub = codebooks.shape
        self.rank = m * dsub  # the coded dimension
        self.dim = self.rank if rotation is None else int(rotation.shape[0])
        self.vocab, self.padding_idx = vocab, padding_idx

    @classmethod
    def from_arrays(cls, codes: Any, codebooks: Any, rotation: Any = None, *,
                    vocab: Vocab | None = None, padding_idx: int | None = None) -> PQEmbedding:
        """A layer over given codes, codebooks and rotation (layout: the class docstring)."""
        owner = "PQEmbedding"
        books = _float_matrix(owner, "codebooks", codebooks, ndim=3)  # (M, K, D/M)
        m, k, dsub = books.shape
        if k > _MAX_CENTROIDS:
            raise ConfigError(f"{owner}: codebooks have K={k} centroids per subspace; a uint8 "
                              f"code allows at most {_MAX_CENTROIDS}")
        arr = _as_array(owner, "codes", codes)
        if arr.dtype != np.uint8:
            raise ConfigError(f"{owner}: codes must be uint8, got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != m:
            raise ConfigError(f"{owner}: codes must have shape (N, M={m}) with N >= 1, one code "
                              f"per subspace of the codebooks, got {arr.shape}")
        if int(arr.max()) >= k:
            raise ConfigError(f"{owner}: codes go up to {int(arr.max())} but the codebooks have "
                              f"only K={k} centroids")
        rot = None
        if rotation is not None:
            rot = _float_matrix(owner, "rotation", rotation)
            r = m * dsub
            if rot.shape[1] != r or rot.shape[0] < r:
                raise ConfigError(f"{owner}: rotation is {rot.shape} but the codebooks code "
                                  f"M * r/M = {m} * {dsub} = {r} columns; it must be (D, {r}) "
                                  f"with D >= {r}")
            rot = torch.from_numpy(rot)
        n = arr.shape[0]
        return cls(torch.from_numpy(np.array(arr)), torch.from_numpy(books), rot,
                   vocab=_check_vocab(owner, vocab, n),
                   padding_idx=_check_padding(owner, padding_idx, n))

    @property
    def num_rows(self) -> int:
        """N, the number of rows."""
        return int(self.codes.shape[0])

    def _rows(self, flat: torch.Tensor) -> torch.Tensor:
        c = self.codes.index_select(0, flat).long()  # (n, M)
        m = self.codebooks.shape[0]
        sub = torch.arange(m, device=c.device).unsqueeze(0)  # (1, M)
        out = self.codebooks[sub, c].reshape(c.shape[0], self.rank)  # (n, M, r/M) -> (n, r)
        if self.rotation is not None:
            out = out @ self.rotation.T  # back from the rotated space
        return out

    def _stored(self) -> list[tuple[torch.Tensor, int]]:
        kept = [(self.codes, self.codes.numel()), (self.codebooks, self.codebooks.numel())]
        if self.rotation is not None:
            kept.append((self.rotation, self.rotation.numel()))
        return kept

    def config(self) -> dict[str, Any]:
        """The shape and settings as a JSON-able dict (the arrays go in the state dict)."""
        m, k, _ = self.codebooks.shape
        return {"format": "embedlayer.nn.PQEmbedding", "format_version": _CONFIG_VERSION,
                "vocab_size": self.num_rows, "dim": self.dim, "rank": self.rank,
                "subspaces": int(m), "centroids": int(k),
                "rotation": self.rotation is not None, "padding_idx": self.padding_idx}

    @classmethod
    def from_config(cls, vocab: Vocab | None, config: dict[str, Any]) -> PQEmbedding:
        """A zero layer of the recorded shape; load the arrays with ``load_state_dict``."""
        config = _check_config("PQEmbedding", config, vocab)
        try:
            n, d, m, k = (config["vocab_size"], config["dim"], config["subspaces"],
                          config["centroids"])
            rotated, pad = config["rotation"], config["padding_idx"]
        except KeyError as exc:
            raise ConfigError(f"from_config: the PQEmbedding config lacks {exc}") from None
        owner = "PQEmbedding.from_config"
        n, d = _check_int(owner, "vocab_size", n, low=1), _check_int(owner, "dim", d, low=1)
        r = _check_int(owner, "rank", config.get("rank", d), low=1, high=d)  # old files: D
        if r != d and not rotated:
            raise ConfigError(f"{owner}: rank {r} below dim {d} needs a rotation (the "
                              f"projection back to dim)")
        m = _check_int(owner, "subspaces", m, low=1, high=r)
        k = _check_int(owner, "centroids", k, low=1, high=_MAX_CENTROIDS)
        if r % m:
            raise ConfigError(f"{owner}: M={m} subspaces do not divide the coded dimension {r}")
        return cls.from_arrays(np.zeros((n, m), np.uint8), np.zeros((m, k, r // m), np.float32),
                               np.eye(d, r, dtype=np.float32) if rotated else None,
                               vocab=vocab, padding_idx=pad)

    def extra_repr(self) -> str:
        m, k, _ = self.codebooks.shape
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        rot = ", rotation" if self.rotation is not None else ""
        rank = f", rank={self.rank}" if self.rank != self.dim else ""
        return f"{self.num_rows}, {self.dim}, M={m}, K={k}{rank}{rot}{pad}"


# --- low rank -----------------------------------------------------------------------------
def _svd_factors(matrix: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Truncated SVD (in float64) -> A (N, r), B (r, D) float32 with A @ B the best rank-r fit.

    The singular values are split evenly (A = U sqrt(S), B = sqrt(S) V^T), so both factors
    start at the same scale and train at similar rates.
    """
    u, s, vt = np.linalg.svd(matrix.astype(np.float64), full_matrices=False)
    root = np.sqrt(s[:rank])
    return ((u[:, :rank] * root).astype(np.float32),
            (root[:, None] * vt[:rank]).astype(np.float32))


class LowRankEmbedding(_CompressedLayer):
    """E = A @ B with A (N, r) and B (r, D) both trainable: N*r + r*D numbers instead of N*D.

    Built like ``EmbeddingLayer`` (``vocab``, ``dim``, ``padding_idx="auto"``, ``seed``,
    ``vectors`` to start from pretrained rows): the factors are the truncated SVD of the
    matrix an ``EmbeddingLayer`` would start from (missing rows drawn as its
    ``oov_init="normal"``). ``from_factors`` takes given factors, ``from_layer`` compresses a
    trained ``EmbeddingLayer``. A looked-up row is ``A[id] @ B``; padded positions are zero
    and send no gradient to A or B. ``freeze`` as ``EmbeddingLayer``'s: ``True`` keeps the
    factors fixed, N keeps them fixed for epochs 0..N-1 (``on_epoch_start``). ``source`` records where the factors came from
    (``"normal"``, ``"vectors"``, ``"factors"`` or ``"layer"``).
    """

    def __init__(self, vocab: Vocab, dim: int | None, rank: int, *,
                 padding_idx: int | Literal["auto"] | None = "auto", seed: int = 0,
                 vectors: VectorStore | None = None, freeze: bool | int = False) -> None:
        super().__init__()
        owner = "LowRankEmbedding"
        if not isinstance(vocab, Vocab):
            raise ConfigError(f"{owner}: vocab must be a Vocab, got {type(vocab).__name__}")
        if len(vocab) == 0:
            raise ConfigError(f"{owner}: the vocabulary is empty")
        if vectors is not None and not isinstance(vectors, VectorStore):
            raise ConfigError(f"{owner}: vectors must be a VectorStore (Vectors, "
                              f"SubwordVectors...), got {type(vectors).__name__}")
        if dim is None:
            if vectors is None:
                raise ConfigError(f"{owner}: give dim, or vectors to take it from")
            dim = vectors.dim
        dim = _check_int(owner, "dim", dim, low=1)
        if vectors is not None and vectors.dim != dim:
            raise ConfigError(f"{owner}: dim={dim} but the vectors have dim {vectors.dim} "
                              f"({vectors!r}); give dim=None to take the vectors' dim")
        rank = _check_int(owner, "rank", rank, low=1, high=min(len(vocab), dim))
        seed = _check_int(owner, "seed", seed, low=0)
        pad = vocab.pad_id if padding_idx == "auto" else _check_padding(owner, padding_idx,
                                                                        len(vocab))
        matrix, _ = initial_matrix(vocab, dim, vectors, "normal", pad, seed)  # (N, D)
        a, b = _svd_factors(matrix.numpy(), rank)
        self._set(a, b, vocab=vocab, padding_idx=pad, seed=seed,
                  source="vectors" if vectors is not None else "normal")
        if isinstance(freeze, bool):
            self._freeze_epochs = -1 if freeze else 0
        else:
            self._freeze_epochs = _check_int(owner, "freeze (True/False or a number of epochs)",
                                             freeze, low=0)
        self.on_epoch_start(0)

    @property
    def freeze(self) -> bool | int:
        """``True`` (always fixed), ``False``, or N: the factors fixed for epochs 0..N-1."""
        return True if self._freeze_epochs < 0 else (self._freeze_epochs or False)

    def on_epoch_start(self, epoch: int) -> None:
        """Apply the freezing schedule for ``epoch`` (0-based) to A and B, as
        ``EmbeddingLayer`` does to its matrix."""
        epoch = _check_int(type(self).__name__, "epoch", epoch, low=0)
        frozen = self._freeze_epochs < 0 or epoch < self._freeze_epochs
        self.A.requires_grad_(not frozen)
        self.B.requires_grad_(not frozen)

    def _set(self, a: np.ndarray, b: np.ndarray, *, vocab: Vocab | None,
             padding_idx: int | None, seed: int, source: str) -> None:
        self.A = nn.Parameter(torch.from_numpy(a))  # (N, r)
        self.B = nn.Parameter(torch.from_numpy(b))  # (r, D)
        self._freeze_epochs = 0  # trainable; the constructor may set a schedule
        self.vocab, self.padding_idx = vocab, padding_idx
        self.dim, self.rank, self.seed, self.source = b.shape[1], b.shape[0], seed, source

    @classmethod
    def from_factors(cls, A: Any, B: Any, *, vocab: Vocab | None = None,
                     padding_idx: int | None = None) -> LowRankEmbedding:
        """A layer over given factors A (N, r) and B (r, D) (copied, float32)."""
        owner = "LowRankEmbedding"
        a, b = _float_matrix(owner, "A", A), _float_matrix(owner, "B", B)
        if a.shape[1] != b.shape[0]:
            raise ConfigError(f"{owner}: A {a.shape} and B {b.shape} do not chain: A must be "
                              f"(N, r) and B (r, D)")
        n, d = a.shape[0], b.shape[1]
        _check_int(owner, "rank", a.shape[1], low=1, high=min(n, d))
        layer = cls.__new__(cls)
        nn.Module.__init__(layer)
        layer._set(a, b, vocab=_check_vocab(owner, vocab, n),
                   padding_idx=_check_padding(owner, padding_idx, n), seed=0, source="factors")
        return layer

    @classmethod
    def from_layer(cls, layer: EmbeddingLayer, rank: int) -> LowRankEmbedding:
        """The rank-``rank`` truncated SVD of a trained ``EmbeddingLayer`` (vocab, padding kept)."""
        owner = "LowRankEmbedding.from_layer"
        if not isinstance(layer, EmbeddingLayer):
            raise ConfigError(f"{owner}: expected an EmbeddingLayer, got {type(layer).__name__}")
        matrix = layer.weight.detach().to("cpu", torch.float32).numpy()
        rank = _check_int(owner, "rank", rank, low=1, high=min(matrix.shape))
        out = cls.from_factors(*_svd_factors(matrix, rank), vocab=layer.vocab,
                               padding_idx=layer.padding_idx)
        out.source = "layer"
        return out

    @property
    def num_rows(self) -> int:
        """N, the number of rows."""
        return int(self.A.shape[0])

    def _rows(self, flat: torch.Tensor) -> torch.Tensor:
        # padding_idx: the padding row of A gets no gradient, as in EmbeddingLayer.
        return F.embedding(flat, self.A, self.padding_idx) @ self.B  # (n, r) @ (r, D)

    def _stored(self) -> list[tuple[torch.Tensor, int]]:
        return [(self.A, self.A.numel()), (self.B, self.B.numel())]

    def config(self) -> dict[str, Any]:
        """The shape and settings as a JSON-able dict (the factors go in the state dict)."""
        return {"format": "embedlayer.nn.LowRankEmbedding", "format_version": _CONFIG_VERSION,
                "vocab_size": self.num_rows, "dim": self.dim, "rank": self.rank,
                "padding_idx": self.padding_idx, "seed": self.seed, "source": self.source,
                "freeze": self.freeze}

    @classmethod
    def from_config(cls, vocab: Vocab | None, config: dict[str, Any]) -> LowRankEmbedding:
        """A zero layer of the recorded shape; load the factors with ``load_state_dict``."""
        config = _check_config("LowRankEmbedding", config, vocab)
        try:
            n, d, r, pad = (config["vocab_size"], config["dim"], config["rank"],
                            config["padding_idx"])
        except KeyError as exc:
            raise ConfigError(f"from_config: the LowRankEmbedding config lacks {exc}") from None
        owner = "LowRankEmbedding.from_config"
        n, d = _check_int(owner, "vocab_size", n, low=1), _check_int(owner, "dim", d, low=1)
        r = _check_int(owner, "rank", r, low=1, high=min(n, d))
        layer = cls.from_factors(np.zeros((n, r), np.float32), np.zeros((r, d), np.float32),
                                 vocab=vocab, padding_idx=pad)
        layer.seed = _check_int(owner, "seed", config.get("seed", 0), low=0)
        layer.source = str(config.get("source", "factors"))
        freeze = config.get("freeze", False)
        layer._freeze_epochs = -1 if freeze is True else (0 if freeze is False else _check_int(
            owner, "freeze", freeze, low=0))
        layer.on_epoch_start(0)
        return layer

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_rows}, {self.dim}, rank={self.rank}{pad}"


def embedding_from_config(vocab: Vocab | None, config: dict[str, Any]) -> nn.Module:
    """An ``EmbeddingLayer`` or compressed layer from its ``config()``, chosen by the config's
    ``format`` (weights not included: load the state dict next). ``ConfigError`` for an
    unknown format."""
    classes = {"embedlayer.nn.QuantizedEmbedding": QuantizedEmbedding,
               "embedlayer.nn.PQEmbedding": PQEmbedding,
               "embedlayer.nn.LowRankEmbedding": LowRankEmbedding}
    fmt = config.get("format") if isinstance(config, dict) else None
    if fmt in classes:
        return classes[fmt].from_config(vocab, config)
    if vocab is None:
        raise ConfigError(f"embedding_from_config: a {fmt!r} layer needs its vocabulary")
    return EmbeddingLayer.from_config(vocab, config)  # checks the format itself
