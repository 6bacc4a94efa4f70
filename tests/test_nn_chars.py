"""Character-level word encoders: one vector per word, whatever the padding around it."""

from __future__ import annotations

import pytest
import torch

from embedlayer.errors import ConfigError
from embedlayer.nn.chars import CharBiLSTM, CharCNN, char_encoder


@pytest.mark.parametrize("kind", ["cnn", "bilstm"])
def test_padding_changes_nothing(kind):
    torch.manual_seed(0)
    enc = char_encoder(kind, 10, dim=4, hidden=3).eval()
    words = torch.tensor([[1, 2, 3], [4, 5, 0]])  # "abc", "de" padded
    wider = torch.cat([words, torch.zeros(2, 4, dtype=torch.int64)], dim=1)
    out = enc(words)
    assert out.shape == (2, enc.out_dim)
    assert torch.allclose(out, enc(wider), atol=1e-6)
    assert torch.allclose(out[1:], enc(words[1:, :2]), atol=1e-6)  # alone, unpadded


def test_out_dims():
    assert CharCNN(5, 4, filters=7).out_dim == 7
    assert CharBiLSTM(5, 4, hidden=3).out_dim == 6
    with pytest.raises(ConfigError, match="odd"):
        CharCNN(5, 4, width=2)
    with pytest.raises(ConfigError, match="unknown character encoder"):
        char_encoder("gru", 5, dim=4, hidden=3)
