"""Checks shared by the component configs of ``embedlayer.text``.

Each helper raises :class:`~embedlayer.errors.ConfigError` naming the parameter, the bad value
and what was expected. Only argument checking lives here; (de)serialization is in
``serialization.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from embedlayer.errors import ConfigError

__all__ = ["check_bool", "check_choice", "check_int", "check_str", "check_str_tuple"]


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false; got {value!r}")
    return value


def check_int(name: str, value: Any, *, minimum: int) -> int:
    # bool is an int subclass; a `true` in a JSON file is not a count.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return value


def check_str(name: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value):
        raise ConfigError(f"{name} must be a non-empty string; got {value!r}")
    return value


def check_str_tuple(name: str, value: Any) -> tuple[str, ...]:
    """A tuple of distinct non-empty, whitespace-free strings (special tokens, placeholders)."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name} must be a list of strings; got {value!r}")
    out = tuple(value)
    for item in out:
        if not isinstance(item, str) or not item or any(ch.isspace() for ch in item):
            raise ConfigError(f"{name} must hold non-empty strings without spaces; got {item!r}")
    if len(set(out)) != len(out):
        raise ConfigError(f"{name} has duplicates: {list(out)!r}")
    return out
