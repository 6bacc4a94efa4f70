"""`embedlayer data list | path | info | verify` through cli.main.main (offline)."""

from __future__ import annotations

import shutil

import pytest

from embedlayer import data
from embedlayer.cli.main import main


@pytest.mark.parametrize("argv", [["data"], ["data", "list"], ["data", "path"], ["data", "info"],
                                  ["data", "verify"]])
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    assert "usage: embedlayer data" in capsys.readouterr().out


def test_list_shows_every_dataset_and_where_it_resolves(capsys, data_dir):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    header, *rows = out.split("\n\n")[0].splitlines()
    assert header.split() == ["NAME", "FILES", "SIZE", "FORMAT", "WHERE"]
    assert [r.split()[0] for r in rows] == [d.name for d in data.list_datasets()]
    polarity = next(r for r in rows if r.startswith("polarity2.0 "))
    assert polarity.split()[1] == "2000" and polarity.endswith("data path")
    assert f"data path: {data_dir}" in out
    wordnet = next(line for line in out.splitlines() if line.startswith("wordnet "))
    assert "WordNet" in wordnet  # found (its folder) or not (the install command)
    assert "/usr/share/wordnet" in wordnet or "apt-get install wordnet-base" in wordnet


def test_list_says_how_to_install_a_missing_system_resource(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("EMBEDLAYER_WORDNET", str(tmp_path / "nowhere"))
    assert main(["data", "list"]) == 0
    wordnet = next(line for line in capsys.readouterr().out.splitlines()
                   if line.startswith("wordnet "))
    assert "not found: apt-get install wordnet-base" in wordnet


def test_list_marks_datasets_in_the_cache_or_absent(monkeypatch, capsys, data_dir):
    from embedlayer import config

    monkeypatch.setenv("EMBEDLAYER_DATA", "")
    f = data.get("mc30").files[0]
    (config.cache_dir() / f.path).parent.mkdir(parents=True)
    shutil.copyfile(data_dir / f.path, config.cache_dir() / f.path)
    assert main(["data", "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line}
    assert rows["mc30"].endswith("cache")
    assert rows["brown"].endswith("not present")


def test_path_prints_the_local_path(capsys, data_dir):
    assert main(["data", "path", "simlex999"]) == 0
    assert capsys.readouterr().out.strip() == str(data_dir / "wordsim/EN-SIMLEX-999.txt")
    assert main(["data", "path", "trec", "train.txt"]) == 0
    assert capsys.readouterr().out.strip() == str(data_dir / "classify/trec/train.txt")


def test_unknown_name_is_one_line_with_suggestions(capsys):
    assert main(["data", "path", "simlex"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("embedlayer data: error: unknown dataset 'simlex'; did you mean "
                            "'simlex999'? `embedlayer data list` shows all 31 names\n")


def test_info_shows_origin_licence_and_download_urls(capsys, monkeypatch):
    monkeypatch.delenv("EMBEDLAYER_MIRROR", raising=False)
    assert main(["data", "info", "google-analogy"]) == 0
    out = capsys.readouterr().out
    assert "Mikolov et al. 2013" in out and "Apache-2.0" in out
    assert "raw.githubusercontent.com/piskvorky/gensim/4.4.0/" in out
    assert main(["data", "info", "brown"]) == 0
    assert "none (set EMBEDLAYER_MIRROR)" in capsys.readouterr().out


def test_verify_named_datasets_ok(capsys, data_dir):
    assert main(["data", "verify", "mr", "trec"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["OK", "mr", str(data_dir)]
    assert lines[-1] == "2 OK, 0 MISMATCH, 0 MISSING"


def test_verify_mismatch_exits_non_zero(tmp_path, capsys, data_dir):
    target = tmp_path / "wordsim/EN-RG-65.txt"
    target.parent.mkdir(parents=True)
    target.write_bytes((data_dir / "wordsim/EN-RG-65.txt").read_bytes().replace(b"3.94", b"3.95", 1))
    assert main(["data", "verify", "rg65", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("MISMATCH  rg65")
    assert "MISMATCH: wordsim/EN-RG-65.txt: sha256 " in out
    assert data.get("rg65").files[0].sha256 in out


def test_verify_missing_fails_only_when_named(tmp_path, capsys):
    assert main(["data", "verify", "mc30", "--root", str(tmp_path)]) == 1
    assert "MISSING   mc30" in capsys.readouterr().out
    assert main(["data", "verify", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 OK, 0 MISMATCH, 31 MISSING"


def test_quiet_verify_prints_no_progress(capsys, data_dir):
    assert main(["data", "verify", "rg65", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "OK" in captured.out and captured.err == ""
