"""Vectors and queries: the seed's formulas, known answers, a numpy reference, gensim parity."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlayer.errors import ConfigError, UnknownTokenError
from embedlayer.vectors import Vectors, VectorStore, analogy_batch, cosine, nearest, query

# --- the seed's worked formulas --------------------------------------------------------------
E = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 3.0]], np.float32)
KEYS = ["cat", "dog", "pet", "car"]


@pytest.fixture
def tiny() -> Vectors:
    return Vectors(KEYS, E)


def test_lookup_is_the_row_of_e(tiny):
    # e(x) = E[x]
    for i, key in enumerate(KEYS):
        np.testing.assert_array_equal(tiny[key], E[i])
    np.testing.assert_array_equal(tiny.lookup(["pet", "cat"]), E[[2, 0]])
    np.testing.assert_array_equal(tiny.lookup_ids([3, 1]), E[[3, 1]])


def test_sum_and_cosine_hold_exactly(tiny):
    # e(x1) + e(x2), and cos(a, b) = a.b / (|a| |b|)
    np.testing.assert_array_equal(tiny["cat"] + tiny["dog"], [1.0, 2.0, 0.0])
    assert tiny.similarity("cat", "pet") == pytest.approx(1 / np.sqrt(2))
    assert tiny.similarity("cat", "car") == 0.0
    assert cosine(np.zeros(3), np.ones(3)) == 0.0


def test_known_neighbours(tiny):
    assert [w for w, _ in tiny.most_similar("cat", topn=3)] == ["pet", "dog", "car"]
    assert tiny.most_similar("cat", topn=1)[0][1] == pytest.approx(1 / np.sqrt(2), rel=1e-5)
    # dog - cat + pet ~ (0,1,0) - (1,0,0) + (.71,.71,0): nearest non-question word is car? no:
    # by hand: q = (-0.29, 1.71, 0) -> only 'car' remains, cosine 0
    assert tiny.analogy("cat", "dog", "pet") == [("car", 0.0)]
    assert tiny.doesnt_match(["cat", "dog", "pet", "car"]) == "car"
    assert tiny.rank("cat", "pet") == 1
    assert tiny.rank("cat", "car") == 2  # only 'pet' is strictly closer; 'dog' ties with 'car'
    np.testing.assert_allclose(tiny.distances("cat", ["dog", "pet"]), [1.0, 1 - 1 / np.sqrt(2)],
                               rtol=1e-5)
    assert tiny.distances("cat").shape == (4,)


def test_vectors_follow_the_protocol_and_are_immutable(tiny):
    assert isinstance(tiny, VectorStore)
    assert len(tiny) == 4 and tiny.dim == 3 and "cat" in tiny and "cow" not in tiny
    with pytest.raises(ValueError):
        tiny.matrix[0, 0] = 5
    src = E.copy()
    v = Vectors(KEYS, src)
    src[0, 0] = 99  # the caller's array is not shared
    assert v["cat"][0] == 1.0
    np.testing.assert_allclose(v.norms, [1, 2, np.sqrt(2), 3], rtol=1e-6)  # float32 norms


def test_oov_policies(tiny):
    with pytest.raises(UnknownTokenError, match="'cow'"):
        tiny["cow"]
    assert tiny.get("cow") is None
    np.testing.assert_array_equal(tiny.with_oov("zeros")["cow"], np.zeros(3))
    r1 = tiny.with_oov("random", seed=3)["cow"]
    r2 = Vectors(KEYS, E, oov="random", oov_seed=3)["cow"]
    np.testing.assert_array_equal(r1, r2)  # the same key gets the same vector everywhere
    assert not np.array_equal(r1, tiny.with_oov("random", seed=4)["cow"])
    assert tiny.with_oov("zeros").lookup(["cat", "cow"]).shape == (2, 3)
    with pytest.raises(ConfigError):
        Vectors(KEYS, E, oov="guess")


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, True, "3"])
def test_oov_seeds_are_integers_from_zero(tiny, seed):
    from embedlayer.vectors.vectors import random_oov_vector

    with pytest.raises(ConfigError, match=r"Vectors: oov_seed must be an integer >= 0.*got"):
        Vectors(KEYS, E, oov="random", oov_seed=seed)
    with pytest.raises(ConfigError, match=r"with_oov: seed must be an integer >= 0.*got"):
        tiny.with_oov("random", seed=seed)
    with pytest.raises(ConfigError, match=r"random_oov_vector: seed must be an integer >= 0"):
        random_oov_vector("cow", 3, seed=seed)
    assert random_oov_vector("cow", 3, seed=np.int64(2**63 - 1)).shape == (3,)


def test_bad_construction():
    with pytest.raises(ConfigError, match="rows"):
        Vectors(["a"], np.zeros((2, 3)))
    with pytest.raises(ConfigError, match="2-d"):
        Vectors(["a"], np.zeros(3))


# --- reference and parity --------------------------------------------------------------------
def _reference_topk(matrix, queries, k, exclude=None, limit=None):
    """Slow, obvious numpy: full cosine matrix, argsort."""
    m = matrix[:limit].astype(np.float64)
    q = np.atleast_2d(queries).astype(np.float64)
    mn = np.linalg.norm(m, axis=1)
    sims = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ m.T / np.where(mn > 0, mn, 1)
    if exclude:
        for i, ex in enumerate(exclude):
            sims[i, [e for e in ex if e < m.shape[0]]] = -np.inf
    return np.argsort(-sims, axis=1, kind="stable")[:, :k], np.sort(sims, axis=1)[:, ::-1][:, :k]


@pytest.fixture(scope="module")
def random_vectors():
    rng = np.random.default_rng(7)
    m = rng.normal(size=(3000, 24)).astype(np.float32)
    return Vectors([f"w{i}" for i in range(3000)], m)


@pytest.mark.parametrize("topn", [7, 40])  # the argmax path and the argpartition path
@pytest.mark.parametrize("block_scores", [None, 4096])
def test_nearest_equals_the_reference_in_any_block_size(random_vectors, monkeypatch, block_scores,
                                                        topn):
    if block_scores:
        monkeypatch.setattr(query, "_BLOCK_SCORES", block_scores)
        monkeypatch.setattr(query, "_MIN_BLOCK_ROWS", 100)
    rng = np.random.default_rng(1)
    q = rng.normal(size=(37, 24)).astype(np.float32)
    exclude = [list(rng.integers(0, 3000, size=i % 4)) for i in range(37)]
    nb = nearest(random_vectors, q, topn=topn, exclude=exclude, restrict_vocab=2500)
    ref_ids, ref_scores = _reference_topk(random_vectors.matrix, q, topn, exclude, 2500)
    np.testing.assert_array_equal(nb.ids, ref_ids)
    np.testing.assert_allclose(nb.scores, ref_scores, rtol=1e-5, atol=1e-6)
    assert nb.ids.max() < 2500


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(1, 12), st.integers(1, 70), st.integers(0, 2**31))
def test_nearest_property(n, d, k, seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(n, d)).astype(np.float32)
    v = Vectors([str(i) for i in range(n)], m)
    q = rng.normal(size=(3, d)).astype(np.float32)
    nb = nearest(v, q, topn=k)
    ref_ids, ref_scores = _reference_topk(m, q, k)
    kk = min(k, n)
    np.testing.assert_allclose(nb.scores[:, :kk], ref_scores[:, :kk], rtol=1e-4, atol=1e-5)
    assert nb.ids.shape == (3, min(k, n))


@pytest.fixture(scope="module")
def gensim_pair(random_vectors):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(random_vectors.dim)
    kv.add_vectors(random_vectors.keys, np.array(random_vectors.matrix))
    return random_vectors, kv


def _same(ours, theirs):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5, atol=1e-6)


def test_parity_with_gensim(gensim_pair):
    v, kv = gensim_pair
    _same(v.most_similar("w5", topn=10), kv.most_similar("w5", topn=10))
    _same(v.most_similar(["w5", "w6"], ["w7"], topn=10),
          kv.most_similar(positive=["w5", "w6"], negative=["w7"], topn=10))
    _same(v.most_similar("w5", topn=5, restrict_vocab=500),
          kv.most_similar("w5", topn=5, restrict_vocab=500))
    _same(v.analogy("w1", "w2", "w3", topn=5),
          kv.most_similar(positive=["w2", "w3"], negative=["w1"], topn=5))
    _same(v.analogy("w1", "w2", "w3", method="3cosmul", topn=5),
          kv.most_similar_cosmul(positive=["w2", "w3"], negative=["w1"], topn=5))
    vec = v["w9"] * 2 + v["w10"]
    _same(v.similar_by_vector(vec, topn=5), kv.similar_by_vector(vec, topn=5))
    assert v.doesnt_match(["w1", "w2", "w3", "w4", "w5"]) == kv.doesnt_match(["w1", "w2", "w3", "w4", "w5"])
    for a, b in [("w1", "w2"), ("w3", "w2999"), ("w10", "w11")]:
        assert v.rank(a, b) == kv.rank(a, b)
    np.testing.assert_allclose(v.distances("w1", ["w2", "w3"]), kv.distances("w1", ["w2", "w3"]),
                               rtol=1e-5)
    assert v.similarity("w1", "w2") == pytest.approx(float(kv.similarity("w1", "w2")), rel=1e-5)


def test_analogy_batch_equals_one_by_one(random_vectors):
    rng = np.random.default_rng(3)
    abc = rng.integers(0, 3000, size=(50, 3))
    for method in ("3cosadd", "3cosmul"):
        nb = analogy_batch(random_vectors, abc[:, 0], abc[:, 1], abc[:, 2], method=method,
                           topn=3, restrict_vocab=2000)
        for i, (a, b, c) in enumerate(abc):
            one = random_vectors.analogy(f"w{a}", f"w{b}", f"w{c}", method=method, topn=3,
                                         restrict_vocab=2000)
            assert [random_vectors.vocab.token(int(j)) for j in nb.ids[i]] == [w for w, _ in one]
            assert not {int(a), int(b), int(c)} & set(nb.ids[i].tolist())


def test_query_errors(tiny):
    with pytest.raises(ConfigError):
        tiny.most_similar()
    with pytest.raises(ConfigError, match="dimension"):
        nearest(tiny, np.ones(5))
    with pytest.raises(ConfigError):
        tiny.most_similar("cat", topn=0)
    with pytest.raises(UnknownTokenError):
        tiny.analogy("cat", "dog", "cow")
    with pytest.raises(ConfigError, match="method"):
        tiny.analogy("cat", "dog", "pet", method="3cosdiv")


def test_batch_query_memory_is_the_matrix_plus_one_block(monkeypatch):
    rng = np.random.default_rng(0)
    m = rng.normal(size=(40_000, 64)).astype(np.float32)  # 10 MiB
    v = Vectors([f"w{i}" for i in range(40_000)], m)
    assert v.norms.shape == (40_000,)  # cached once: N floats
    q = rng.normal(size=(500, 64)).astype(np.float32)
    monkeypatch.setattr(query, "_BLOCK_SCORES", 1 << 19)  # 2 MiB score blocks
    tracemalloc.start()
    nearest(v, q, topn=10)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    block = (1 << 19) * 4
    # the float32 score block (top-10 is taken by argmax passes: no index block), never a
    # copy of the matrix
    assert peak < 1.5 * block, peak
    assert peak < m.nbytes


def test_an_empty_word_or_a_zero_vector_is_refused_not_ranked(tiny):
    with pytest.raises(ConfigError, match="non-empty string, got ''"):
        tiny.most_similar("")
    zero = Vectors(["z", *KEYS], np.vstack([np.zeros((1, 3), np.float32), E]))
    with pytest.raises(ConfigError, match="vector of 'z' is all zeros"):
        zero.most_similar("z")
    with pytest.raises(ConfigError, match="vector of 'z' is all zeros"):
        zero.analogy("cat", "dog", "z")
    with pytest.raises(ConfigError, match="vector of 'qq' is all zeros"):
        zero.with_oov("zeros").most_similar("qq")


def test_analogy_with_unknown_words_composes_them_on_subword_stores(data_dir):
    from embedlayer.vectors.io import load_vectors

    sv = load_vectors(data_dir / "formats" / "lee_fasttext_new.bin")
    a, b, c = "government", "governments", "presidentt"  # the last is not in the vocabulary
    assert c not in sv
    got = sv.analogy(a, b, c, topn=5)
    # 3CosAdd is most_similar(positive=[b, c], negative=[a]) with the known words excluded.
    want = sv.most_similar([b, c], [a], topn=5)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-4, atol=1e-5)
    assert {a, b}.isdisjoint(w for w, _ in got)
    with pytest.raises(UnknownTokenError):
        sv.to_vectors().analogy(a, b, c)
