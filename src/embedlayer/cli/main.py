"""Entry point of the ``embedlayer`` command: builds the parser from one module per command.

Each ``cli/_<name>.py`` module exposes ``register(subparsers)``; this file only wires them and
turns embedlayer's own errors into one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from embedlayer import __version__
from embedlayer.errors import EmbedlayerError

__all__ = ["build_parser", "describe_os_error", "main"]

# One module per top-level command, in the order --help lists them.
_COMMANDS = ("demo", "data", "corpus", "tokenize", "vocab", "train", "vectors", "eval",
             "compress", "retrofit", "classify", "tag", "lm", "inspect", "encode", "index",
             "qa", "plot", "align", "serve")

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embedlayer",
        description="The embedding representation layer: vocabularies, vectors, layers, evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"embedlayer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        importlib.import_module(f"embedlayer.cli._{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except EmbedlayerError as exc:
        print(f"embedlayer {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"embedlayer {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `embedlayer ... | head`
        return 0
    except MemoryError as exc:  # numpy's _ArrayMemoryError included
        detail = f" ({exc})" if str(exc) else ""
        print(f"embedlayer {args.command}: error: not enough memory{detail}; use a smaller "
              "model or corpus", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # read-only or full disk, missing folder, permission denied
        print(f"embedlayer {args.command}: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_ERROR
    return int(result or 0)


def describe_os_error(exc: OSError) -> str:
    """One line for a system error: what failed, on which file, and why."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None:
        target = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
        return f"{target}: {reason}"
    return reason


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
