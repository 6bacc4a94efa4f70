"""`embedlayer tokenize ...` through the real entry point: output, files, errors, --help."""

from __future__ import annotations

import io
import json

import pytest

from embedlayer.cli.main import main


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_run_prints_tokens_per_line(tmp_path, capsys):
    path = _file(tmp_path, "in.txt", "Hello, World!\n\nDon't panic: 3.14\n")
    assert main(["tokenize", "run", "--lower", path]) == 0
    assert capsys.readouterr().out == "hello , world !\n\ndon't panic : 3.14\n"


def test_run_reads_stdin_and_several_files(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a  b\nc\n"))
    assert main(["tokenize", "run", "--tokenizer", "whitespace"]) == 0
    assert capsys.readouterr().out == "a b\nc\n"
    one, two = _file(tmp_path, "1.txt", "x\n"), _file(tmp_path, "2.txt", "我爱北京\n")
    assert main(["tokenize", "run", "-t", "jieba", one, two]) == 0
    assert capsys.readouterr().out == "x\n我 爱 北京\n"


def test_train_then_run_with_the_saved_file(tmp_path, capsys):
    corpus = _file(tmp_path, "c.txt", "low lower lowest\nnew newer newest\n" * 50)
    out = tmp_path / "bpe.json"
    argv = ["tokenize", "train", corpus, "--model", "bpe", "--vocab-size", "40", "-o", str(out)]
    assert main(argv) == 0
    assert "trained BPE" in capsys.readouterr().out
    assert json.loads(out.read_text(encoding="utf-8"))["model"]["type"] == "BPE"
    text = _file(tmp_path, "t.txt", "lowest newer\n")
    assert main(["tokenize", "run", "-t", str(out), text]) == 0
    tokens = capsys.readouterr().out.split()
    assert "".join(tokens) == "lowestnewer" and len(tokens) >= 2


def test_train_wordpiece(tmp_path, capsys):
    corpus = _file(tmp_path, "c.txt", "hug pug pun bun hugs\n" * 20)
    out = tmp_path / "wp.json"
    argv = ["tokenize", "train", corpus, "--model", "wordpiece", "--vocab-size", "30",
            "--special-tokens", "<pad>,<cls>", "--min-count", "1", "--quiet", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert "trained WordPiece" in capsys.readouterr().out
    config = json.loads(out.read_text(encoding="utf-8"))["model"]["config"]
    assert config["min_count"] == 1
    assert config["special_tokens"][:3] == ["<unk>", "<pad>", "<cls>"]  # comma-separated


def test_outputs_are_refused_before_work_unless_force(tmp_path, capsys):
    corpus = _file(tmp_path, "c.txt", "hug pug pun bun hugs\n" * 20)
    out = tmp_path / "wp.json"
    out.write_text("precious")
    argv = ["tokenize", "train", corpus, "--model", "wordpiece", "--vocab-size", "30",
            "--quiet", "-o", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "wp.json: already exists; pass --force" in err and err.count("\n") == 1
    assert out.read_text() == "precious"
    assert main([*argv, "--force"]) == 0 and out.read_text() != "precious"
    tokens = tmp_path / "tokens.txt"
    assert main(["tokenize", "run", corpus, "-o", str(tokens)]) == 0
    assert tokens.read_text(encoding="utf-8").splitlines()[0] == "hug pug pun bun hugs"
    assert main(["tokenize", "run", corpus, "-o", str(tokens)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["tokenize", "run", corpus, "-o", corpus, "--force"]) == 1
    assert "also an input" in capsys.readouterr().err


def test_segment_eval_prints_scores(tmp_path, capsys):
    gold = _file(tmp_path, "gold.txt", "我 爱 北京\n天安门\n")
    raw = _file(tmp_path, "raw.txt", "我爱北京\n天安门\n")
    assert main(["tokenize", "segment-eval", "--gold", gold, "--input", raw]) == 0
    out = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert out["f1"] == "1.0000" and out["lines"] == "2" and out["gold words"] == "4"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tokenize", "run", "missing.txt"], "missing.txt: no such file"),
        (["tokenize", "run", "-t", "regx"], "did you mean 'regex'"),
        (["tokenize", "train", "missing.txt", "--model", "bpe", "--vocab-size", "9", "-o", "o"],
         "missing.txt: no such file"),
        (["tokenize", "train", "{corpus}", "--model", "bpe", "--vocab-size", "9",
          "--min-count", "-1", "-o", "o"], "--min-count must be >= 0, got -1"),
    ],
)  # fmt: skip
def test_errors_are_one_line(argv, message, capsys, tmp_path):
    corpus = _file(tmp_path, "c.txt", "a b\n")
    assert main([a.replace("{corpus}", corpus) for a in argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_misaligned_segment_eval_is_an_error(tmp_path, capsys):
    gold = _file(tmp_path, "gold.txt", "我 爱\n")
    raw = _file(tmp_path, "raw.txt", "我爱北京\n")
    assert main(["tokenize", "segment-eval", "--gold", gold, "--input", raw]) == 1
    assert "line 1" in capsys.readouterr().err


def test_undecodable_input_is_an_error(tmp_path, capsys):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"caf\xe9\n")
    assert main(["tokenize", "run", str(path)]) == 1
    assert "not valid UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["tokenize", "--help"],
        ["tokenize", "run", "--help"],
        ["tokenize", "train", "--help"],
        ["tokenize", "segment-eval", "--help"],
    ],
)
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage: embedlayer tokenize" in capsys.readouterr().out
