"""Checking local copies against the registry: the sha256 of every byte of every file.

:func:`verify` looks where :func:`embedlayer.data.path` would look (an explicit ``root``, else
the data path, else the cache), hashes each file in 1 MiB chunks and reports, per dataset,
``OK``, ``MISMATCH`` (a file whose sha256 differs) or ``MISSING`` (a file that is not there).
It never downloads and never deletes.

Leaves out fixing anything: a mismatch is reported, not repaired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from embedlayer._progress import progress_bar
from embedlayer.data._hashing import sha256_file
from embedlayer.data._registry import Dataset, get, list_datasets
from embedlayer.data._resolve import Location, locate

if TYPE_CHECKING:
    from embedlayer._types import PathLike

__all__ = ["DatasetCheck", "FileCheck", "Status", "VerifyReport", "verify"]

Status = Literal["OK", "MISMATCH", "MISSING"]


@dataclass(frozen=True)
class FileCheck:
    """One file's verdict."""

    path: str               # relative to the mirror root
    status: Status
    expected: str           # the registered sha256
    actual: str | None      # the local file's sha256; None when it is missing
    local: Path | None      # the file that was hashed; None when it is missing


@dataclass(frozen=True)
class DatasetCheck:
    """One dataset's verdict: MISMATCH if any file differs, else MISSING if any is absent."""

    name: str
    status: Status
    location: Location | None   # where the files were looked for; None: found nowhere
    files: tuple[FileCheck, ...]

    @property
    def problems(self) -> tuple[FileCheck, ...]:
        return tuple(f for f in self.files if f.status != "OK")


@dataclass(frozen=True)
class VerifyReport:
    """The verdicts of every dataset checked, in the order asked."""

    datasets: tuple[DatasetCheck, ...]

    @property
    def ok(self) -> bool:
        return all(d.status == "OK" for d in self.datasets)

    @property
    def mismatched(self) -> list[str]:
        return [d.name for d in self.datasets if d.status == "MISMATCH"]

    @property
    def missing(self) -> list[str]:
        return [d.name for d in self.datasets if d.status == "MISSING"]


def verify(
    names: str | Dataset | Iterable[str | Dataset] | None = None, *,
    root: PathLike | None = None, progress: bool = True,
) -> VerifyReport:
    """Check the sha256 of the local copy of ``names`` (one, several, or all when None)."""
    if names is None:
        chosen = list_datasets()
    elif isinstance(names, str | Dataset):
        chosen = [get(names)]
    else:
        chosen = list(dict.fromkeys(get(n) for n in names))  # dedupe, keep order

    plans: list[tuple[Dataset, Location | None]] = []
    for ds in chosen:
        found = locate(ds, root=root)
        plans.append((ds, found[0] if found else None))
    total = sum(
        f.size for ds, loc in plans if loc is not None
        for f in ds.files if (loc.root / f.path).is_file()
    )
    with progress_bar(total=total, desc="verify", unit="B", enabled=progress and total > 0) as bar:
        checks = tuple(_check(ds, loc, advance=bar.update) for ds, loc in plans)
    return VerifyReport(datasets=checks)


def _check(ds: Dataset, loc: Location | None, *, advance: Callable[[int], object]) -> DatasetCheck:
    files = []
    for f in ds.files:
        local = loc.root / f.path if loc is not None else None
        if local is None or not local.is_file():
            files.append(FileCheck(f.path, "MISSING", f.sha256, None, None))
            continue
        actual = sha256_file(local, advance=advance)
        status: Status = "OK" if actual == f.sha256 else "MISMATCH"
        files.append(FileCheck(f.path, status, f.sha256, actual, local))
    states = {f.status for f in files}
    overall: Status = "MISMATCH" if "MISMATCH" in states else (
        "MISSING" if "MISSING" in states else "OK"
    )
    return DatasetCheck(ds.name, overall, loc, tuple(files))
