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
    assert main(["vocab", "info", str(tmp_path / "m.tsv"), "--top", "3"]) == 0
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
        (["vocab", "build", "{tmp}/one.txt", "--min-count", "9", "-o", "{tmp}/v.tsv"], "min_count=9"),
        (["vocab", "build", "{tmp}/one.txt", "--tokenizer", "regexx", "-o", "{tmp}/v.tsv"], "regex"),
        (["vocab", "info", "{tmp}/one.txt"], "one.txt"),
        (["vocab", "merge", "{tmp}/one.txt", "-o", "{tmp}/v.tsv"], "one.txt"),
    ],
)
def test_bad_input_gives_one_line_and_no_output_file(tmp_path, capsys, argv, message):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "one.txt").write_text("just one line\n")
    code = main([a.format(tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "v.tsv").exists()


def test_demo_runs_on_a_small_corpus_and_saves_its_files(tmp_path, capsys):
    import torch  # the test extra installs it: never skipped
    out = tmp_path / "demo"
    threads = torch.get_num_threads()
    try:
        assert main(["demo", "--quick", "--corpus", "genesis", "--corpus", "lee-background",
                     "--quiet", "--threads", "1", "-o", str(out)]) == 0
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
