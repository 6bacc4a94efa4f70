"""The server's settings: where it listens, who may call it, and the limits on a request.

What it holds: :class:`ServeSettings`, a frozen dataclass the command line fills from its
flags (``embedlayer serve --help`` shows the same defaults), and the defaults themselves.
What it leaves out: the models (``serve.models``) and the routes (``serve.app``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from embedlayer.errors import ConfigError

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ServeSettings", "is_loopback"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ServeSettings:
    """How the HTTP service runs and what one request may ask for.

    Limits are enforced on every request; going over one is a 422 JSON error that names the
    limit and the flag that sets it. ``api_key``: when set, every route but ``/health`` (and
    the static explorer page) needs ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``.
    """

    host: str = DEFAULT_HOST  # bind address; loopback unless the operator says otherwise
    port: int = DEFAULT_PORT  # TCP port (0: any free port)
    api_key: str | None = None  # shared secret for every route but /health; None: open
    cors_origins: tuple[str, ...] = ()  # origins allowed by CORS; empty: no CORS headers
    max_batch: int = 256  # items in one request's list (words, texts, pairs, sentences)
    max_text_length: int = 10_000  # characters in one text, word, token or sentence
    max_k: int = 100  # neighbours / hits / answers one request may ask for
    workers: int = 2  # threads that run the model calls (numba, torch, BLAS)
    max_body_bytes: int = 16 << 20  # a request body larger than this is refused (413)

    def check(self) -> ServeSettings:
        """``self``, or ``ConfigError`` naming the first setting out of range."""
        for name, low in (("max_batch", 1), ("max_text_length", 1), ("max_k", 1),
                          ("workers", 1), ("max_body_bytes", 1024)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"ServeSettings: {name} must be an int >= {low}, got "
                                  f"{value!r}")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(f"ServeSettings: port must be in 0..65535, got {self.port!r}")
        if self.api_key is not None and not self.api_key.strip():
            raise ConfigError("ServeSettings: api_key is empty (leave it unset for no key)")
        return self


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
