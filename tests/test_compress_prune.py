"""compress.prune: the most frequent rows bit for bit, and fastText n-grams re-hashed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from embedlayer.compress import _kernels_prune
from embedlayer.compress.prune import prune_subword, prune_vectors
from embedlayer.errors import ConfigError
from embedlayer.vectors.io import load_vectors, save_vectors
from embedlayer.vectors.io.fasttext_bin_write import write_fasttext_bin
from embedlayer.vectors.subword import SubwordVectors
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import EOS, Vocab, char_ngrams, fnv1a_32

RNG = np.random.default_rng(0)


def _dense(counts=(3, 9, 0, 7, 9, 1), **kw) -> Vectors:
    keys = [f"w{i}" for i in range(len(counts))]
    matrix = RNG.standard_normal((len(counts), 4)).astype(np.float32)
    return Vectors(Vocab(keys, list(counts), unk_token=None), matrix, **kw)


def _hash(gram: str, modulus: int) -> int:
    return fnv1a_32(gram.encode("utf-8")) % modulus


def _subword(n_words=300, *, bucket=61, minn=3, maxn=4, seed=1) -> SubwordVectors:
    """Random words over a 5-letter alphabet, counts descending, random rows (dim 3)."""
    rng = np.random.default_rng(seed)
    words: list[str] = [EOS]
    while len(words) < n_words:
        word = "".join(rng.choice(list("abcde"), size=int(rng.integers(2, 7))))
        if word not in words:
            words.append(word)
    counts = np.sort(rng.integers(1, 1000, size=n_words))[::-1]
    vocab = Vocab(words, counts, unk_token=None)
    return SubwordVectors(vocab, rng.standard_normal((n_words, 3)),
                          rng.standard_normal((bucket, 3)), minn=minn, maxn=maxn, bucket=bucket)


# --- prune_vectors ---------------------------------------------------------------------------
def test_prune_vectors_keeps_the_most_frequent_rows_bit_for_bit_in_their_order():
    v = _dense()  # counts 3, 9, 0, 7, 9, 1: the top three are rows 1, 4 (tie: lower row) and 3
    pruned = prune_vectors(v, 3)
    assert pruned.keys == ["w1", "w3", "w4"]
    assert pruned.vocab.counts.tolist() == [9, 7, 9]
    assert np.array_equal(pruned.matrix, v.matrix[[1, 3, 4]])
    assert prune_vectors(v, 1).keys == ["w1"]  # the tie goes to the lower row


def test_prune_vectors_takes_row_order_as_frequency_when_there_are_no_counts():
    v = _dense(counts=(0,) * 6)
    pruned = prune_vectors(v, 4)
    assert pruned.keys == ["w0", "w1", "w2", "w3"]
    assert np.array_equal(pruned.matrix, v.matrix[:4])


def test_prune_vectors_keeps_special_tokens_on_top_of_keep():
    vocab = Vocab(["<pad>", "<unk>", "a", "b", "c"], [0, 0, 1, 5, 3], specials=["<pad>", "<unk>"])
    v = Vectors(vocab, np.arange(10, dtype=np.float32).reshape(5, 2))
    pruned = prune_vectors(v, 2)
    assert pruned.keys == ["<pad>", "<unk>", "b", "c"]
    assert pruned.vocab.specials == ("<pad>", "<unk>") and pruned.vocab.unk_id == 1
    # a plain "<unk>" key (a vectors file records no specials) is kept through always_keep
    plain = Vectors(["the", "<unk>", "of"], np.eye(3))
    assert prune_vectors(plain, 1).keys == ["the", "<unk>"]
    assert prune_vectors(plain, 1, always_keep=()).keys == ["the"]


def test_prune_vectors_keep_above_the_rows_returns_everything():
    v = _dense()
    assert prune_vectors(v, 1000) == v
    assert np.array_equal(prune_vectors(v, 1000).vocab.counts, v.vocab.counts)


def test_prune_vectors_carries_the_oov_policy_over():
    v = _dense(oov="random", oov_seed=7)
    pruned = prune_vectors(v, 2)
    assert pruned.oov == "random"
    assert np.array_equal(pruned["unseen"], v["unseen"])
    assert "w0" not in pruned and pruned["w0"].shape == (4,)  # dropped: now an OOV key
    assert prune_vectors(_dense(), 2).oov == "raise"


def test_prune_vectors_of_a_subword_store_keeps_its_composed_rows():
    sv = _subword(40)
    pruned = prune_vectors(sv, 10)
    assert isinstance(pruned, Vectors) and pruned.keys == sv.keys[:10]
    assert np.array_equal(pruned.matrix, sv.matrix[:10])


def test_prune_vectors_round_trips_through_the_native_format(tmp_path):
    vocab = Vocab(["<pad>", "x", "y", "z"], [0, 2, 8, 5], specials=["<pad>"], unk_token=None)
    pruned = prune_vectors(Vectors(vocab, RNG.standard_normal((4, 3))), 2)
    back = load_vectors(save_vectors(pruned, tmp_path / "pruned", progress=False))
    assert back == pruned
    assert back.vocab == pruned.vocab  # counts and specials too


# --- prune_subword ---------------------------------------------------------------------------
def test_prune_subword_with_the_same_table_and_every_word_changes_nothing():
    sv = _subword()
    same = prune_subword(sv, keep_words=len(sv), buckets=sv.bucket)
    assert same.keys == sv.keys and same.bucket == sv.bucket
    assert np.array_equal(same.word_matrix, sv.word_matrix)
    np.testing.assert_allclose(same.matrix, sv.matrix, rtol=1e-5, atol=1e-6)
    oov = ["abcdeab", "eeeee", "dcba", "bad"]
    used = {int(i) for w in sv.keys for i in sv.ngram_ids(w)}
    assert all(set(sv.ngram_ids(w).tolist()) <= used for w in oov)  # rows the words fill
    assert not any(w in sv for w in oov)
    np.testing.assert_allclose(same.lookup(oov), sv.lookup(oov), rtol=1e-5, atol=1e-6)


def test_prune_subword_composes_unknown_words_from_the_new_rows():
    sv = _subword()
    small = prune_subword(sv, keep_words=50, buckets=17)
    assert len(small) == 50 and small.keys == sv.keys[:50]
    assert (small.bucket, small.minn, small.maxn) == (17, sv.minn, sv.maxn)
    assert small.ngram_matrix.shape == (17, 3)
    for word in ("abcdeab", "eeeee", sv.keys[200]):  # unknown, and a word that lost its row
        assert word not in small
        rows = [_hash(g, 17) for g in char_ngrams(word, sv.minn, sv.maxn)]
        expected = small.ngram_matrix[rows].astype(np.float64).mean(axis=0)
        np.testing.assert_allclose(small[word], expected, rtol=1e-5, atol=1e-6)
    kept = sv.keys[10]  # a kept word: its own row and its new n-gram rows
    rows = [_hash(g, 17) for g in char_ngrams(kept, sv.minn, sv.maxn)]
    expected = (sv.word_matrix[10] + small.ngram_matrix[rows].sum(axis=0)) / (len(rows) + 1)
    np.testing.assert_allclose(small[kept], expected, rtol=1e-5, atol=1e-6)


def test_prune_subword_weights_old_rows_by_word_counts():
    # "ab" has n-grams "<ab", "ab>"; "cd" has "<cd", "cd>". One new bucket takes all four.
    table = np.arange(40, dtype=np.float32).reshape(20, 2)
    old = {g: _hash(g, 20) for g in ("<ab", "ab>", "<cd", "cd>")}

    def pruned(counts):
        sv = SubwordVectors(Vocab(["ab", "cd"], counts, unk_token=None), np.ones((2, 2)), table,
                            minn=3, maxn=3, bucket=20)
        return prune_subword(sv, keep_words=2, buckets=1).ngram_matrix[0]

    ab = table[old["<ab"]] + table[old["ab>"]]
    cd = table[old["<cd"]] + table[old["cd>"]]
    np.testing.assert_allclose(pruned([3, 1]), (3 * ab + 1 * cd) / 8, rtol=1e-6)
    np.testing.assert_allclose(pruned([1, 0]), ab / 2, rtol=1e-6)  # count 0 weighs nothing
    np.testing.assert_allclose(pruned([0, 0]), (ab + cd) / 4, rtol=1e-6)  # no counts: equal


def test_prune_subword_leaves_rows_that_no_ngram_reaches_zero():
    sv = SubwordVectors(Vocab(["ab"], [4], unk_token=None), np.ones((1, 2)), np.ones((20, 2)),
                        minn=3, maxn=3, bucket=20)
    small = prune_subword(sv, keep_words=1, buckets=50)
    filled = {_hash("<ab", 50), _hash("ab>", 50)}
    for b in range(50):
        expected = [1.0, 1.0] if b in filled else [0.0, 0.0]
        assert small.ngram_matrix[b].tolist() == expected


def test_prune_subword_result_saves_and_loads_unchanged(tmp_path):
    small = prune_subword(_subword(), keep_words=40, buckets=23)
    native = load_vectors(save_vectors(small, tmp_path / "native", progress=False))
    assert native == small.to_vectors() and native.vocab == small.vocab
    back = load_vectors(write_fasttext_bin(small, tmp_path / "small.bin"), format="fasttext-bin")
    assert isinstance(back, SubwordVectors) and back.keys == small.keys
    assert (back.bucket, back.minn, back.maxn) == (23, small.minn, small.maxn)
    assert np.array_equal(back.word_matrix, small.word_matrix)
    assert np.array_equal(back.ngram_matrix, small.ngram_matrix)
    assert np.array_equal(back.lookup(["abcdeab", "zz"]), small.lookup(["abcdeab", "zz"]))


# --- prune_subword(refine=...) ----------------------------------------------------------------
def _objective(small: SubwordVectors, sv: SubwordVectors) -> float:
    """sum_w c_w ||compose'(w) - v_old(w)||^2 over sv's words, c_w = sqrt(count) / mean, by hand."""
    c = np.sqrt(sv.vocab.counts.astype(np.float64))
    c /= c.mean()
    total = 0.0
    for i, word in enumerate(sv.keys):
        grams = [] if word in sv.no_subwords else char_ngrams(word, sv.minn, sv.maxn)
        rows = [_hash(g, small.bucket) for g in grams]
        vec = small.ngram_matrix[rows].astype(np.float64).sum(axis=0)
        if word in small:
            vec = vec + small.word_matrix[small.vocab.get(word)]
        vec /= max(len(rows) + (word in small), 1)
        total += c[i] * float(((vec - sv[word].astype(np.float64)) ** 2).sum())
    return total


def test_prune_subword_refine_zero_is_the_plain_re_hash_bit_for_bit():
    sv = _subword()
    plain = prune_subword(sv, keep_words=50, buckets=17)
    zero = prune_subword(sv, keep_words=50, buckets=17, refine=0)
    assert np.array_equal(zero.ngram_matrix, plain.ngram_matrix)
    assert np.array_equal(zero.word_matrix, plain.word_matrix)
    assert zero.keys == plain.keys


def test_prune_subword_refine_lowers_the_weighted_error_step_by_step():
    sv = _subword()
    objective = [_objective(prune_subword(sv, keep_words=50, buckets=17, refine=k), sv)
                 for k in range(7)]
    for before, after in zip(objective, objective[1:], strict=False):
        assert after <= before * (1 + 1e-6)  # CGLS never raises the residual
    assert objective[3] < 0.97 * objective[0]
    # 17 buckets: CG has converged long before 40 steps, and converged columns stay put
    assert _objective(prune_subword(sv, keep_words=50, buckets=17, refine=40), sv) <= (
        objective[-1] * (1 + 1e-6))
    kept = prune_subword(sv, keep_words=50, buckets=17, refine=5)
    assert np.array_equal(kept.word_matrix, sv.word_matrix[:50])  # word rows stay fixed


def test_prune_subword_refine_keeps_an_exact_re_hash_where_it_is():
    sv = _subword()
    same = prune_subword(sv, keep_words=len(sv), buckets=sv.bucket, refine=10)
    np.testing.assert_allclose(same.matrix, sv.matrix, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(same.ngram_matrix, sv.ngram_matrix, rtol=1e-5, atol=1e-5)


def test_prune_subword_refine_leaves_rows_no_word_uses_as_re_hashed():
    sv = _subword(60)
    plain = prune_subword(sv, keep_words=20, buckets=500)
    refined = prune_subword(sv, keep_words=20, buckets=500, refine=5)
    used = {_hash(g, 500) for w in sv.keys if w not in sv.no_subwords
            for g in char_ngrams(w, sv.minn, sv.maxn)}
    unused = sorted(set(range(500)) - used)
    assert unused and np.array_equal(refined.ngram_matrix[unused], plain.ngram_matrix[unused])
    assert not np.array_equal(refined.ngram_matrix, plain.ngram_matrix)


def test_prune_subword_refine_is_deterministic():
    sv = _subword()
    a = prune_subword(sv, keep_words=40, buckets=23, refine=4)
    b = prune_subword(sv, keep_words=40, buckets=23, refine=4)
    assert np.array_equal(a.ngram_matrix, b.ngram_matrix)


def _random_map(seed: int = 3):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 6, size=40)  # words with no occurrence too
    indptr = np.zeros(41, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    cols = rng.integers(0, 13, size=int(indptr[-1]))  # repeats within a word too
    return indptr, cols, rng.random(40), rng.standard_normal((13, 5)), rng.standard_normal((40, 5))


def test_word_sums_kernel_matches_a_dense_numpy_reference():
    indptr, cols, scale, x, _ = _random_map()
    dense = np.zeros((40, 13))
    words = np.repeat(np.arange(40), np.diff(indptr))
    np.add.at(dense, (words, cols), scale[words])  # repeats add up
    out = np.full((40, 5), np.nan)
    _kernels_prune.word_sums(indptr, cols, scale, x, out)
    np.testing.assert_allclose(out, dense @ x, rtol=1e-12, atol=1e-12)


def test_bucket_sums_kernel_matches_a_numpy_reference():
    indptr, cols, scale, _, r = _random_map()
    words = np.repeat(np.arange(40), np.diff(indptr))
    expected = np.zeros((13, 5))
    np.add.at(expected, cols, scale[words][:, None] * r[words])
    out = np.zeros((13, 5))
    _kernels_prune.bucket_sums(indptr, cols, scale, r, out)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [0, -3, True, 2.0, "5"])
def test_prune_vectors_rejects_a_bad_keep(keep):
    with pytest.raises(ConfigError, match="keep must be an integer >= 1"):
        prune_vectors(_dense(), keep)


def test_pruning_an_empty_store_is_a_config_error():
    empty = Vectors(Vocab([], unk_token=None), np.zeros((0, 3)))
    with pytest.raises(ConfigError, match="empty"):
        prune_vectors(empty, 5)
    empty_sv = SubwordVectors(Vocab([], unk_token=None), np.zeros((0, 2)), np.zeros((4, 2)),
                              minn=3, maxn=3, bucket=4)
    with pytest.raises(ConfigError, match="empty"):
        prune_subword(empty_sv, keep_words=5, buckets=2)


@pytest.mark.parametrize(("kw", "message"), [
    ({"keep_words": 0, "buckets": 5}, "keep_words must be an integer >= 1"),
    ({"keep_words": 5, "buckets": 0}, "buckets must be an integer >= 1"),
    ({"keep_words": 5, "buckets": -1}, "buckets must be an integer >= 1"),
])
def test_prune_subword_rejects_bad_sizes(kw, message):
    with pytest.raises(ConfigError, match=message):
        prune_subword(_subword(20), **kw)


@pytest.mark.parametrize("refine", [-1, True, 2.0, "3", None])
def test_prune_subword_rejects_a_bad_refine(refine):
    with pytest.raises(ConfigError, match="refine must be an integer >= 0"):
        prune_subword(_subword(20), keep_words=5, buckets=5, refine=refine)


def test_prune_subword_needs_a_subword_store_with_buckets():
    with pytest.raises(ConfigError, match="needs SubwordVectors.*got Vectors"):
        prune_subword(_dense(), keep_words=2, buckets=2)
    no_buckets = SubwordVectors(["ab"], np.ones((1, 2)), np.zeros((0, 2)), minn=3, maxn=3,
                                bucket=0)
    with pytest.raises(ConfigError, match="no n-gram buckets"):
        prune_subword(no_buckets, keep_words=1, buckets=2)
