"""Output paths of the CLI commands, checked before any work starts; the library's error
hints reworded to name command-line flags; hidden aliases for renamed flags.

An existing file is refused unless ``--force`` (nothing already saved is lost by a typo), a
folder is never replaced by a file, and the folder a file goes into must exist or be creatable
now, not after an hour of counting. Writing itself is atomic (``embedlayer._atomic``).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from embedlayer.errors import ConfigError, DecodeError

__all__ = ["add_force", "add_hidden_alias", "check_not_input", "check_outputs", "flag_hints"]

# Library hint -> the same advice in flags. Spelled out here (the corpus package defines the
# first) so that building the parser imports no reader; tests/test_corpus_cli.py pins it.
_HINTS = {
    "pass errors='replace' or errors='skip-line' to read past invalid bytes":
        "pass --errors replace or --errors skip-line to read past invalid bytes",
}


@contextlib.contextmanager
def flag_hints() -> Iterator[None]:
    """Re-raise a decoding error whose hint names a Python keyword with the CLI flag instead."""
    try:
        yield
    except DecodeError as exc:
        message = str(exc)
        for python, cli in _HINTS.items():
            message = message.replace(python, cli)
        if message == str(exc):
            raise
        raise type(exc)(message) from None


def add_hidden_alias(parser: argparse.ArgumentParser, flag: str, dest: str,
                     **kwargs: Any) -> None:
    """An old spelling of an option, still accepted but not shown in --help."""
    parser.add_argument(flag, dest=dest, default=argparse.SUPPRESS, help=argparse.SUPPRESS,
                        **kwargs)


def add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace output files that already exist (default: refuse)")


def check_not_input(flag: str, path: Path, inputs: Iterable[Path]) -> None:
    """Refuse (``--force`` or not) an output that is one of ``inputs`` or a folder holding one.

    Replacing either would destroy the data the command is about to read.
    """
    resolved = path.resolve()
    for source in inputs:
        real = source.resolve()
        if resolved == real:
            raise ConfigError(f"{flag} {path}: is also an input; expected a new file")
        if resolved in real.parents:
            raise ConfigError(f"{flag} {path}: holds the input {source}; replacing it would "
                              f"delete the input; expected another path")


def check_outputs(outputs: Iterable[tuple[str, Path | None]], *, force: bool,
                  inputs: Iterable[Path] = ()) -> None:
    """Raise ``ConfigError`` naming the flag and path of the first output that cannot be written.

    ``outputs`` pairs each flag (``-o/--output``) with its path (``None``: not asked for);
    an output that is also one of ``inputs``, or a folder holding one, is refused even with
    ``force``.
    """
    seen: dict[Path, str] = {}
    inputs = list(inputs)
    for flag, path in outputs:
        if path is None:
            continue
        resolved = path.resolve()
        if resolved in seen:
            raise ConfigError(f"{flag} {path}: the same file as {seen[resolved]}; "
                              f"expected two different outputs")
        seen[resolved] = flag
        if path.is_dir():
            raise ConfigError(f"{flag} {path}: is a folder; expected a file path")
        check_not_input(flag, path, inputs)
        if path.exists() and not force:
            raise ConfigError(f"{flag} {path}: already exists; pass --force to replace it")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent  # atomic_write creates the missing folders
        if not parent.is_dir():
            raise ConfigError(f"{flag} {path}: {parent} is not a folder")
