"""`embedlayer vocab ...` and `embedlayer demo` end to end, on the real shared corpora."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from embedlayer.cli.main import main
from embedlayer.vocab import load_counter, load_vocab


@pytest.fixture(scope="module")
def english_files(data_dir):
    files = sorted((data_dir / "corpora" / "en").glob("*.txt"))
    assert len(files) == 8
    return files


@pytest.fixture(scope="module")
def independent_counts(english_files):
    """Counted without embedlayer: plain open() and str.split()."""
    counts: Counter[str] = Counter()
    for path in english_files:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                counts.update(line.split())
    return counts


@pytest.mark.slow
def test_vocab_build_over_all_english_corpora_matches_an_independent_count(
    tmp_path, english_files, independent_counts, capsys
):
    out = tmp_path / "vocab.tsv"
    shard = tmp_path / "counts.tsv"
    code = main(["vocab", "build", *map(str, english_files), "--tokenizer", "whitespace",
                 "--counts-output", str(shard), "-o", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"{sum(independent_counts.values()):,}" in printed  # about 4.2M tokens
    counter = load_counter(shard)
    assert dict(counter) == dict(independent_counts)
    vocab = load_vocab(out)
    assert len(vocab) == len(independent_counts)
    assert {t: vocab.count(t) for t in vocab} == dict(independent_counts)
    assert vocab.tokens[0] == "the" or vocab.tokens[0] == independent_counts.most_common(1)[0][0]


@pytest.mark.slow
def test_vocab_build_regex_lowercase_matches_an_independent_regex_count(tmp_path, data_dir):
    # An independent word pattern written with the stdlib: letters/digits runs and single
    # punctuation marks. On Brown's already-tokenized ASCII-ish text both must agree on the
    # alphabetic words.
    path = data_dir / "corpora" / "en" / "brown.txt"
    out = tmp_path / "v.json"
    assert main(["vocab", "build", str(path), "--lower", "--min-count", "3", "-o", str(out)]) == 0
    vocab = load_vocab(out)
    word = re.compile(r"^[a-z]+$")
    ref: Counter[str] = Counter()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            ref.update(t for t in line.lower().split() if word.match(t))
    for tok in ("the", "jury", "said", "county", "election"):
        assert vocab.count(tok) == ref[tok]


def test_count_then_merge_equals_build(tmp_path, data_dir, capsys):
    a = data_dir / "corpora" / "en" / "genesis.txt"
    b = data_dir / "corpora" / "en" / "inaugural.txt"
    assert main(["vocab", "count", str(a), "--quiet", "-o", str(tmp_path / "a.tsv")]) == 0
    assert main(["vocab", "count", str(b), "--quiet", "-o", str(tmp_path / "b.json")]) == 0
    assert main(["vocab", "merge", str(tmp_path / "a.tsv"), str(tmp_path / "b.json"),
                 "--min-count", "2", "--specials", "<pad>,<unk>", "-o", str(tmp_path / "m.tsv")]) == 0
    assert main(["vocab", "build", str(a), str(b), "--quiet", "--min-count", "2",
                 "--specials", "<pad>,<unk>", "-o", str(tmp_path / "whole.tsv")]) == 0
    assert load_vocab(tmp_path / "m.tsv") == load_vocab(tmp_path / "whole.tsv")
    assert load_vocab(tmp_path / "m.tsv").specials == ("<pad>", "<unk>")
    capsys.readouterr()
    assert main(["vocab", "info", str(tmp_path / "m.tsv"), "--topn", "3"]) == 0
    assert "<pad>, <unk>" in capsys.readouterr().out


def test_memory_cap_is_reported(tmp_path, data_dir, capsys):
    path = data_dir / "corpora" / "en" / "genesis.txt"
    assert main(["vocab", "build", str(path), "--quiet", "--max-types", "500",
                 "-o", str(tmp_path / "v.tsv")]) == 0
    out = capsys.readouterr().out
    assert "pruned" in out and "memory cap 500" in out
    assert len(load_vocab(tmp_path / "v.tsv")) <= 500


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["vocab", "build", "{tmp}/missing.txt", "-o", "{tmp}/v.tsv"], "missing.txt"),
        (["vocab", "build", "{tmp}/empty.txt", "-o", "{tmp}/v.tsv"], "empty"),
        (["vocab", "build", "{tmp}/one.txt", "--min-count", "9", "-o", "{tmp}/v.tsv"],
         "lower --min-count (now 9)"),
        (["vocab", "build", "{tmp}/one.txt", "--min-count", "0", "-o", "{tmp}/v.tsv"],
         "--min-count must be >= 1, got 0"),
        (["vocab", "build", "{tmp}/one.txt", "--max-vocab", "0", "-o", "{tmp}/v.tsv"],
         "--max-vocab must be >= 1, got 0"),
        (["vocab", "count", "{tmp}/one.txt", "--max-types", "0", "-o", "{tmp}/v.tsv"],
         "--max-types must be >= 1, got 0"),
        (["vocab", "build", "{tmp}/one.txt", "-o", "{tmp}/v.tsv", "--counts-output", "{tmp}/v.tsv"],
         "the same file as -o/--output"),
        (["vocab", "build", "{tmp}/one.txt", "-o", "{tmp}/one.txt", "--force"], "also an input"),
        (["vocab", "build", "{tmp}/one.txt", "-o", "{tmp}"], "is a folder"),
        (["vocab", "build", "{tmp}/one.txt", "--specials", "<pad>,<pad>", "-o", "{tmp}/v.tsv"],
         "--specials '<pad>,<pad>' repeats a token"),
        (["vocab", "build", "{tmp}/latin1.txt", "--quiet", "-o", "{tmp}/v.tsv"],
         "pass --errors replace or --errors skip-line"),
        (["vocab", "build", "{tmp}/one.txt", "--tokenizer", "regexx", "-o", "{tmp}/v.tsv"], "regex"),
        (["vocab", "info", "{tmp}/one.txt"], "one.txt"),
        (["vocab", "merge", "{tmp}/one.txt", "-o", "{tmp}/v.tsv"], "one.txt"),
    ],
)
def test_bad_input_gives_one_line_and_no_output_file(tmp_path, capsys, argv, message):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "one.txt").write_text("just one line\n")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    code = main([a.format(tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "v.tsv").exists()


def test_vocab_cli_formats_match_the_library():
    from embedlayer.cli._vocab import VOCAB_FORMATS
    from embedlayer.vocab import VOCAB_FORMATS as LIBRARY_FORMATS

    assert VOCAB_FORMATS == LIBRARY_FORMATS


@pytest.mark.parametrize("command", ["build", "count", "merge"])
def test_existing_output_is_refused_before_counting_unless_force(tmp_path, capsys, command):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b a\nb a\n")
    out = tmp_path / "out.tsv"
    out.write_text("precious\n")
    inputs = [str(corpus)]
    if command == "merge":
        (tmp_path / "shard.vocab").write_text("a 3\nb 2\n")
        inputs = [str(tmp_path / "shard.vocab")]
    argv = ["vocab", command, *inputs, "-o", str(out)] + (["--quiet"] if command != "merge" else [])
    assert main(argv) == 1
    err = capsys.readouterr()
    assert "already exists; pass --force" in err.err and str(out) in err.err
    assert err.out == ""  # refused before any counting was printed
    assert out.read_text() == "precious\n"
    assert main([*argv, "--force"]) == 0
    assert out.read_text() != "precious\n"


def test_max_vocab_caps_the_final_vocabulary(tmp_path, data_dir):
    path = data_dir / "corpora" / "en" / "genesis.txt"
    out = tmp_path / "v.json"
    assert main(["vocab", "build", str(path), "--quiet", "--max-vocab", "50",
                 "--specials", "<pad>,<unk>", "-o", str(out)]) == 0
    vocab = load_vocab(out)
    assert len(vocab) == 52 and vocab.specials == ("<pad>", "<unk>")


def test_word_count_files_are_read_by_info_and_merge_and_written_by_build(tmp_path, capsys):
    # the plain format word2vec's -save-vocab writes: "word count" a line, no header
    w2v = tmp_path / "w2v-vocab.txt"
    w2v.write_text("</s> 4\nthe 9\ncat 3\n")
    assert main(["vocab", "info", str(w2v), "--topn", "2", "--from", "word-count"]) == 0
    out = capsys.readouterr().out
    assert "total count" in out and "16" in out and "the" in out
    assert main(["vocab", "info", str(w2v), "--top", "1"]) == 0  # the old spelling
    assert "    2  cat" not in capsys.readouterr().out
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat\nthe dog\n")
    assert main(["vocab", "merge", str(w2v), str(tmp_path / "w2v-vocab.txt"), "--from",
                 "word-count", "-o", str(tmp_path / "m.vocab")]) == 0
    merged = (tmp_path / "m.vocab").read_text().splitlines()
    assert merged == ["the 18", "</s> 8", "cat 6"]  # the .vocab suffix: word-count out
    assert main(["vocab", "build", str(corpus), "--quiet", "--tokenizer", "whitespace",
                 "--format", "word-count", "-o", str(tmp_path / "b.txt")]) == 0
    assert (tmp_path / "b.txt").read_text().splitlines() == ["the 2", "cat 1", "dog 1"]
    assert load_vocab(tmp_path / "b.txt").tokens == ["the", "cat", "dog"]
    (tmp_path / "bad.txt").write_text("the 9\ncat three\n")
    capsys.readouterr()
    assert main(["vocab", "info", str(tmp_path / "bad.txt")]) == 1
    err = capsys.readouterr().err
    assert "bad.txt" in err and "line 2" in err and err.count("\n") == 1


def test_demo_runs_on_a_small_corpus_and_saves_its_files(tmp_path, capsys):
    import torch  # the test extra installs it: never skipped
    out = tmp_path / "demo"
    threads = torch.get_num_threads()
    try:
        assert main(["demo", "--quick", "--corpus", "genesis,lee-background",
                     "--quiet", "--workers", "1", "-o", str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert "genesis" in printed and "Zipf slope" in printed
    assert "ws353-all" in printed and "google-analogy" in printed
    assert "test [loss, accuracy]:" in printed and "precision" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "classifier", "counts.tsv", "demo.json", "eval.json", "tokenizer.json", "vectors",
        "vocab.tsv"]
    vocab = load_vocab(out / "vocab.tsv")
    assert vocab.specials == ("<pad>", "<unk>") and "god" in vocab
    report = json.loads((out / "demo.json").read_text())
    loss, accuracy = report["classifier"]["loss"], report["classifier"]["accuracy"]
    assert f"[{loss:.4f}, {accuracy:.4f}]" in printed
    assert set(report["evaluation"]) == {"ws353-all", "simlex999", "men3k", "google-analogy"}
    from embedlayer.tasks import TextClassifier
    from embedlayer.vectors.io import load_vectors

    assert len(load_vectors(out / "vectors")) == report["vectors"]["words"]
    clf = TextClassifier.load(out / "classifier", progress=False)
    assert clf.predict(["a moving , funny film"])[0] in ("neg", "pos")
