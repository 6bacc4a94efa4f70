"""BPE and WordPiece: hand-derived known answers, training on real text, untrained use."""

from __future__ import annotations

import itertools

import pytest

from embedlayer.errors import ConfigError, CorpusError, TokenizerError
from embedlayer.text import (
    BPE,
    NumberNormalizer,
    TokenizerPipeline,
    WhitespaceSplit,
    WordPiece,
    train_subword,
)

# A tiny corpus of word counts: hug ×10, pug ×5, pun ×12, bun ×4, hugs ×5.
COUNTS = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}
CORPUS = [word for word, n in COUNTS.items() for _ in range(n)]


def test_bpe_known_answer():
    """Merges derived by hand: each step merges the most frequent adjacent pair, counted over
    all words weighted by their counts.

    Alphabet (sorted): b g h n p s u, plus the special <unk> → 8 tokens.
    1. pairs: h·u 10+5=15, u·g 10+5+5=20, p·u 5+12=17, u·n 12+4=16, b·u 4, g·s 5 → u+g = "ug"
    2. words h ug, p ug, p u n, b u n, h ug s: h·ug 15, p·ug 5, p·u 12, u·n 16, b·u 4, ug·s 5
       → u+n = "un"
    3. h·ug 15, p·ug 5, p·un 12, b·un 4, ug·s 5 → h+ug = "hug"
    4. p·ug 5, p·un 12, b·un 4, hug·s 5 → p+un = "pun"
    5. would be a tie (p·ug 5 and hug·s 5), so the vocabulary stops at 8 + 4 = 12.
    """
    model = BPE(vocab_size=12, min_count=2).fit([w] for w in CORPUS)
    assert model.merges() == [("u", "g"), ("u", "n"), ("h", "ug"), ("p", "un")]
    assert set(model.vocab()) == set("bghnpsu") | {"<unk>", "ug", "un", "hug", "pun"}
    assert model.tokenize_words(["hugs", "bun", "pug", "mug"]) == [
        "hug", "s", "b", "un", "p", "ug", "<unk>", "ug",  # "m" was never seen
    ]  # fmt: skip


def test_wordpiece_known_answer():
    """WordPiece training in tokenizers counts pairs like BPE, but a piece that continues a
    word carries "##": hug = h ##u ##g. The same counts as in the BPE test give the merges
    ##u+##g → ##ug (20), ##u+##n → ##un (16), h+##ug → hug (15), p+##un → pun (12).

    Initial vocabulary: <unk>, the alphabet b g h n p s u, and the continuation pieces seen:
    ##u ##g ##n ##s → 12; with 4 merges, 16. Encoding is greedy longest-match-first, and a word
    with any piece missing becomes <unk> whole.
    """
    model = WordPiece(vocab_size=16, min_count=2).fit([w] for w in CORPUS)
    expected = set("bghnpsu") | {"<unk>", "##u", "##g", "##n", "##s", "##ug", "##un", "hug", "pun"}
    assert set(model.vocab()) == expected
    assert model.tokenize_words(["hugs", "bun", "pug", "mug", "puns"]) == [
        "hug", "##s", "b", "##un", "p", "##ug", "<unk>", "pun", "##s",
    ]  # fmt: skip


def test_bpe_training_is_repeatable():
    runs = [BPE(vocab_size=40, min_count=1).fit([w] for w in CORPUS * 3) for _ in range(2)]
    assert runs[0].merges() == runs[1].merges()
    assert runs[0].to_dict() == runs[1].to_dict()


@pytest.mark.parametrize("model", [BPE(), WordPiece()])
def test_untrained_model_raises(model):
    assert not model.is_trained
    with pytest.raises(TokenizerError, match="not trained"):
        model.tokenize_words(["hello"])
    with pytest.raises(TokenizerError, match="not trained"):
        TokenizerPipeline(model=model).tokenize("hello")
    assert model.to_dict()["tokenizer"] is None


def test_empty_corpus_is_an_error():
    with pytest.raises(CorpusError, match="no words"):
        BPE().fit([[], []])


def test_config_is_checked():
    with pytest.raises(ConfigError, match="vocab_size"):
        BPE(vocab_size=0)
    with pytest.raises(ConfigError, match="min_count"):
        WordPiece(min_count=-1)
    with pytest.raises(ConfigError, match="special_tokens"):
        BPE(special_tokens=["<a b>"])
    assert BPE(special_tokens=["<pad>"]).special_tokens == ("<unk>", "<pad>")


@pytest.fixture(scope="module")
def brown_lines(data_dir):
    with open(data_dir / "corpora" / "en" / "brown.txt", encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in itertools.islice(fh, 3000)]


def test_train_bpe_on_real_text(brown_lines):
    pipe = train_subword(brown_lines, model="bpe", vocab_size=600, lowercase=True)
    assert len(pipe.model.vocab()) <= 600
    for line in brown_lines[:200]:  # seen in training: every character is known
        tokens = pipe.tokenize(line)
        assert "<unk>" not in tokens
        assert "".join(tokens) == "".join(pipe.pre_tokenize(line))  # pieces spell the words
    assert len(pipe.tokenize("the government")) == 2  # frequent words are single tokens


def test_train_wordpiece_on_real_text(brown_lines):
    pipe = train_subword(brown_lines, model="wordpiece", vocab_size=600, special_tokens=["<pad>"])
    assert pipe.model.special_tokens == ("<unk>", "<pad>")
    tokens = pipe.tokenize("Unbelievably, the committee <pad> today.")
    assert tokens[-4:] == ["<pad>", "to", "##day", "."] and "the" in tokens
    first_word = tokens[: tokens.index(",")]
    assert len(first_word) > 1 and not first_word[0].startswith("##")
    assert all(t.startswith("##") for t in first_word[1:])
    assert "".join(t.removeprefix("##") for t in first_word) == "Unbelievably"


def test_tokenize_many_batches_like_tokenize(brown_lines):
    pipe = train_subword(brown_lines[:1000], model="bpe", vocab_size=300)
    lines = brown_lines[:1200] + ["", "   "]  # more than one internal batch, and empty lines
    assert list(pipe.tokenize_many(iter(lines))) == [pipe.tokenize(line) for line in lines]


def test_placeholder_must_be_a_special_token_of_the_model():
    pipe = TokenizerPipeline(
        normalizer=NumberNormalizer("token"), pre_tokenizer=WhitespaceSplit(), model=BPE()
    )
    with pytest.raises(TokenizerError, match="special_tokens"):
        pipe.fit(["it costs 5 dollars"])
    pipe = TokenizerPipeline(
        normalizer=NumberNormalizer("token"),
        pre_tokenizer=WhitespaceSplit(),
        model=BPE(vocab_size=50, min_count=1, special_tokens=["<num>"]),
    ).fit(["it costs 5 dollars", "it costs 7 euros"] * 3)
    assert pipe.tokenize("costs 12") == ["costs", "<num>"]
