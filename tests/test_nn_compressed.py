"""Compressed embedding layers (quantized, PQ, low-rank) against plain numpy reconstructions of
the same arrays; padding, from_layer bounds, gradients, saving and bad input. Tiny tensors only."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name

from embedlayer.errors import ConfigError
from embedlayer.nn import EmbeddingLayer, LowRankEmbedding, PQEmbedding, QuantizedEmbedding
from embedlayer.vectors import Vectors
from embedlayer.vocab import Vocab

SPECIALS = ["<pad>", "<unk>"]
TOL = {"rtol": 1e-6, "atol": 1e-6}
MATMUL_TOL = {"rtol": 1e-5, "atol": 1e-5}  # sums of products may be ordered differently


def _vocab(n: int = 9) -> Vocab:
    return Vocab([*SPECIALS, *(f"w{i}" for i in range(n - 2))], specials=SPECIALS)


def _ids(n: int = 9) -> torch.Tensor:
    return torch.tensor([[2, 3, 8, 0, 0], [n - 1, 1, 2, 5, 0]])  # 0 is <pad>


def _expected(matrix: np.ndarray, ids: torch.Tensor, padding_idx: int | None) -> torch.Tensor:
    """The plain lookup over a reconstructed matrix, padded positions zero."""
    out = F.embedding(ids, torch.from_numpy(np.asarray(matrix, dtype=np.float32)))
    if padding_idx is not None:
        out = out.masked_fill((ids == padding_idx).unsqueeze(-1), 0.0)
    return out


# --- numpy references, written independently of the module ---------------------------------
def _np_unpack4(codes: np.ndarray, dim: int) -> np.ndarray:
    n, width = codes.shape
    out = np.zeros((n, 2 * width), dtype=np.uint8)
    out[:, 0::2] = codes & 0x0F  # column 2j: low nibble
    out[:, 1::2] = codes >> 4  # column 2j+1: high nibble
    return out[:, :dim]


def _np_dequantize(codes, scale, offset, *, bits, axis, dim) -> np.ndarray:
    q = (_np_unpack4(codes, dim) if bits == 4 else codes).astype(np.float32)
    if axis == "row":
        return offset[:, None] + scale[:, None] * q
    return offset[None, :] + scale[None, :] * q


def _np_pq(codes, codebooks, rotation=None) -> np.ndarray:
    m = codebooks.shape[0]
    parts = [codebooks[j][codes[:, j]] for j in range(m)]  # each (N, D/M)
    x = np.concatenate(parts, axis=1)
    return x if rotation is None else x @ rotation.T


def _trained_looking_layer(n: int = 9, dim: int = 7, seed: int = 3) -> EmbeddingLayer:
    layer = EmbeddingLayer(_vocab(n), dim, seed=seed)
    rng = np.random.default_rng(seed)
    with torch.no_grad():  # uneven column scales and a shifted mean, as trained rows have
        w = layer.weight.numpy() * rng.uniform(0.05, 2.0, size=dim) + rng.normal(size=dim)
        w[0] = 0.0
        layer.weight.copy_(torch.from_numpy(w.astype(np.float32)))
    return layer


# --- QuantizedEmbedding -----------------------------------------------------------------------
@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("axis", ["row", "dim"])
@pytest.mark.parametrize("dim", [5, 6])
def test_quantized_forward_equals_numpy_dequantization(bits, axis, dim):
    rng = np.random.default_rng(bits * 10 + dim)
    n = 9
    width = dim if bits == 8 else (dim + 1) // 2
    codes = rng.integers(0, 256, size=(n, width), dtype=np.uint8)  # odd D: junk high nibble
    size = n if axis == "row" else dim
    scale = rng.uniform(0.01, 0.5, size).astype(np.float32)
    offset = rng.normal(size=size).astype(np.float32)
    layer = QuantizedEmbedding.from_arrays(codes, scale, offset, bits=bits, axis=axis, dim=dim,
                                           padding_idx=0)
    assert layer.codes.dtype == torch.uint8 and tuple(layer.codes.shape) == (n, width)
    assert not any(p.requires_grad for p in layer.parameters())  # fixed: buffers only
    out = layer(_ids())
    assert out.dtype == torch.float32 and out.shape == (2, 5, dim)
    matrix = _np_dequantize(codes, scale, offset, bits=bits, axis=axis, dim=dim)
    torch.testing.assert_close(out, _expected(matrix, _ids(), 0), **TOL)
    assert torch.equal(out[0, 3:], torch.zeros(2, dim))  # padded positions exactly zero


def test_four_bit_codes_low_nibble_first_known_answer():
    # 0x21 -> columns 0, 1 = 1, 2; 0xF3 -> column 2 = 3 and column 3 = 15 (odd D=3 drops it)
    codes = np.array([[0x21, 0xF3], [0x00, 0x0A]], dtype=np.uint8)
    layer = QuantizedEmbedding.from_arrays(codes, [1.0, 0.5], [0.0, 1.0], bits=4, axis="row",
                                           dim=3)
    out = layer(torch.tensor([[0, 1]]))
    assert out[0].tolist() == [[1.0, 2.0, 3.0], [1.0, 1.0, 6.0]]


@pytest.mark.parametrize("dim", [6, 7])
def test_from_weight_packs_two_codes_a_byte(dim):
    w = np.random.default_rng(dim).normal(size=(4, dim)).astype(np.float32)
    layer = QuantizedEmbedding.from_weight(w, bits=4)
    codes = layer.codes.numpy()
    assert codes.shape == (4, (dim + 1) // 2)
    unpacked = _np_unpack4(codes, dim)
    assert unpacked.max() <= 15 and unpacked.min() == 0 and unpacked.max() == 15
    if dim % 2:
        assert (codes[:, -1] >> 4 == 0).all()  # an odd D leaves the last high nibble 0


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("axis", ["row", "dim"])
def test_from_weight_error_is_at_most_half_a_step(bits, axis):
    w = (np.random.default_rng(7).normal(size=(11, 6)) * [0.1, 1, 3, 0.5, 2, 10]).astype(
        np.float32)
    layer = QuantizedEmbedding.from_weight(w, bits=bits, axis=axis)
    scale, offset = layer.scale.numpy(), layer.offset.numpy()
    assert scale.shape == ((11,) if axis == "row" else (6,))
    np.testing.assert_array_equal(offset, w.min(axis=1 if axis == "row" else 0))
    deq = _np_dequantize(layer.codes.numpy(), scale, offset, bits=bits, axis=axis, dim=6)
    step = scale[:, None] if axis == "row" else scale[None, :]
    assert (np.abs(w - deq) <= step / 2 + 1e-6 * (1 + np.abs(w))).all()
    torch.testing.assert_close(layer.reconstruct(), torch.from_numpy(deq), **TOL)


def test_constant_rows_and_columns_come_back_exactly():
    w = np.array([[2.5, 2.5, 2.5], [1.0, -1.0, 0.5], [0.0, 0.0, 0.0]], dtype=np.float32)
    layer = QuantizedEmbedding.from_weight(w, bits=8, axis="row")
    assert layer.scale[0] == 0 and layer.scale[2] == 0
    np.testing.assert_array_equal(layer.reconstruct().numpy()[[0, 2]], w[[0, 2]])
    cols = np.array([[1.0, 3.0], [1.0, -2.0]], dtype=np.float32)
    by_dim = QuantizedEmbedding.from_weight(cols, bits=4, axis="dim")
    np.testing.assert_array_equal(by_dim.reconstruct().numpy()[:, 0], [1.0, 1.0])
    assert np.isfinite(by_dim.reconstruct().numpy()).all()


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("axis", ["row", "dim"])
def test_from_layer_stays_within_the_quantization_bound(bits, axis):
    layer = _trained_looking_layer()
    q = QuantizedEmbedding.from_layer(layer, bits=bits, axis=axis)
    assert q.vocab is layer.vocab and q.padding_idx == layer.padding_idx == 0 and q.dim == 7
    w = layer.weight.detach().numpy()
    got = q(_ids()).numpy()
    want = layer(_ids()).detach().numpy()
    scale = q.scale.numpy()
    ids = _ids().numpy()
    step = scale[ids][..., None] if axis == "row" else scale[None, None, :]
    assert (np.abs(got - want) <= step / 2 + 1e-6 * (1 + np.abs(want))).all()
    assert (got[ids == 0] == 0).all()  # padded positions exactly zero
    # the padding row is left out of the per-column ranges: they are those of the real rows
    if axis == "dim":
        np.testing.assert_array_equal(q.offset.numpy(), w[1:].min(axis=0))
    vec = q.to_vectors()
    assert isinstance(vec, Vectors) and vec.keys == layer.vocab.tokens
    np.testing.assert_array_equal(vec.matrix, q.reconstruct().numpy())
    assert (vec.matrix[0] == 0).all()


def test_quantized_padding_row_is_zero_whatever_its_codes():
    codes = np.full((3, 2), 200, dtype=np.uint8)
    layer = QuantizedEmbedding.from_arrays(codes, np.ones(3, np.float32), np.ones(3, np.float32),
                                           bits=8, axis="row", dim=2, padding_idx=-2)
    assert layer.padding_idx == 1
    out = layer(torch.tensor([[0, 1, 2]]))
    assert out[0, 1].tolist() == [0.0, 0.0] and out[0, 0].tolist() == [201.0, 201.0]
    assert layer.mask(torch.tensor([[0, 1, 2]])).tolist() == [[True, False, True]]


# --- PQEmbedding --------------------------------------------------------------------------------
@pytest.mark.parametrize("rotated", [False, True])
def test_pq_forward_equals_numpy_reconstruction(rotated):
    rng = np.random.default_rng(11)
    n, m, k, dsub = 9, 3, 5, 2
    codes = rng.integers(0, k, size=(n, m), dtype=np.uint8)
    books = rng.normal(size=(m, k, dsub)).astype(np.float32)
    rot = np.linalg.qr(rng.normal(size=(m * dsub, m * dsub)))[0].astype(np.float32) \
        if rotated else None
    layer = PQEmbedding.from_arrays(codes, books, rot, vocab=_vocab(n), padding_idx=0)
    assert layer.dim == 6 and layer.num_rows == n
    out = layer(_ids())
    assert out.dtype == torch.float32 and out.shape == (2, 5, 6)
    torch.testing.assert_close(out, _expected(_np_pq(codes, books, rot), _ids(), 0),
                               **(MATMUL_TOL if rotated else TOL))
    assert torch.equal(out[0, 3:], torch.zeros(2, 6))


def test_pq_known_answer_and_rotation_undoes_itself():
    books = np.array([[[1.0], [2.0]], [[10.0], [20.0]]], dtype=np.float32)  # M=2, K=2, D/M=1
    codes = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    plain = PQEmbedding.from_arrays(codes, books)
    assert plain(torch.tensor([[0, 1]]))[0].tolist() == [[1.0, 20.0], [2.0, 10.0]]
    swap = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)  # x @ R swaps the columns
    rotated = PQEmbedding.from_arrays(codes, books, swap)
    assert rotated(torch.tensor([[0]]))[0].tolist() == [[20.0, 1.0]]


def test_pq_with_a_projection_rebuilds_in_the_full_dimension():
    rng = np.random.default_rng(11)
    books = rng.normal(size=(2, 4, 2)).astype(np.float32)  # M=2, K=4, r=4
    codes = rng.integers(0, 4, (9, 2)).astype(np.uint8)
    proj, _ = np.linalg.qr(rng.normal(size=(7, 4)))  # (D=7, r=4), orthonormal columns
    proj = proj.astype(np.float32)
    layer = PQEmbedding.from_arrays(codes, books, proj, padding_idx=0)
    assert (layer.num_rows, layer.dim, layer.rank) == (9, 7, 4)
    torch.testing.assert_close(layer(_ids()), _expected(_np_pq(codes, books, proj), _ids(), 0),
                               **MATMUL_TOL)
    config = json.loads(json.dumps(layer.config()))
    again = PQEmbedding.from_config(None, config)
    again.load_state_dict(layer.state_dict())
    torch.testing.assert_close(again(_ids()), layer(_ids()))
    assert "rank=4" in repr(layer)


# --- LowRankEmbedding ---------------------------------------------------------------------------
def test_low_rank_forward_equals_numpy_product():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(9, 3)).astype(np.float32)
    b = rng.normal(size=(3, 7)).astype(np.float32)
    layer = LowRankEmbedding.from_factors(a, b, padding_idx=0)
    assert (layer.num_rows, layer.dim, layer.rank) == (9, 7, 3)
    torch.testing.assert_close(layer(_ids()), _expected(a @ b, _ids(), 0), **MATMUL_TOL)


def test_full_rank_reproduces_the_layer():
    layer = _trained_looking_layer()
    low = LowRankEmbedding.from_layer(layer, rank=7)
    assert low.vocab is layer.vocab and low.padding_idx == 0 and low.source == "layer"
    torch.testing.assert_close(low(_ids()), layer(_ids()).detach(), **MATMUL_TOL)
    torch.testing.assert_close(low.reconstruct(), layer.weight.detach(), **MATMUL_TOL)


def test_truncated_rank_is_the_best_fit_of_that_rank():
    layer = _trained_looking_layer()
    w = layer.weight.detach().numpy().astype(np.float64)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    best = (u[:, :2] * s[:2]) @ vt[:2]
    best[0] = 0.0  # the padding row comes out as zeros
    low = LowRankEmbedding.from_layer(layer, 2)
    torch.testing.assert_close(low.reconstruct(), torch.from_numpy(best.astype(np.float32)),
                               **MATMUL_TOL)


def test_constructor_starts_from_the_matrix_an_embedding_layer_starts_from():
    vec = Vectors(["w0", "w1", "w3"], np.arange(12, dtype=np.float32).reshape(3, 4) / 7)
    dense = EmbeddingLayer(_vocab(), vectors=vec, seed=4)
    low = LowRankEmbedding(_vocab(), None, 4, vectors=vec, seed=4)
    assert low.dim == 4 and low.padding_idx == 0 and low.source == "vectors"
    torch.testing.assert_close(low.reconstruct(), dense.weight.detach(), **MATMUL_TOL)
    plain = LowRankEmbedding(_vocab(), 6, 2, seed=1)
    again = LowRankEmbedding(_vocab(), 6, 2, seed=1)
    assert torch.equal(plain.A, again.A) and torch.equal(plain.B, again.B)  # repeatable
    assert plain.A.shape == (9, 2) and plain.B.shape == (2, 6)


def test_gradients_reach_both_factors_but_not_through_padding():
    layer = LowRankEmbedding(_vocab(), 6, 3, seed=2)
    assert layer.A.requires_grad and layer.B.requires_grad
    ids = _ids()
    layer(ids).pow(2).sum().backward()
    used = set(ids.flatten().tolist()) - {0}
    rows_with_grad = {i for i in range(9) if layer.A.grad[i].abs().sum() > 0}
    assert rows_with_grad == used  # padding row and unused rows get nothing
    assert layer.B.grad.abs().sum() > 0
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    before = layer(ids).detach()
    opt.step()
    assert not torch.allclose(layer(ids), before)
    assert torch.equal(layer(ids)[0, 3:], torch.zeros(2, 6))


# --- the shared contract ----------------------------------------------------------------------
def _three_layers() -> list:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(9, 6)).astype(np.float32)
    return [
        QuantizedEmbedding.from_weight(w, bits=4, axis="dim", vocab=_vocab(), padding_idx=0),
        PQEmbedding.from_arrays(rng.integers(0, 4, size=(9, 2), dtype=np.uint8),
                                rng.normal(size=(2, 4, 3)).astype(np.float32),
                                np.linalg.qr(rng.normal(size=(6, 6)))[0], vocab=_vocab(),
                                padding_idx=0),
        LowRankEmbedding(_vocab(), 6, 2, seed=3),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["quantized", "pq", "low_rank"])
def test_config_round_trip_with_the_state_dict(index):
    layer = _three_layers()[index]
    config = json.loads(json.dumps(layer.config()))  # JSON-able, as a model folder saves it
    again = type(layer).from_config(_vocab(), config)
    assert again.config() == config
    again.load_state_dict(layer.state_dict())
    assert torch.equal(again(_ids()), layer(_ids()))
    unkeyed = type(layer).from_config(None, config)
    assert unkeyed.vocab is None and unkeyed.num_rows == 9
    with pytest.raises(ConfigError, match="vocabulary of 9"):
        type(layer).from_config(_vocab(5), config)
    with pytest.raises(ConfigError, match="format_version"):
        type(layer).from_config(_vocab(), {**config, "format_version": 99})
    with pytest.raises(ConfigError, match="not a"):
        type(layer).from_config(_vocab(), EmbeddingLayer(_vocab(), 6).config())


@pytest.mark.parametrize("index", [0, 1, 2], ids=["quantized", "pq", "low_rank"])
def test_drop_in_contract(index):
    layer = _three_layers()[index]
    ids = _ids()
    assert layer.dim == 6 and layer.padding_idx == 0 and len(layer.vocab) == 9
    assert torch.equal(layer.mask(ids), ids != 0)
    layer.on_epoch_start(3)  # nothing to freeze
    with pytest.raises(ConfigError, match="epoch"):
        layer.on_epoch_start(-1)
    out = layer(ids.to(torch.int32))
    assert out.dtype == torch.float32 and torch.equal(out, layer(ids))
    with pytest.raises(ConfigError, match="int64 or int32"):
        layer(ids.float())
    vec = layer.to_vectors()
    assert vec.keys == _vocab().tokens
    np.testing.assert_array_equal(vec.matrix[ids.numpy()] * (ids.numpy() != 0)[..., None],
                                  out.detach().numpy())


def test_to_vectors_needs_a_vocabulary():
    layer = LowRankEmbedding.from_factors(np.ones((3, 1)), np.ones((1, 2)))
    with pytest.raises(ConfigError, match="no vocabulary"):
        layer.to_vectors()


def test_parameter_count_in_numbers_and_bytes():
    w = np.random.default_rng(0).normal(size=(100, 10)).astype(np.float32)
    q8 = QuantizedEmbedding.from_weight(w, bits=8).parameter_count
    assert q8 == {"n_parameters": 1000 + 200, "nbytes": 1000 + 800,
                  "dense_n_parameters": 1000, "dense_nbytes": 4000}
    q4 = QuantizedEmbedding.from_weight(w, bits=4, axis="dim").parameter_count
    assert (q4["n_parameters"], q4["nbytes"]) == (1000 + 20, 500 + 80)
    pq = PQEmbedding.from_arrays(np.zeros((100, 5), np.uint8), np.zeros((5, 16, 2), np.float32))
    assert (pq.parameter_count["n_parameters"], pq.parameter_count["nbytes"]) == (660, 500 + 640)
    low = LowRankEmbedding.from_factors(np.ones((100, 2)), np.ones((2, 10))).parameter_count
    assert (low["n_parameters"], low["nbytes"]) == (220, 880)


# --- bad input --------------------------------------------------------------------------------
def _q(**kw):
    args = {"codes": np.zeros((4, 3), np.uint8), "scale": np.ones(4, np.float32),
            "offset": np.zeros(4, np.float32), "bits": 8, "axis": "row", "dim": 3}
    args.update(kw)
    return QuantizedEmbedding.from_arrays(args.pop("codes"), args.pop("scale"),
                                          args.pop("offset"), **args)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: _q(bits=2), "bits must be 4 or 8"),
    (lambda: _q(bits=True), "bits must be 4 or 8"),
    (lambda: _q(axis="col"), "axis must be one of row, dim"),
    (lambda: _q(codes=np.zeros((4, 3), np.int64)), "codes must be uint8"),
    (lambda: _q(codes=np.zeros((4, 4), np.uint8)), r"shape \(N, 3\)"),
    (lambda: _q(codes=np.zeros((4, 3), np.uint8), bits=4), r"shape \(N, 2\)"),
    (lambda: _q(codes=np.zeros((0, 3), np.uint8)), "N >= 1"),
    (lambda: _q(scale=np.ones(3, np.float32)), r"scale must have shape \(4,\)"),
    (lambda: _q(axis="dim"), r"scale must have shape \(3,\)"),
    (lambda: _q(offset=np.zeros((4, 1), np.float32)), r"offset must have shape \(4,\)"),
    (lambda: _q(scale=[1.0, np.nan, 1.0, 1.0]), "NaN"),
    (lambda: _q(dim=0), "dim must be an int >= 1"),
    (lambda: _q(vocab=_vocab(5)), "5 tokens but the matrix has 4 rows"),
    (lambda: _q(padding_idx=4), "padding_idx"),
    (lambda: QuantizedEmbedding.from_weight(np.array([[1.0, np.nan]])), r"NaN .* \(0, 1\)"),
    (lambda: QuantizedEmbedding.from_weight(np.zeros((0, 3))), "empty"),
    (lambda: QuantizedEmbedding.from_weight(np.ones(3)), "2 dimensions"),
    (lambda: QuantizedEmbedding.from_weight(np.ones((2, 2)), bits=16), "bits must be 4 or 8"),
    (lambda: QuantizedEmbedding.from_layer(np.ones((2, 2))), "expected an EmbeddingLayer"),
    (lambda: PQEmbedding.from_arrays(np.zeros((4, 2), np.uint8), np.zeros((2, 257, 3))),
     "K=257"),
    (lambda: PQEmbedding.from_arrays(np.zeros((4, 3), np.uint8), np.zeros((2, 4, 3))),
     r"shape \(N, M=2\)"),
    (lambda: PQEmbedding.from_arrays(np.zeros((4, 2), np.int32), np.zeros((2, 4, 3))),
     "codes must be uint8"),
    (lambda: PQEmbedding.from_arrays(np.full((4, 2), 4, np.uint8), np.zeros((2, 4, 3))),
     "only K=4"),
    (lambda: PQEmbedding.from_arrays(np.zeros((4, 2), np.uint8), np.zeros((2, 4, 3)),
                                     np.eye(7)), r"code M \* r/M = 2 \* 3 = 6 columns"),
    (lambda: PQEmbedding.from_arrays(np.zeros((4, 2), np.uint8), np.zeros((2, 4, 3)),
                                     np.ones((5, 6))), r"\(D, 6\) with D >= 6"),
    (lambda: PQEmbedding.from_arrays(np.zeros((4, 2), np.uint8), np.zeros((0, 4, 3))), "empty"),
    (lambda: LowRankEmbedding(_vocab(), 6, 0), r"rank must be an int in \[1, 6\]"),
    (lambda: LowRankEmbedding(_vocab(), 6, 7), r"rank must be an int in \[1, 6\]"),
    (lambda: LowRankEmbedding(_vocab(4), 6, 5), r"rank must be an int in \[1, 4\]"),
    (lambda: LowRankEmbedding(_vocab(), None, 2), "give dim"),
    (lambda: LowRankEmbedding(["a"], 6, 2), "vocab must be a Vocab"),
    (lambda: LowRankEmbedding.from_layer(EmbeddingLayer(_vocab(), 4), 5),
     r"rank must be an int in \[1, 4\]"),
    (lambda: LowRankEmbedding.from_factors(np.ones((3, 2)), np.ones((3, 4))), "do not chain"),
    (lambda: LowRankEmbedding.from_factors(np.ones((3, 2)), np.full((2, 4), np.inf)), "infinite"),
    (lambda: LowRankEmbedding.from_factors(np.ones((3, 0)), np.ones((0, 4))), "empty"),
])
def test_bad_input_is_a_config_error_naming_the_argument(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_low_rank_freeze_survives_its_config():
    from embedlayer.nn import LowRankEmbedding
    from embedlayer.vocab import Vocab

    vocab = Vocab(["<pad>", "a", "b", "c", "d"], unk_token=None)
    layer = LowRankEmbedding(vocab, 4, 2, freeze=True)
    assert not layer.A.requires_grad and not layer.B.requires_grad
    again = LowRankEmbedding.from_config(vocab, layer.config())
    assert again.freeze is True and not again.A.requires_grad
    two = LowRankEmbedding.from_config(vocab, LowRankEmbedding(vocab, 4, 2, freeze=2).config())
    assert two.freeze == 2 and not two.A.requires_grad
    two.on_epoch_start(2)
    assert two.A.requires_grad and two.B.requires_grad
