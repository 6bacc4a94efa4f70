"""Kernel primitives: exact negative draws, divergence that shows in the loss, GloVe's clipping,
and one definition of each primitive for all three kernel families."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from embedlayer.train import _kernels_common as C
from embedlayer.train import _kernels_ft as KF
from embedlayer.train import _kernels_glove as KG
from embedlayer.train import _kernels_w2v as KW
from embedlayer.train._reference_glove import train_reference
from embedlayer.train._reference_w2v import SplitMix64
from embedlayer.vocab import alias_table, huffman_codes, unigram_probabilities

# --- the negative draw ----------------------------------------------------------------------


def _draw(table, n: int, seed: int) -> np.ndarray:
    out = np.empty(n, np.int32)
    C.draw_negatives(table.prob, table.alias, n, out, np.uint64(seed))
    return out


def test_kernel_draws_follow_the_target_distribution():
    # 40 words, counts from 1 to 10^6 (p from ~3e-6 to 0.1) and one zero-count special.
    counts = np.unique(np.geomspace(1, 10**6, 40).astype(np.int64))
    counts = np.append(counts, 0)
    table = alias_table(counts)
    want = unigram_probabilities(counts)
    n = 4_000_000
    seen = np.bincount(_draw(table, n, seed=12345), minlength=counts.size)
    assert seen[-1] == 0  # never the zero-count word
    expected = want[:-1] * n
    chi2 = float((((seen[:-1] - expected) ** 2) / expected).sum())
    # A fixed seed makes this deterministic (integer stream, exact float compare); the bound
    # is the 1e-6 tail of chi-square with len-1 degrees of freedom, so no seed should trip it.
    assert chi2 < stats.chi2.isf(1e-6, counts.size - 2)
    # every word, the rarest included, within 6 sigma of its expected count
    sigma = np.sqrt(expected * (1 - want[:-1]))
    assert (np.abs(seen[:-1] - expected) < 6 * sigma + 1).all()
    assert seen[0] > 0  # the count-1 word (p ~ 3e-6) is drawn


def test_a_word_below_one_table_slot_is_still_drawn():
    # p = 2e-7 < 1e-7 * 2: word2vec.c's 10^7-slot table (ours before) gave it 2 slots at most,
    # a 10^6 table none. The alias table draws it with its exact probability.
    counts = np.array([5_000_000 - 1, 1])
    table = alias_table(counts, power=1.0)
    n_batches, batch = 50, 1_000_000  # 5e7 draws: 10 expected
    hits = sum(int((_draw(table, batch, seed=s) == 1).sum()) for s in range(n_batches))
    expected = n_batches * batch * 2e-7
    assert 1 <= hits <= expected + 6 * math.sqrt(expected)


def test_kernel_and_reference_draw_the_same_words():
    counts = np.array([900, 300, 40, 7, 1, 0, 2])
    table = alias_table(counts)
    rng = SplitMix64(99)
    ref = [rng.draw_alias(table) for _ in range(5000)]
    assert _draw(table, 5000, seed=99).tolist() == ref


def test_one_draw_per_negative():
    # The stream after k negatives is the state after k splitmix64 steps.
    table = alias_table([3, 2, 1])
    out = np.empty(7, np.int32)
    state = C.draw_negatives(table.prob, table.alias, 7, out, np.uint64(5))
    rng = SplitMix64(5)
    for _ in range(7):
        rng.next()
    assert int(state) == rng.state


def test_dispatchers_refuse_what_is_not_an_alias_table():
    syn0 = np.zeros((3, 2), np.float32)
    syn1 = np.zeros((3, 2), np.float32)
    with pytest.raises(TypeError, match="neg_table must be an alias table"):
        KW.train_chunk(KW.SKIPGRAM, KW.NS, np.zeros(3, np.int32), np.array([0, 3]), syn0, syn1,
                       np.ones(3, np.float32), np.zeros(100, np.int32), np.zeros(1, np.uint8),
                       np.zeros(1, np.int32), np.zeros(4, np.int64), 1, 1, 0.1, True, 1)


# --- divergence ------------------------------------------------------------------------------


def test_hinge_is_exact_when_finite_and_not_finite_otherwise():
    for f in (np.float32(-3.5), np.float32(0.0), np.float32(2.25), np.float32(1e30)):
        assert C.hinge(f, True) == max(-f, 0) and C.hinge(f, False) == max(f, 0)
    for f in (np.float32(np.inf), np.float32(-np.inf), np.float32(np.nan)):
        assert not (np.isfinite(C.hinge(f, True)) and np.isfinite(C.hinge(f, False)))
    assert math.isnan(C.hinge(np.float32(np.inf), True))  # max(-inf, 0) would say 0


def _w2v_setup(v: int = 20, n: int = 200):
    rng = np.random.default_rng(3)
    counts = np.sort(rng.integers(1, 100, v))[::-1].copy()
    ids = rng.integers(0, v, n).astype(np.int32)
    bounds = np.array([0, 50, 120, n], np.int64)
    h = huffman_codes(counts)
    return counts, ids, bounds, (h.codes, h.points, h.offsets)


W2V = [(KW.SKIPGRAM, KW.NS, False), (KW.SKIPGRAM, KW.NS, True), (KW.SKIPGRAM, KW.HS, False),
       (KW.CBOW, KW.NS, False), (KW.CBOW, KW.HS, False)]


@pytest.mark.parametrize("combo", W2V, ids=["sg_ns", "sg_ns_shared", "sg_hs", "cbow_ns",
                                             "cbow_hs"])
def test_word2vec_huge_learning_rate_gives_a_non_finite_loss(combo):
    model, loss, shared = combo
    counts, ids, bounds, hs = _w2v_setup()
    v = counts.size
    rng = np.random.default_rng(0)
    syn0 = (rng.standard_normal((v, 16)) * 0.5).astype(np.float32)
    syn1 = (rng.standard_normal((v if loss == KW.NS else v - 1, 16)) * 0.5).astype(np.float32)
    args = (ids, bounds, syn0, syn1, np.ones(v, np.float32), alias_table(counts), *hs, 3, 5)
    out = KW.train_chunk(model, loss, *args, 1e30, True, 1, shared)
    assert not math.isfinite(out[0])
    assert out[1] > 0 and out[2] == ids.size  # still a full report: terms and words
    syn0 = (rng.standard_normal((v, 16)) * 0.5).astype(np.float32)
    syn1[:] = 0.0
    args = (ids, bounds, syn0, syn1, np.ones(v, np.float32), alias_table(counts), *hs, 3, 5)
    assert math.isfinite(KW.train_chunk(model, loss, *args, 0.025, True, 1, shared)[0])


def test_word2vec_a_row_of_infinity_is_never_hidden_by_a_zero_loss():
    # f = +inf for a positive pair: -log sigma(inf) is 0, but the row is broken; the loss of a
    # clipped max(-f, 0) would have been finite. Ours is NaN.
    syn0 = np.array([[1.0, 1.0], [1.0, 1.0]], np.float32)
    syn1 = np.array([[np.inf, 1.0], [np.inf, 1.0]], np.float32)
    out = KW.train_chunk(KW.SKIPGRAM, KW.NS, np.array([0, 1], np.int32), np.array([0, 2]), syn0,
                         syn1, np.ones(2, np.float32), alias_table([1, 1]),
                         np.zeros(1, np.uint8), np.zeros(1, np.int32), np.zeros(3, np.int64),
                         1, 0, 0.1, True, 3)
    assert math.isnan(out[0]) and out[1:] == (2, 2)


@pytest.mark.parametrize("model", [KF.SKIPGRAM, KF.CBOW], ids=["sg", "cbow"])
def test_fasttext_huge_learning_rate_gives_a_non_finite_loss(model):
    counts, ids, bounds, _ = _w2v_setup()
    v = counts.size
    offsets = np.arange(v + 1, dtype=np.int64) * 2  # each word: its own row and one bucket
    sub = np.empty(2 * v, np.int32)
    sub[0::2] = np.arange(v)
    sub[1::2] = v + np.arange(v) % 7
    rng = np.random.default_rng(0)
    wi = (rng.standard_normal((v + 7, 16)) * 0.5).astype(np.float32)
    wo = (rng.standard_normal((v, 16)) * 0.5).astype(np.float32)
    out = KF.train_chunk(model, ids, bounds, wi, wo, offsets, sub, np.ones(v, np.float32),
                         np.ones(v, np.float32), alias_table(counts, power=0.5), 3, 5, 1e30, 1)
    assert not math.isfinite(out[0])
    assert out[1] > 0 and out[2] == ids.size


# --- GloVe's gradient clipping (glove.c: clip the raw gradient, then scale by eta) ----------


def _glove_case():
    W = np.array([[3.0, 0.1]], np.float32)
    Cm = np.array([[2.0, 0.05]], np.float32)
    bw, bc = np.zeros(1, np.float32), np.zeros(1, np.float32)
    GW, GC = np.ones((1, 2), np.float32), np.full((1, 2), 4.0, np.float32)
    gbw, gbc = np.ones(1, np.float32), np.ones(1, np.float32)
    return [W, Cm, bw, bc, GW, GC, gbw, gbc]


@pytest.mark.parametrize("impl", ["kernel", "reference"])
def test_glove_clips_each_raw_gradient_component_then_scales_by_eta(impl):
    # x = 1 (log x = 0), x_max 10, alpha 0.75: f = 0.1^0.75; diff = w . c = 6.005.
    # fd * c = [2.136, 0.053], fd * w = [3.204, 0.107]; grad_clip 1 clips the first of each.
    eta, clip = 0.05, 1.0
    f = 0.1**0.75
    diff = 3.0 * 2.0 + 0.1 * 0.05
    fd = f * diff
    tw = np.array([min(fd * 2.0, clip), fd * 0.05]) * eta
    tc = np.array([min(fd * 3.0, clip), fd * 0.1]) * eta
    g = eta * fd  # the biases: eta-scaled, not clipped (see _kernels_glove's docstring)
    assert fd * 2.0 > clip and fd * 3.0 > clip and fd * 0.1 < clip and g > 0.05
    p = _glove_case()
    rows, cols, xs = np.array([0], np.int32), np.array([0], np.int32), np.array([1.0])
    fn = KG.train_block if impl == "kernel" else train_reference
    cost, skipped = fn(rows, cols, xs, *p, 10.0, 0.75, eta, clip)
    W, Cm, bw, bc, GW, GC, gbw, gbc = p
    assert skipped == 0 and cost == pytest.approx(0.5 * f * diff * diff, rel=1e-6)
    np.testing.assert_allclose(W[0], [3.0, 0.1] - tw / 1.0, rtol=1e-5)
    np.testing.assert_allclose(Cm[0], [2.0, 0.05] - tc / 2.0, rtol=1e-5)
    np.testing.assert_allclose(GW[0], 1.0 + tw**2, rtol=1e-5)
    np.testing.assert_allclose(GC[0], 4.0 + tc**2, rtol=1e-5)
    np.testing.assert_allclose([bw[0], bc[0], gbw[0], gbc[0]],
                               [-g, -g, 1.0 + g * g, 1.0 + g * g], rtol=1e-5)


# --- one definition of each primitive ---------------------------------------------------------


def test_every_kernel_module_uses_the_shared_primitives():
    shared = ("next_u64", "below", "subsample", "draw_negatives", "logistic", "hinge", "add",
              "fill0", "prefetch_rows", "in_place", "jit")
    for module in (KW, KF):
        for name in shared:
            assert getattr(module, name) is getattr(C, name), (module.__name__, name)
    assert KG._subsample is C.subsample and KG._prefetch_row is C.prefetch_row
    assert KG._prefetch is C.prefetch and KG._mix64 is C.mix64 and KG._below is C.below
    assert KG._jit_fast is C.jit
    for module in (KW, KF, KG):
        source = Path(module.__file__).read_text(encoding="utf-8")
        for name in ("def _next(", "def _below(", "def _subsample(", "def _draw_negatives(",
                     "def _prefetch(", "def _add(", "def _fill0(", "0x9E3779B97F4A7C15"):
            assert name not in source, (module.__name__, name)


def test_no_kernel_assumes_away_nan_and_infinity():
    for kernel in (KW._sg_ns, KW._sg_hs, KW._sg_ns_shared, KW._cbow_ns, KW._cbow_hs, KF._sg,
                   KF._cbow, KG.train_block):
        fastmath = kernel.targetoptions["fastmath"]
        assert fastmath and not ({"nnan", "ninf", "fast"} & set(fastmath)), kernel
        assert kernel.targetoptions["nogil"] is True


# --- fastText's token total -----------------------------------------------------------------


def test_encoded_corpus_counts_every_line_for_fasttexts_token_total(tmp_path):
    # fastText's ntokens = every token read + one </s> per line, empty and unknown lines too:
    # here 5 tokens + 4 lines, though only 2 non-empty sentences survive the vocabulary.
    from embedlayer.train._encode import encode_corpus
    from embedlayer.vocab import Vocab

    vocab = Vocab(["a", "b"], [3, 1], unk_token=None)
    lines = [["a", "b", "a"], [], ["zz"], ["a"]]
    with encode_corpus(lines, vocab, folder=tmp_path / "enc") as enc:
        assert (enc.raw_words, enc.raw_sentences, enc.sentences) == (5, 4, 2)
