"""BM25 over bm25s against a hand-written numpy reference of each variant's formula
(Kamphuis et al. 2020, as bm25s implements them), subsets of documents, tokenizers, errors."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from embedlayer.errors import ConfigError
from embedlayer.tasks.bm25 import BM25, BM25_VARIANTS

DOCS = ["The cat sat on the mat.", "The dog sat.", "Cats and dogs, and cats!", "A mat",
        "the the the cat"]
QUERIES = ["the cat", "cats cats mat", "unknown words only", "sat", "dog mat the"]


def _tokens(text: str) -> list[str]:
    import re

    return re.findall(r"\w+", text.lower())


def reference(docs: list[str], query: str, *, k1: float, b: float, variant: str,
              delta: float = 0.5) -> np.ndarray:
    """sum over query tokens (repeats count) of idf(t) * tfc(tf(t, d)); unindexed tokens add 0.

    bm25l / bm25+ add their floor for a document without the token too (bm25s stores the
    non-occurrence score, which shifts every document equally)."""
    tokenized = [_tokens(d) for d in docs]
    n = len(docs)
    avg = sum(len(t) for t in tokenized) / n
    df = Counter(w for t in tokenized for w in set(t))
    idf = {"lucene": lambda f: math.log(1 + (n - f + 0.5) / (f + 0.5)),
           "robertson": lambda f: math.log(max(1.0, (n - f + 0.5) / (f + 0.5))),
           "atire": lambda f: math.log(n / f),
           "bm25l": lambda f: math.log((n + 1) / (f + 0.5)),
           "bm25+": lambda f: math.log((n + 1) / f)}[variant]

    def tfc(tf: float, length: float) -> float:
        norm = 1 - b + b * length / avg
        if variant in ("lucene", "robertson"):
            return tf / (k1 * norm + tf)
        if variant == "atire":
            return tf * (k1 + 1) / (tf + k1 * norm)
        if variant == "bm25l":
            c = tf / norm
            return (k1 + 1) * (c + delta) / (k1 + c + delta)
        return (k1 + 1) * tf / (k1 * norm + tf) + delta  # bm25+

    out = np.zeros(n)
    for word in _tokens(query):
        if word not in df:
            continue
        for i, t in enumerate(tokenized):
            tf = t.count(word)
            if tf:
                out[i] += idf(df[word]) * tfc(tf, len(t))
            elif variant in ("bm25l", "bm25+"):
                out[i] += idf(df[word]) * tfc(0, avg)  # bm25s: non-occurrence at l_d = avg
    return out


@pytest.mark.parametrize("variant", BM25_VARIANTS)
@pytest.mark.parametrize(("k1", "b"), [(1.5, 0.75), (0.9, 0.4), (2.0, 1.0)])
def test_scores_equal_the_reference_formula(variant, k1, b):
    bm25 = BM25(_tokens, k1=k1, b=b, variant=variant).fit(DOCS)
    for query in QUERIES:
        np.testing.assert_allclose(bm25.score(query), reference(DOCS, query, k1=k1, b=b,
                                                                variant=variant),
                                   rtol=1e-5, atol=1e-6, err_msg=query)


def test_default_is_bm25s_lucene_with_the_project_tokenizer():
    from embedlayer.text import get_tokenizer

    bm25 = BM25().fit(DOCS)
    assert (bm25.k1, bm25.b, bm25.variant) == (1.5, 0.75, "lucene")
    tok = get_tokenizer("regex", lowercase=True)
    same = BM25(tok).fit(DOCS)
    np.testing.assert_array_equal(bm25.score("Cats, the MAT"), same.score("Cats, the MAT"))
    assert bm25.n_documents_ == 5 and bm25.average_length_ == pytest.approx(
        sum(len(tok.tokenize(d)) for d in DOCS) / 5)


def test_a_subset_of_ids_in_the_order_given():
    bm25 = BM25(_tokens).fit(DOCS)
    full = bm25.score("the cat mat")
    np.testing.assert_array_equal(bm25.score("the cat mat", [4, 0, 0, 3]), full[[4, 0, 0, 3]])
    assert bm25.score("the cat", []).shape == (0,)


def test_a_query_without_indexed_tokens_scores_zero():
    bm25 = BM25(_tokens).fit(DOCS)
    np.testing.assert_array_equal(bm25.score("zebra"), np.zeros(5))
    np.testing.assert_array_equal(bm25.score(""), np.zeros(5))


def test_importing_embedlayer_tasks_bm25_does_not_import_bm25s():
    code = ("import sys, embedlayer.tasks.bm25, embedlayer.tasks.qa, embedlayer.tasks.hybrid; "
            "print([m for m in ('bm25s', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"k1": -1}, "k1 must be a number in"),
    ({"b": 1.5}, r"b must be a number in \[0, 1\], got 1.5"),
    ({"b": float("nan")}, "b must be"),
    ({"delta": "x"}, "delta must be"),
    ({"variant": "okapi"}, "variant must be one of lucene, robertson"),
])
def test_bad_settings_fail_in_fit(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        BM25(**kwargs).fit(DOCS)


def test_bad_inputs():
    with pytest.raises(ConfigError, match="no documents"):
        BM25().fit([])
    with pytest.raises(ConfigError, match="have no token"):
        BM25().fit(["", "  "])
    with pytest.raises(ConfigError, match="text 1 is int, expected str"):
        BM25().fit(["a", 3])
    with pytest.raises(ConfigError, match="one str"):
        BM25().fit("a single text")
    with pytest.raises(ConfigError, match="tokenizer must have tokenize"):
        BM25(tokenizer=42).fit(DOCS)
    with pytest.raises(ConfigError, match="expected a list of str"):
        BM25(tokenizer=lambda text: text).fit(DOCS)
    with pytest.raises(ConfigError, match="not fitted"):
        BM25().score("cat")
    bm25 = BM25().fit(DOCS)
    with pytest.raises(ConfigError, match="query is bytes, expected str"):
        bm25.score(b"cat")
    with pytest.raises(ConfigError, match=r"document id 5 out of range; expected 0..4"):
        bm25.score("cat", [0, 5])
    with pytest.raises(ConfigError, match="ids must be a list of ints"):
        bm25.score("cat", [0.5])
