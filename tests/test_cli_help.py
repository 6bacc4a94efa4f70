"""Every option of every command says its default in --help (or that it is required)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from embedlayer.cli.main import build_parser

# Options whose help may lack a default, and why: none.
EXEMPT: set[tuple[str, str]] = set()
# "(default: None)" says nothing; a help says what no value means ("no cap", "none", "all").
NONE_PENDING: set[tuple[str, str]] = set()


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every parser below it, depth first."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases share a parser
                yield from _commands(sub)


def _options() -> list[tuple[str, argparse.Action]]:
    return [(cmd.prog, action) for cmd in _commands(build_parser()) for action in cmd._actions
            if action.option_strings and not isinstance(
                action, argparse._HelpAction | argparse._VersionAction)]


def _help(prog: str, action: argparse.Action) -> str:
    """The help text as --help prints it (``%(default)s`` filled in)."""
    text = action.help or ""
    return text % {**vars(action), "prog": prog, "default": action.default} if "%" in text \
        else text


def _says_its_default(action: argparse.Action) -> bool:
    if action.help == argparse.SUPPRESS:
        return True  # a hidden alias of a documented option
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
        return True  # a switch: off unless given
    text = action.help or ""
    return "default" in text or "(required" in text


def test_the_walk_reaches_every_command():
    progs = {prog for prog, _ in _options()}
    for name in ("vectors convert", "vocab merge", "eval", "classify train", "data path",
                 "train fasttext"):
        assert f"embedlayer {name}" in progs


@pytest.mark.parametrize(("prog", "action"), _options(),
                         ids=lambda x: x if isinstance(x, str) else x.option_strings[-1])
def test_every_option_help_shows_its_default(prog, action):
    if (prog, action.option_strings[0]) in EXEMPT:
        return
    assert _says_its_default(action), f"{prog} {'/'.join(action.option_strings)}: {action.help!r}"


@pytest.mark.parametrize(("prog", "action"), _options(),
                         ids=lambda x: x if isinstance(x, str) else x.option_strings[-1])
def test_no_option_says_its_default_is_none(prog, action):
    if (prog, action.option_strings[-1]) in NONE_PENDING:
        return
    assert "default: None" not in _help(prog, action), \
        f"{prog} {action.option_strings[-1]}: say what no value means (e.g. 'no cap')"
