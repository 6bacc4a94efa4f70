"""Positional encodings: the sinusoidal formula by hand, the learned table, RoPE's
relative-position property."""

from __future__ import annotations

import math

import pytest
import torch

from embedlayer.errors import ConfigError
from embedlayer.nn import (
    EmbeddingLayer,
    LearnedPositionalEncoding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
)
from embedlayer.vocab import Vocab


# --- sinusoidal ---------------------------------------------------------------------------
def test_sinusoidal_matches_the_formula_by_hand():
    pe = SinusoidalPositionalEncoding(4, max_len=8)
    out = pe(torch.zeros(1, 3, 4))
    # d = 4: the frequencies are 1 / 10000^(0/4) = 1 and 1 / 10000^(2/4) = 1/100
    for pos in range(3):
        expected = [math.sin(pos), math.cos(pos), math.sin(pos / 100), math.cos(pos / 100)]
        torch.testing.assert_close(out[0, pos], torch.tensor(expected))
    assert out[0, 2, 0].item() == pytest.approx(0.9092974, abs=1e-6)  # sin(2)


def test_sinusoidal_adds_to_x_with_offset_and_odd_dim_and_past_max_len():
    pe = SinusoidalPositionalEncoding(5, max_len=4)
    x = torch.randn(2, 3, 5)
    table = pe(torch.zeros(1, 10, 5))[0]  # longer than max_len: the table grows
    assert table.shape == (10, 5)
    torch.testing.assert_close(table[9, 4], torch.tensor(math.sin(9 / 10000 ** (4 / 5))))
    torch.testing.assert_close(table[9, 3], torch.tensor(math.cos(9 / 10000 ** (2 / 5))))
    torch.testing.assert_close(pe(x), x + table[:3])
    torch.testing.assert_close(pe(x, offset=6), x + table[6:9])
    assert list(pe.state_dict()) == []  # a function of (max_len, dim): nothing to save


def test_sinusoidal_composes_after_the_embedding_layer():
    layer = EmbeddingLayer(Vocab(["<pad>", "a", "b"], specials=["<pad>"]), 6, scale=True)
    front = torch.nn.Sequential(layer, SinusoidalPositionalEncoding(6, dropout=0.1))
    assert front(torch.tensor([[1, 2, 0]])).shape == (1, 3, 6)


def test_sinusoidal_scale_multiplies_the_table_also_past_max_len():
    plain = SinusoidalPositionalEncoding(6, max_len=4)
    scaled = SinusoidalPositionalEncoding(6, max_len=4, scale=0.5)
    x = torch.zeros(1, 9, 6)  # past max_len: the table is rebuilt, scaled again
    torch.testing.assert_close(scaled(x), 0.5 * plain(x))
    for bad in (0, -1.0, float("nan"), True):
        with pytest.raises(ConfigError, match="scale"):
            SinusoidalPositionalEncoding(6, scale=bad)


def test_sinusoidal_checks_its_input():
    with pytest.raises(ConfigError, match=r"\(B, T, 4\)"):
        SinusoidalPositionalEncoding(4)(torch.zeros(2, 3, 5))
    with pytest.raises(ConfigError, match="dropout"):
        SinusoidalPositionalEncoding(4, dropout=1.5)


# --- learned ------------------------------------------------------------------------------
def test_learned_adds_its_table_and_trains():
    pe = LearnedPositionalEncoding(6, 4)
    x = torch.randn(2, 3, 4)
    torch.testing.assert_close(pe(x), x + pe.weight[:3])
    torch.testing.assert_close(pe(x, offset=3), x + pe.weight[3:6])
    pe(x).sum().backward()
    assert pe.weight.grad[:3].eq(2.0).all() and not pe.weight.grad[3:].any()
    assert torch.equal(LearnedPositionalEncoding(6, 4).weight, pe.weight)  # seeded
    assert abs(LearnedPositionalEncoding(512, 64).weight.std().item() - 0.02) < 0.002


def test_learned_rejects_positions_past_max_len():
    pe = LearnedPositionalEncoding(4, 2)
    with pytest.raises(ConfigError, match="max_len=4"):
        pe(torch.zeros(1, 5, 2))
    with pytest.raises(ConfigError, match="max_len=4"):
        pe(torch.zeros(1, 2, 2), offset=3)


# --- rotary -------------------------------------------------------------------------------
def test_rope_relative_position_property():
    torch.manual_seed(0)
    rope = RotaryEmbedding(8)
    q, k = torch.randn(8), torch.randn(8)

    def score(m: int, n: int) -> float:
        rq = rope.rotate(q.expand(1, 8), torch.tensor([m]))[0]
        rk = rope.rotate(k.expand(1, 8), torch.tensor([n]))[0]
        return float(rq @ rk)

    for delta in (-3, 0, 2, 7):
        scores = [score(m, m - delta) for m in (7, 10, 25, 100)]
        assert max(scores) - min(scores) < 1e-4, (delta, scores)
    assert abs(score(5, 3) - score(5, 4)) > 1e-3  # different offsets do differ


def test_rope_by_hand_and_it_preserves_norms():
    rope = RotaryEmbedding(2)  # one pair, frequency 1: position m rotates by m radians
    out = rope.rotate(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([1, 2]))
    torch.testing.assert_close(out, torch.tensor([[math.cos(1), math.sin(1)],
                                                  [-math.sin(2), math.cos(2)]]))
    rope = RotaryEmbedding(16, base=500)
    x = torch.randn(2, 3, 5, 16)  # (B, heads, T, head_dim)
    y = rope(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    torch.testing.assert_close(y[..., 0, :], x[..., 0, :])  # position 0 is no rotation
    torch.testing.assert_close(rope(x, torch.arange(5) + 3), rope(torch.cat(
        [torch.zeros(2, 3, 3, 16), x], dim=2))[..., 3:, :])


def test_ntk_scaling_stretches_the_base_and_keeps_the_relative_property():
    rope = RotaryEmbedding(8, base=100.0)
    assert rope.inv_freq_for(1) is rope.inv_freq
    scaled = rope.inv_freq_for(4.0)
    base = 100.0 * 4.0 ** (8 / 6)  # base * scale^(d / (d - 2))
    torch.testing.assert_close(scaled, base ** (-torch.arange(0, 8, 2).double() / 8).float())
    torch.testing.assert_close(scaled[0], torch.tensor(1.0))  # the fastest pair: unchanged
    # the slowest pair turns exactly `scale` times slower
    torch.testing.assert_close(scaled[-1], rope.inv_freq[-1] / 4.0)
    torch.manual_seed(0)
    q, k = torch.randn(1, 8), torch.randn(1, 8)

    def score(m: int, n: int) -> float:
        return float(rope.rotate(q, torch.tensor([m]), scale=4.0)[0]
                     @ rope.rotate(k, torch.tensor([n]), scale=4.0)[0])

    assert abs(score(9, 2) - score(40, 33)) < 1e-4
    for bad in (0.5, float("nan"), True):
        with pytest.raises(ConfigError, match="scale"):
            rope.inv_freq_for(bad)


def test_rope_checks_its_settings():
    with pytest.raises(ConfigError, match="even"):
        RotaryEmbedding(7)
    with pytest.raises(ConfigError, match=r"\(\.\.\., T, 8\)"):
        RotaryEmbedding(8).rotate(torch.zeros(3, 6))
