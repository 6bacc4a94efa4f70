"""The causal language model's variants for issue 18: a word-level vocabulary, a token table
started from word vectors, scoring in windows longer than training, the table as Vectors."""

from __future__ import annotations

import json
import math
import random
from collections import Counter

import numpy as np
import pytest
import torch

from embedlayer.errors import ConfigError
from embedlayer.nn.transformer import CausalTransformer, TransformerConfig
from embedlayer.tasks.lm import EOS, CausalLM, LMConfig, decode
from embedlayer.vectors import Vectors
from embedlayer.vocab import Vocab

WORDS = ["the", "cat", "dog", "sat", "on", "a", "mat", "and", "ran", "to", "big", "small",
         "red", "house"]
TINY = dict(min_count=1, context=16, dim=16, layers=1, heads=2, batch_size=8, warmup=2,
            learning_rate=3e-3, eval_every=100)


def _lines(n=200, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(3, 9))) for _ in range(n)]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- word-level vocabulary -----------------------------------------------------------------
def test_word_model_keeps_the_most_frequent_words_and_round_trips(tmp_path):
    lines = _lines() + ["The Quokka sat"]  # lower-cased; "quokka" is seen once
    config = LMConfig(**{**TINY, "min_count": 2}, tokenizer="word", vocab_size=10,
                      lowercase=True, steps=4)
    lm = CausalLM(config).fit(lines, output=tmp_path / "model", progress=False)

    counts = Counter(w for line in lines for w in line.lower().split())
    expected = sorted(counts, key=lambda w: (-counts[w], w))[:8]
    assert lm.vocab_.tokens == ["<unk>", EOS, *expected]
    unk = lm.vocab_["<unk>"]
    kept, dropped = expected[0], sorted(set(counts) - set(expected))[0]
    assert lm.encode(f"{kept.upper()} quokka {dropped}") == [lm.vocab_[EOS], lm.vocab_[kept],
                                                            unk, unk]

    doc = json.loads((tmp_path / "model" / "config.json").read_text())
    assert doc["embedlayer"]["settings"]["tokenizer"] == "word" and doc["vocab_size"] == 10
    again = CausalLM.load(tmp_path / "model")
    assert again.config == config and again.vocab_.tokens == lm.vocab_.tokens
    ids = torch.tensor([lm.encode("the cat sat on the mat")])
    with torch.no_grad():
        assert torch.equal(again.model_(ids), lm.model_(ids))

    text = again.generate("", 40, strategy="sample", temperature=2.0, seed=1,
                          stop_at_end=False)
    words = text.split()
    assert len(words) > 10 and set(words) <= set(lm.vocab_.tokens) - {EOS}
    assert again.generate("cat", 5, strategy="sample", seed=2) == \
        lm.generate("cat", 5, strategy="sample", seed=2)


def test_word_decode_keeps_hashes_and_joins_with_one_space():
    assert decode(["##a", "b", EOS, "c"], kind="word") == "##a b\nc"
    assert decode(["##a", "b"]) == "a b"  # bpe glues the piece (here: at a line's start)


def test_word_tokenizer_settings_are_checked():
    with pytest.raises(ConfigError, match="tokenizer must be one of bpe, word"):
        LMConfig(tokenizer="chars").check()
    with pytest.raises(ConfigError, match="vocab_size must be an int >= 3"):
        LMConfig(tokenizer="word", vocab_size=2).check()


# --- token table from word vectors ---------------------------------------------------------
def _store(dim=16, seed=0):
    keys = ["cat", "dog", "house", "zebra"]  # zebra: not a model token
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(4, dim)) * np.array([[1.0], [3.0], [0.5], [2.0]])  # unequal norms
    return Vectors(keys, matrix.astype(np.float32))


def test_init_vectors_copy_rows_with_one_common_scale():
    # A learning rate of 1e-9 leaves the table where fit started it (changes ~1e-9).
    config = LMConfig(**{**TINY, "learning_rate": 1e-9, "warmup": 0}, tokenizer="word",
                      vocab_size=40, steps=1)
    store = _store()
    with_init = CausalLM(config).fit(_lines(), init_vectors=store, progress=False)
    plain = CausalLM(config).fit(_lines(), progress=False)
    assert with_init.vocab_.tokens == plain.vocab_.tokens
    a = with_init.model_.transformer.wte.weight.detach().numpy()
    b = plain.model_.transformer.wte.weight.detach().numpy()

    keys = ["cat", "dog", "house"]
    rows = [with_init.vocab_[k] for k in keys]
    raw = store.lookup(keys).astype(np.float64)
    scale = 0.02 / math.sqrt(np.mean(raw ** 2))
    assert with_init.init_rows_ == 3 and plain.init_rows_ == 0
    assert with_init.init_scale_ == pytest.approx(scale)
    np.testing.assert_allclose(a[rows], raw * scale, atol=1e-7)  # proportional, one factor
    assert math.sqrt(np.mean(a[rows] ** 2)) == pytest.approx(0.02, rel=1e-4)
    other = [i for i in range(len(plain.vocab_)) if i not in rows]
    np.testing.assert_allclose(a[other], b[other], atol=1e-7)  # the random init, untouched
    assert not np.allclose(a[rows], b[rows], atol=1e-3)


def test_init_vectors_errors(tmp_path):
    config = LMConfig(**TINY, tokenizer="word", vocab_size=40, steps=1)
    with pytest.raises(ConfigError, match=r"dimension 8.*dim 16"):
        CausalLM(config).fit(_lines(), init_vectors=_store(dim=8), progress=False)
    strangers = Vectors(["zebra", "quokka"], np.ones((2, 16), dtype=np.float32))
    with pytest.raises(ConfigError, match="none of the model's"):
        CausalLM(config).fit(_lines(), init_vectors=strangers, progress=False)
    with pytest.raises(ConfigError, match="VectorStore"):
        CausalLM(config).fit(_lines(), init_vectors=np.ones((3, 16)), progress=False)
    CausalLM(config).fit(_lines(), output=tmp_path / "m", progress=False)
    with pytest.raises(ConfigError, match="resume"):
        CausalLM(config).fit(_lines(), output=tmp_path / "m", resume=True,
                             init_vectors=_store(), progress=False)


# --- scoring in longer windows -------------------------------------------------------------
@pytest.mark.parametrize("positions", ["none", "sinusoidal", "rotary"])
def test_transformer_takes_windows_longer_than_its_context(positions):
    vocab = Vocab([f"t{i}" for i in range(20)], unk_token=None)
    net = CausalTransformer(vocab, TransformerConfig(context=8, dim=16, layers=1, heads=2,
                                                     positions=positions)).eval()
    ids = torch.randint(0, 20, (2, 20), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = net(ids)
        assert out.shape == (2, 20, 20) and torch.isfinite(out).all()
        torch.testing.assert_close(out[:, :8], net(ids[:, :8]))  # causal: same prefix


@pytest.mark.parametrize("positions", ["none", "sinusoidal", "rotary", "learned"])
def test_evaluate_with_a_longer_context(positions):
    config = LMConfig(**TINY, tokenizer="word", vocab_size=40, positions=positions, steps=3)
    lm = CausalLM(config).fit(_lines(), progress=False)
    texts = _lines(40, seed=5)
    base = lm.evaluate(texts)
    assert base == lm.evaluate(texts, context=16)
    shorter = lm.evaluate(texts, context=8)
    assert shorter.tokens == base.tokens and shorter.loss != base.loss
    if positions == "learned":
        with pytest.raises(ConfigError, match="16 positions"):
            lm.evaluate(texts, context=48)
        return
    longer = lm.evaluate(texts, context=48)
    assert longer.tokens == base.tokens  # every token predicted once, in wider windows
    assert math.isfinite(longer.perplexity) and longer.perplexity > 1
    assert longer.loss != base.loss
    with pytest.raises(ConfigError, match="context must be an int"):
        lm.evaluate(texts, context=0)
    if positions == "rotary":  # NTK-aware scaling: the same within the context, not past it
        assert lm.evaluate(texts, rope_scaling="ntk") == base
        ntk = lm.evaluate(texts, context=48, rope_scaling="ntk")
        assert ntk.tokens == base.tokens and ntk.loss != longer.loss
        assert lm.model_.rope_scaling == "none"  # a setting of that call only
    else:
        with pytest.raises(ConfigError, match="needs rotary"):
            lm.evaluate(texts, context=48, rope_scaling="ntk")


# --- export --------------------------------------------------------------------------------
def test_token_vectors_are_the_table_without_special_tokens():
    config = LMConfig(**TINY, tokenizer="word", vocab_size=40, steps=2)
    lm = CausalLM(config).fit(_lines(), progress=False)
    vectors = lm.token_vectors()
    table = lm.model_.transformer.wte.weight.detach().numpy()
    assert vectors.keys == lm.vocab_.tokens[2:] and "<unk>" not in vectors
    assert vectors.matrix.shape == (len(lm.vocab_) - 2, 16)
    np.testing.assert_array_equal(vectors.matrix, table[2:])
    np.testing.assert_array_equal(vectors["cat"], table[lm.vocab_["cat"]])

    bpe = CausalLM(LMConfig(**TINY, vocab_size=40, steps=1)).fit(_lines(), progress=False)
    assert bpe.token_vectors().keys == bpe.vocab_.tokens[2:]


def test_sinusoidal_positions_start_at_the_token_tables_scale():
    from embedlayer.nn.transformer import INIT_STD, CausalTransformer, TransformerConfig
    from embedlayer.vocab import Vocab

    net = CausalTransformer(Vocab([f"t{i}" for i in range(20)], unk_token=None),
                            TransformerConfig(context=64, dim=32, layers=1, heads=2,
                                              positions="sinusoidal"))
    x = torch.zeros(1, 64, 32)
    rms = float(net.transformer.wpe(x).pow(2).mean().sqrt())
    assert rms == pytest.approx(INIT_STD, rel=0.15)  # not the unscaled waves' ~0.7
