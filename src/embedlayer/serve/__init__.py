"""The HTTP service (layer L5 of DESIGN.md): saved models served read-only by FastAPI.

What it holds: :class:`ServeSettings` (host, port, API key, CORS, limits, worker threads),
:class:`ModelRegistry` / :class:`LoadedModel` / :func:`detect_kind` (models loaded from the
paths given at startup, by name; atomic reload), :func:`create_app` (the FastAPI app),
:func:`serve` (uvicorn, SIGHUP reload) and :class:`Metrics` (Prometheus text). ``embedlayer
serve`` is the command line. No algorithm lives here: routes call the layers below.
FastAPI and uvicorn are the ``serve`` extra (``pip install 'embedlayer[serve]'``); each name
loads its module on first use, so importing this package stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["LoadedModel", "Metrics", "ModelRegistry", "ServeSettings", "create_app",
           "detect_kind", "serve"]

_LAZY = {
    "LoadedModel": "models",
    "Metrics": "metrics",
    "ModelRegistry": "models",
    "ServeSettings": "settings",
    "create_app": "app",
    "detect_kind": "models",
    "serve": "server",
}
_EXTRA = "the HTTP service needs FastAPI and uvicorn: pip install 'embedlayer[serve]'"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embedlayer.serve' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(f"embedlayer.serve.{module}"), name)
    except ModuleNotFoundError as exc:
        if exc.name in ("fastapi", "uvicorn", "starlette", "pydantic"):
            from embedlayer.errors import ConfigError

            raise ConfigError(_EXTRA) from None
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
