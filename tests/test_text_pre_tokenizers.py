"""Pre-tokenizers alone: known answers on tricky strings, and the regex's invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedlayer.errors import ConfigError
from embedlayer.text import RegexWords, WhitespaceSplit, component_from_dict
from embedlayer.text import pre_tokenizers as pre_mod

CASES = [
    ("I don't know, it's well-known.", ["I", "don't", "know", ",", "it's", "well-known", "."]),
    ("Curly ’quotes’ and it’s", ["Curly", "’", "quotes", "’", "and", "it’s"]),
    ("rock'n'roll 'quoted' students'", ["rock'n'roll", "'", "quoted", "'", "students", "'"]),
    ("3.14 and 1,000 and 1,000,000.50", ["3.14", "and", "1,000", "and", "1,000,000.50"]),
    ("paid $5.00 (50%) -5", ["paid", "$", "5.00", "(", "50", "%", ")", "-", "5"]),
    ("in 2006,the end.The", ["in", "2006", ",", "the", "end", ".", "The"]),
    ("covid-19 mp3 1990s 10km", ["covid-19", "mp3", "1990s", "10km"]),
    ("the U.S. e.g., A.1", ["the", "U.S.", "e.g.", ",", "A", ".", "1"]),
    ("wait... what?! hello--world", ["wait", "...", "what", "?!", "hello", "--", "world"]),
    ("naïve Zürich café São", ["naïve", "Zürich", "café", "São"]),
    ("cafe\u0301 (decomposed)", ["cafe\u0301", "(", "decomposed", ")"]),
    ("हिन्दी русский ελληνικά", ["हिन्दी", "русский", "ελληνικά"]),
    ("我爱北京天安门。", ["我爱北京天安门", "。"]),
    ("iPhone手机 2024年", ["iPhone", "手机", "2024", "年"]),
    ("see https://example.org/a?b=1. ok", ["see", "https://example.org/a?b=1", ".", "ok"]),
    ("(www.example.com)", ["(", "www.example.com", ")"]),
    ("👍🏽 🇫🇷 👨\u200d👩\u200d👧 ok👍", ["👍🏽", "🇫🇷", "👨\u200d👩\u200d👧", "ok", "👍"]),
    ("a_b #tag @user", ["a", "_", "b", "#", "tag", "@", "user"]),
    ("", []),
    (" \t\n ", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_regex_words_known_answers(text, expected):
    assert RegexWords().pre_tokenize(text) == expected


def test_whitespace_split():
    assert WhitespaceSplit().pre_tokenize(" a  b\tc\u3000d\n") == ["a", "b", "c", "d"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_regex_words_loses_only_whitespace(text):
    tokens = RegexWords().pre_tokenize(text)
    assert "".join(tokens) == "".join(text.split())
    assert all(tok and not any(ch.isspace() for ch in tok) for tok in tokens)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab1.,'’-‐ é\u0301我$👍🏽\u200d"), max_size=40))
def test_memoized_path_matches_the_pattern(text):
    # The fast path (memo, ASCII shortcut) must give exactly the pattern's findall per chunk.
    words = RegexWords()
    reference = [tok for chunk in text.split() for tok in words.pattern.findall(chunk)]
    assert words.pre_tokenize(text) == reference


def test_memo_stays_bounded(monkeypatch):
    monkeypatch.setattr(pre_mod, "_MEMO_SIZE", 8)
    words = RegexWords()
    text = " ".join(f"w{i}, x{i}." for i in range(50))
    assert words.pre_tokenize(text) == [t for c in text.split() for t in words.pattern.findall(c)]
    assert len(pre_mod._MEMOS[1]) <= 8


def test_unknown_pattern_version():
    with pytest.raises(ConfigError, match="pattern_version"):
        RegexWords(pattern_version=99)


@pytest.mark.parametrize("part", [WhitespaceSplit(), RegexWords()])
def test_dict_round_trip(part):
    assert component_from_dict(part.to_dict()) == part
