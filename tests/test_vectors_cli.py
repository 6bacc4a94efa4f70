"""`embedlayer vectors info | convert | similar | analogy` end to end on the shared files."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pytest

from embedlayer.cli import _vectors
from embedlayer.cli.main import _COMMANDS
from embedlayer.cli.main import main as embedlayer_main
from embedlayer.errors import EmbedlayerError
from embedlayer.vectors.io import load_vectors

SUBCOMMANDS = ("info", "convert", "similar", "analogy")


def run(argv: list[str]) -> int:
    """What ``embedlayer ...`` does, with the vectors command registered on a private parser
    (cli/main.py lists its commands itself)."""
    if "vectors" in _COMMANDS:
        return embedlayer_main(argv)
    parser = argparse.ArgumentParser(prog="embedlayer")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _vectors.register(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except EmbedlayerError as exc:
        print(f"embedlayer {args.command}: error: {exc}", file=sys.stderr)
        return 1


@pytest.fixture(scope="module")
def binary(data_dir):
    return data_dir / "formats" / "euclidean_vectors.bin"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        run(["vectors", command, "--help"])
    assert info.value.code == 0
    assert f"usage: embedlayer vectors {command}" in capsys.readouterr().out


def test_info(binary, capsys):
    assert run(["vectors", "info", str(binary), "--topn", "3"]) == 0
    out = capsys.readouterr().out
    assert "format       word2vec-binary" in out
    assert "vectors             2,747" in out
    assert "dim                    10" in out
    assert "dtype        float32" in out
    norms = np.linalg.norm(load_vectors(binary).matrix, axis=1)
    assert f"max {norms.max():.4g}" in out and "zero rows: 0" in out
    assert "keys         the, to, of, ..." in out


def test_info_on_a_fasttext_model(data_dir, capsys):
    assert run(["vectors", "info", str(data_dir / "formats" / "lee_fasttext_new.bin")]) == 0
    out = capsys.readouterr().out
    assert "format       fasttext-bin" in out and "1,763" in out


@pytest.mark.parametrize("to", ["native", "word2vec-text", "glove", "npy", "projector-tsv",
                                "fasttext-vec", "word2vec-binary"])
def test_convert_then_read_back(binary, tmp_path, to, capsys):
    out = tmp_path / f"converted-{to}"
    assert run(["vectors", "convert", str(binary), "-o", str(out), "--format", to]) == 0
    assert f"wrote {out} ({to}, 2,747 x 10)" in capsys.readouterr().out
    original, converted = load_vectors(binary), load_vectors(out)
    assert converted.keys == original.keys
    assert np.array_equal(converted.matrix, original.matrix)


def test_convert_with_from_and_limit(data_dir, tmp_path, capsys):
    glove = data_dir / "formats" / "test_glove.txt"
    out = tmp_path / "g.bin"
    assert run(["vectors", "convert", str(glove), "-o", str(out), "--from", "glove", "--format",
                "word2vec-binary", "--limit", "5"]) == 0
    capsys.readouterr()
    converted = load_vectors(out)
    assert converted.keys == load_vectors(glove).keys[:5]


def test_convert_refuses_fasttext_bin_as_a_target(binary, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        run(["vectors", "convert", str(binary), "-o", str(tmp_path / "x"), "--format",
             "fasttext-bin"])
    assert info.value.code == 2
    assert "invalid choice: 'fasttext-bin'" in capsys.readouterr().err


def test_similar_matches_vectors_most_similar(binary, capsys):
    assert run(["vectors", "similar", str(binary), "president", "--topn", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = load_vectors(binary).most_similar("president", topn=4)
    assert len(lines) == 4
    for line, (word, score) in zip(lines, expected, strict=True):
        assert line.split() == [line.split()[0], word, f"{score:.4f}"]


def test_analogy_matches_vectors_analogy(binary, capsys):
    assert run(["vectors", "analogy", str(binary), "man", "king", "woman", "--topn", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = load_vectors(binary).analogy("man", "king", "woman", topn=3)
    assert [line.split()[1] for line in lines] == [w for w, _ in expected]
    assert run(["vectors", "analogy", str(binary), "man", "king", "woman", "--method",
                "3cosmul", "--topn", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_similar_on_a_fasttext_model(data_dir, capsys):
    assert run(["vectors", "similar", str(data_dir / "formats" / "toy-model.bin"), "the",
                "--topn", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_oov_compose_answers_for_unknown_words_on_fasttext_models_only(data_dir, binary,
                                                                         capsys):
    model = str(data_dir / "formats" / "lee_fasttext_new.bin")
    assert run(["vectors", "similar", model, "governmnet"]) == 1
    assert "pass --oov compose" in capsys.readouterr().err
    assert run(["vectors", "similar", model, "governmnet", "--oov", "compose", "--topn",
                "3"]) == 0
    expected = load_vectors(model).most_similar("governmnet", topn=3)
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == [
        w for w, _ in expected]
    assert run(["vectors", "analogy", model, "government", "governments", "presidentt",
                "--oov", "compose", "--topn", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert run(["vectors", "similar", str(binary), "the", "--oov", "compose"]) == 1
    assert "--oov compose needs a fastText .bin model" in capsys.readouterr().err


def test_convert_refuses_an_existing_output_before_reading_the_input(binary, tmp_path, capsys):
    out = tmp_path / "notes.txt"
    out.write_text("unrelated")
    broken = tmp_path / "broken.vec"
    broken.write_bytes(b"\x00garbage")
    assert run(["vectors", "convert", str(broken), "-o", str(out), "--format", "glove"]) == 1
    err = capsys.readouterr().err
    assert "notes.txt: the output file exists; pass --force" in err and "garbage" not in err
    assert out.read_text() == "unrelated"
    assert run(["vectors", "convert", str(binary), "-o", str(out), "--format", "glove",
                "--force"]) == 0
    assert load_vectors(out).keys == load_vectors(binary).keys


def test_convert_never_replaces_its_own_input_even_with_force(binary, tmp_path, capsys):
    same = tmp_path / "v.bin"
    same.write_bytes(binary.read_bytes())
    assert run(["vectors", "convert", str(same), "-o", str(same), "--format", "glove",
                "--force"]) == 1
    assert f"-o/--output {same}: is also an input" in capsys.readouterr().err
    assert same.read_bytes() == binary.read_bytes()
    inner = tmp_path / "model" / "v.bin"  # an output folder holding the input
    inner.parent.mkdir()
    inner.write_bytes(binary.read_bytes())
    assert run(["vectors", "convert", str(inner), "-o", str(inner.parent), "--format",
                "native", "--force"]) == 1
    assert f"holds the input {inner}" in capsys.readouterr().err
    assert inner.read_bytes() == binary.read_bytes()


def test_old_flag_spellings_still_work(binary, tmp_path, capsys):
    out = tmp_path / "g.txt"
    assert run(["vectors", "convert", str(binary), "-o", str(out), "--to", "glove"]) == 0
    assert load_vectors(out, format="glove").keys == load_vectors(binary).keys
    assert run(["vectors", "info", str(binary), "--keys", "2"]) == 0
    assert "keys         the, to, ..." in capsys.readouterr().out


def test_convert_with_a_positional_output_is_an_error_with_a_hint(binary, tmp_path, capsys):
    assert run(["vectors", "convert", str(binary), str(tmp_path / "o"), "--format", "glove"]) == 1
    assert f"convert {binary} -o {tmp_path / 'o'} --format glove" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert run(["vectors", "convert", str(binary), "--format", "glove"]) == 1
    assert "-o/--output is required" in capsys.readouterr().err


def test_encoding_and_lossless_unicode_errors(tmp_path, capsys):
    src = tmp_path / "cp852.txt"
    src.write_bytes("2 2\nžluť 1 2\nčaj 3 4\n".encode("cp852"))
    assert run(["vectors", "info", str(src)]) == 1
    err = capsys.readouterr().err
    assert "--unicode-errors surrogateescape" in err and "--encoding cp1252" in err
    assert "unicode_errors=" not in err and "encoding=" not in err
    assert run(["vectors", "convert", str(src), "--encoding", "cp852", "-o",
                str(tmp_path / "u.txt"), "--format", "word2vec-text", "--quiet"]) == 0
    assert load_vectors(tmp_path / "u.txt").keys == ["žluť", "čaj"]
    # Undecodable bytes survive a round trip with surrogateescape.
    assert run(["vectors", "convert", str(src), "--unicode-errors", "surrogateescape", "-o",
                str(tmp_path / "same.txt"), "--format", "word2vec-text"]) == 0
    assert (tmp_path / "same.txt").read_bytes().split(b"\n")[1].split(b" ")[0] == \
        "žluť".encode("cp852")


def test_error_hints_name_cli_flags(tmp_path, capsys):
    rows = tmp_path / "rows.txt"
    rows.write_bytes(b"3 2\na 1 2\nb 3 4\n")
    assert run(["vectors", "info", str(rows)]) == 1
    err = capsys.readouterr().err
    assert "--limit 2" in err and "limit=" not in err
    odd = tmp_path / "odd.txt"
    odd.write_bytes(b"1990 5\n1991 6\n")
    assert run(["vectors", "convert", str(odd), "-o", str(tmp_path / "x"), "--format",
                "glove"]) == 1
    assert "--from glove or --from word2vec-text" in capsys.readouterr().err
    assert run(["vectors", "info", str(odd), "--from", "glove"]) == 0


def test_empty_query_word_is_refused(binary, capsys):
    assert run(["vectors", "similar", str(binary), ""]) == 1
    assert "query word must be non-empty" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["vectors", "info", "missing.bin"], "missing.bin: no such file"),
    (["vectors", "similar", "{bin}", "notaword"], "'notaword' is not among"),
    (["vectors", "similar", "{bin}", "the", "--topn", "0"], "--topn must be >= 1"),
    (["vectors", "info", "{bin}", "--from", "glove"],
     "euclidean_vectors.bin: line 1: '2747 10' is a word2vec header"),
    (["vectors", "info", "{bin}", "--limit", "0"], "--limit must be >= 1, got 0"),
])
def test_errors_are_one_line(binary, argv, message, capsys):
    argv = [a.replace("{bin}", str(binary)) for a in argv]
    assert run(argv) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and message in captured.err
    assert captured.err.startswith("embedlayer vectors: error: ")
