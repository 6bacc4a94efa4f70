"""SubwordVectors: fastText's composition of word rows and n-gram buckets, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlayer.errors import ConfigError
from embedlayer.vectors.base import VectorStore
from embedlayer.vectors.subword import SubwordVectors, subword_ids
from embedlayer.vectors.vectors import Vectors
from embedlayer.vocab import Vocab, fnv1a_32, ngram_buckets

BUCKET = 7
D = 2


def _store(words=("ab", "cat", "</s>"), *, minn=3, maxn=3, bucket=BUCKET, **kw) -> SubwordVectors:
    # Word i's row is (100 * (i + 1), 0); bucket j's row is (j, 1): sums stay readable.
    words = list(words)
    w = np.array([[100.0 * (i + 1), 0.0] for i in range(len(words))], dtype=np.float32)
    n = np.array([[float(j), 1.0] for j in range(bucket)], dtype=np.float32).reshape(bucket, D)
    return SubwordVectors(words, w, n, minn=minn, maxn=maxn, bucket=bucket, **kw)


def _h(gram: str) -> int:
    return fnv1a_32(gram.encode("utf-8")) % BUCKET


def _fasttext_reference(sv: SubwordVectors, word: str) -> np.ndarray:
    """fastText's getWordVector, step by step in float32: zero, add rows in order, scale."""
    vec = np.zeros(sv.dim, dtype=np.float32)
    rows = [sv.word_matrix[sv.vocab[word]]] if word in sv else []
    if word not in sv.no_subwords:
        rows += [sv.ngram_matrix[i] for i in ngram_buckets(word, max(sv.minn, 1), sv.maxn,
                                                            sv.bucket)] if sv.maxn else []
    for row in rows:
        vec += row
    if rows:
        vec *= np.float32(1.0 / len(rows))
    return vec


def test_known_word_is_the_mean_of_its_row_and_its_ngram_rows():
    sv = _store()
    a, b = _h("<ab"), _h("ab>")  # the only 3-grams of "<ab>"
    assert sv.ngram_ids("ab").tolist() == [a, b]
    expected = np.array([(100.0 + a + b) / 3, 2 / 3], dtype=np.float32)
    np.testing.assert_allclose(sv["ab"], expected, rtol=1e-5)
    cat = [_h(g) for g in ("<ca", "cat", "at>")]
    np.testing.assert_allclose(sv["cat"], [(200.0 + sum(cat)) / 4, 3 / 4], rtol=1e-5)


def test_unknown_word_is_the_mean_of_its_ngram_rows_and_never_raises():
    sv = _store()
    assert "dog" not in sv and len(sv) == 3
    ids = [_h(g) for g in ("<do", "dog", "og>")]
    np.testing.assert_allclose(sv["dog"], [sum(ids) / 3, 1.0], rtol=1e-5)
    np.testing.assert_array_equal(sv.ngram_vectors("dog"), sv.ngram_matrix[ids])
    assert sv["d"].tolist() == sv.ngram_matrix[_h("<d>")].tolist()  # "<d>" is its one 3-gram


def test_word_without_ngrams_gets_its_row_and_unknown_gets_zeros():
    for sv in (_store(maxn=0), _store(minn=5, maxn=4), _store(bucket=0)):
        assert sv["cat"].tolist() == [200.0, 0.0]
        assert sv["zebra"].tolist() == [0.0, 0.0]
        assert sv.ngram_vectors("zebra").shape == (0, D)
    assert _store()[""].tolist() == [0.0, 0.0]  # "<>" has no 3-gram


def test_end_of_sentence_token_uses_no_ngrams_unless_told():
    assert _store()["</s>"].tolist() == [300.0, 0.0]  # fastText >= v11: EOS is its row alone
    legacy = _store(no_subwords=())  # pre-2017 fastText composed EOS like any word
    ids = [_h(g) for g in ("<</", "</s", "/s>", "s>>")]
    np.testing.assert_allclose(legacy["</s>"], [(300.0 + sum(ids)) / 5, 4 / 5], rtol=1e-5)


def test_unicode_words_take_whole_characters():
    sv = _store(["日本", "naïve"], minn=1, maxn=2)
    assert len(sv.ngram_ids("日本")) == len(["日", "本", "<日", "日本", "本>"])
    for word in ("日本", "naïve", "ナイーブ", "e\u0301", "𝄞x"):
        assert sv.ngram_ids(word).tolist() == ngram_buckets(word, 1, 2, BUCKET).tolist()
        np.testing.assert_array_equal(sv[word], _fasttext_reference(sv, word))


def test_vectors_are_fasttext_arithmetic_bit_for_bit():
    rng = np.random.default_rng(0)
    words = ["the", "naïve", "日本語", "x", "</s>", "governments", "a" * 40]
    w = rng.standard_normal((len(words), 5)).astype(np.float32) * 10
    n = (rng.standard_normal((50, 5)) * 10 ** rng.uniform(-3, 3, (50, 1))).astype(np.float32)
    sv = SubwordVectors(words, w, n, minn=2, maxn=6, bucket=50)
    for word in [*words, "helllo", "日本", "", "</s>x"]:
        np.testing.assert_array_equal(sv[word], _fasttext_reference(sv, word))
    np.testing.assert_array_equal(sv.matrix, np.stack([_fasttext_reference(sv, x) for x in words]))


def test_matrix_is_computed_once_read_only_and_agrees_with_lookups():
    sv = _store(["ab", "cat", "dogs", "</s>"])
    before = [sv[w].copy() for w in sv]
    m = sv.matrix
    assert m is sv.matrix and not m.flags.writeable and m.shape == (4, D)
    np.testing.assert_array_equal(m, np.stack(before))
    np.testing.assert_array_equal(np.stack([sv[w] for w in sv]), m)
    keys = ["cat", "zebra", "ab", "", "cat"]
    np.testing.assert_array_equal(sv.lookup(keys), np.stack([sv[k] for k in keys]))
    assert sv.lookup([]).shape == (0, D)
    assert np.array_equal(_store(["ab", "cat"]).lookup(keys), sv.lookup(keys))  # before matrix


def test_to_vectors_shares_the_composed_matrix():
    sv = _store()
    v = sv.to_vectors(oov="zeros")
    assert isinstance(v, Vectors) and v.keys == sv.keys and np.shares_memory(v.matrix, sv.matrix)
    assert v["unknown"].tolist() == [0.0, 0.0]


def test_follows_the_vector_store_protocol():
    sv = _store()
    assert isinstance(sv, VectorStore)
    assert sv.dim == D and len(sv) == 3 and list(sv) == ["ab", "cat", "</s>"]
    assert "ab" in sv and "abc" not in sv and 3 not in sv
    assert sv.norms.shape == (3,) and (sv.minn, sv.maxn, sv.bucket) == (3, 3, BUCKET)
    assert "3 words + 7 n-gram buckets x 2" in repr(sv)


def test_inputs_are_copied_so_the_cache_cannot_go_stale():
    w = np.ones((1, D), dtype=np.float32)
    n = np.zeros((BUCKET, D), dtype=np.float32)
    sv = SubwordVectors(Vocab(["ab"], unk_token=None), w, n, minn=3, maxn=3, bucket=BUCKET)
    w[0] = 99
    assert sv.word_matrix[0].tolist() == [1.0, 1.0] and not sv.ngram_matrix.flags.writeable
    ro = np.zeros((BUCKET, D), dtype=np.float32)
    ro.setflags(write=False)
    shared = SubwordVectors(["ab"], w, ro, minn=3, maxn=3, bucket=BUCKET)
    assert np.shares_memory(shared.ngram_matrix, ro)  # read-only input: no copy


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"word_matrix": np.zeros((2, D))}, "2 rows, expected 1"),
        ({"ngram_matrix": np.zeros((3, D))}, "3 rows, expected 7"),
        ({"ngram_matrix": np.zeros((BUCKET, 3))}, "columns"),
        ({"word_matrix": np.zeros(D)}, "2-d"),
        ({"word_matrix": np.array([["a", "b"]])}, "numbers"),
        ({"minn": -1}, "minn"),
        ({"maxn": 2.5}, "maxn"),
        ({"bucket": True}, "bucket"),
        ({"no_subwords": [1]}, "no_subwords"),
    ],
)
def test_bad_construction_raises_config_error(change, match):
    kw = {"word_matrix": np.zeros((1, D)), "ngram_matrix": np.zeros((BUCKET, D)), "minn": 3,
          "maxn": 3, "bucket": BUCKET, **change}
    with pytest.raises(ConfigError, match=match):
        SubwordVectors(["ab"], **kw)


def test_non_string_keys_are_refused():
    with pytest.raises(ConfigError):
        _store()[3]  # type: ignore[index]
    with pytest.raises(ConfigError):
        _store().lookup(["ab", None])  # type: ignore[list-item]


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.text(min_size=0, max_size=12), max_size=20),
    minn=st.integers(0, 4),
    span=st.integers(0, 4),
    bucket=st.sampled_from([1, 7, 1000, 2_000_000]),
)
def test_batched_ngram_ids_equal_the_per_word_reference(words, minn, span, bucket):
    maxn = minn + span
    indptr, ids = subword_ids(words, minn=minn, maxn=maxn, bucket=bucket)
    for i, word in enumerate(words):
        ref = ngram_buckets(word, max(minn, 1), maxn, bucket) if maxn else []
        assert ids[indptr[i]:indptr[i + 1]].tolist() == list(ref)


def test_subword_vectors_answer_queries_for_unknown_words_too(data_dir):
    from gensim.models.fasttext import load_facebook_vectors

    from embedlayer.vectors.io import load_vectors

    path = data_dir / "formats" / "lee_fasttext.bin"
    ours = load_vectors(path)
    kv = load_facebook_vectors(str(path))
    for word in ("government", "governmnet"):  # known, and a misspelling
        mine = ours.most_similar(word, topn=5)
        theirs = kv.most_similar(word, topn=5)
        assert [w for w, _ in mine] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in mine], [s for _, s in theirs], atol=1e-5)
    assert ours.similarity("governmnet", "government") == pytest.approx(
        float(kv.similarity("governmnet", "government")), abs=1e-5)
