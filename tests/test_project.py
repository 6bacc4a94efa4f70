"""The project's promises about itself: README commands, CI, the CLI surface, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from embedlayer.cli.main import _COMMANDS, build_parser, main

from .conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_readme_opens_with_exactly_two_setup_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("embedlayer demo")
    assert "pytest" in commands[1]
    head = (ROOT / "README.md").read_text().split("```bash", 1)[0]
    assert head.strip() == "# embedlayer"  # nothing before the commands but the title


def test_ci_runs_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _readme_commands()[1] in [line.strip() for line in ci_lines]


def _extra(name: str) -> set[str]:
    import tomllib

    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(doc["project"]["optional-dependencies"][name])


def test_test_extra_installs_the_reference_tools_the_tests_compare_with():
    # CI installs the test extra only: a reference tool left out of it silently skips its
    # compatibility tests there.
    assert {"fasttext==0.9.3", "gensim==4.4.0"} <= _extra("test")
    assert {"fasttext==0.9.3", "gensim==4.4.0"} <= _extra("bench")


def test_ci_installs_the_fasttext_build_prerequisites_only_when_missing():
    script = (ROOT / ".ci" / "run").read_text()
    setup, _, readme_line = script.partition(_readme_commands()[1])
    assert readme_line == "\n"  # the README command is the last thing CI runs
    assert "command -v g++" in setup and "Python.h" in setup  # checked first...
    assert "apt-get update" in setup and "apt-get install" in setup  # ...installed if needed


def _subcommand_paths():
    parser = build_parser()
    paths = []

    def walk(p, prefix):
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, child in action.choices.items():
                    paths.append([*prefix, name])
                    walk(child, [*prefix, name])

    walk(parser, [])
    return paths


def test_every_command_has_help(capsys):
    paths = _subcommand_paths()
    # one module per command, except cli/_align.py, which registers translate beside align
    assert {p[0] for p in paths} == set(_COMMANDS) | {"translate"}
    for path in paths:
        with pytest.raises(SystemExit) as info:
            main([*path, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "usage: embedlayer " + " ".join(path) in out


def test_importing_embedlayer_is_light():
    code = (
        "import sys, embedlayer, embedlayer.vocab, embedlayer.corpus, embedlayer.text, "
        "embedlayer.data, embedlayer.vectors, embedlayer.eval, embedlayer.train; heavy = [m for m in ('torch', 'jieba', 'tokenizers', 'gensim', "
        "'numba', 'matplotlib') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_script_reports_errors_in_one_line(tmp_path):
    exe = ROOT / ".venv" / "bin" / "embedlayer"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "embedlayer.cli.main"]
    proc = subprocess.run([*cmd, "vocab", "info", str(tmp_path / "missing.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "missing.json" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_readme_python_example_runs(tmp_path, monkeypatch, data_dir):
    text = (ROOT / "README.md").read_text()
    code = text.split("```python", 1)[1].split("```", 1)[0]
    code = code.replace("../shared/data", str(data_dir))
    monkeypatch.chdir(tmp_path)  # the example writes vocab.json into the working folder
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "vocab.json").is_file()


def test_system_errors_are_one_line_not_tracebacks(monkeypatch, capsys):
    from embedlayer.cli import main as cli_main

    def fail_disk(args):
        raise OSError(30, "Read-only file system", "/ro/out.txt")

    def fail_memory(args):
        raise MemoryError("Unable to allocate 6.00 TiB for an array")

    for func, expected in ((fail_disk, "/ro/out.txt: Read-only file system"),
                           (fail_memory, "not enough memory")):
        parser = cli_main.build_parser()
        real = parser.parse_args
        monkeypatch.setattr(cli_main, "build_parser", lambda p=parser: p)
        monkeypatch.setattr(parser, "parse_args",
                            lambda argv, real=real, f=func: _with_func(real(["data", "list"]), f))
        assert cli_main.main(["data", "list"]) == cli_main.EXIT_ERROR
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err and err.count("\n") == 1


def _with_func(args, func):
    args.func = func
    return args
