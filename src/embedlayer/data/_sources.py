"""Where each registered file downloads from: its public copy, or the project's mirror.

- ``EMBEDLAYER_MIRROR`` set: every file downloads from ``<mirror>/<file path>`` (an internal
  mirror, a ``file://`` folder, or the tests' local server); nothing else is tried.
- unset: a file with a byte-identical public copy (``DataFile.url``) downloads from there;
  a derived file downloads from the project mirror named in ``registry.json``. That mirror is
  a placeholder on the reserved ``.invalid`` domain until it is published, so such files need
  ``EMBEDLAYER_MIRROR`` or a local copy in ``EMBEDLAYER_DATA``.

Leaves out the transfer itself (``_download``).
"""

from __future__ import annotations

import os
import urllib.parse

from embedlayer.data._registry import DataFile, _load

__all__ = ["MIRROR_ENV", "mirror_base", "mirror_url", "source_urls"]

MIRROR_ENV = "EMBEDLAYER_MIRROR"


def _published(base: str) -> bool:
    host = urllib.parse.urlsplit(base).hostname or ""
    return not host.endswith(".invalid")


def mirror_base() -> str | None:
    """The mirror base URL in use: ``EMBEDLAYER_MIRROR``, else the project's, if published."""
    explicit = os.environ.get(MIRROR_ENV, "").strip()
    if explicit:
        return explicit
    default = _load().mirror_default
    return default if _published(default) else None


def mirror_url(base: str, path: str) -> str:
    """``base`` joined with a mirror-relative file path, each segment percent-quoted."""
    return base.rstrip("/") + "/" + urllib.parse.quote(path)


def source_urls(file: DataFile) -> list[str]:
    """The URLs to try for ``file``, best first; empty when none is known."""
    explicit = os.environ.get(MIRROR_ENV, "").strip()
    if explicit:
        return [mirror_url(explicit, file.path)]
    urls = [file.url] if file.url else []
    base = mirror_base()
    if base is not None:
        urls.append(mirror_url(base, file.path))
    return urls
