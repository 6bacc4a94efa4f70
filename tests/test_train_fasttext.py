"""FastText: kernels against the reference, the estimator, the .bin writer against gensim and
facebook fastText, the CLI."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.errors import ConfigError, CorpusError, FormatError
from embedlayer.train import FastText, FastTextConfig
from embedlayer.train import _kernels_ft as K
from embedlayer.train._reference_ft import train_chunk_reference
from embedlayer.train.fasttext import subword_table
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import load_vectors
from embedlayer.vectors.io.fasttext_bin import read_fasttext_bin
from embedlayer.vectors.io.fasttext_bin_write import write_fasttext_bin
from embedlayer.vectors.subword import SubwordVectors
from embedlayer.vocab import alias_table, ngram_buckets

# Words with repeated n-grams ("hahaha", "aaaa") exercise the per-word gain of the kernels.
WORDS = ["the", "cat", "sat", "on", "mat", "hahaha", "aaaa", "running", "runner", "ran", "a",
         "dog", "über", "straße"]


def _setup(seed: int = 0, n: int = 260, bucket: int = 97):
    rng = np.random.default_rng(seed)
    v = len(WORDS)
    counts = np.sort(rng.integers(1, 200, v))[::-1].copy()
    ids = rng.integers(0, v, n).astype(np.int32)
    cuts = np.sort(rng.choice(np.arange(1, n), 7, replace=False))
    bounds = np.concatenate([[0], cuts, [n]]).astype(np.int64)  # 8 sentences, a few short
    off, sub, gain = subword_table(WORDS, minn=2, maxn=4, bucket=bucket)
    wi = (rng.standard_normal((v + bucket, 8)) * 0.3).astype(np.float32)
    wo = (rng.standard_normal((v, 8)) * 0.3).astype(np.float32)
    return {"ids": ids, "bounds": bounds, "wi": wi, "wo": wo, "sub": (off, sub, gain),
            "counts": counts,
            "keep": rng.uniform(0.4, 1.0, v).astype(np.float32),
            "table": alias_table(counts, power=0.5)}


def _run(fn, model, s, wi, wo, *, window=3, negative=4, alpha=0.05, seed=7):
    return fn(model, s["ids"], s["bounds"], wi, wo, *s["sub"], s["keep"], s["table"], window,
              negative, alpha, seed)


# --- subword rows ---------------------------------------------------------------------------


def test_subword_table_is_the_word_row_then_its_ngram_buckets():
    off, sub, gain = subword_table(WORDS, minn=3, maxn=6, bucket=1000)
    for i, w in enumerate(WORDS):
        rows = sub[off[i]:off[i + 1]]
        assert rows[0] == i
        np.testing.assert_array_equal(rows[1:] - len(WORDS), ngram_buckets(w, 3, 6, 1000))
    assert gain[WORDS.index("cat")] == 1.0
    # "<hahaha>" with n = 3..6: "hah" and "aha" twice, "haha" twice -> rows repeat
    rows = sub[off[5]:off[6]]
    _, mult = np.unique(rows, return_counts=True)
    assert gain[5] == pytest.approx((mult**2).sum() / rows.size) and gain[5] > 1.0
    eos = subword_table(["</s>", "x"], minn=3, maxn=6, bucket=10)
    assert eos[0].tolist()[:2] == [0, 1]  # fastText: "</s>" has no n-grams


# --- kernels against the reference ----------------------------------------------------------


@pytest.mark.parametrize("model", [K.SKIPGRAM, K.CBOW], ids=["sg", "cbow"])
@pytest.mark.parametrize(("window", "negative"), [(3, 4), (1, 0), (5, 2), (2, 12)])
def test_kernel_matches_reference(model, window, negative):
    s = _setup()
    a0, a1 = s["wi"].copy(), s["wo"].copy()
    b0, b1 = s["wi"].copy(), s["wo"].copy()
    kw = {"window": window, "negative": negative}
    got = _run(K.train_chunk, model, s, a0, a1, **kw)
    want = _run(train_chunk_reference, model, s, b0, b1, **kw)
    np.testing.assert_allclose(a0, b0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(a1, b1, rtol=1e-4, atol=1e-6)
    assert got[1:] == want[1:]  # the same predictions, the same word count
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    assert got[1] > 0 and got[2] == s["ids"].size
    assert not np.array_equal(a0, s["wi"])  # it did train


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_skipgram_center_subwords_predict_the_context_by_hand():
    # Sentence [0, 1], window 1, no negatives. Word 0 has rows {0, 2, 3}, word 1 rows {1, 3}:
    # pair (center 0 -> target 1), then (center 1 -> target 0); each center's rows all get
    # the full gradient (fastText's unsupervised rule: no 1/count).
    rng = np.random.default_rng(3)
    wi = rng.standard_normal((4, 3)).astype(np.float32)
    wo = rng.standard_normal((2, 3)).astype(np.float32)
    x, y = wi.astype(np.float64), wo.astype(np.float64)
    alpha, loss = 0.4, 0.0
    for rows, target in (([0, 2, 3], 1), ([1, 3], 0)):
        h = x[rows].mean(axis=0)
        f = h @ y[target]
        g = (1 - _sigmoid(f)) * alpha
        loss += -math.log(_sigmoid(f))
        grad = g * y[target]
        y[target] += g * h
        x[rows] += grad
    off, sub = np.array([0, 3, 5]), np.array([0, 2, 3, 1, 3], np.int32)
    out = K.train_chunk(K.SKIPGRAM, np.array([0, 1], np.int32), np.array([0, 2]), wi, wo, off,
                        sub, np.ones(2, np.float32), np.ones(2, np.float32),
                        alias_table([1, 1]), 1, 0, alpha, 3)
    assert out == (pytest.approx(loss, rel=1e-5), 2, 2)
    np.testing.assert_allclose(wi, x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wo, y, rtol=1e-5, atol=1e-6)


def test_cbow_averages_every_subword_row_of_the_context_by_hand():
    # Sentence [0, 1, 2], window 1: the bag of center 1 is rows(0) + rows(2), flattened.
    rng = np.random.default_rng(4)
    wi = rng.standard_normal((5, 3)).astype(np.float32)
    wo = rng.standard_normal((3, 3)).astype(np.float32)
    x, y = wi.astype(np.float64), wo.astype(np.float64)
    rows = {0: [0, 3], 1: [1], 2: [2, 3, 4]}
    alpha, loss = 0.3, 0.0
    for center, context in ((0, [1]), (1, [0, 2]), (2, [1])):
        bag = [r for w in context for r in rows[w]]
        h = x[bag].mean(axis=0)
        f = h @ y[center]
        g = (1 - _sigmoid(f)) * alpha
        loss += -math.log(_sigmoid(f))
        grad = g * y[center]
        y[center] += g * h
        for r in bag:
            x[r] += grad
    off, sub = np.array([0, 2, 3, 6]), np.array([0, 3, 1, 2, 3, 4], np.int32)
    out = K.train_chunk(K.CBOW, np.array([0, 1, 2], np.int32), np.array([0, 3]), wi, wo, off,
                        sub, np.ones(3, np.float32), np.ones(3, np.float32),
                        alias_table([1, 1, 1]), 1, 0, alpha, 3)
    assert out == (pytest.approx(loss, rel=1e-5), 3, 3)
    np.testing.assert_allclose(wi, x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wo, y, rtol=1e-5, atol=1e-6)


def test_subsampled_words_are_never_trained_but_counted():
    s = _setup()
    keep = s["keep"].copy()
    keep[WORDS.index("cat")] = 0.0
    wi, wo = s["wi"].copy(), s["wo"].copy()
    counts = s["counts"].copy()
    counts[WORDS.index("cat")] = 0  # nor drawn as a negative
    table = alias_table(counts, power=0.5)
    out = _run(K.train_chunk, K.SKIPGRAM, {**s, "keep": keep, "table": table}, wi, wo)
    assert out[2] == s["ids"].size
    np.testing.assert_array_equal(wo[WORDS.index("cat")], s["wo"][WORDS.index("cat")])
    assert wi[WORDS.index("cat")].tolist() == s["wi"][WORDS.index("cat")].tolist()


def test_kernel_refuses_matrices_it_would_copy():
    s = _setup()
    with pytest.raises(TypeError, match="wi must be a writeable"):
        _run(K.train_chunk, K.SKIPGRAM, s, s["wi"].astype(np.float64), s["wo"])
    with pytest.raises(ValueError, match="model must be"):
        _run(K.train_chunk, 2, s, s["wi"], s["wo"])


# --- the estimator --------------------------------------------------------------------------


def _two_topics(n_sentences: int = 500, seed: int = 0) -> list[list[str]]:
    """Sentences from one of two disjoint word groups whose spellings differ too."""
    rng = np.random.default_rng(seed)
    groups = [[f"apple{c}" for c in "abcdefgh"], [f"zebra{c}" for c in "abcdefgh"]]
    return [[str(w) for w in rng.choice(groups[k % 2], size=10)] for k in range(n_sentences)]


CORPUS = _two_topics()
SMALL = {"dim": 16, "epochs": 4, "min_count": 1, "sample": 0.0, "workers": 1, "seed": 7,
         "bucket": 5000, "chunk_words": 500, "learning_rate": 0.05}


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_neighbours_and_oov_words_known_by_construction(model):
    ft = FastText(model=model, **SMALL).fit(CORPUS, progress=False)
    v = ft.vectors_
    assert isinstance(v, SubwordVectors) and len(v) == 16 and v.dim == 16
    for word in ("applea", "zebrac"):
        top = [w for w, _ in v.most_similar(word, topn=5)]
        assert all(w[0] == word[0] for w in top), (word, top)
    # unknown words, misspelled: their n-grams place them with their group
    for oov, group in (("appleq", "apple"), ("zebbrax", "zebra")):
        assert oov not in v
        sims = {w: float(v[oov] @ v[w] / np.linalg.norm(v[oov]) / np.linalg.norm(v[w]))
                for w in v.keys}
        assert max(sims, key=sims.get).startswith(group)
    assert ft.loss_history_[-1] < ft.loss_history_[0]  # the loss goes down


def test_one_worker_is_bit_for_bit_repeatable():
    a = FastText(**SMALL).fit(CORPUS, progress=False)
    b = FastText(**SMALL).fit(CORPUS, progress=False)
    np.testing.assert_array_equal(a.wi_, b.wi_)
    np.testing.assert_array_equal(a.wo_, b.wo_)
    assert a.loss_history_ == b.loss_history_
    c = FastText(**{**SMALL, "seed": 8}).fit(CORPUS, progress=False)
    assert not np.array_equal(a.wi_, c.wi_)


def test_two_workers_train_as_well():
    ft = FastText(**{**SMALL, "workers": 2}).fit(CORPUS, progress=False)
    top = [w for w, _ in ft.vectors_.most_similar("appleb", topn=5)]
    assert all(w.startswith("apple") for w in top)


def test_chunk_order_is_shuffled_once_and_can_be_turned_off():
    shuffled = FastText(**SMALL).fit(CORPUS, progress=False)
    in_order = FastText(**{**SMALL, "shuffle": False}).fit(CORPUS, progress=False)
    assert not np.array_equal(shuffled.wi_, in_order.wi_)
    assert in_order.loss_history_[-1] < in_order.loss_history_[0]
    assert shuffled.words_per_epoch_ == in_order.words_per_epoch_ == 5000


def test_vectors_seen_from_a_callback_are_a_snapshot():
    seen = []
    ft = FastText(**SMALL).fit(CORPUS, progress=False,
                               callbacks=[lambda m, epoch, state: seen.append(m.vectors_)])
    assert len(seen) == SMALL["epochs"]
    assert not np.array_equal(seen[0]["applea"], ft.vectors_["applea"])
    np.testing.assert_array_equal(seen[-1].word_matrix, ft.vectors_.word_matrix)
    assert np.shares_memory(ft.vectors_.ngram_matrix, ft.wi_)  # after training: shared


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    full = FastText(**SMALL).fit(CORPUS, progress=False)

    def interrupt_after_epoch_1(model, epoch, state):
        if epoch == 1:
            raise KeyboardInterrupt

    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        FastText(**SMALL).fit(CORPUS, progress=False, callbacks=[interrupt_after_epoch_1],
                              checkpoint_dir=ckpt)
    assert sorted(p.name for p in ckpt.iterdir()) == ["checkpoint.json", "counts.json", "vocab.json",
                                                      "wi.npy", "wo.npy"]
    resumed = FastText.resume(ckpt, CORPUS, progress=False)
    np.testing.assert_array_equal(resumed.wi_, full.wi_)
    np.testing.assert_allclose(resumed.loss_history_, full.loss_history_, rtol=1e-12)
    (ckpt / "checkpoint.json").write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(FormatError, match="'format'"):
        FastText.resume(ckpt, CORPUS, progress=False)


def test_no_ngrams_is_a_word_only_model():
    ft = FastText(**{**SMALL, "maxn": 0}).fit(CORPUS, progress=False)
    assert ft.wi_.shape == (16, 16) and ft.vectors_.bucket == 0
    np.testing.assert_array_equal(ft.vectors_["applea"], ft.wi_[ft.vocab_["applea"]])


@pytest.mark.parametrize(("field", "value", "match"), [
    ("model", "sg", "model must be"), ("minn", 0, "minn must be"), ("maxn", 2, "minn <= maxn"),
    ("bucket", -1, "bucket must be"), ("learning_rate", 0.0, "learning_rate"), ("sample", 1.5, "sample"),
    ("ns_exponent", 0.0, "ns_exponent"), ("negative", 0, "negative"),
])
def test_bad_settings_are_config_errors(field, value, match):
    with pytest.raises(ConfigError, match=match):
        FastText(**{**SMALL, field: value}).fit(CORPUS, progress=False)


def test_bad_input_is_reported():
    with pytest.raises(CorpusError, match="empty"):
        FastText(**SMALL).fit([[], []], progress=False)
    with pytest.raises(ConfigError, match="one-shot iterator"):
        FastText(**SMALL).fit(iter(CORPUS), progress=False)
    with pytest.raises(ConfigError, match="not fitted"):
        _ = FastText().vectors_
    assert FastTextConfig.from_dict(FastTextConfig().to_dict()) == FastTextConfig()


# --- the .bin writer, against our reader, gensim and facebook fastText ------------------------

OOV = ["appple", "zebrra", "applezebra", "qwerty", "x", "ÄpfelX", "</s>", "aaaa"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    ft = FastText(**SMALL).fit(CORPUS, progress=False)
    path = ft.save_vectors(tmp_path_factory.mktemp("bin") / "model.bin")
    return ft, path


def test_bin_round_trip_through_our_reader(trained):
    ft, path = trained
    back = read_fasttext_bin(path)
    np.testing.assert_array_equal(back.word_matrix, ft.vectors_.word_matrix)
    np.testing.assert_array_equal(back.ngram_matrix, ft.vectors_.ngram_matrix)
    assert back.keys == ft.vocab_.tokens and back.vocab.counts.tolist() == ft.vocab_.counts.tolist()
    assert (back.minn, back.maxn, back.bucket) == (3, 6, 5000)
    np.testing.assert_array_equal(back.lookup(OOV), ft.vectors_.lookup(OOV))
    assert load_vectors(path).keys == back.keys  # detected as fasttext-bin


def test_gensim_reads_the_same_model_and_oov_vectors(trained):
    import gensim.models.fasttext as gensim_ft

    ft, path = trained
    g = gensim_ft.load_facebook_model(str(path))
    assert list(g.wv.index_to_key) == ft.vocab_.tokens
    np.testing.assert_array_equal(g.wv.vectors_vocab, ft.vectors_.word_matrix)
    np.testing.assert_array_equal(g.wv.vectors_ngrams, ft.vectors_.ngram_matrix)
    np.testing.assert_array_equal(g.syn1neg, ft.wo_)
    assert (g.wv.min_n, g.wv.max_n, g.wv.bucket, g.sg, g.negative) == (3, 6, 5000, 1, 5)
    # gensim gives an unknown "</s>" n-grams, facebook fastText (and we) none: left out here
    words = [w for w in OOV if w != "</s>"] + ["applea"]
    for word, mine in zip(words, ft.vectors_.lookup(words), strict=True):
        # gensim sums the rows in another order: equal to float32 rounding
        np.testing.assert_allclose(g.wv[word], mine, rtol=1e-6, atol=1e-7, err_msg=word)
    kv = gensim_ft.load_facebook_vectors(str(path))
    np.testing.assert_allclose(kv["zebrra"], ft.vectors_["zebrra"], rtol=1e-6, atol=1e-7)


def test_facebook_fasttext_reads_the_same_model(trained):
    import fasttext

    ft, path = trained
    f = fasttext.load_model(str(path))
    assert f.get_words() == ft.vocab_.tokens
    assert f.get_dimension() == 16
    for word in OOV + ["applea"]:  # same float order: the very same numbers
        np.testing.assert_array_equal(f.get_word_vector(word), ft.vectors_[word], err_msg=word)
    np.testing.assert_array_equal(f.get_output_matrix(), ft.wo_)


def test_plain_vectors_write_as_a_model_without_ngrams(tmp_path):
    v = Vectors(["a", "bb", "ccc"], np.arange(6, dtype=np.float32).reshape(3, 2))
    path = write_fasttext_bin(v, tmp_path / "plain.bin", model="cbow")
    back = read_fasttext_bin(path)
    assert back.keys == v.keys and back.bucket == 0
    np.testing.assert_array_equal(back.matrix, v.matrix)
    np.testing.assert_array_equal(back["zzz"], np.zeros(2, np.float32))
    assert struct.unpack_from("<2i", path.read_bytes()) == (793712314, 12)
    import fasttext

    np.testing.assert_array_equal(fasttext.load_model(str(path)).get_word_vector("bb"), [2, 3])


def test_the_counter_and_the_encoder_count_the_same_tokens_and_lines():
    from embedlayer.train._encode import encode_corpus
    from embedlayer.vocab import TokenCounter

    text = [["a", "b"], [], ["zz"], ["a", "a", "b"], []]  # empty and all-unknown lines too
    counter = TokenCounter().update_many(text)
    vocab = counter.to_vocab(min_count=2)
    with encode_corpus(text, vocab) as encoded:
        # fastText's subsampling divides the counter's counts by these totals
        assert (counter.tokens, counter.sentences) == (encoded.raw_words,
                                                        encoded.raw_sentences) == (6, 5)


def test_writer_refuses_what_a_bin_cannot_hold(tmp_path):
    bad = SubwordVectors(["a\0b"], np.zeros((1, 2)), np.zeros((3, 2)), minn=1, maxn=2, bucket=3)
    with pytest.raises(ConfigError, match="NUL"):
        write_fasttext_bin(bad, tmp_path / "x.bin")
    odd = SubwordVectors(["a"], np.zeros((1, 2)), np.zeros((3, 2)), minn=1, maxn=2, bucket=3,
                         no_subwords=["a"])
    with pytest.raises(ConfigError, match="no_subwords"):
        write_fasttext_bin(odd, tmp_path / "x.bin")
    ok = SubwordVectors(["a"], np.zeros((1, 2)), np.zeros((3, 2)), minn=1, maxn=2, bucket=3)
    with pytest.raises(ConfigError, match="output_matrix"):
        write_fasttext_bin(ok, tmp_path / "x.bin", output_matrix=np.zeros((2, 2), np.float32))
    assert not (tmp_path / "x.bin").exists()


# --- CLI ------------------------------------------------------------------------------------


def test_cli_trains_and_writes_a_bin_and_a_vec(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in CORPUS[:200]) + "\n", encoding="utf-8")
    out = tmp_path / "model.bin"
    code = main(["train", "fasttext", str(corpus), "-o", str(out), "--dim", "8", "--epochs", "2",
                 "--min-count", "1", "--bucket", "1000", "--workers", "1", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "vocabulary 16 words + 1,000 n-gram buckets" in printed and "wrote" in printed
    v = read_fasttext_bin(out)
    assert len(v) == 16 and v.dim == 8 and v.bucket == 1000
    assert not out.with_name("model.bin.checkpoint").exists()
    vec = tmp_path / "model.vec"
    assert main(["train", "fasttext", str(corpus), "-o", str(vec), "--format", "fasttext-vec",
                 "--dim", "8", "--epochs", "1", "--min-count", "1", "--bucket", "1000",
                 "--quiet"]) == 0
    assert load_vectors(vec).dim == 8
    assert main(["train", "fasttext", str(corpus), "-o", str(vec), "--maxn", "2"]) == 1
    assert "--minn <= --maxn" in capsys.readouterr().err
    assert main(["train", "fasttext", str(corpus), "-o", str(vec), "--quiet"]) == 1
    assert "model.vec exists: refusing to replace it (add --force)" in capsys.readouterr().err
