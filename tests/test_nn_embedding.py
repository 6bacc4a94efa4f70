"""EmbeddingLayer: initialization and coverage, padding and masking, freezing, dropout,
resizing, tying, export and saving; tiny tensors only."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import embedlayer.nn as enn
from embedlayer.errors import ConfigError
from embedlayer.nn import CoverageReport, EmbeddingLayer, TiedOutputProjection
from embedlayer.vectors import Vectors
from embedlayer.vectors.subword import SubwordVectors
from embedlayer.vocab import Vocab

SPECIALS = ["<pad>", "<unk>"]


def _vocab(words=("the", "Cat", "dog", "zebra", "qqq")) -> Vocab:
    return Vocab([*SPECIALS, *words], specials=SPECIALS)


def _vectors(dim=3) -> Vectors:
    keys = ["the", "cat", "dog", "bird"]
    return Vectors(keys, np.arange(len(keys) * dim, dtype=np.float32).reshape(-1, dim) / 10)


def _batch() -> torch.Tensor:
    return torch.tensor([[2, 3, 4, 0, 0], [5, 6, 2, 3, 0]])  # 0 is <pad>


# --- initialization and coverage ---------------------------------------------------------
def test_coverage_report_counts_words_and_names_the_missing():
    layer = EmbeddingLayer(_vocab(), vectors=_vectors())
    cov = layer.coverage
    assert isinstance(cov, CoverageReport)
    # words: the, Cat (via "cat"), dog, zebra, qqq; specials are not words
    assert (cov.found, cov.total, cov.lowercased) == (3, 5, 1)
    assert cov.missing == ["zebra", "qqq"]
    assert cov.rate == pytest.approx(0.6) and cov.policy == "normal"
    text = str(cov)
    assert "\n" not in text
    assert "3 of 5 words (60.0%)" in text and "zebra" in text and "'normal'" in text


def test_pretrained_rows_are_copied_exactly_and_padding_row_is_zero():
    vec = _vectors()
    layer = EmbeddingLayer(_vocab(), vectors=vec)
    w = layer.weight.detach().numpy()
    assert layer.dim == 3 and layer.padding_idx == 0 and w.shape == (7, 3)
    np.testing.assert_array_equal(w[2], vec["the"])
    np.testing.assert_array_equal(w[3], vec["cat"])  # "Cat" through its lower-case form
    np.testing.assert_array_equal(w[4], vec["dog"])
    np.testing.assert_array_equal(w[0], 0.0)
    assert np.abs(w[1]).sum() > 0  # <unk> gets a random row, not a word's vector


def test_oov_rows_follow_the_pretrained_statistics():
    rng = np.random.default_rng(0)
    known = [f"w{i}" for i in range(400)]
    vec = Vectors(known, rng.normal([5.0, -3.0], [2.0, 0.5], size=(400, 2)))
    vocab = Vocab([*known, *(f"oov{i}" for i in range(3000))], unk_token=None)
    pre = vec.matrix.astype(np.float64)
    for policy in ("normal", "uniform"):
        w = EmbeddingLayer(vocab, vectors=vec, oov_init=policy).weight.detach().numpy()[400:]
        np.testing.assert_allclose(w.mean(0), pre.mean(0), atol=0.1)
        np.testing.assert_allclose(w.std(0), pre.std(0), rtol=0.06)
    lo, hi = pre.mean(0) - math.sqrt(3) * pre.std(0), pre.mean(0) + math.sqrt(3) * pre.std(0)
    w = EmbeddingLayer(vocab, vectors=vec, oov_init="uniform").weight.detach().numpy()[400:]
    assert (w >= lo - 1e-5).all() and (w <= hi + 1e-5).all()
    zeros = EmbeddingLayer(vocab, vectors=vec, oov_init="zeros").weight.detach().numpy()
    assert not zeros[400:].any()


def test_defaults_without_vectors():
    vocab = Vocab([f"w{i}" for i in range(2000)], unk_token=None)
    uni = EmbeddingLayer(vocab, 8, oov_init="uniform").weight.detach()
    assert uni.abs().max() <= 0.05 and uni.abs().max() > 0.04  # Keras's U(-0.05, 0.05)
    normal = EmbeddingLayer(vocab, 8).weight.detach()
    assert abs(normal.std().item() - 1.0) < 0.05  # torch.nn.Embedding's N(0, 1)
    layer = EmbeddingLayer(vocab, 8)
    assert layer.padding_idx is None and layer.coverage.found == 0
    assert str(layer.coverage).startswith("no pretrained vectors: all 2,000 word rows")


def test_initialization_is_repeatable_and_depends_on_the_seed():
    a = EmbeddingLayer(_vocab(), 4, seed=3).weight
    b = EmbeddingLayer(_vocab(), 4, seed=3).weight
    c = EmbeddingLayer(_vocab(), 4, seed=4).weight
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_subword_init_gives_the_fasttext_vector_of_an_oov_word():
    rng = np.random.default_rng(1)
    sv = SubwordVectors(["cat", "dog"], rng.normal(size=(2, 4)), rng.normal(size=(11, 4)),
                        minn=2, maxn=3, bucket=11)
    vocab = Vocab(["<pad>", "cat", "cats", "dogs"], specials=["<pad>"])
    layer = EmbeddingLayer(vocab, vectors=sv, oov_init="subword")
    w = layer.weight.detach().numpy()
    # float32 sums of n-gram rows: their order may differ from the reference, so tolerances
    # fit float32 (a relative 1e-7 alone would fail near-zero components by one rounding step).
    np.testing.assert_allclose(w[1], sv["cat"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w[2], sv["cats"], rtol=1e-5, atol=1e-6)  # composed from n-grams
    np.testing.assert_allclose(w[3], sv["dogs"], rtol=1e-5, atol=1e-6)
    assert np.abs(w[2]).sum() > 0
    assert (layer.coverage.found, layer.coverage.total) == (1, 3)
    assert layer.coverage.policy == "subword"


def test_a_real_fasttext_model_initializes_known_and_unknown_words(data_dir):
    from embedlayer.vectors.io import load_vectors

    sv = load_vectors(data_dir / "formats" / "lee_fasttext_new.bin")
    assert isinstance(sv, SubwordVectors)
    known = sv.keys[5:25]
    vocab = Vocab(["<pad>", "<unk>", *known, "Government", "unseenword"],
                  specials=["<pad>", "<unk>"])
    layer = EmbeddingLayer(vocab, vectors=sv, oov_init="subword")
    w = layer.weight.detach().numpy()
    np.testing.assert_allclose(w[2:22], sv.lookup(known), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w[-1], sv["unseenword"], rtol=1e-5, atol=1e-6)
    cov = layer.coverage
    assert (cov.found, cov.total, cov.missing) == (21, 22, ["unseenword"])
    assert cov.lowercased == ("Government" not in sv)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"dim": 5, "vectors": "vec"}, "dim 3"),
    ({}, "give dim"),
    ({"dim": 3, "oov_init": "xavier"}, "oov_init"),
    ({"vectors": "vec", "oov_init": "subword"}, "SubwordVectors"),
    ({"dim": 3, "padding_idx": 7}, "padding_idx"),
    ({"dim": 3, "padding_idx": "pad"}, "padding_idx"),
    ({"dim": 3, "dropout": 1.0}, "dropout"),
    ({"dim": 3, "dropout_mode": "unit"}, "dropout_mode"),
    ({"dim": 3, "freeze": -1}, "freeze"),
    ({"dim": 3, "max_norm": 0}, "max_norm"),
    ({"dim": 0}, "dim"),
    ({"dim": 3, "vectors": [[1.0]]}, "VectorStore"),
])
def test_bad_settings_are_config_errors(kwargs, needle):
    if kwargs.get("vectors") == "vec":
        kwargs = {**kwargs, "vectors": _vectors()}
    with pytest.raises(ConfigError, match=needle):
        EmbeddingLayer(_vocab(), **kwargs)


def test_float_ids_are_rejected():
    with pytest.raises(ConfigError, match="int64 or int32"):
        EmbeddingLayer(_vocab(), 3)(torch.zeros(2, 3))


# --- padding and masking ------------------------------------------------------------------
def _masked_mean(out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(out.dtype)
    return (out * m).sum(1) / m.sum(1).clamp(min=1)


@pytest.mark.parametrize("dropout_mode", ["type", "token"])
def test_padded_positions_are_zero_and_never_change_a_masked_pool(dropout_mode):
    layer = EmbeddingLayer(_vocab(), vectors=_vectors(), dropout=0.5, dropout_mode=dropout_mode)
    ids = _batch()
    for train in (False, True):
        layer.train(train)
        out = layer(ids)
        assert out.shape == (2, 5, 3) and out.dtype == torch.float32
        assert torch.equal(out[ids == 0], torch.zeros(3, 3))
    layer.eval()
    mask = layer.mask(ids)
    assert mask.tolist() == [[True] * 3 + [False] * 2, [True] * 4 + [False]]
    pooled = _masked_mean(layer(ids), mask)
    for b, n in enumerate(mask.sum(1).tolist()):
        alone = layer(ids[b:b + 1, :n])  # the same sentence without padding
        torch.testing.assert_close(pooled[b], alone.mean(1)[0])
        more = torch.cat([ids[b:b + 1], torch.zeros(1, 4, dtype=torch.long)], dim=1)
        torch.testing.assert_close(_masked_mean(layer(more), layer.mask(more))[0], pooled[b])


def test_padding_never_changes_a_packed_lstm():
    torch.manual_seed(0)
    layer = EmbeddingLayer(_vocab(), 4).eval()
    lstm = torch.nn.LSTM(4, 5, batch_first=True)
    ids = _batch()
    lengths = layer.mask(ids).sum(1)
    packed = torch.nn.utils.rnn.pack_padded_sequence(layer(ids), lengths, batch_first=True,
                                                     enforce_sorted=False)
    _, (h, _) = lstm(packed)
    for b, n in enumerate(lengths.tolist()):
        _, (h_alone, _) = lstm(layer(ids[b:b + 1, :n]))
        torch.testing.assert_close(h[0, b], h_alone[0, 0])


def test_padding_row_gets_no_gradient_and_stays_zero_under_adam():
    layer = EmbeddingLayer(_vocab(), 3)
    opt = torch.optim.AdamW(layer.parameters(), lr=0.1, weight_decay=0.1)
    for _ in range(3):
        opt.zero_grad()
        layer(_batch()).pow(2).sum().backward()
        assert not layer.weight.grad[0].any()
        opt.step()
    assert not layer.weight[0].any()


def test_padded_outputs_stay_zero_even_if_the_row_is_written():
    layer = EmbeddingLayer(_vocab(), 3)
    with torch.no_grad():
        layer.weight[0] = 1.0
    assert not layer(_batch())[_batch() == 0].any()


def test_no_padding_means_an_all_true_mask():
    layer = EmbeddingLayer(_vocab(), 3, padding_idx=None)
    assert layer.padding_idx is None and layer.mask(_batch()).all()
    assert EmbeddingLayer(_vocab(), 3, padding_idx=-1).padding_idx == 6


# --- freezing -----------------------------------------------------------------------------
def _train_epoch(layer: EmbeddingLayer, opt: torch.optim.Optimizer, head: torch.nn.Module):
    for _ in range(2):
        opt.zero_grad()
        out = head(layer(_batch())).sum()
        out.backward()
        opt.step()


def test_frozen_rows_never_change_after_optimizer_steps():
    layer = EmbeddingLayer(_vocab(), vectors=_vectors(), freeze=True)
    head = torch.nn.Linear(3, 1)
    before = layer.weight.detach().clone()
    opt = torch.optim.AdamW([*layer.parameters(), *head.parameters()], lr=0.1, weight_decay=0.5)
    for epoch in range(3):
        layer.on_epoch_start(epoch)
        assert not layer.weight.requires_grad
        _train_epoch(layer, opt, head)
    assert torch.equal(layer.weight, before)
    assert layer.config()["freeze"] is True


def test_freeze_for_n_epochs_then_fine_tune():
    layer = EmbeddingLayer(_vocab(), 3, freeze=2)
    head = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD([*layer.parameters(), *head.parameters()], lr=0.1, momentum=0.9)
    start = layer.weight.detach().clone()
    assert not layer.weight.requires_grad  # frozen from construction, before any epoch
    for epoch in range(2):
        layer.on_epoch_start(epoch)
        _train_epoch(layer, opt, head)
        assert torch.equal(layer.weight, start), f"epoch {epoch} changed a frozen matrix"
    layer.on_epoch_start(2)
    assert layer.weight.requires_grad
    _train_epoch(layer, opt, head)
    changed = (layer.weight != start).any(1)
    assert changed[2:].all() and not changed[0]  # every token of the batch moved; <pad> did not


# --- dropout, max_norm, scale -------------------------------------------------------------
def test_type_dropout_drops_a_word_everywhere_and_scales_the_rest():
    torch.manual_seed(0)
    layer = EmbeddingLayer(_vocab(), 3, dropout=0.5, padding_idx=None)
    ids = torch.tensor([[2, 2, 2, 2, 3, 3, 3, 3]])
    plain = layer.eval()(ids)
    layer.train()
    seen = set()
    for _ in range(20):
        out = layer(ids)
        kept = out.abs().sum(-1) > 0
        for tok in (2, 3):
            where = kept[ids == tok]
            assert where.all() or not where.any()  # one draw per word type
            seen.add(bool(where[0]))
        torch.testing.assert_close(out[kept], 2.0 * plain[kept])
    assert seen == {True, False}


def test_token_dropout_rate_and_eval_identity():
    torch.manual_seed(0)
    layer = EmbeddingLayer(_vocab(), 3, dropout=0.3, dropout_mode="token", padding_idx=None)
    ids = torch.full((50, 40), 2)
    dropped = (layer(ids).abs().sum(-1) == 0).float().mean().item()
    assert abs(dropped - 0.3) < 0.03
    layer.eval()
    assert torch.equal(layer(ids), layer.weight[2].expand(50, 40, 3))


def test_max_norm_and_scale():
    layer = EmbeddingLayer(_vocab(), vectors=_vectors(), max_norm=0.5)
    assert (layer(_batch()).norm(dim=-1) <= 0.5 + 1e-6).all()
    assert (layer.weight[2:5].norm(dim=-1) <= 0.5 + 1e-6).all()  # renormalized in place
    frozen = EmbeddingLayer(_vocab(), vectors=_vectors(), max_norm=0.5, freeze=True)
    before = frozen.weight.detach().clone()
    out = frozen(_batch())
    assert (out.norm(dim=-1) <= 0.5 + 1e-6).all()
    torch.testing.assert_close(out, layer(_batch()))
    assert torch.equal(frozen.weight, before)  # a frozen matrix is never renormalized
    scaled = EmbeddingLayer(_vocab(), vectors=_vectors(), scale=True)
    out = scaled(torch.tensor([[2]]))
    torch.testing.assert_close(out[0, 0], scaled.weight[2] * math.sqrt(3))


# --- resizing, tying, export, saving ------------------------------------------------------
def test_resize_keeps_old_rows_and_starts_new_rows_at_the_mean():
    layer = EmbeddingLayer(_vocab(), vectors=_vectors())
    old = layer.weight.detach().clone()
    param = layer.weight
    bigger = Vocab([*_vocab().tokens, "emu", "yak"], specials=SPECIALS)
    assert layer.resize(bigger) is layer
    assert layer.weight is param and layer.weight.shape == (9, 3) and layer.vocab is bigger
    torch.testing.assert_close(layer.weight[:7], old)
    mean = old[1:].mean(0)  # the padding row is left out of the mean
    torch.testing.assert_close(layer.weight[7], mean)
    torch.testing.assert_close(layer.weight[8], mean)
    assert layer(torch.tensor([[8, 0]])).shape == (1, 2, 3)
    with pytest.raises(ConfigError, match="extend"):
        layer.resize(Vocab([*SPECIALS, "dog", "the"], specials=SPECIALS))


def test_tied_projection_shares_the_parameter_and_trains_the_embedding():
    layer = EmbeddingLayer(_vocab(), 3)
    proj = TiedOutputProjection(layer)
    assert proj.weight is layer.weight
    assert [n for n, _ in proj.named_parameters()] == ["bias"]  # the matrix is owned once
    h = torch.randn(4, 3)
    logits = proj(h)
    torch.testing.assert_close(logits, h @ layer.weight.T + proj.bias)
    torch.nn.functional.cross_entropy(logits, torch.tensor([2, 3, 4, 5])).backward()
    assert layer.weight.grad is not None and layer.weight.grad[2:].abs().sum() > 0
    with torch.no_grad():
        layer.weight[3] += 1.0  # a change to the embedding is a change to the output layer
    torch.testing.assert_close(proj(h), h @ layer.weight.T + proj.bias)


def test_tie_survives_a_resize():
    layer = EmbeddingLayer(_vocab(), 3)
    proj = TiedOutputProjection(layer)
    with torch.no_grad():
        proj.bias.copy_(torch.arange(7.0))
    layer.resize(Vocab([*_vocab().tokens, "emu"], specials=SPECIALS))
    with pytest.raises(ConfigError, match="resize"):
        proj(torch.randn(2, 3))
    proj.resize()
    assert proj.weight is layer.weight and proj(torch.randn(2, 3)).shape == (2, 8)
    assert proj.bias[7].item() == pytest.approx(3.0)  # the mean of the old biases


def test_to_vectors_round_trip():
    layer = EmbeddingLayer(_vocab(), vectors=_vectors())
    vec = layer.to_vectors()
    assert isinstance(vec, Vectors) and vec.keys == _vocab().tokens
    np.testing.assert_array_equal(vec.matrix, layer.weight.detach().numpy())
    with torch.no_grad():
        layer.weight[2] += 1.0  # an export is a copy, not a view
    assert not np.array_equal(vec["the"], layer.weight[2].detach().numpy())
    again = EmbeddingLayer(_vocab(), vectors=vec)
    assert again.coverage.rate == 1.0
    np.testing.assert_array_equal(again.weight.detach().numpy()[2:], vec.matrix[2:])


def test_a_deep_copy_is_independent():
    layer = EmbeddingLayer(_vocab(), 3)
    twin = copy.deepcopy(layer)
    with torch.no_grad():
        twin.weight[2] += 1.0
    assert twin.vocab == layer.vocab and not torch.equal(twin.weight, layer.weight)


def test_config_round_trip_gives_identical_outputs():
    layer = EmbeddingLayer(_vocab(), vectors=_vectors(), freeze=2, dropout=0.1, scale=True,
                           max_norm=3.0, seed=5)
    config = json.loads(json.dumps(layer.config()))
    again = EmbeddingLayer.from_config(_vocab(), config)
    again.load_state_dict(layer.state_dict())
    assert again.config() == layer.config()
    assert str(again.coverage) == str(layer.coverage)
    layer.eval()
    again.eval()
    assert torch.equal(again(_batch()), layer(_batch()))
    with pytest.raises(ConfigError, match="vocabulary of 7"):
        EmbeddingLayer.from_config(Vocab(["a", "b"]), config)
    with pytest.raises(ConfigError, match="format_version"):
        EmbeddingLayer.from_config(_vocab(), {**config, "format_version": 99})


# --- the package --------------------------------------------------------------------------
def test_public_api():
    assert sorted(enn.__all__) == sorted([
        "CRF", "CausalTransformer", "CharBiLSTM", "CharCNN", "CoverageReport", "EmbeddingLayer",
        "LearnedPositionalEncoding", "LowRankEmbedding", "OOVInit", "PQEmbedding", "QuantAxis",
        "QuantizedEmbedding", "RotaryEmbedding",
        "SinusoidalPositionalEncoding", "TiedOutputProjection", "TransformerConfig"])


def test_importing_embedlayer_does_not_import_nn_and_missing_torch_says_how_to_fix():
    code = ("import sys, embedlayer, embedlayer.vectors; "
            "assert 'embedlayer.nn' not in sys.modules and 'torch' not in sys.modules; "
            "sys.modules['torch'] = None\n"
            "try:\n    import embedlayer.nn\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'embedlayer[torch]'" in out.stdout
