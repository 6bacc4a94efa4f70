"""Sentence/document composition (sum, mean, weighted) and SIF: known answers, the paper's
reference computation, streaming rules, files, and the Lee document-similarity check."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlayer.errors import ConfigError, FormatError, MissingFileError, UnknownTokenError
from embedlayer.vectors.compose import (
    ComposeStats,
    compose,
    compose_many,
    frequency_weights,
    word_probabilities,
)
from embedlayer.vectors.sif import SIF, SIFConfig
from embedlayer.vectors.vectors import Vectors, random_oov_vector
from embedlayer.vocab import TokenCounter, Vocab

# e(x1) = (1, 2), e(x2) = (3, -1): small dyadic numbers, so float results are exact.
TINY = Vectors(["x1", "x2"], [[1.0, 2.0], [3.0, -1.0]])


def _random_store(n: int = 12, dim: int = 5, seed: int = 0) -> Vectors:
    rng = np.random.default_rng(seed)
    return Vectors([f"w{i}" for i in range(n)], rng.normal(size=(n, dim)))


def _random_docs(n: int, vocab: int = 12, seed: int = 1, oov: bool = True) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n):
        k = int(rng.integers(0, 9))
        docs.append([f"w{int(i)}" if i < vocab else "unknown" for i in rng.integers(0, vocab + oov, k)])
    return docs


# --- known answers ------------------------------------------------------------------------


def test_sum_and_mean_are_the_seed_formulas():
    e1, e2 = TINY["x1"], TINY["x2"]
    assert compose(TINY, ["x1", "x2"], method="sum").tolist() == (e1 + e2).tolist() == [4, 1]
    assert compose(TINY, ["x1", "x2"], method="mean").tolist() == ((e1 + e2) / 2).tolist()
    assert compose(TINY, ["x1", "x2"]).tolist() == [2.0, 0.5]  # mean is the default
    assert compose(TINY, ["x1", "x1", "x2"], method="sum").tolist() == [5, 3]  # repeats count
    assert compose(TINY, ["x1"]).dtype == np.float32


def test_weighted_is_weighted_sum_over_token_count():
    w = {"x1": 0.5, "x2": 0.25}
    # (0.5 * (1, 2) + 0.25 * (3, -1)) / 2
    assert compose(TINY, ["x1", "x2"], method="weighted", weights=w).tolist() == [0.625, 0.375]
    # a token missing from the weights weighs 1 (as a word never counted: a / (a + 0)):
    # (0.5 * (1, 2) + 1 * (3, -1)) / 2
    assert compose(TINY, ["x1", "x2"], method="weighted", weights={"x1": 0.5}).tolist() == [1.75, 0.0]


def test_oov_skip_drops_the_token_and_zero_counts_it():
    doc = ["x1", "nope"]
    assert compose(TINY, doc, oov="skip").tolist() == [1, 2]
    assert compose(TINY, doc, oov="zero").tolist() == [0.5, 1.0]
    assert compose(TINY, doc, method="sum", oov="skip").tolist() == [1, 2]
    assert compose(TINY, doc, method="sum", oov="zero").tolist() == [1, 2]
    stats = ComposeStats()
    compose_many(TINY, [doc, ["nope", "x2"]], stats=stats)
    assert (stats.documents, stats.tokens, stats.oov_tokens, stats.empty_documents) == (2, 4, 2, 0)


def test_oov_store_asks_the_store_for_unknown_words():
    rand = TINY.with_oov("random", seed=3)
    expected = (TINY["x1"] + random_oov_vector("nope", 2, seed=3)) / 2
    np.testing.assert_allclose(compose(rand, ["x1", "nope"], oov="store"), expected, rtol=1e-5)
    # the same unknown word twice in a batch is looked up once and used twice
    got = compose_many(rand, [["nope"], ["nope", "nope"]], method="sum", oov="store")
    np.testing.assert_allclose(got[1], 2 * got[0], rtol=1e-5)
    assert compose(TINY.with_oov("zeros"), ["x1", "nope"], oov="store").tolist() == [0.5, 1.0]
    with pytest.raises(UnknownTokenError):
        compose(TINY, ["x1", "nope"], oov="store")  # TINY's policy is "raise"


def test_oov_store_composes_unknown_words_of_a_subword_store():
    from embedlayer.vectors.subword import SubwordVectors

    rng = np.random.default_rng(0)
    sv = SubwordVectors(["ab", "cd"], rng.normal(size=(2, 3)), rng.normal(size=(8, 3)),
                        minn=3, maxn=3, bucket=8)
    want = (sv["ab"] + sv["zzz"]) / 2
    np.testing.assert_allclose(compose(sv, ["ab", "zzz"], oov="store"), want, rtol=1e-5)
    np.testing.assert_array_equal(compose(sv, ["ab", "zzz"]), sv["ab"])  # skip: known only


@pytest.mark.parametrize("oov", ["skip", "zero"])
@pytest.mark.parametrize("method", ["sum", "mean"])
def test_empty_and_all_oov_documents_are_zero_and_counted(method, oov):
    stats = ComposeStats()
    got = compose_many(TINY, [[], ["x1"], ["nope", "nada"], []], method=method, oov=oov, stats=stats)
    assert got.shape == (4, 2) and got.dtype == np.float32
    assert got[[0, 2, 3]].tolist() == [[0, 0]] * 3
    assert got[1].tolist() == [1, 2]
    assert stats.empty_documents == 3 and stats.documents == 4
    assert compose(TINY, [], method=method, oov=oov).tolist() == [0, 0]


def test_no_documents_gives_an_empty_matrix():
    assert compose_many(TINY, []).shape == (0, 2)
    assert compose_many(TINY, iter([])).dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(
    docs=st.lists(st.lists(st.sampled_from(["w0", "w1", "w2", "w3", "w4", "oov"]), max_size=7),
                  max_size=12),
    method=st.sampled_from(["sum", "mean", "weighted"]),
    oov=st.sampled_from(["skip", "zero"]),
    batch_size=st.integers(1, 5),
)
def test_batched_equals_one_by_one(docs, method, oov, batch_size):
    store = _random_store(5, 4)
    weights = {"w0": 0.1, "w2": 2.5, "oov": 7.0} if method == "weighted" else None
    batched = compose_many(store, docs, method=method, weights=weights, oov=oov, batch_size=batch_size)
    single = [compose(store, d, method=method, weights=weights, oov=oov) for d in docs]
    assert batched.shape == (len(docs), 4)
    for row, one in zip(batched, single, strict=True):
        np.testing.assert_array_equal(row, one)


def test_compose_many_streams_a_generator():
    docs = _random_docs(50)
    got = compose_many(_random_store(), (d for d in docs), batch_size=7)
    np.testing.assert_array_equal(got, compose_many(_random_store(), docs))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "max"}, r"method='max'.*sum, mean, weighted"),
        ({"oov": "unk"}, r"oov='unk'.*skip, zero, store"),
        ({"method": "weighted"}, "needs weights="),
        ({"weights": {"x1": 1.0}}, "only used by method='weighted'"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_options_name_the_value_and_the_choices(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        compose_many(TINY, [["x1"]], **kwargs)


def test_a_string_is_not_a_document():
    with pytest.raises(ConfigError, match="tokenize it first"):
        compose(TINY, "x1 x2")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="document 1"):
        compose_many(TINY, [["x1"], "x2"])  # type: ignore[list-item]


# --- frequency weights --------------------------------------------------------------------


def test_frequency_weights_formula():
    w = frequency_weights({"the": 3, "cat": 1}, a=0.25)  # p = 3/4 and 1/4
    assert w == {"the": 0.25 / (0.25 + 0.75), "cat": 0.25 / (0.25 + 0.25)}
    a = 1e-3
    counter = TokenCounter().update_many([["a", "b", "a"], ["a", "c"]])
    w = frequency_weights(counter, a=a)
    assert w["a"] == pytest.approx(a / (a + 3 / 5)) and w["c"] == pytest.approx(a / (a + 1 / 5))


def test_probabilities_from_a_vocab_leave_specials_out():
    vocab = Vocab.from_counts({"a": 6, "b": 2}, specials=["<pad>", "<unk>"])
    assert word_probabilities(vocab) == {"a": 0.75, "b": 0.25}


@pytest.mark.parametrize("a", [0, -1e-3, float("nan")])
def test_frequency_weights_reject_bad_a(a):
    with pytest.raises(ConfigError, match="a must be"):
        frequency_weights({"x": 1}, a=a)


def test_probabilities_need_counted_text():
    with pytest.raises(ConfigError, match="no occurrences"):
        word_probabilities(Vocab(["a", "b"], unk_token=None))  # keys only, counts all 0
    with pytest.raises(ConfigError, match=">= 0"):
        word_probabilities({"a": -1})


# --- SIF ----------------------------------------------------------------------------------


def _reference_sif(store: Vectors, docs, counts, a: float, k: int) -> np.ndarray:
    """The paper's reference code (PrincetonML/SIF), written out: weighted average over the
    tokens, then X - X pc^T pc with pc from an SVD of the uncentered X."""
    total = sum(counts.values())
    X = np.zeros((len(docs), store.dim))
    for i, doc in enumerate(docs):
        known = [t for t in doc if t in store]
        for t in known:
            X[i] += a / (a + counts.get(t, 0) / total) * store[t]
        if known:
            X[i] /= len(known)
    pc = np.linalg.svd(X, full_matrices=False)[2][:k]  # (k, D)
    return X - X @ pc.T @ pc


@pytest.mark.parametrize("k", [1, 2])
def test_sif_matches_the_reference_computation(k):
    store, docs = _random_store(), _random_docs(60)
    counts = {"w0": 50, "w1": 20, "w2": 5, "w5": 1, "unknown": 9}
    got = SIF(store, a=0.05, components=k, word_counts=counts).fit(docs).transform(docs)
    np.testing.assert_allclose(got, _reference_sif(store, docs, counts, 0.05, k), atol=1e-5)


def test_sif_learned_weights_follow_the_formula():
    store = _random_store(4)
    docs = [["w0", "w0", "w0", "w1"], ["w0", "w2", "zz", "zz"]]  # 8 tokens
    sif = SIF(store, a=0.1, components=0).fit(docs)
    p = np.array([4 / 8, 1 / 8, 1 / 8, 0.0])  # w3 never seen: p = 0, weight 1
    np.testing.assert_allclose(sif.probabilities_, p)
    np.testing.assert_allclose(sif.weights_, 0.1 / (0.1 + p))
    assert sif.components_.shape == (0, 5) and sif.n_documents_ == 2


def test_sif_without_components_is_the_weighted_mean():
    store, docs = _random_store(), _random_docs(30)
    counter = TokenCounter().update_many(docs)
    got = SIF(store, a=0.01, components=0).fit(docs).transform(docs)
    want = compose_many(store, docs, method="weighted", weights=frequency_weights(counter, a=0.01))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_removing_the_first_component_known_answer():
    # Every word shares a large common direction e1; the rest is +-e2, +-e3. With equal
    # weights, X^T X = w^2 diag(400, 2, 2): the first component is exactly e1, and removing
    # it leaves each document's own part.
    store = Vectors(["a", "b", "c", "d"],
                    [[10, 1, 0], [10, -1, 0], [10, 0, 1], [10, 0, -1]])
    docs = [["a"], ["b"], ["c"], ["d"]]
    sif = SIF(store, a=1.0, word_counts={"a": 1, "b": 1, "c": 1, "d": 1}).fit(docs)
    w = 1.0 / (1.0 + 0.25)
    np.testing.assert_allclose(sif.components_, [[1, 0, 0]], atol=1e-9)
    np.testing.assert_allclose(sif.singular_values_, [w * 20], rtol=1e-9)
    got = sif.transform(docs)
    np.testing.assert_allclose(got, w * np.array([[0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]]),
                               atol=1e-6)
    assert np.abs(got @ sif.components_.T).max() < 1e-6


def test_transformed_vectors_are_orthogonal_to_the_components():
    store, docs = _random_store(dim=6), _random_docs(80)
    sif = SIF(store, components=3).fit(docs)
    got = sif.transform(docs)
    np.testing.assert_allclose(sif.components_ @ sif.components_.T, np.eye(3), atol=1e-9)
    assert np.abs(got @ sif.components_.T).max() < 1e-5
    assert np.all(np.diff(sif.singular_values_) <= 0)


def test_fit_needs_a_reiterable_when_it_counts():
    store, docs = _random_store(), _random_docs(20)
    with pytest.raises(ConfigError, match="one-shot iterator"):
        SIF(store).fit(d for d in docs)

    class Reiterable:
        def __iter__(self):
            return iter(docs)

    from_list = SIF(store).fit(docs).transform(docs)
    np.testing.assert_array_equal(SIF(store).fit(Reiterable()).transform(docs), from_list)
    # with word_counts given one pass suffices, so a generator is fine
    counts = TokenCounter().update_many(docs)
    sif = SIF(store, word_counts=counts).fit(d for d in docs)
    np.testing.assert_array_equal(sif.transform(d for d in docs), from_list)
    np.testing.assert_array_equal(SIF(store, word_counts=counts).fit_transform(iter(docs)), from_list)


def test_fit_notices_documents_that_change_between_passes():
    store = _random_store()

    class Shrinking:
        def __init__(self):
            self.n = 5

        def __iter__(self):
            self.n -= 1
            return iter([["w1"]] * self.n)

    with pytest.raises(ConfigError, match="re-iterable"):
        SIF(store).fit(Shrinking())


def test_fit_transform_equals_fit_then_transform():
    store, docs = _random_store(), _random_docs(40)
    sif = SIF(store, components=2, batch_size=7)
    np.testing.assert_array_equal(sif.fit_transform(docs), sif.transform(docs))


def test_empty_documents_stay_zero_after_removal():
    store = _random_store()
    docs = [["w1", "w2"], [], ["w3"], ["nope"], ["w4", "w1"]]
    sif = SIF(store).fit(docs)
    stats = ComposeStats()
    got = sif.transform(docs, stats=stats)
    assert got[1].tolist() == [0] * 5 and got[3].tolist() == [0] * 5
    assert sif.n_empty_documents_ == 2 and stats.empty_documents == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"a": 0}, "a must be"),
        ({"components": -1}, "components must be"),
        ({"components": 6}, "exceeds the vector dimension 5"),
        ({"components": 4}, "at least as many documents"),
        ({"oov": "store"}, r"oov='store'.*skip, zero"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_sif_checks_its_options_in_fit(kwargs, match):
    sif = SIF(_random_store(), **kwargs)  # the constructor only stores
    with pytest.raises(ConfigError, match=match):
        sif.fit([["w1"], ["w2"], ["w3"], []])


def test_sif_must_be_fitted_first(tmp_path):
    with pytest.raises(ConfigError, match="not fitted"):
        SIF(TINY).transform([["x1"]])
    with pytest.raises(ConfigError, match="not fitted"):
        SIF(TINY).save(tmp_path / "m")


# --- files --------------------------------------------------------------------------------


def test_save_load_round_trip_gives_the_same_transform(tmp_path):
    store, docs = _random_store(), _random_docs(40)
    sif = SIF(store, a=3e-3, components=2, oov="zero", batch_size=8).fit(docs)
    folder = sif.save(tmp_path / "sif")
    assert sorted(p.name for p in folder.iterdir()) == [
        "components.npy", "probabilities.npy", "sif.json", "singular_values.npy"]
    back = SIF.load(folder, store)
    assert back.config == sif.config == SIFConfig(a=3e-3, components=2, oov="zero", batch_size=8)
    assert back.n_documents_ == 40
    np.testing.assert_array_equal(back.transform(docs), sif.transform(docs))
    np.testing.assert_array_equal(back.weights_, sif.weights_)
    meta = json.loads((folder / "sif.json").read_text())
    assert meta["format"] == "embedlayer.sif" and meta["format_version"] == 1


def test_load_checks_version_store_and_files(tmp_path):
    store, docs = _random_store(), _random_docs(20)
    folder = SIF(store).fit(docs).save(tmp_path / "sif")
    with pytest.raises(ConfigError, match="same vectors"):
        SIF.load(folder, Vectors([f"v{i}" for i in range(12)], np.zeros((12, 5))))
    meta_path = folder / "sif.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(FormatError, match="format_version"):
        SIF.load(folder, store)
    meta_path.write_text(json.dumps(meta))
    (folder / "components.npy").unlink()
    with pytest.raises(MissingFileError, match="components.npy"):
        SIF.load(folder, store)
    with pytest.raises(MissingFileError, match="sif.json"):
        SIF.load(tmp_path / "nothing", store)


def test_load_refuses_pickled_arrays(tmp_path):
    store, docs = _random_store(), _random_docs(20)
    folder = SIF(store).fit(docs).save(tmp_path / "sif")
    np.save(folder / "components.npy", np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match="components.npy"):
        SIF.load(folder, store)


# --- real data: Lee document similarity ---------------------------------------------------


@pytest.mark.slow
def test_lee_document_similarity_sif_beats_the_mean(data_dir):
    """Pearson r of cosine(doc vectors) vs the mean human rating, 1,225 pairs.

    Word vectors: gensim skip-gram trained here on lee_background.txt (300 news documents,
    66K tokens; 50 dims, 10 epochs, one worker, seed 1; ~3 s). Recorded on that setup:
    mean 0.165, SIF (a=1e-3, 1 component, counts and component from the background) 0.322.
    The assertions are deliberately loose: a different gensim or BLAS may move the figures.
    """
    import gensim.models as gensim_models

    from embedlayer.corpus import DocumentCorpus
    from embedlayer.text import get_tokenizer

    tok = get_tokenizer("regex", lowercase=True)
    background = list(tok.tokenize_many(DocumentCorpus(data_dir / "corpora/en/lee_background.txt")))
    lee = list(tok.tokenize_many(DocumentCorpus(data_dir / "docsim/lee/lee.cor", encoding="latin-1")))
    human = np.loadtxt(data_dir / "docsim/lee/similarities0-1.txt")
    assert len(lee) == 50 and human.shape == (50, 50)
    upper = np.triu_indices(50, k=1)  # 1,225 pairs

    w2v = gensim_models.Word2Vec(background, vector_size=50, min_count=2, sg=1, epochs=10,
                                 workers=1, seed=1)
    store = Vectors(list(w2v.wv.index_to_key), w2v.wv.vectors)

    def pearson(X: np.ndarray) -> float:
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        unit = X / np.where(norms > 0, norms, 1.0)
        return float(np.corrcoef((unit @ unit.T)[upper], human[upper])[0, 1])

    r_mean = pearson(compose_many(store, lee))
    counts = TokenCounter().update_many(background)
    r_sif = pearson(SIF(store, word_counts=counts).fit(background).transform(lee))
    print(f"Lee Pearson r: mean {r_mean:.3f}, SIF {r_sif:.3f}")
    assert r_sif > 0.2
    assert r_sif > r_mean


def test_save_is_one_atomic_folder_that_never_replaces_unrelated_data(tmp_path, monkeypatch):
    store, docs = _random_store(), _random_docs(20)
    sif = SIF(store).fit(docs)
    folder = sif.save(tmp_path / "sif")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    # A failure in the middle of a save leaves the earlier save whole, and no temporary.
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(json, "dump", fail)
    with pytest.raises(OSError, match="No space"):
        sif.save(folder)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["sif"]
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep")
    with pytest.raises(ConfigError, match="todo.txt"):
        sif.save(other)
    assert (other / "todo.txt").read_text() == "keep"
