"""Vocabulary: ordering, specials, encoding, counting with a memory cap, merging, save/load."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlayer.errors import (
    ConfigError,
    FormatError,
    MissingFileError,
    UnknownTokenError,
    VocabError,
)
from embedlayer.vocab import (
    PAD,
    UNK,
    TokenCounter,
    Vocab,
    load_counter,
    load_vocab,
    save_counter,
    save_vocab,
)

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat"], ["the"]]


def test_order_is_count_desc_then_token():
    v = TokenCounter().update_many(SENTENCES).to_vocab()
    assert v.tokens == ["the", "cat", "sat", "a", "dog"]
    assert v.counts.tolist() == [3, 2, 2, 1, 1]
    assert v["cat"] == 1 and v.token(1) == "cat" and v.count("the") == 3
    assert v.total == 9


def test_specials_take_the_first_ids_and_unk_maps_unknowns():
    v = TokenCounter().update_many(SENTENCES).to_vocab(specials=[PAD, UNK], min_count=2)
    assert v.tokens[:2] == [PAD, UNK] and v.pad_id == 0 and v.unk_id == 1
    assert v.tokens[2:] == ["the", "cat", "sat"]
    assert v.encode(["the", "zebra"]).tolist() == [2, 1]
    assert v.encode(["the", "zebra"], oov="skip").tolist() == [2]
    with pytest.raises(UnknownTokenError, match="zebra"):
        v.encode(["zebra"], oov="raise")
    assert v.encode([]).dtype == np.int32
    assert v.decode([2, 3]) == ["the", "cat"]


def test_without_unk_the_default_policy_skips():
    v = Vocab(["a", "b"], [2, 1])
    assert v.encode(["a", "x", "b"]).tolist() == [0, 1]
    with pytest.raises(ConfigError, match="<unk>"):
        v.encode(["x"], oov="unk")


def test_max_vocab_cuts_deterministically():
    counts = {"b": 5, "a": 5, "c": 5, "d": 1}
    assert Vocab.from_counts(counts, max_vocab=2).tokens == ["a", "b"]


def test_unknown_lookups_are_keyerrors_with_a_clear_message():
    v = Vocab(["a"])
    with pytest.raises(KeyError):
        v["nope"]
    with pytest.raises(UnknownTokenError, match="'nope' is not in the vocabulary"):
        v["nope"]
    with pytest.raises(UnknownTokenError, match="out of range"):
        v.token(5)
    assert v.get("nope") is None and "a" in v and "nope" not in v


def test_empty_after_min_count_is_a_clear_error():
    with pytest.raises(VocabError, match="min_count=10"):
        TokenCounter().update_many(SENTENCES).to_vocab(min_count=10)


def test_bad_construction():
    with pytest.raises(VocabError, match="duplicate"):
        Vocab(["a", "a"])
    with pytest.raises(VocabError, match="first ids"):
        Vocab(["a", PAD], specials=[PAD])
    with pytest.raises(ConfigError):
        Vocab.from_counts({"a": 1}, min_count=0)


def test_vocab_is_immutable():
    v = Vocab(["a", "b"], [3, 1])
    with pytest.raises(ValueError):
        v.counts[0] = 7
    v.tokens.append("c")  # a copy
    assert len(v) == 2


def test_coverage():
    v = Vocab.from_counts({"a": 3, "b": 1}, min_count=2)
    cov = v.coverage(Counter({"a": 3, "b": 1, "c": 4}))
    assert (cov.tokens, cov.covered_tokens, cov.types, cov.covered_types) == (8, 3, 3, 1)
    assert cov.token_rate == pytest.approx(3 / 8)


# --- the counter ---------------------------------------------------------------------------
def test_memory_cap_prunes_like_word2vec_and_says_so():
    c = TokenCounter(max_types=3)
    c.update(["a", "a", "a", "b", "b", "c"])  # 3 types: at the cap, nothing pruned
    assert not c.pruned
    c.update(["d"])  # 4 > 3: drop count <= 1 (c, d), min_reduce -> 2
    assert sorted(c) == ["a", "b"] and c.min_reduce == 2
    assert (c.pruned_types, c.pruned_tokens) == (2, 2)
    assert c.tokens == 7  # running tokens still counted in full
    assert len(c) <= 3


def test_merging_shards_equals_counting_the_whole():
    whole = TokenCounter().update_many(SENTENCES)
    a = TokenCounter().update_many(SENTENCES[:2])
    b = TokenCounter().update_many(SENTENCES[2:])
    merged = a.merge(b)
    assert dict(merged) == dict(whole)
    assert (merged.tokens, merged.sentences) == (whole.tokens, whole.sentences)
    assert merged.to_vocab() == whole.to_vocab()


def test_counter_is_a_mapping():
    c = TokenCounter().update_many(SENTENCES)
    assert c["the"] == 3 and len(c) == 5
    with pytest.raises(KeyError):
        c["zebra"]
    assert c.most_common(2) == [("the", 3), ("cat", 2)]


def test_report():
    c = TokenCounter().update_many(SENTENCES)
    v = c.to_vocab(min_count=2, specials=[UNK])
    r = c.report(v)
    assert (r.tokens, r.types, r.vocab_size, r.vocab_tokens) == (9, 5, 4, 7)
    assert r.coverage == pytest.approx(7 / 9)


# --- invariants (hypothesis) ---------------------------------------------------------------
tokens_st = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
sentences_st = st.lists(st.lists(tokens_st, max_size=12), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(sentences_st, st.integers(1, 3), st.one_of(st.none(), st.integers(1, 20)))
def test_vocab_invariants(sentences, min_count, max_vocab):
    counts = Counter(t for s in sentences for t in s)
    if not any(c >= min_count for c in counts.values()):
        with pytest.raises(VocabError):
            TokenCounter().update_many(sentences).to_vocab(min_count=min_count, max_vocab=max_vocab)
        return
    v = TokenCounter().update_many(sentences).to_vocab(
        min_count=min_count, max_vocab=max_vocab, specials=[PAD, UNK]
    )
    body = list(zip(v.tokens[2:], v.counts[2:].tolist(), strict=True))
    # counts are exact, ordered by (count desc, token), and respect min_count / max_vocab
    assert all(counts[t] == c and c >= min_count for t, c in body)
    assert body == sorted(body, key=lambda tc: (-tc[1], tc[0]))
    assert max_vocab is None or len(body) <= max_vocab
    # nothing better was left out
    kept = {t for t, _ in body}
    left = [c for t, c in counts.items() if t not in kept and t not in (PAD, UNK)]
    if left and body:
        assert max(left) < min_count or (max_vocab is not None and len(body) == max_vocab
                                         and max(left) <= body[-1][1])
    # ids round-trip
    for i, t in enumerate(v.tokens):
        assert v[t] == i and v.token(i) == t
    assert v.encode(v.tokens).tolist() == list(range(len(v)))


@settings(max_examples=100, deadline=None)
@given(sentences_st, st.integers(1, 6))
def test_shard_merge_is_exact_for_any_split(sentences, parts):
    whole = TokenCounter().update_many(sentences)
    merged = TokenCounter()
    for k in range(parts):
        merged.merge(TokenCounter().update_many(sentences[k::parts]))
    assert dict(merged) == dict(whole) and merged.tokens == whole.tokens


@settings(max_examples=100, deadline=None)
@given(sentences_st, st.integers(1, 10))
def test_capped_counter_never_exceeds_cap_nor_overcounts(sentences, cap):
    exact = Counter(t for s in sentences for t in s)
    c = TokenCounter(max_types=cap).update_many(sentences)
    assert len(c) <= cap
    assert all(c[t] <= exact[t] for t in c)
    assert sum(dict(c).values()) + c.pruned_tokens >= 0
    assert c.tokens == sum(exact.values())


# --- save / load ---------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".json", ".tsv"])
def test_vocab_round_trip(tmp_path, suffix):
    v = TokenCounter().update_many(SENTENCES + [["naïve", "日本", "a b"]]).to_vocab(specials=[PAD, UNK])
    path = save_vocab(v, tmp_path / f"v{suffix}")
    w = load_vocab(path)
    assert w == v and w.unk_id == v.unk_id and w.specials == v.specials


@settings(max_examples=60, deadline=None)
@given(sentences_st)
def test_vocab_json_round_trip_any_tokens(tmp_path_factory, sentences):
    if not any(sentences):
        return
    v = TokenCounter().update_many(sentences).to_vocab()
    path = save_vocab(v, tmp_path_factory.mktemp("v") / "v.json")
    assert load_vocab(path) == v


def test_tsv_refuses_tabs_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "v.tsv"
    save_vocab(Vocab(["ok"]), path)
    before = path.read_bytes()
    with pytest.raises(VocabError, match="json"):
        save_vocab(Vocab(["bad\ttoken"]), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["v.tsv"]  # no temporary left behind


@pytest.mark.parametrize("suffix", [".json", ".tsv"])
def test_counter_round_trip(tmp_path, suffix):
    c = TokenCounter(max_types=4).update_many(SENTENCES * 2 + [["x", "y", "z"]])
    d = load_counter(save_counter(c, tmp_path / f"c{suffix}"))
    assert dict(d) == dict(c)
    assert (d.tokens, d.sentences, d.pruned_types, d.pruned_tokens, d.min_reduce, d.max_types) == (
        c.tokens, c.sentences, c.pruned_types, c.pruned_tokens, c.min_reduce, c.max_types)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"format": "other", "format_version": 1}', "field 'format'"),
        ('{"format": "embedlayer.vocab", "format_version": 99, "tokens": [], "counts": []}', "format_version"),
        ('{"format": "embedlayer.vocab", "format_version": 1, "tokens": ["a"], "counts": [1, 2]}', "'counts'"),
        ('{"format": "embedlayer.vocab", "format_version": 1, "tokens": ["a"], "counts": [-1]}', "'counts'\\[0\\]"),
        ('{"format": "embedlayer.vocab", "format_version": 1, "tokens": ["a", "a"], "counts": [1, 1]}', "duplicate"),
        ('{"format": "embedlayer.vocab", "format_version": 1, "tokens": [3], "counts": [1]}', "'tokens'"),
    ],
)
def test_corrupt_json_vocab_names_file_and_field(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(FormatError, match=message) as info:
        load_vocab(path)
    assert str(path) in str(info.value)


def test_corrupt_tsv_vocab_names_the_line(tmp_path):
    path = tmp_path / "bad.tsv"
    header = json.dumps({"format": "embedlayer.vocab", "format_version": 1, "specials": 0})
    path.write_text(f"#{header}\nthe\t3\ncat\tmany\n")
    with pytest.raises(FormatError, match="line 3"):
        load_vocab(path)
    path.write_text("the\t3\n")  # no header: read as a word-count file unless TSV is named
    with pytest.raises(FormatError, match="line 1"):
        load_vocab(path, format="tsv")
    path.write_bytes(b"#\xff\xfe")
    with pytest.raises(FormatError, match="UTF-8"):
        load_vocab(path)


# --- plain "word count" files (word2vec -save-vocab and the like) ---------------------------
def test_word_count_file_round_trip(tmp_path):
    v = TokenCounter().update_many(SENTENCES + [["naïve", "日本"]]).to_vocab()
    path = save_vocab(v, tmp_path / "v.vocab")  # .vocab: the word-count format
    assert path.read_text(encoding="utf-8").splitlines()[:2] == [
        f"{v.tokens[0]} {v.counts[0]}", f"{v.tokens[1]} {v.counts[1]}"]
    w = load_vocab(path)
    assert w == v and w.tokens == v.tokens and w.specials == () and w.unk_id is None
    # any suffix: detected from the content, written by name
    other = save_vocab(v, tmp_path / "v.txt", format="word-count")
    assert other.read_bytes() == path.read_bytes() and load_vocab(other) == v


def test_word2vec_save_vocab_file_is_read_in_file_order(tmp_path):
    path = tmp_path / "w2v-vocab.txt"
    path.write_text("</s> 57340\nthe 62713\n#tag 4\n{x} 2\nwith\t1\n")
    v = load_vocab(path)
    assert v.tokens == ["</s>", "the", "#tag", "{x}", "with"]  # file order, not re-sorted
    assert v.counts.tolist() == [57340, 62713, 4, 2, 1] and v.specials == ()


def test_word_count_file_with_specials_keeps_them_as_tokens(tmp_path):
    v = TokenCounter().update_many(SENTENCES).to_vocab(specials=[PAD, UNK])
    w = load_vocab(save_vocab(v, tmp_path / "v.vocab"))
    assert w.tokens == v.tokens and w.counts.tolist() == v.counts.tolist()
    assert w.specials == () and w.unk_id is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("the 3\ncat\n", "line 2: expected 'word count'"),
        ("the 3\ncat 2 1\n", "line 2: expected 'word count'"),
        ("the 3\ncat many\n", "line 2: count 'many'"),
        ("the 3\ncat -1\n", "line 2: count '-1'"),
        ("the 3\n\ncat 1\n", "line 2: expected"),
        ("the 3\ncat 1\nthe 2\n", "line 3: token 'the' repeats line 1"),
        ("", "no 'word count' lines"),
    ],
)
def test_malformed_word_count_file_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.vocab"
    path.write_text(content)
    for load in (load_vocab, load_counter):
        with pytest.raises(FormatError, match=message) as info:
            load(path)
        assert str(path) in str(info.value)


def test_word_count_refuses_whitespace_tokens_and_unknown_formats(tmp_path):
    with pytest.raises(VocabError, match="whitespace"):
        save_vocab(Vocab(["a b"]), tmp_path / "v.vocab")
    assert not (tmp_path / "v.vocab").exists()
    with pytest.raises(ConfigError, match="word-count"):
        load_vocab(tmp_path / "v.vocab", format="csv")  # type: ignore[arg-type]


def test_word_count_file_merges_as_a_count_shard(tmp_path):
    a = TokenCounter().update_many(SENTENCES)
    shard = load_counter(save_counter(a, tmp_path / "a.vocab"))
    assert dict(shard) == dict(a) and shard.tokens == a.tokens and not shard.pruned
    merged = TokenCounter().update_many(SENTENCES).merge(shard)
    assert dict(merged) == {t: 2 * c for t, c in a.items()}


def test_missing_vocab_file(tmp_path):
    with pytest.raises(MissingFileError, match="nope.json"):
        load_vocab(tmp_path / "nope.json")


def test_deferred_vocab_loads_once_on_first_use():
    calls = []

    def loader():
        calls.append(1)
        return Vocab(["a", "b", "c"], [3, 2, 1])

    v = Vocab.deferred(3, loader)
    assert len(v) == 3 and calls == []  # the size needs no loading
    assert v["b"] == 1 and v.tokens == ["a", "b", "c"] and calls == [1]
    assert "c" in v and v.count("a") == 3 and calls == [1]
    assert v == Vocab(["a", "b", "c"], [3, 2, 1]) and isinstance(v, Vocab)


def test_deferred_vocab_checks_the_promised_size():
    v = Vocab.deferred(5, lambda: Vocab(["a"]))
    with pytest.raises(VocabError, match="expected 5"):
        _ = v.tokens
