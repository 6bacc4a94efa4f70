"""`embedlayer serve MODEL...`: saved models over HTTP (FastAPI + uvicorn, the serve extra).

Thin: parses the flags into ``serve.ServeSettings``, loads the models into a
``serve.ModelRegistry`` (each MODEL is ``NAME=PATH`` or a bare path named after its file or
folder) and calls ``serve.serve``. FastAPI and uvicorn are imported only here, when the
command runs, so ``embedlayer --help`` works without the extra.
"""

from __future__ import annotations

import argparse
import os
import sys

from embedlayer.serve.settings import DEFAULT_HOST, DEFAULT_PORT, ServeSettings

_ENV_KEY = "EMBEDLAYER_API_KEY"
_DEFAULTS = ServeSettings()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve saved models over HTTP (vectors, encoders, indexes, classifiers, "
                      "taggers)",
        description="Load each MODEL read-only and answer JSON requests: GET /health, /models, "
                    "/metrics; POST /vectors, /similar, /analogy, /similarity, /map (vectors), "
                    "/encode (vectors or a transformer), /search (an index of texts), "
                    "/classify, /tag, /admin/reload (or send SIGHUP). The kind of each MODEL is "
                    "detected: a vectors file or folder (any format, fastText .bin, compressed "
                    "folder), a transformer checkpoint folder or name (minilm), an index "
                    "folder, a classifier or tagger folder. Requests name models by NAME, "
                    "never by path. OpenAPI at /openapi.json, pages at /docs, the explorer page "
                    "at /. Needs the serve extra: pip install 'embedlayer[serve]'.")
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help="NAME=PATH, or a PATH named after its file or folder without the "
                        "extension (a checkpoint name such as minilm: after itself) "
                        "(required, one or more)")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help="address to bind; anything but loopback prints a warning "
                        "(default: %(default)s)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help="TCP port (default: %(default)s)")
    p.add_argument("--api-key", default=None, metavar="KEY",
                   help="require 'Authorization: Bearer KEY' or 'X-API-Key: KEY' on every "
                        f"route but /health (default: ${_ENV_KEY} if set, else no key)")
    p.add_argument("--cors-origin", action="append", default=None, metavar="ORIGIN",
                   help="allow cross-origin requests from ORIGIN (repeatable; default: CORS "
                        "off)")
    p.add_argument("--max-batch", type=int, default=_DEFAULTS.max_batch,
                   help="items in one request's list: words, texts, pairs, sentences "
                        "(default: %(default)s)")
    p.add_argument("--max-text-length", type=int, default=_DEFAULTS.max_text_length,
                   help="characters in one text, word or sentence (default: %(default)s)")
    p.add_argument("--max-k", type=int, default=_DEFAULTS.max_k,
                   help="neighbours, hits or answers one request may ask for "
                        "(default: %(default)s)")
    p.add_argument("--workers", type=int, default=_DEFAULTS.workers,
                   help="threads running model calls; torch gets cores / workers threads "
                        "each (default: %(default)s)")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"),
                   help="uvicorn's log level (default: %(default)s)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from embedlayer.errors import ConfigError

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigError("the HTTP service needs FastAPI and uvicorn: pip install "
                          "'embedlayer[serve]'") from None
    from embedlayer.serve.models import ModelRegistry, parse_model_arg
    from embedlayer.serve.server import serve

    for flag, value in (("--max-batch", args.max_batch), ("--max-k", args.max_k),
                        ("--max-text-length", args.max_text_length),
                        ("--workers", args.workers)):
        if value < 1:
            raise ConfigError(f"{flag} must be >= 1, got {value}")
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be in 0..65535, got {args.port}")
    key = args.api_key if args.api_key is not None else os.environ.get(_ENV_KEY) or None
    settings = ServeSettings(host=args.host, port=args.port, api_key=key,
                             cors_origins=tuple(args.cors_origin or ()),
                             max_batch=args.max_batch, max_text_length=args.max_text_length,
                             max_k=args.max_k, workers=args.workers).check()
    specs = [parse_model_arg(m) for m in args.models]
    registry = ModelRegistry.load(specs)
    for model in registry.models():
        print(f"embedlayer serve: {model.name}: {model.kind} ({model.source})", file=sys.stderr)
    serve(registry, settings, log_level=args.log_level)
    return 0
