"""`embedlayer demo` and `embedlayer.demo.run_demo`: outputs checked before any work, never
half written, and the pipeline a library call (the CLI only parses and prints)."""

from __future__ import annotations

import json

import pytest

from embedlayer.cli.main import main
from embedlayer.errors import ConfigError

SMALL = ["--quick", "--corpus", "genesis,lee-background", "--quiet", "--workers", "1"]


@pytest.fixture(autouse=True)
def _restore_threads():
    import torch
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(("setup", "force", "message"), [
    ("file", False, "existing.txt is a file; the demo writes a folder"),
    ("file", True, "existing.txt is a file; the demo writes a folder"),
    ("foreign", True, "refusing to replace folder"),
    ("demo", False, "exists; pass --force"),
])
def test_an_existing_output_is_refused_before_any_work(tmp_path, capsys, setup, force, message):
    target = tmp_path / ("existing.txt" if setup == "file" else "out")
    if setup == "file":
        target.write_text("mine")
    else:
        target.mkdir()
        (target / ("notes.txt" if setup == "foreign" else "demo.json")).write_text("mine")
    code = main(["demo", *SMALL, "-o", str(target), *(["--force"] if force else [])])
    out, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1 and message in err
    assert "Traceback" not in err and "== 1/5" not in out  # refused before stage 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # nothing left beside
    kept = target if setup == "file" else target / ("notes.txt" if setup == "foreign"
                                                    else "demo.json")
    assert kept.read_text() == "mine"


def test_a_failed_run_leaves_no_folder_and_no_temporary_files(tmp_path, monkeypatch):
    import embedlayer.demo as demo

    def broken(*args, **kwargs):
        raise ConfigError("word2vec failed on purpose")

    monkeypatch.setattr(demo, "_train_vectors", broken)
    settings = demo.DemoSettings.quick(workers=1)
    with pytest.raises(ConfigError, match="on purpose"):
        demo.run_demo(output=tmp_path / "out", corpora=("lee-background",), settings=settings,
                      progress=False, log=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_the_demo_runs_and_force_replaces_its_own_output(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", *SMALL, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "== 1/5 vocabulary ==" in printed and "test [loss, accuracy]:" in printed
    assert f"== 5/5 saved in {out.resolve()} ==" in printed
    first = json.loads((out / "demo.json").read_text())
    assert first["corpora"] == ["genesis", "lee-background"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["classifier", "counts.tsv", "demo.json", "eval.json", "tokenizer.json", "vectors",
         "vocab.tsv"])
    assert main(["demo", *SMALL, "-o", str(out)]) == 1
    assert "pass --force" in capsys.readouterr().err
    assert main(["demo", *SMALL, "-o", str(out), "--force"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no staging folder left


def test_demo_settings_are_validated():
    from embedlayer.demo import DemoSettings

    with pytest.raises(ConfigError, match="seed must be an int >= 0, got -1"):
        DemoSettings(seed=-1).check()
    with pytest.raises(ConfigError, match="clf_workers must be an int >= 1"):
        DemoSettings(clf_workers=0).check()


def test_every_demo_option_shows_its_default_and_the_cli_holds_no_pipeline():
    import argparse

    import embedlayer.cli._demo as cli_demo
    from embedlayer.cli.main import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for action in commands.choices["demo"]._actions:
        if action.option_strings and action.dest != "help" and action.help != argparse.SUPPRESS:
            assert "default" in (action.help or ""), action.option_strings
    assert not hasattr(cli_demo, "run_demo") and not hasattr(cli_demo, "DemoSettings")
