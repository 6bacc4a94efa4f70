"""`embedlayer corpus stats|wiki`: output, exit codes, one-line errors, --help."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import get_args

import pytest

import embedlayer.cli._corpus as corpus_cli
import embedlayer.cli.main as cli
from embedlayer.corpus import DecodePolicy, DocumentUnit, WikiLineUnit


def _rows(out: str) -> dict[str, int]:
    return {line[:14].strip(): int(line[14:]) for line in out.splitlines()}


def test_stats_prints_counts(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.txt").write_text("one two three\n\nfour\n", encoding="utf-8")
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"five six\n"))
    assert cli.main(["corpus", "stats", "--quiet", str(tmp_path)]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows["files"] == 2 and rows["lines"] == 4 and rows["items"] == 3
    assert rows["tokens"] == 6 and rows["decode errors"] == 0
    assert rows["bytes"] == 20 + (tmp_path / "b.txt.gz").stat().st_size


def test_stats_json_and_decode_policy(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good line\nbad \xff line\n")
    assert cli.main(["corpus", "stats", "--json", "--errors", "replace", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["decode_errors"] == 1 and report["replaced"] == 1 and report["tokens"] == 5


def test_errors_are_one_line_and_exit_1(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\nbad \xff\n")
    assert cli.main(["corpus", "stats", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("embedlayer corpus: error:") and "line 2" in err and "\n" not in err
    # the hint names the flag, not the Python keyword
    assert "pass --errors replace or --errors skip-line" in err and "errors='" not in err
    assert cli.main(["corpus", "stats", str(tmp_path / "missing.txt")]) == 1
    assert "missing.txt" in capsys.readouterr().err
    assert cli.main(["corpus", "wiki", str(tmp_path / "no.xml.bz2"), "-o", "x.txt"]) == 1


def test_wiki_writes_one_article_a_line(tmp_path: Path, capsys) -> None:
    xml = (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><page><title>A</title>'
        "<ns>0</ns><revision><text>'''A''' is [[b|c]].\n\nMore.</text></revision></page></mediawiki>"
    )
    dump = tmp_path / "d.xml.bz2"
    dump.write_bytes(bz2.compress(xml.encode()))
    out = tmp_path / "out.txt"
    assert cli.main(["corpus", "wiki", str(dump), "-o", str(out), "--min-chars", "0"]) == 0
    assert out.read_text(encoding="utf-8") == "A is c. More.\n"
    assert "wrote 1 articles" in capsys.readouterr().out


def test_wiki_refuses_an_existing_output_before_reading_unless_force(tmp_path: Path, capsys) -> None:
    xml = (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><page><title>A</title>'
        "<ns>0</ns><revision><text>Some text.</text></revision></page></mediawiki>"
    )
    dump = tmp_path / "d.xml.bz2"
    dump.write_bytes(bz2.compress(xml.encode()))
    out = tmp_path / "out.txt"
    out.write_text("precious")
    argv = ["corpus", "wiki", str(dump), "-o", str(out), "--min-chars", "0", "--quiet"]
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    assert "already exists; pass --force" in captured.err and captured.out == ""
    assert out.read_text() == "precious"
    assert cli.main([*argv, "--force"]) == 0
    assert out.read_text(encoding="utf-8") == "Some text.\n"
    assert cli.main(["corpus", "wiki", str(dump), "-o", str(dump), "--force"]) == 1
    assert "also an input" in capsys.readouterr().err


def test_cli_hints_match_the_library_hint() -> None:
    from embedlayer.cli._outputs import _HINTS
    from embedlayer.corpus._lines import DECODE_HINT

    assert DECODE_HINT in _HINTS


@pytest.mark.slow
def test_wiki_on_the_real_dump(data_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "enwiki.txt"
    dump = data_dir / "corpora/en/enwiki-sample.xml.bz2"
    assert cli.main(["corpus", "wiki", str(dump), "-o", str(out), "--quiet"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert f"wrote {len(lines)} articles" in capsys.readouterr().out
    assert 100 <= len(lines) <= 106 and all(len(line) >= 200 for line in lines)


@pytest.mark.parametrize("argv", [["corpus"], ["corpus", "stats"], ["corpus", "wiki"]])
def test_help(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([*argv, "--help"])
    assert info.value.code == 0
    assert "usage: embedlayer corpus" in capsys.readouterr().out


def test_cli_choices_match_the_library_modes() -> None:
    assert get_args(DecodePolicy) == corpus_cli.DECODE_POLICIES
    assert get_args(DocumentUnit) == corpus_cli.DOCUMENT_UNITS
    assert get_args(WikiLineUnit) == corpus_cli.WIKI_LINE_UNITS
