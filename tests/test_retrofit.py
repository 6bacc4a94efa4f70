"""Retrofitting: the numba sweep equals its numpy reference, the result pulls every connected
word toward its neighbours and leaves the others alone, the graph over a vocabulary, bad
input, and `embedlayer retrofit` end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.data.lexicons import Lexicon
from embedlayer.errors import ConfigError
from embedlayer.transform import lexicon_graph, retrofit
from embedlayer.transform._kernels import retrofit_sweep
from embedlayer.transform._reference import retrofit_sweep_reference
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import load_vectors, save_vectors


def _random_csr(rng: np.random.Generator, n: int, max_degree: int) -> tuple[np.ndarray, ...]:
    rows = []
    for i in range(n):
        k = int(rng.integers(0, max_degree + 1))
        rows.append(np.unique(rng.choice(np.delete(np.arange(n), i), size=k, replace=False)))
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.concatenate(rows).astype(np.int32)
    return indptr, indices


def _random_vectors(rng: np.random.Generator, words: list[str], dim: int) -> Vectors:
    return Vectors(words, rng.standard_normal((len(words), dim)).astype(np.float32))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("antonyms", [False, True])
def test_kernel_equals_numpy_reference(seed, antonyms):
    rng = np.random.default_rng(seed)
    n, d = 80, 12
    indptr, indices = _random_csr(rng, n, 6)
    weights = rng.uniform(0.1, 1.0, indices.size).astype(np.float32)
    if antonyms:
        ant_indptr, ant_indices = _random_csr(rng, n, 2)
    else:
        ant_indptr, ant_indices = np.zeros(n + 1, np.int64), np.zeros(0, np.int32)
    ant_w = rng.uniform(0.0, 0.3, ant_indices.size).astype(np.float32)
    q_hat = rng.standard_normal((n, d)).astype(np.float32)
    rows = rng.permutation(n)[: n - 5].astype(np.int64)  # some rows never move, any order
    fast, slow = q_hat.copy(), q_hat.copy()
    buf = np.empty(d, dtype=np.float64)
    for _ in range(4):
        retrofit_sweep(fast, q_hat, rows, indptr, indices, weights, 1.5, ant_indptr,
                       ant_indices, ant_w, -0.1, buf)
        retrofit_sweep_reference(slow, q_hat, rows, indptr, indices, weights, 1.5, ant_indptr,
                                 ant_indices, ant_w, -0.1)
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)
    assert not np.allclose(fast, q_hat)


def test_one_iteration_is_the_papers_update_by_hand():
    v = Vectors(["a", "b", "c"], [[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    lex = Lexicon.from_dict({"a": ["b", "c"]})
    out = retrofit(v, lex, iterations=1, normalize=False)
    # alpha = 1, beta = 1/2 each: a = (a + (b + c) / 2) / 2 = (0.5, 0)
    np.testing.assert_allclose(out["a"], [0.5, 0.0], atol=1e-7)
    np.testing.assert_array_equal(out["b"], [0.0, 1.0])  # no neighbours: unchanged
    # Gauss-Seidel: a later row reads the new value of an earlier one
    lex2 = Lexicon.from_dict({"a": ["b"], "b": ["a"]})
    out2 = retrofit(v, lex2, iterations=1, normalize=False)
    np.testing.assert_allclose(out2["a"], [0.5, 0.5], atol=1e-7)
    np.testing.assert_allclose(out2["b"], [0.25, 0.75], atol=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_connected_word_moves_toward_its_neighbours(seed):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(120)]
    v = _random_vectors(rng, words, 16)
    graph = {}
    for i in range(0, 90):  # the last 30 words have no neighbours of their own
        k = int(rng.integers(1, 6))
        graph[words[i]] = [words[j] for j in rng.choice(120, size=k, replace=False) if j != i]
    graph["w0"] = graph["w0"] + ["not-a-key"]  # lexicon words without vectors are ignored
    lex = Lexicon.from_dict(graph)
    out = retrofit(v, lex, normalize=False)
    g = lexicon_graph(lex, v.vocab)
    before, after = v.matrix, out.matrix
    moved = 0
    for i in range(len(words)):
        nbr = g.indices[g.indptr[i]:g.indptr[i + 1]]
        if nbr.size == 0:
            np.testing.assert_array_equal(after[i], before[i])  # unconnected: unchanged
            continue
        moved += 1
        d_before = np.linalg.norm(before[i] - before[nbr].mean(axis=0))
        d_after = np.linalg.norm(after[i] - after[nbr].mean(axis=0))
        assert d_after < d_before, words[i]
    assert moved == g.connected > 60


def test_normalize_unit_rows_and_keeps_direction_of_unconnected_words():
    rng = np.random.default_rng(5)
    v = _random_vectors(rng, ["a", "b", "c", "zero"], 4)
    v = Vectors(v.vocab, np.vstack([v.matrix[:3], np.zeros((1, 4), np.float32)]))
    out = retrofit(v, Lexicon.from_dict({"a": ["b"]}))
    np.testing.assert_allclose(out["c"], v["c"] / np.linalg.norm(v["c"]), rtol=1e-6)
    np.testing.assert_array_equal(out["zero"], np.zeros(4))  # zero rows stay zero
    assert out.vocab.tokens == v.vocab.tokens and out.dim == 4


def test_antonym_repulsion_pushes_antonyms_apart():
    rng = np.random.default_rng(3)
    base = rng.standard_normal(8)
    m = np.vstack([base + 0.5 * rng.standard_normal(8) for _ in range(4)]).astype(np.float32)
    v = Vectors(["good", "bad", "fine", "awful"], m)
    syn = Lexicon.from_dict({"good": ["fine"], "bad": ["awful"], "fine": ["good"],
                             "awful": ["bad"]})
    ant = Lexicon.from_dict({"good": ["bad"], "bad": ["good"]})
    plain = retrofit(v, syn)
    repelled = retrofit(v, syn, antonyms=ant, antonym_weight=0.5)
    assert repelled.similarity("good", "bad") < plain.similarity("good", "bad") - 0.1
    # only the words with antonyms move differently
    np.testing.assert_allclose(repelled.similarity("fine", "good"),
                               plain.similarity("fine", "good"), atol=0.2)


def test_lexicon_graph_restricts_to_keys_and_deduplicates():
    v = Vectors(["a", "b", "c"], np.eye(3))
    lex = Lexicon.from_dict({"a": ["b", "x", "c"], "x": ["a"], "c": ["a"]})
    g = lexicon_graph(lex, v.vocab)
    assert g.indptr.tolist() == [0, 2, 2, 3] and g.indices.tolist() == [1, 2, 0]
    assert g.words_in_vocab == 3 and g.connected == 2 and g.num_edges == 3


def test_lexicon_sharing_no_edge_with_the_vectors_is_a_clear_error():
    v = Vectors(["Car", "auto"], np.eye(2))
    with pytest.raises(ConfigError, match=r"no edge between two of the 2 keys.*1 of its words "
                                          r"are keys.*lower-cased"):
        retrofit(v, Lexicon.from_dict({"car": ["auto"]}, name="tiny"))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"iterations": -1}, "iterations"),
    ({"iterations": 2.5}, "iterations"),
    ({"alpha": 0.0}, "alpha"),
    ({"beta": -1.0}, "beta"),
    ({"antonym_margin": 2.0}, "antonym_margin"),
    ({"antonyms": Lexicon.from_dict({"a": ["b"]}), "antonym_weight": -1.0}, "antonym_weight"),
])
def test_bad_parameters(kwargs, match):
    v = Vectors(["a", "b"], np.eye(2))
    with pytest.raises(ConfigError, match=match):
        retrofit(v, Lexicon.from_dict({"a": ["b"]}), **kwargs)


def test_zero_iterations_only_normalizes():
    v = Vectors(["a", "b"], [[3.0, 4.0], [1.0, 0.0]])
    out = retrofit(v, Lexicon.from_dict({"a": ["b"]}), iterations=0)
    np.testing.assert_allclose(out.matrix, [[0.6, 0.8], [1.0, 0.0]], rtol=1e-6)


# --- the command -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    words = ["car", "auto", "automobile", "dog", "puppy", "good", "bad"] + [
        f"w{i}" for i in range(43)]
    v = _random_vectors(rng, words, 10)
    return save_vectors(v, tmp_path_factory.mktemp("v") / "small.txt", format="word2vec-text",
                        progress=False)


def test_cli_retrofits_to_a_lexicon_file_and_never_clobbers(small, tmp_path, capsys):
    lex = tmp_path / "lex.txt"
    lex.write_text("car auto automobile\nauto car\ndog puppy\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["retrofit", str(small), "--lexicon", str(lex), "-o", str(out),
                 "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "connected    3 of 50 keys, 4 edges" in text
    before, after = load_vectors(small), load_vectors(out)
    assert after.similarity("car", "auto") > before.similarity("car", "auto")
    np.testing.assert_allclose(after["w3"], before["w3"] / np.linalg.norm(before["w3"]),
                               rtol=1e-5)
    # the output exists now: refused before any work, then replaced with --force
    assert main(["retrofit", str(small), "--lexicon", str(lex), "-o", str(out),
                 "--quiet"]) == 1
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["retrofit", str(small), "--lexicon", str(lex), "-o", str(out),
                 "--quiet", "--force", "--iterations", "2"]) == 0


def test_cli_retrofits_to_wordnet_with_antonyms(small, tmp_path, capsys):
    out = tmp_path / "wn.txt"
    assert main(["retrofit", str(small), "--lexicon", "wordnet", "--relations",
                 "synonyms,hypernyms,hyponyms", "--antonyms", "-o", str(out), "--format",
                 "word2vec-text", "--quiet"]) == 0
    assert "wordnet:synonyms+hypernyms+hyponyms" in capsys.readouterr().out
    before, after = load_vectors(small), load_vectors(out)
    assert after.similarity("dog", "puppy") > before.similarity("dog", "puppy")
    assert after.similarity("car", "automobile") > before.similarity("car", "automobile")


@pytest.mark.parametrize(("extra", "message"), [
    (["--lexicon", "wordnet", "--wordnet-dir", "/nonexistent/wordnet"],
     "apt-get install wordnet-base"),
    (["--lexicon", "{csv}"], "a CSV?"),
    (["--lexicon", "{csv}", "--relations", "hypernyms"], "apply to --lexicon wordnet only"),
    (["--lexicon", "wordnet", "--relations", "synonyms,antonyms"], "pass --antonyms"),
    (["--lexicon", "wordnet", "--relations", "meronyms"], "synonyms, hypernyms"),
    (["--lexicon", "{nowords}"], "no edge between two of the 50 keys"),
])
def test_cli_bad_input_is_one_line(small, tmp_path, capsys, extra, message):
    csv = tmp_path / "lex.csv"
    csv.write_text("word,neighbour\ncar,auto\n", encoding="utf-8")
    nowords = tmp_path / "nowords.txt"
    nowords.write_text("zebra giraffe\n", encoding="utf-8")
    extra = [e.format(csv=csv, nowords=nowords) for e in extra]
    out = tmp_path / "out"
    assert main(["retrofit", str(small), "-o", str(out), "--quiet", *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith("embedlayer retrofit: error:") and message in err
    assert err.count("\n") == 1 and not out.exists()
