"""Where a system-installed resource (WordNet) lies on this machine.

Resolution order, first match wins: an explicit ``root`` the caller gives (nothing else is
tried then), the folder named by the resource's environment variable (``EMBEDLAYER_WORDNET``),
then the folders its system package installs into (``/usr/share/wordnet``). A folder counts
when it holds every registered file. When none does, the error names the folders searched,
the variable and the command that installs the package (``apt-get install wordnet-base``).

Leaves out reading the files (``embedlayer.data.lexicons``) and anything downloaded: the
mirror's datasets resolve through ``_resolve``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from embedlayer.data._registry import SystemResource, get_system
from embedlayer.errors import DataError

if TYPE_CHECKING:
    from embedlayer._types import PathLike

__all__ = ["system_path"]


def _missing(folder: Path, res: SystemResource) -> list[str]:
    return [f for f in res.files if not (folder / f).is_file()]


def system_path(name: str | SystemResource, *, root: PathLike | None = None) -> Path:
    """The folder holding system resource ``name`` (``"wordnet"``), checked file by file.

    ``root`` (a folder) is used alone when given; else the resource's environment variable
    (``EMBEDLAYER_WORDNET`` for WordNet), else its package's install folders. Raises
    ``DataError`` naming what was searched and the package to install when no folder holds
    every registered file.
    """
    res = get_system(name)
    if root is not None:
        candidates = [("the folder given", Path(root).expanduser())]
    elif os.environ.get(res.env, "").strip():
        candidates = [(res.env, Path(os.environ[res.env].strip()).expanduser())]
    else:
        candidates = [("the package folder", Path(p)) for p in res.paths]
    problems = []
    for why, folder in candidates:
        if not folder.is_dir():
            problems.append(f"{folder} ({why}) does not exist")
            continue
        missing = _missing(folder, res)
        if not missing:
            return folder
        problems.append(f"{folder} ({why}) lacks {len(missing)} of its {len(res.files)} files, "
                        f"e.g. {missing[0]}")
    raise DataError(
        f"{res.title} not found: {'; '.join(problems)}. Install the {res.package} package "
        f"(Debian/Ubuntu: `{res.install}`), or set {res.env} to a folder holding "
        f"{', '.join(res.files[:4])}..."
    )
