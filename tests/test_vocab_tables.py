"""Sampling tables, Huffman codes and fastText n-gram hashing: known answers and references."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlayer.errors import ConfigError
from embedlayer.vocab import (
    AliasTable,
    alias_table,
    char_ngrams,
    fasttext_keep_probabilities,
    fnv1a_32,
    huffman_codes,
    keep_probabilities,
    negative_cdf,
    ngram_buckets,
    unigram_probabilities,
)

# --- subsampling ---------------------------------------------------------------------------


def test_keep_probability_matches_word2vec_c_by_hand():
    counts = np.array([1000, 100, 10, 0])
    total, sample = 1110, 1e-2
    t = sample * total  # 11.1
    p = keep_probabilities(counts, sample)
    assert p[0] == pytest.approx((math.sqrt(1000 / t) + 1) * t / 1000)
    assert p[1] == pytest.approx((math.sqrt(100 / t) + 1) * t / 100)
    assert p[2] == 1.0 and p[3] == 1.0  # rare words and specials are always kept
    assert keep_probabilities(counts, 0).tolist() == [1, 1, 1, 1]
    with pytest.raises(ConfigError):
        keep_probabilities(counts, -1)


def test_keep_probability_equals_gensim():
    from gensim.models import Word2Vec

    sentences = [["a"] * 50 + ["b"] * 20 + ["c"] * 5 + ["d"]] * 3
    model = Word2Vec(vector_size=4, min_count=1, sample=1e-2, workers=1)
    model.build_vocab(sentences)
    kv = model.wv
    counts = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key])
    ours = keep_probabilities(counts, 1e-2)
    theirs = np.array([kv.get_vecattr(w, "sample_int") for w in kv.index_to_key]) / 2**32
    np.testing.assert_allclose(ours, np.minimum(theirs, 1.0), atol=1e-9)


# --- negative sampling ---------------------------------------------------------------------


def test_unigram_power():
    p = unigram_probabilities([16, 1, 0], power=0.5)
    np.testing.assert_allclose(p, [4 / 5, 1 / 5, 0])
    assert negative_cdf([16, 1, 0], power=0.5)[-1] == 1.0


def alias_distribution(table: AliasTable) -> np.ndarray:
    """The exact distribution an alias table draws: each column's own share plus its alias's."""
    prob = table.prob.astype(np.float64)
    v = prob.size
    p = prob.copy()
    np.add.at(p, table.alias, 1.0 - prob)
    return p / v


@pytest.mark.parametrize("power", [0.75, 0.5, 1.0])
def test_alias_table_draws_every_word_with_its_exact_probability(power):
    # Counts over twelve orders of magnitude: the rarest has p ~ 1e-9 (power 0.75), far below
    # one slot of word2vec.c's table, and a zero-count special must get nothing.
    counts = np.array([10**12, 10**9, 3 * 10**6, 5000, 70, 2, 1, 1, 0, 1, 10**4])
    table = alias_table(counts, power=power)
    assert table.prob.dtype == np.float32 and table.alias.dtype == np.int32
    assert table.prob.shape == table.alias.shape == counts.shape
    assert ((table.prob >= 0) & (table.prob <= 1)).all()
    want = unigram_probabilities(counts, power)
    got = alias_distribution(table)
    # float32 shares: each column's own word within 6e-8 relative; 1e-6 is generous
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 / counts.size)
    rare = want > 0
    np.testing.assert_allclose(got[rare], want[rare], rtol=1e-6)  # the rarest too, relatively
    assert got[counts == 0].tolist() == [0.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=300).filter(any),
       st.sampled_from([0.5, 0.75, 1.0]))
def test_alias_table_is_exact_for_any_counts(counts, power):
    counts = np.array(counts)
    table = alias_table(counts, power=power)
    want = unigram_probabilities(counts, power)
    np.testing.assert_allclose(alias_distribution(table), want, rtol=1e-5, atol=1e-9)
    assert (table.alias >= 0).all() and (table.alias < counts.size).all()
    assert (want[table.alias[table.prob < 1]] > 0).all()  # an alias is never a zero-count word


def test_alias_table_refuses_all_zero_counts():
    with pytest.raises(ConfigError, match="count > 0"):
        alias_table([0, 0])


# --- fastText subsampling ------------------------------------------------------------------


def test_fasttext_keep_probability_uses_fasttexts_token_total_by_hand():
    # fastText counts every token read (words below min_count too) plus one </s> per line:
    # ntokens = 100 + 10 = 110. f = c / 110, keep = sqrt(t / f) + t / f (initTableDiscard).
    counts = [50, 20, 5, 0]
    keep = fasttext_keep_probabilities(counts, 0.1, tokens=100, lines=10)
    assert keep.dtype == np.float32
    r = 0.1 * 110 / 50  # t / f for the 50-count word: 0.22
    assert keep[0] == pytest.approx(math.sqrt(r) + r, rel=1e-6)  # 0.689
    assert keep[1] == 1.0  # sqrt(0.55) + 0.55 > 1: always kept
    assert keep[2] == 1.0 and keep[3] == 1.0
    # The same formula as word2vec.c's, over fastText's total instead of the vocabulary's:
    np.testing.assert_allclose(keep, keep_probabilities(counts, 0.1, total=110), rtol=1e-6)
    assert keep[0] > keep_probabilities(counts, 0.1)[0]  # over 75 vocabulary tokens: fewer kept
    assert fasttext_keep_probabilities(counts, 0, tokens=100, lines=10).tolist() == [1] * 4
    with pytest.raises(ConfigError, match="tokens"):
        fasttext_keep_probabilities(counts, 0.1, tokens=0, lines=0)


def test_fasttext_keep_probability_rounds_like_fasttext():
    # f is a float (real) in fastText, the ratio a double: reproduce both roundings.
    counts = np.array([123_457, 98_765, 4_321])
    keep = fasttext_keep_probabilities(counts, 1e-4, tokens=10_000_000, lines=123_456)
    f = counts.astype(np.float32) / np.float32(10_123_456)
    r = 1e-4 / f.astype(np.float64)
    np.testing.assert_array_equal(keep, (np.sqrt(r) + r).astype(np.float32))


# --- Huffman -------------------------------------------------------------------------------


def _huffman_cost(counts):
    """Reference: total weighted code length by the classic heap construction."""
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        cost += a + b
        heapq.heappush(heap, a + b)
    return cost


def test_huffman_known_answer():
    h = huffman_codes([5, 3, 2, 1, 1])
    assert h.lengths.tolist() == [1, 2, 3, 4, 4]
    assert [h.path(w)[0] for w in range(5)] == [3] * 5  # root is inner node V-2 = 3
    assert h.code(0) == [0]  # the frequent word is the first minimum's sibling: bit 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=2, max_size=200))
def test_huffman_is_optimal_prefix_free_and_consistent(counts):
    h = huffman_codes(counts)
    lengths = h.lengths
    v = len(counts)
    # Kraft equality: a full binary tree
    assert sum(2.0 ** -int(n) for n in lengths) == pytest.approx(1.0)
    # optimal: weighted length equals the heap construction's cost
    assert int(np.dot(lengths, counts)) == _huffman_cost(counts)
    # prefix-free and the same inner node for the same prefix
    codes = {tuple(h.code(w)) for w in range(v)}
    assert len(codes) == v
    node_of_prefix = {}
    for w in range(v):
        code, path = h.code(w), h.path(w)
        assert all(0 <= p <= v - 2 for p in path)
        for k in range(len(code)):
            assert node_of_prefix.setdefault(tuple(code[:k]), path[k]) == path[k]
    for a in codes:
        for b in codes:
            assert a == b or a != b[: len(a)]


def test_huffman_single_word():
    h = huffman_codes([7])
    assert h.lengths.tolist() == [0]


def test_huffman_matches_gensim_code_lengths():
    from gensim.models.word2vec import Word2Vec

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    freq = rng.zipf(1.3, size=300).clip(1, 5000)
    sentences = [[w] * int(f) for w, f in zip(words, freq, strict=True)]
    model = Word2Vec(vector_size=4, min_count=1, hs=1, negative=0, workers=1)
    model.build_vocab(sentences)
    kv = model.wv
    counts = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key])
    theirs = np.array([len(kv.get_vecattr(w, "code")) for w in kv.index_to_key])
    ours = huffman_codes(counts).lengths
    # tie-breaking may differ; optimal weighted length may not
    assert int(np.dot(ours, counts)) == int(np.dot(theirs, counts))


# --- fastText n-grams ----------------------------------------------------------------------


def test_fnv1a_standard_vectors_for_ascii():
    assert fnv1a_32(b"") == 0x811C9DC5
    assert fnv1a_32(b"a") == 0xE40C292C
    assert fnv1a_32(b"foobar") == 0xBF9CF968


def test_fnv1a_signed_char_quirk():
    # one non-ASCII byte 0xE9: fastText XORs 0xFFFFFFE9, standard FNV-1a XORs 0xE9
    expected = ((0x811C9DC5 ^ 0xFFFFFFE9) * 16777619) & 0xFFFFFFFF
    assert fnv1a_32(b"\xe9") == expected
    standard = ((0x811C9DC5 ^ 0xE9) * 16777619) & 0xFFFFFFFF
    assert expected != standard


def test_char_ngrams_known_answer():
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert char_ngrams("ab", 1, 2) == ["<a", "a", "ab", "b", "b>"]  # lone '<' and '>' excluded
    assert char_ngrams("日本", 2, 2) == ["<日", "日本", "本>"]  # whole UTF-8 characters


@pytest.mark.parametrize(
    "word", ["hello", "naïve", "привет", "日本語", "a", "Zürich", "emoji🙂x", "don't", "x" * 40]
)
@pytest.mark.parametrize(("minn", "maxn"), [(3, 6), (1, 3), (2, 5)])
def test_ngrams_and_buckets_equal_gensim(word, minn, maxn):
    from gensim.models import fasttext_inner
    from gensim.models.fasttext import ft_ngram_hashes

    theirs = [g.decode("utf-8") for g in fasttext_inner.compute_ngrams_bytes(word, minn, maxn)]
    assert sorted(char_ngrams(word, minn, maxn)) == sorted(theirs)
    assert ngram_buckets(word, minn, maxn, 2_000_000).tolist() == list(
        ft_ngram_hashes(word, minn, maxn, 2_000_000)
    )
    for g in theirs:
        assert fnv1a_32(g.encode()) == fasttext_inner.ft_hash_bytes(g.encode())


def test_ngram_buckets_edge_cases():
    assert ngram_buckets("word", 3, 0).size == 0  # maxn=0: no n-grams (fastText's switch)
    assert ngram_buckets("word", 3, 6, bucket=0).size == 0
    with pytest.raises(ConfigError):
        char_ngrams("word", 0, 3)
