"""word2vec kernels: parity with the numpy reference, hand-derived answers, sampling, windows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from embedlayer.train import _kernels_w2v as K
from embedlayer.train._reference_w2v import SplitMix64, train_chunk_reference
from embedlayer.vocab import alias_table, huffman_codes

V, D = 30, 8
COMBOS = [  # (model, loss, shared negatives)
    (K.SKIPGRAM, K.NS, False),
    (K.SKIPGRAM, K.NS, True),
    (K.SKIPGRAM, K.HS, False),
    (K.CBOW, K.NS, False),
    (K.CBOW, K.HS, False),
]
NAMES = ["sg_ns", "sg_ns_shared", "sg_hs", "cbow_ns", "cbow_hs"]


def _setup(seed: int = 0, v: int = V, n: int = 240):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 200, v))[::-1].copy()
    ids = rng.integers(0, v, n).astype(np.int32)
    cuts = np.sort(rng.choice(np.arange(1, n), 7, replace=False))
    bounds = np.concatenate([[0], cuts, [n]]).astype(np.int64)  # 8 sentences, a few short
    h = huffman_codes(counts)
    return {
        "ids": ids, "bounds": bounds, "counts": counts,
        "keep": rng.uniform(0.4, 1.0, v).astype(np.float32),
        "table": alias_table(counts),
        "hs": (h.codes, h.points, h.offsets),
    }


def _matrices(loss: int, seed: int = 1, v: int = V):
    rng = np.random.default_rng(seed)
    syn0 = (rng.standard_normal((v, D)) * 0.3).astype(np.float32)
    syn1 = (rng.standard_normal((v if loss == K.NS else v - 1, D)) * 0.3).astype(np.float32)
    return syn0, syn1


def _run(fn, combo, s, syn0, syn1, *, window=3, negative=4, alpha=0.05, cbow_mean=True,
         seed=7, keep=None, ids=None, bounds=None):
    model, loss, shared = combo
    return fn(model, loss, s["ids"] if ids is None else ids,
              s["bounds"] if bounds is None else bounds, syn0, syn1,
              s["keep"] if keep is None else keep, s["table"], *s["hs"], window, negative,
              alpha, cbow_mean, seed, shared)


# --- parity with the reference ------------------------------------------------------------


@pytest.mark.parametrize("combo", COMBOS, ids=NAMES)
@pytest.mark.parametrize(("window", "negative", "cbow_mean"), [(3, 4, True), (1, 0, False),
                                                               (5, 2, False)])
def test_kernel_matches_reference(combo, window, negative, cbow_mean):
    s = _setup()
    a0, a1 = _matrices(combo[1])
    b0, b1 = a0.copy(), a1.copy()
    kw = {"window": window, "negative": negative, "cbow_mean": cbow_mean}
    got = _run(K.train_chunk, combo, s, a0, a1, **kw)
    want = _run(train_chunk_reference, combo, s, b0, b1, **kw)
    np.testing.assert_allclose(a0, b0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(a1, b1, rtol=1e-4, atol=1e-6)
    assert got[1:] == want[1:]  # the same predictions, the same word count
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    assert got[1] > 0 and got[2] == s["ids"].size
    assert not np.array_equal(a0, _matrices(combo[1])[0])  # it did train


def test_rng_is_splitmix64():
    # The first splitmix64 output for seed 0, as published with the algorithm.
    assert SplitMix64(0).next() == 0xE220A8397B1DCDAF
    state, z = K.next_u64(np.uint64(0))
    assert int(z) == 0xE220A8397B1DCDAF and int(state) == SplitMix64(0).state + 0x9E3779B97F4A7C15


# --- hand-derived answers -----------------------------------------------------------------


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_skipgram_ns_context_predicts_center_by_hand():
    # Sentence [0, 1], window 1, no negatives: pair (center 0, context 1), then (1, 0).
    # word2vec.c's order: the context's input row predicts the center's output row.
    syn0 = np.array([[0.1, 0.2], [0.3, -0.4]], np.float32)
    syn1 = np.array([[0.5, 0.1], [-0.2, 0.3]], np.float32)
    x0, x1, y0, y1 = (syn0[0].astype(np.float64), syn0[1].astype(np.float64),
                      syn1[0].astype(np.float64), syn1[1].astype(np.float64))
    alpha, loss = 0.5, 0.0
    f = x1 @ y0
    g = (1 - _sigmoid(f)) * alpha
    loss += -math.log(_sigmoid(f))
    x1, y0 = x1 + g * y0, y0 + g * x1
    f = x0 @ y1
    g = (1 - _sigmoid(f)) * alpha
    loss += -math.log(_sigmoid(f))
    x0, y1 = x0 + g * y1, y1 + g * x0
    out = K.train_chunk(K.SKIPGRAM, K.NS, np.array([0, 1], np.int32), np.array([0, 2]), syn0,
                        syn1, np.ones(2, np.float32), alias_table([1, 1]),
                        np.zeros(1, np.uint8), np.zeros(1, np.int32), np.zeros(3, np.int64),
                        1, 0, alpha, True, 3)
    assert out[1:] == (2, 2)
    assert out[0] == pytest.approx(loss, rel=1e-6)
    np.testing.assert_allclose(syn0, [x0, x1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(syn1, [y0, y1], rtol=1e-5, atol=1e-7)


def test_cbow_mean_gives_every_context_the_full_gradient_by_hand():
    # Sentence [0, 1, 2], window 1, no negatives: centers 0, 1, 2 in turn, h the mean of the
    # neighbours; word2vec.c adds the whole neu1e to each context row, also in mean mode.
    rng = np.random.default_rng(5)
    syn0 = rng.standard_normal((3, 4)).astype(np.float32)
    syn1 = rng.standard_normal((3, 4)).astype(np.float32)
    x, y = syn0.astype(np.float64), syn1.astype(np.float64)
    alpha, loss = 0.3, 0.0
    for center, context in ((0, [1]), (1, [0, 2]), (2, [1])):
        h = x[context].mean(axis=0)
        f = h @ y[center]
        g = (1 - _sigmoid(f)) * alpha
        loss += -math.log(_sigmoid(f))
        neu1e = g * y[center]
        y[center] += g * h
        x[context] += neu1e
    out = K.train_chunk(K.CBOW, K.NS, np.array([0, 1, 2], np.int32), np.array([0, 3]), syn0,
                        syn1, np.ones(3, np.float32), alias_table([1, 1, 1]),
                        np.zeros(1, np.uint8), np.zeros(1, np.int32), np.zeros(4, np.int64),
                        1, 0, alpha, True, 3)
    assert out[1:] == (3, 3)
    assert out[0] == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(syn0, x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(syn1, y, rtol=1e-5, atol=1e-6)


def test_a_negative_equal_to_the_target_is_skipped():
    # The table holds only word 0 and every center is 0: all draws are skipped, as in C.
    s = {"keep": np.ones(1, np.float32), "table": alias_table([1]), "hs": _hs3()}
    results = []
    for negative in (0, 5):
        syn0, syn1 = _matrices(K.NS, v=1)
        out = _run(K.train_chunk, COMBOS[0], s, syn0, syn1, window=1, negative=negative,
                   ids=np.zeros(4, np.int32), bounds=np.array([0, 4]))
        results.append((out, syn0, syn1))
    assert results[0][0] == results[1][0]
    assert np.array_equal(results[0][1], results[1][1])


def test_hs_loss_is_the_path_likelihood_by_hand():
    # Two words, one inner node: predicting word w costs -log sigma((1 - 2 code_w) f).
    h = huffman_codes([5, 3])
    syn0 = np.array([[0.4, 0.1], [-0.3, 0.2]], np.float32)
    syn1 = np.array([[0.6, -0.5]], np.float32)
    f = float(syn0[1].astype(np.float64) @ syn1[0].astype(np.float64))  # context 1 -> center 0
    expected = -math.log(_sigmoid((1 - 2 * h.code(0)[0]) * f))
    out = K.train_chunk(K.SKIPGRAM, K.HS, np.array([0, 1], np.int32), np.array([0, 2]), syn0,
                        syn1, np.ones(2, np.float32), np.zeros(1, np.int32), h.codes, h.points,
                        h.offsets, 1, 0, 1e-9, True, 3)  # alpha ~0: both pairs see these rows
    f2 = float(syn0[0].astype(np.float64) @ syn1[0].astype(np.float64))
    expected += -math.log(_sigmoid((1 - 2 * h.code(1)[0]) * f2))
    assert out[1] == 2
    assert out[0] == pytest.approx(expected, rel=1e-5)


def test_loss_is_exact_far_in_the_tails():
    # |f| = 200: an exact logistic loss is ~200 per wrong prediction, never inf or clipped.
    syn0 = np.full((2, 2), 10.0, np.float32)
    syn1 = np.full((2, 2), -10.0, np.float32)
    out = K.train_chunk(K.SKIPGRAM, K.NS, np.array([0, 1], np.int32), np.array([0, 2]), syn0,
                        syn1, np.ones(2, np.float32), alias_table([1, 1]),
                        np.zeros(1, np.uint8), np.zeros(1, np.int32), np.zeros(3, np.int64),
                        1, 0, 1e-12, True, 3)
    assert out[0] == pytest.approx(400.0, rel=1e-5)
    assert np.isfinite(syn0).all() and np.isfinite(syn1).all()


# --- subsampling and windows ----------------------------------------------------------------


@pytest.mark.parametrize("combo", COMBOS, ids=NAMES)
def test_subsampled_words_are_never_trained_but_counted(combo):
    s = _setup()
    keep = s["keep"].copy()
    dropped = np.arange(0, V, 3)
    keep[dropped] = 0.0
    counts = s["counts"].copy()
    counts[dropped] = 0
    table = alias_table(counts)  # nor drawn as negatives
    syn0, syn1 = _matrices(combo[1])
    before0, before1 = syn0.copy(), syn1.copy()
    s = {**s, "table": table}
    out = _run(K.train_chunk, combo, s, syn0, syn1, keep=keep)
    assert out[2] == s["ids"].size  # processed, subsampled-away ones included
    np.testing.assert_array_equal(syn0[dropped], before0[dropped])
    if combo[1] == K.NS:
        np.testing.assert_array_equal(syn1[dropped], before1[dropped])
    assert not np.array_equal(syn0, before0)
    ref0, ref1 = before0.copy(), before1.copy()
    assert out[1:] == _run(train_chunk_reference, combo, s, ref0, ref1, keep=keep)[1:]
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("combo", COMBOS, ids=NAMES)
def test_subsampling_happens_before_windowing(combo):
    # [2, 0, 1] with word 0 always dropped and window 1: 2 and 1 become neighbours.
    keep = np.array([0.0, 1.0, 1.0], np.float32)
    s = {"keep": keep, "table": alias_table([0, 1, 1]), "hs": _hs3()}
    syn0, syn1 = _matrices(combo[1], v=3)
    out = _run(K.train_chunk, combo, s, syn0, syn1, window=1, negative=1,
               ids=np.array([2, 0, 1], np.int32), bounds=np.array([0, 3]))
    assert out[1:] == (2, 3)  # skip-gram: pairs (2 <- 1) and (1 <- 2); CBOW: two centers
    syn0, syn1 = _matrices(combo[1], v=3)
    out = _run(K.train_chunk, combo, {**s, "keep": np.ones(3, np.float32)}, syn0, syn1,
               window=1, negative=1, ids=np.array([2, 0, 1], np.int32), bounds=np.array([0, 3]))
    assert out[1:] == ((4, 3) if combo[0] == K.SKIPGRAM else (3, 3))  # nothing dropped


def _hs3():
    h = huffman_codes([5, 4, 3])
    return (h.codes, h.points, h.offsets)


@pytest.mark.parametrize("combo", COMBOS, ids=NAMES)
def test_contexts_never_cross_sentences(combo):
    s = _setup()
    ids = s["ids"][:50]
    bounds = np.arange(51, dtype=np.int64)  # fifty one-word sentences
    syn0, syn1 = _matrices(combo[1])
    before0, before1 = syn0.copy(), syn1.copy()
    out = _run(K.train_chunk, combo, s, syn0, syn1, window=5, keep=np.ones(V, np.float32),
               ids=ids, bounds=bounds)
    assert out == (0.0, 0, 50)
    np.testing.assert_array_equal(syn0, before0)
    np.testing.assert_array_equal(syn1, before1)


# --- determinism and learning ---------------------------------------------------------------


@pytest.mark.parametrize("combo", COMBOS, ids=NAMES)
def test_same_seed_is_bit_identical_and_another_seed_differs(combo):
    s = _setup()
    runs = []
    for seed in (11, 11, 12):
        syn0, syn1 = _matrices(combo[1])
        out = _run(K.train_chunk, combo, s, syn0, syn1, seed=seed)
        runs.append((out, syn0, syn1))
    assert runs[0][0] == runs[1][0]
    assert np.array_equal(runs[0][1], runs[1][1]) and np.array_equal(runs[0][2], runs[1][2])
    assert not np.array_equal(runs[0][1], runs[2][1])
    assert runs[0][0][0] != runs[2][0][0]


@pytest.mark.parametrize("combo", COMBOS, ids=NAMES)
def test_loss_decreases_on_a_structured_corpus(combo):
    # Five fixed 6-word phrases repeated: every context predicts its center perfectly.
    phrases = np.arange(V).reshape(5, 6)
    ids = np.tile(phrases, (8, 1)).ravel().astype(np.int32)
    bounds = np.arange(0, ids.size + 1, 6, dtype=np.int64)
    s = _setup()
    s["table"] = alias_table(np.ones(V))
    rng = np.random.default_rng(0)
    syn0 = ((rng.random((V, D)) - 0.5) / D).astype(np.float32)
    syn1 = np.zeros((V if combo[1] == K.NS else V - 1, D), np.float32)
    means = []
    for epoch in range(30):
        out = _run(K.train_chunk, combo, s, syn0, syn1, keep=np.ones(V, np.float32),
                   ids=ids, bounds=bounds, alpha=0.05, seed=epoch)
        means.append(out[0] / out[1])
    assert means[-1] < 0.5 * means[0]
    assert all(np.isfinite(means))


# --- the dispatcher -----------------------------------------------------------------------


def test_dispatcher_refuses_what_would_lose_updates():
    s = _setup()
    syn0, syn1 = _matrices(K.NS)
    with pytest.raises(TypeError, match="syn0"):
        _run(K.train_chunk, COMBOS[0], s, syn0.astype(np.float64), syn1)
    with pytest.raises(TypeError, match="syn1"):
        _run(K.train_chunk, COMBOS[0], s, syn0, np.asfortranarray(syn1))
    with pytest.raises(ValueError, match="shared_negatives"):
        _run(K.train_chunk, (K.CBOW, K.NS, True), s, syn0, syn1)
    with pytest.raises(ValueError, match="window"):
        _run(K.train_chunk, COMBOS[0], s, syn0, syn1, window=0)


def test_kernels_release_the_gil():
    for kernel in (K._sg_ns, K._sg_ns_shared, K._sg_hs, K._cbow_ns, K._cbow_hs):
        assert kernel.targetoptions["nogil"] is True
