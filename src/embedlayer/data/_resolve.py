"""Where a dataset's files are on this machine, and fetching them when they are nowhere.

Resolution order, first match wins:

1. an explicit ``root`` the caller gives (a folder laid out like the mirror); nothing else is
   tried when it is given;
2. the data path, ``EMBEDLAYER_DATA`` (several folders in order, ``os.pathsep``-separated);
3. the user cache, ``config.cache_dir()`` (same layout);
4. a verified download into the cache (``download=True``).

A location counts when it holds every requested file with its registered size (a cheap
``stat``; the sha256 of every byte is :func:`embedlayer.data.verify`'s job). A copy with a wrong
size in ``root`` or the data path is an error, never silently skipped; in the cache it is
deleted and downloaded again.

Leaves out the transfer (``_download``) and the URL choice (``_sources``).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from embedlayer._progress import progress_bar
from embedlayer.config import DATA_ENV, cache_dir, data_paths
from embedlayer.data._download import DEFAULT_RETRIES, DEFAULT_TIMEOUT, fetch
from embedlayer.data._registry import DataFile, Dataset, get
from embedlayer.data._sources import MIRROR_ENV, source_urls
from embedlayer.errors import ChecksumError, DataError, DownloadError, MissingFileError

if TYPE_CHECKING:
    from embedlayer._types import PathLike

__all__ = ["Location", "Presence", "locate", "locations", "path", "presence"]

LocationKind = Literal["root", "data path", "cache"]


@dataclass(frozen=True)
class Location:
    """A folder laid out like the mirror, and why it was searched."""

    kind: LocationKind
    root: Path


class Presence(enum.Enum):
    """How much of a dataset one location holds."""

    COMPLETE = "complete"    # every requested file, each with its registered size
    PARTIAL = "partial"      # some files, none with a wrong size
    ABSENT = "absent"        # none of the files
    DAMAGED = "damaged"      # at least one file with a size other than the registered one


def locations(*, root: PathLike | None = None) -> list[Location]:
    """The folders searched, in order: ``root`` alone, else the data path then the cache."""
    if root is not None:
        return [Location("root", Path(root).expanduser())]
    found = [Location("data path", p) for p in data_paths()]
    return [*found, Location("cache", cache_dir())]


def presence(location: Location, files: tuple[DataFile, ...]) -> tuple[Presence, DataFile | None]:
    """What ``location`` holds of ``files``; the second item is the first damaged file."""
    present = 0
    for f in files:
        try:
            actual = (location.root / f.path).stat().st_size
        except OSError:
            continue
        if actual != f.size:
            return Presence.DAMAGED, f
        present += 1
    if present == len(files):
        return Presence.COMPLETE, None
    return (Presence.PARTIAL if present else Presence.ABSENT), None


def locate(
    name: str | Dataset, file: str | None = None, *, root: PathLike | None = None,
) -> tuple[Location, Presence] | None:
    """The location ``path`` would use (complete, else damaged, else the fullest partial)."""
    ds = get(name)
    files = ds.files if file is None else (ds.file(file),)
    partial: tuple[Location, Presence] | None = None
    for loc in locations(root=root):
        state, _ = presence(loc, files)
        if state in (Presence.COMPLETE, Presence.DAMAGED):
            return loc, state
        if state is Presence.PARTIAL and partial is None:
            partial = (loc, state)
    return partial


def path(
    name: str | Dataset, file: str | None = None, *, root: PathLike | None = None,
    download: bool = True, progress: bool = True, timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """The local path of a dataset (its only file, or its folder) or of one of its files.

    Searches ``root`` (alone), else ``EMBEDLAYER_DATA`` then the cache; when neither holds it
    and ``download`` is true, downloads the missing files into the cache, each checked
    against its sha256. ``file`` is a mirror path, a path inside the dataset's folder, or a
    unique file name.
    """
    ds = get(name)
    files = ds.files if file is None else (ds.file(file),)
    target = ds.target if file is None else files[0].path
    for loc in locations(root=root):
        state, bad = presence(loc, files)
        if state is Presence.COMPLETE:
            return loc.root / target
        if state is Presence.DAMAGED and loc.kind != "cache":
            assert bad is not None
            actual = (loc.root / bad.path).stat().st_size
            raise ChecksumError(
                f"dataset {ds.name!r}: {loc.root / bad.path} in the {loc.kind} is "
                f"{actual:,} bytes, expected {bad.size:,} (a damaged or different copy); "
                f"check it with `embedlayer data verify {ds.name}`"
            )
    if root is not None:
        missing = [f.path for f in files if not (Path(root) / f.path).is_file()]
        raise MissingFileError(
            f"dataset {ds.name!r} is not under {root}: {len(missing)} of {len(files)} files "
            f"missing, e.g. {missing[0]} (expected the data mirror's layout)"
        )
    cache = cache_dir()
    if not download:
        searched = ", ".join(str(p) for p in data_paths()) or f"{DATA_ENV} is not set"
        raise DataError(
            f"dataset {ds.name!r} is not available locally: not in the data path ({searched}) "
            f"nor in the cache ({cache}), and downloading is off; allow the download or set "
            f"{DATA_ENV} to a folder holding a copy"
        )
    _download_into(ds, files, cache, progress=progress, timeout=timeout)
    return cache / target


def _download_into(
    ds: Dataset, files: tuple[DataFile, ...], cache: Path, *, progress: bool, timeout: float,
) -> None:
    """Fetch every file of ``files`` the cache lacks (or holds with a wrong size)."""
    missing = []
    for f in files:
        local = cache / f.path
        with contextlib.suppress(OSError):
            if local.stat().st_size == f.size:
                continue
            local.unlink()
        missing.append(f)
    plan = [(f, source_urls(f)) for f in missing]
    for f, urls in plan:  # before any transfer: fail fast when a file has nowhere to come from
        if not urls:
            raise DownloadError(
                f"could not download dataset {ds.name!r} ({f.path}): it has no byte-identical "
                f"public copy and the project's data mirror is not published; set {DATA_ENV} "
                f"to a folder holding a copy of the data, or {MIRROR_ENV} to a mirror with the "
                "same layout"
            )
    total = sum(f.size for f in missing)
    with progress_bar(total=total, desc=ds.name, unit="B", enabled=progress) as bar:
        for f, urls in plan:
            _download_file(ds, f, urls, cache / f.path, timeout=timeout, advance=bar.update)


def _download_file(
    ds: Dataset, f: DataFile, urls: list[str], dest: Path, *, timeout: float,
    advance: Callable[[int], object],
) -> None:
    """Try ``urls`` in order; the last failure is raised, naming the earlier ones."""
    what = f"dataset {ds.name!r} ({f.path})"
    errors: list[str] = []
    for i, url in enumerate(urls):
        try:
            fetch(url, dest, sha256=f.sha256, size=f.size, timeout=timeout,
                  retries=DEFAULT_RETRIES, what=what, advance=advance)
            return
        except (DownloadError, ChecksumError) as exc:
            if i == len(urls) - 1:
                if errors:
                    raise type(exc)(f"{exc} (also tried: {'; '.join(errors)})") from None
                raise
            errors.append(f"{url}: {exc}")
    raise AssertionError("unreachable")  # pragma: no cover

