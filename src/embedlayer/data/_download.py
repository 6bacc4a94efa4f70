"""Verified, resumable downloads with the standard library's urllib (no extra dependency).

:func:`download` streams into ``<dest>.part`` beside the destination, hashing while it writes;
only a file whose sha256 matches is renamed onto ``dest`` (atomic), so the final path never
holds a partial or wrong file. What is left behind when it fails:

- wrong checksum: nothing, the ``.part`` is deleted (:class:`ChecksumError`);
- a connection that drops or stalls mid-body (short body against Content-Length, reset,
  read timeout): the ``.part`` stays; up to ``retries`` more requests resume it with an HTTP
  ``Range`` header, and so does the next call (a server answering 200 instead of 206 restarts
  it from zero); then :class:`DownloadError`;
- connection refused, DNS failure, connect timeout, HTTP 4xx/5xx: nothing new
  (:class:`DownloadError`, with the status or the offline hint);
- Ctrl-C: the ``.part`` stays, to be resumed.

Leaves out which URL to use (``_sources``) and where ``dest`` lives (``_resolve``). Two
processes downloading the same file at once are not coordinated; the checksum still guards the
result.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from embedlayer._progress import progress_bar
from embedlayer.config import DATA_ENV
from embedlayer.data._hashing import CHUNK, sha256_file
from embedlayer.errors import ChecksumError, ConfigError, DownloadError

if TYPE_CHECKING:
    from embedlayer._types import PathLike

__all__ = ["DEFAULT_RETRIES", "DEFAULT_TIMEOUT", "OFFLINE_HINT", "download", "fetch", "part_path"]

DEFAULT_TIMEOUT = 30.0  # seconds per connect and per read, so a stalled server cannot hang us
DEFAULT_RETRIES = 2     # resumes after a dropped connection, within one call
OFFLINE_HINT = (
    f"if this machine is offline, set {DATA_ENV} to a folder holding a local copy of the data "
    "(laid out like the project's data mirror)"
)
_SCHEMES = ("http", "https", "file")
_READ = 1 << 16  # bytes per network read: small enough for a smooth progress bar
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-")


class _Dropped(Exception):
    """The body stopped before its end; the ``.part`` holds what arrived."""

    def __init__(self, received: int, expected: int | None, cause: object) -> None:
        super().__init__(cause)
        self.received, self.expected, self.cause = received, expected, cause


class _Meter:
    """Turns absolute positions into progress-bar deltas, so resumes never double-count."""

    def __init__(self, advance: Callable[[int], object]) -> None:
        self.advance, self.pos = advance, 0

    def moveto(self, pos: int) -> None:
        if pos != self.pos:
            self.advance(pos - self.pos)
            self.pos = pos


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` collect until their checksum is proven."""
    return dest.with_name(dest.name + ".part")


def download(
    url: str, dest: PathLike, *, sha256: str, size: int | None = None, progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES,
) -> Path:
    """Download ``url`` to ``dest``, proven by ``sha256``; returns ``dest``.

    A ``dest`` that already has the right checksum is kept without any request; one with a
    wrong checksum is replaced. ``size`` (bytes), when known, sets the progress bar's total
    and detects a short body even without a Content-Length header.
    """
    _check_arguments(url, sha256=sha256, size=size, timeout=timeout, retries=retries)
    dest = Path(dest)
    if dest.is_file():
        if sha256_file(dest) == sha256.lower():
            return dest
        dest.unlink()  # stale or damaged: it must not survive a failed download either
    with progress_bar(total=size, desc=dest.name, unit="B", enabled=progress) as bar:

        def on_total(total: int) -> None:
            if bar.total is None:
                bar.total = total
                bar.refresh()

        return fetch(
            url, dest, sha256=sha256, size=size, timeout=timeout, retries=retries,
            what=dest.name, advance=bar.update, on_total=on_total,
        )


def fetch(
    url: str, dest: Path, *, sha256: str, size: int | None, timeout: float, retries: int,
    what: str, advance: Callable[[int], object], on_total: Callable[[int], None] | None = None,
) -> Path:
    """:func:`download` without its own progress bar, always fetching (``dest`` is replaced).

    ``advance(n)`` gets byte deltas (negative when a server makes it restart); ``what`` names
    the file in error messages (e.g. ``dataset 'mr' (classify/mr/rt-polarity.pos)``).
    """
    _check_arguments(url, sha256=sha256, size=size, timeout=timeout, retries=retries)
    sha256 = sha256.lower()
    part, meter = part_path(dest), _Meter(advance)
    for attempt in range(retries + 1):
        try:
            _attempt(url, dest, part, sha256=sha256, size=size, timeout=timeout, what=what,
                     meter=meter, on_total=on_total)
            return dest
        except _Dropped as exc:
            if attempt == retries:
                expected = f"{exc.expected:,}" if exc.expected is not None else "an unknown"
                raise DownloadError(
                    f"could not download {what} from {url}: the connection dropped after "
                    f"{exc.received:,} of {expected} bytes ({exc.cause}); the partial file "
                    f"{part} is kept and the next download resumes from it"
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _check_arguments(
    url: str, *, sha256: str, size: int | None, timeout: float, retries: int
) -> None:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in _SCHEMES:
        raise ConfigError(f"download URL {url!r}: scheme {scheme!r}, expected one of {_SCHEMES}")
    if not _HEX64.fullmatch(sha256.lower()):
        raise ConfigError(f"sha256 {sha256!r} for {url}: expected 64 hexadecimal digits")
    if size is not None and size < 0:
        raise ConfigError(f"size {size!r} for {url}: expected a byte count >= 0")
    if not timeout > 0:
        raise ConfigError(f"timeout {timeout!r}: expected seconds > 0")
    if retries < 0:
        raise ConfigError(f"retries {retries!r}: expected an integer >= 0")


def _attempt(
    url: str, dest: Path, part: Path, *, sha256: str, size: int | None, timeout: float,
    what: str, meter: _Meter, on_total: Callable[[int], None] | None,
) -> None:
    """One request: resume or start the ``.part``, stream it, check it, rename it."""
    offset = part.stat().st_size if part.is_file() else 0
    if size is not None and offset >= size:  # a leftover as long as the file: start over
        part.unlink()
        offset = 0
    headers = {"User-Agent": "embedlayer-data (urllib)", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        )
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:  # the .part does not fit the server's file
            part.unlink(missing_ok=True)
            return _attempt(url, dest, part, sha256=sha256, size=size, timeout=timeout,
                            what=what, meter=meter, on_total=on_total)
        raise DownloadError(
            f"could not download {what} from {url}: HTTP {exc.code} {exc.reason}"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            reason = f"no answer within {timeout:g} s"
        raise DownloadError(
            f"could not download {what} from {url}: {reason}; {OFFLINE_HINT}"
        ) from None

    with response:
        status = response.status or 200  # file:// answers carry no status
        if offset and (status != 206 or _range_start(response) != offset):
            if status == 206:  # a range we did not ask for: ask again for the whole file
                part.unlink(missing_ok=True)
                return _attempt(url, dest, part, sha256=sha256, size=size, timeout=timeout,
                                what=what, meter=meter, on_total=on_total)
            offset = 0  # the server ignored Range (200): restart from zero
        length = _content_length(response)
        expected = offset + length if length is not None else size
        if on_total is not None and expected is not None:
            on_total(expected)
        digest = hashlib.sha256()
        if offset:
            _hash_into(digest, part)
        meter.moveto(offset)
        received = offset
        part.parent.mkdir(parents=True, exist_ok=True)  # only once there are bytes to keep
        with part.open("ab" if offset else "wb") as fh:
            while True:
                try:
                    chunk = response.read1(_READ)  # what has arrived: no waiting for a full buffer
                except (http.client.HTTPException, OSError) as exc:  # reset, timeout
                    raise _Dropped(received, expected, exc) from exc
                if not chunk:
                    break
                fh.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                meter.moveto(received)
            fh.flush()
            os.fsync(fh.fileno())
    if expected is not None and received < expected:
        raise _Dropped(received, expected, "the server closed the connection early")

    actual = digest.hexdigest()
    if actual != sha256:
        part.unlink(missing_ok=True)
        raise ChecksumError(
            f"{what}: the file downloaded from {url} ({received:,} bytes"
            + (f", expected {size:,}" if size is not None else "")
            + f") has sha256 {actual}, expected {sha256}; it was discarded"
        )
    os.replace(part, dest)
    return None


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.strip().isdigit() else None


def _range_start(response: http.client.HTTPResponse) -> int | None:
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _hash_into(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
