"""Sequence encoders: padding never changes the output, known answers, configs and their errors."""

from __future__ import annotations

import pytest
import torch

from embedlayer.errors import ConfigError  # noqa: E402
from embedlayer.nn.encoders import (  # noqa: E402
    ENCODER_KINDS,
    BagConfig,
    BagEncoder,
    CNNConfig,
    LSTMConfig,
    LSTMEncoder,
    build_encoder,
    encoder_config,
    encoder_config_dict,
)

D = 6
SETTINGS = {"lstm": {"hidden": 5}, "bilstm": {"hidden": 4}, "cnn": {"maps": 3},
            "bag": {"bigrams": True, "bucket": 31}, "transformer": {"pooling": "max"}}


def _encoder(kind: str):
    torch.manual_seed(0)
    return build_encoder(encoder_config(kind, SETTINGS[kind]), D).eval()


def _batch(lengths, width, seed=1):
    """x (B, width, D), mask, ids with ids 0 (padding) and x = 0 beyond each length."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(lengths), width, D, generator=g)
    ids = torch.randint(1, 50, (len(lengths), width), generator=g)
    mask = torch.arange(width).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    return x * mask.unsqueeze(-1), mask, ids * mask


@pytest.mark.parametrize("kind", ENCODER_KINDS)
def test_padding_never_changes_the_output(kind):
    enc = _encoder(kind)
    x, mask, ids = _batch([1, 2, 4, 7], 7)
    base = enc(x, mask, ids)
    assert base.shape == (4, enc.out_dim)
    # More padding columns, and garbage at the padded positions of x: same output.
    wide_x = torch.cat([x, torch.zeros(4, 5, D)], dim=1)
    wide_x[~torch.cat([mask, torch.zeros(4, 5, dtype=torch.bool)], 1)] = 9.0
    wide_mask = torch.cat([mask, torch.zeros(4, 5, dtype=torch.bool)], dim=1)
    wide_ids = torch.cat([ids, torch.zeros(4, 5, dtype=torch.long)], dim=1)
    torch.testing.assert_close(enc(wide_x, wide_mask, wide_ids), base)
    # Each text alone (no batch-mates, no padding) gives its row of the batch.
    for row, n in enumerate([1, 2, 4, 7]):
        alone = enc(x[row:row + 1, :n], mask[row:row + 1, :n], ids[row:row + 1, :n])
        torch.testing.assert_close(alone, base[row:row + 1], atol=1e-6, rtol=1e-5)


def test_lstm_returns_the_state_after_the_last_real_token():
    enc = _encoder("lstm")
    x, mask, ids = _batch([3, 5], 5)
    out = enc(x, mask, ids)
    _, (h, _) = enc.lstm(x[:1, :3])  # the first text, unpadded, through the same LSTM
    torch.testing.assert_close(out[0], h[-1, 0])


def test_bilstm_max_pools_both_directions_over_real_steps():
    enc = _encoder("bilstm")
    x, mask, ids = _batch([3], 6)
    out = enc(x, mask, ids)
    states, _ = enc.lstm(x[:, :3])  # (1, 3, 2H)
    torch.testing.assert_close(out, states.max(dim=1).values)


def test_cnn_matches_a_hand_written_wide_convolution():
    torch.manual_seed(0)
    enc = build_encoder(CNNConfig(widths=(2,), maps=1, dropout=0.0), 1).eval()
    conv = enc.convs[0]
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[1.0, -1.0]]]))  # out[j] = x[j-1] - x[j]
        conv.bias.fill_(0.5)
    x = torch.tensor([[[3.0], [1.0], [0.0], [0.0]]])  # a text of 2 tokens, then padding
    mask = torch.tensor([[True, True, False, False]])
    # windows touching the text: (pad,3) -> 0-3+.5, (3,1) -> 3-1+.5, (1,pad) -> 1-0+.5
    assert enc(x, mask).item() == pytest.approx(2.5)
    # a text shorter than the filter still gets its (zero-padded) windows
    one = enc(torch.tensor([[[-4.0]]]), torch.tensor([[True]]))
    assert one.item() == pytest.approx(max(0.0, 0 + 4 + 0.5, -4 - 0 + 0.5))


def test_bag_is_the_mean_of_word_and_bigram_vectors():
    enc = _encoder("bag")
    x, mask, ids = _batch([3], 4)
    bigrams = enc.bigram_table(enc.bigram_ids(ids[:, :3]))[0]  # (2, D)
    expected = (x[0, :3].sum(0) + bigrams.sum(0)) / 5
    torch.testing.assert_close(enc(x, mask, ids)[0], expected)
    plain = BagEncoder(D, BagConfig()).eval()
    torch.testing.assert_close(plain(x, mask, ids)[0], x[0, :3].mean(0))


def test_bag_bigram_buckets_are_stable_and_in_range():
    enc = BagEncoder(D, BagConfig(bigrams=True, bucket=1000))
    ids = torch.tensor([[5, 7, 5, 7], [7, 5, 2**31 - 1, 3]])
    b = enc.bigram_ids(ids)
    assert b.shape == (2, 3) and int(b.min()) >= 0 and int(b.max()) < 1000
    assert b[0, 0] == b[0, 2] != b[1, 0]  # (5, 7) twice, order matters
    assert int(b[0, 0]) == (5 * 116_049_371 + 7) % 1000


def test_an_empty_text_gives_a_finite_vector():
    for kind in ENCODER_KINDS:
        x, mask, ids = _batch([0, 2], 3)
        assert torch.isfinite(_encoder(kind)(x, mask, ids)).all(), kind


def test_gradients_reach_only_real_positions():
    enc = _encoder("cnn")
    x, mask, ids = _batch([2, 4], 4)
    x.requires_grad_(True)
    enc(x, mask, ids).sum().backward()
    assert (x.grad[~mask] == 0).all() and x.grad[mask].abs().sum() > 0


def test_configs_round_trip_through_json_dicts():
    for kind in ENCODER_KINDS:
        cfg = encoder_config(kind, SETTINGS[kind])
        d = encoder_config_dict(cfg)
        assert d["kind"] == kind
        assert encoder_config(kind, {k: v for k, v in d.items() if k != "kind"}) == cfg
    assert encoder_config("lstm") == LSTMConfig(hidden=64)  # the founding example's LSTM(64)
    assert isinstance(build_encoder(LSTMConfig(), 3), LSTMEncoder)


@pytest.mark.parametrize(("kind", "settings", "message"), [
    ("gru", {}, "unknown encoder 'gru'"),
    ("lstm", {"maps": 3}, "no setting 'maps'"),
    ("lstm", {"hidden": 0}, "hidden must be an int >= 1"),
    ("cnn", {"widths": ()}, "widths"),
    ("cnn", {"dropout": 1.0}, "dropout"),
    ("bag", {"bucket": -1}, "bucket"),
])
def test_bad_settings_name_the_field(kind, settings, message):
    with pytest.raises(ConfigError, match=message):
        encoder_config(kind, settings)
