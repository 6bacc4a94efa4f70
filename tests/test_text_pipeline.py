"""The pipeline: protocol, protected tokens, streaming, save/load, corrupt files, the factory,
the public API and the lazy imports."""

from __future__ import annotations

import functools
import itertools
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import embedlayer.text as text_pkg
from embedlayer.errors import ConfigError, FormatError, MissingFileError, TokenizerError
from embedlayer.text import (
    FORMAT_VERSION,
    TOKENIZER_NAMES,
    JiebaSegmenter,
    Lowercase,
    NormalizerSequence,
    NumberNormalizer,
    RegexWords,
    StripAccents,
    Tokenizer,
    TokenizerPipeline,
    UnicodeNormalizer,
    WhitespaceSplit,
    WordLevel,
    get_tokenizer,
    load_tokenizer,
    pipeline_from_dict,
    train_subword,
)

TRAIN_TEXT = [
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs!",
    "naïve café owners in Zürich pay 3.50 francs",
    "我爱北京天安门 and 東京タワー",
] * 20


@functools.cache
def trained(kind: str) -> TokenizerPipeline:
    return train_subword(TRAIN_TEXT, model=kind, vocab_size=120, min_count=1, lowercase=True)


def word_pipelines() -> list[TokenizerPipeline]:
    return [
        TokenizerPipeline(pre_tokenizer=WhitespaceSplit()),
        get_tokenizer("regex", lowercase=True),
        TokenizerPipeline(
            normalizer=NormalizerSequence(
                (
                    UnicodeNormalizer("NFKC"),
                    Lowercase(casefold=True),
                    StripAccents(),
                    NumberNormalizer("token"),
                )
            ),
            pre_tokenizer=RegexWords(),
            special_tokens=["<s>"],
        ),  # fmt: skip
        TokenizerPipeline(normalizer=NumberNormalizer("zero"), pre_tokenizer=JiebaSegmenter()),
    ]


def test_pipelines_follow_the_protocol():
    assert isinstance(get_tokenizer("regex"), Tokenizer)
    assert isinstance(trained("bpe"), Tokenizer)


def test_defaults_are_regex_words_and_word_level():
    pipe = TokenizerPipeline()
    assert isinstance(pipe.pre_tokenizer, RegexWords) and isinstance(pipe.model, WordLevel)
    assert pipe.tokenize("Don't stop.") == ["Don't", "stop", "."]


def test_parts_are_type_checked():
    with pytest.raises(TokenizerError, match="pre_tokenizer must be a PreTokenizer"):
        TokenizerPipeline(pre_tokenizer=Lowercase())  # type: ignore[arg-type]
    with pytest.raises(TokenizerError, match="takes a str"):
        TokenizerPipeline().tokenize(["a list"])  # type: ignore[arg-type]
    with pytest.raises(TokenizerError, match="not one str"):
        next(TokenizerPipeline().tokenize_many("one string"))


def test_protected_tokens_pass_whole():
    pipe = TokenizerPipeline(
        normalizer=NumberNormalizer("token"), pre_tokenizer=RegexWords(), special_tokens=["<s>"]
    )
    assert pipe.tokenize("<s>It costs $3.50, not 4.") == [
        "<s>", "It", "costs", "$", "<num>", ",", "not", "<num>", ".",
    ]  # fmt: skip
    assert pipe.tokenize("x<s><s>y") == ["x", "<s>", "<s>", "y"]


def test_tokenize_many_streams():
    def lines():
        yield "first line"
        raise AssertionError("read past the first line before it was asked for")

    assert next(get_tokenizer("regex").tokenize_many(lines())) == ["first", "line"]


def test_save_writes_one_json_file(tmp_path):
    path = tmp_path / "tok.json"
    trained("bpe").save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["tok.json"]  # no temporary left behind
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "embedlayer.tokenizer"
    assert data["format_version"] == FORMAT_VERSION == 1
    assert data["model"]["type"] == "BPE"
    assert data["model"]["tokenizer"]["model"]["type"] == "BPE"  # the trained model, nested


def test_pipeline_saved_before_the_min_count_rename_still_loads(tmp_path):
    pipe = trained("bpe")
    data = pipe.to_dict()
    config = data["model"]["config"]
    config["min_frequency"] = config.pop("min_count")  # as files saved before issue 13
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_tokenizer(path)
    assert loaded.model.config == pipe.model.config  # type: ignore[attr-defined]
    assert loaded.tokenize(TRAIN_TEXT[0]) == pipe.tokenize(TRAIN_TEXT[0])


SAMPLES = ["Hello, World! naïve 3.14 <s> 1,000", "我爱北京天安门。", "", "Zürich's well-known café"]


@pytest.mark.parametrize("index", range(4))
def test_word_pipelines_round_trip(tmp_path, index):
    pipe = word_pipelines()[index]
    pipe.save(tmp_path / "p.json")
    loaded = load_tokenizer(tmp_path / "p.json")
    assert loaded.to_dict() == pipe.to_dict()
    assert [loaded.tokenize(s) for s in SAMPLES] == [pipe.tokenize(s) for s in SAMPLES]


@pytest.mark.parametrize("kind", ["bpe", "wordpiece"])
def test_subword_pipelines_round_trip(tmp_path, kind):
    pipe = trained(kind)
    pipe.save(tmp_path / "p.json")
    loaded = load_tokenizer(tmp_path / "p.json")
    assert loaded.to_dict() == pipe.to_dict()
    assert list(loaded.tokenize_many(SAMPLES)) == list(pipe.tokenize_many(SAMPLES))


def test_untrained_subword_pipeline_round_trips_and_still_refuses(tmp_path):
    pipe = TokenizerPipeline(model=text_pkg.BPE(vocab_size=100))
    pipe.save(tmp_path / "p.json")
    loaded = load_tokenizer(tmp_path / "p.json")
    assert loaded.model.config == pipe.model.config
    with pytest.raises(TokenizerError, match="not trained"):
        loaded.tokenize("hello")


@functools.cache
def reloaded() -> list[tuple[TokenizerPipeline, TokenizerPipeline]]:
    pairs = []
    for pipe in [*word_pipelines(), trained("bpe"), trained("wordpiece")]:
        pairs.append((pipe, pipeline_from_dict(json.loads(json.dumps(pipe.to_dict())))))
    return pairs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_loaded_pipelines_tokenize_like_the_originals(text):
    for original, loaded in reloaded():
        assert loaded.tokenize(text) == original.tokenize(text)


def _write(tmp_path, data, name="bad.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _good():
    return TokenizerPipeline(
        normalizer=NormalizerSequence((UnicodeNormalizer(), Lowercase())),
        pre_tokenizer=RegexWords(),
    ).to_dict()


def _bpe_dict():
    return trained("bpe").to_dict()


def _edit(base, path, value):
    data = json.loads(json.dumps(base()))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "'(top level)'"),
        (lambda: _edit(_good, ["format_version"], 2), "'format_version'"),
        (lambda: _edit(_good, ["format_version"], "1"), "'format_version'"),
        (lambda: _edit(_good, ["format_version"], KeyError), "'format_version'"),
        (lambda: _edit(_good, ["format"], "huggingface"), "'format'"),
        (lambda: _edit(_good, ["model"], KeyError), "'model'"),
        (lambda: _edit(_good, ["pre_tokenizer", "type"], "Evil"), "'pre_tokenizer.type'"),
        (lambda: _edit(_good, ["normalizer", "normalizers", 1, "type"], "X"),
         "'normalizer.normalizers[1].type'"),
        (lambda: _edit(_good, ["normalizer", "normalizers", 0, "form"], "NFX"),
         "'normalizer.normalizers[0]'"),
        (lambda: _edit(_good, ["normalizer", "normalizers", 1, "eval"], "x"),
         "'normalizer.normalizers[1].eval'"),
        (lambda: _edit(_good, ["pre_tokenizer", "pattern_version"], 7), "'pre_tokenizer'"),
        (lambda: _edit(_good, ["special_tokens"], ["a b"]), "'special_tokens'"),
        (lambda: _edit(_good, ["surprise"], 1), "'surprise'"),
        (lambda: _edit(_bpe_dict, ["model", "tokenizer", "model", "type"], "Unigram"),
         "'model.tokenizer'"),
        (lambda: _edit(_bpe_dict, ["model", "tokenizer", "model", "vocab"], "garbage"),
         "'model.tokenizer'"),
        (lambda: _edit(_bpe_dict, ["model", "tokenizer", "pre_tokenizer"], {"type": "Whitespace"}),
         "'model.tokenizer'"),
        (lambda: _edit(_bpe_dict, ["model", "config", "vocab_size"], -3), "'model.config'"),
        (lambda: _edit(_bpe_dict, ["model", "type"], "WordPiece"), "'model.tokenizer'"),
    ],
)  # fmt: skip
def test_bad_files_raise_format_error_naming_file_and_field(tmp_path, data, field):
    path = _write(tmp_path, data() if callable(data) else data)
    with pytest.raises(FormatError) as info:
        load_tokenizer(path)
    message = str(info.value)
    assert str(path) in message and field in message, message


def test_non_utf8_and_missing_files(tmp_path):
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"format": "\xe9"}')
    with pytest.raises(FormatError, match="latin1.json: not UTF-8"):
        load_tokenizer(bad)
    with pytest.raises(MissingFileError, match="nowhere.json"):
        load_tokenizer(tmp_path / "nowhere.json")


def test_get_tokenizer_by_name():
    assert TOKENIZER_NAMES == ("whitespace", "regex", "jieba", "jieba-t2s")
    assert get_tokenizer("whitespace").tokenize("A b,c") == ["A", "b,c"]
    assert get_tokenizer("whitespace", lowercase=True).tokenize("A b,c") == ["a", "b,c"]
    assert get_tokenizer("regex", lowercase=True).tokenize("A b,c") == ["a", "b", ",", "c"]
    assert get_tokenizer("jieba").tokenize("我爱北京") == ["我", "爱", "北京"]


def test_get_tokenizer_unknown_name_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="did you mean 'regex'") as info:
        get_tokenizer("regx")
    assert "whitespace, regex, jieba, jieba-t2s" in str(info.value)
    with pytest.raises(ConfigError, match="expected one of"):
        get_tokenizer("spacy")


def test_get_tokenizer_from_a_file(tmp_path):
    path = tmp_path / "t.json"
    get_tokenizer("regex").save(path)
    assert get_tokenizer(str(path)).tokenize("Hi there") == ["Hi", "there"]
    lowered = get_tokenizer(str(path), lowercase=True)
    assert lowered.tokenize("Hi there") == ["hi", "there"]
    assert isinstance(lowered.normalizer.normalizers[0], Lowercase)
    again = get_tokenizer(str(path), lowercase=True)  # not lower-cased twice
    assert again.to_dict() == lowered.to_dict()
    with pytest.raises(MissingFileError):
        get_tokenizer(str(tmp_path / "missing.json"))


def test_train_subword_checks_its_options():
    with pytest.raises(ConfigError, match="bpe, wordpiece"):
        train_subword(["a"], model="unigram", vocab_size=10)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown tokenizer"):
        train_subword(["a"], model="bpe", vocab_size=10, pre_tokenizer="spaces")


def test_public_api_is_pinned():
    assert sorted(text_pkg.__all__) == sorted([
        "BPE", "BPEConfig", "ChineseConversion", "FORMAT_VERSION", "JiebaSegmenter", "Lowercase",
        "Model", "Normalizer", "NormalizerSequence", "NumberMode", "NumberNormalizer",
        "PreTokenizer", "RegexWords", "SegmentationScore", "StripAccents", "SubwordKind",
        "TOKENIZER_NAMES", "TokenStream", "Tokenizer", "TokenizerPipeline", "UnicodeForm",
        "UnicodeNormalizer",
        "WhitespaceSplit", "WordLevel", "WordPiece", "WordPieceConfig", "component_from_dict",
        "evaluate_segmenter", "get_tokenizer", "load_tokenizer", "pipeline_from_dict",
        "segmentation_f1", "t2s_char_table", "train_subword",
    ])  # fmt: skip
    assert all(hasattr(text_pkg, name) for name in text_pkg.__all__)


def test_import_is_lazy():
    code = (
        "import sys, embedlayer.text\n"
        "heavy = [m for m in ('jieba', 'tokenizers', 'opencc') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_many_lines_match_one_by_one(data_dir):
    with open(data_dir / "corpora" / "en" / "webtext.txt", encoding="utf-8") as fh:
        lines = [line.rstrip("\n") for line in itertools.islice(fh, 2000)]
    pipe = get_tokenizer("regex", lowercase=True)
    assert list(pipe.tokenize_many(lines)) == [pipe.tokenize(line) for line in lines]
