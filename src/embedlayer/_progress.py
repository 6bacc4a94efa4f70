"""One progress-bar factory, so every long job looks the same (rate, ETA) and can be silenced.

``EMBEDLAYER_PROGRESS=0`` turns bars off everywhere (useful in logs); ``progress=False`` turns
one off. Bars go to stderr so they never mix with a command's output.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def progress_bar(
    *, total: float | None = None, desc: str = "", unit: str = "it", enabled: bool = True,
    unit_scale: bool = True, initial: float = 0,
) -> Any:
    """A tqdm bar writing to stderr; disabled when ``enabled`` is false or by the environment."""
    off = not enabled or os.environ.get("EMBEDLAYER_PROGRESS", "1") == "0"
    return tqdm(
        total=total, initial=initial, desc=desc, unit=unit, unit_scale=unit_scale, disable=off,
        file=sys.stderr, dynamic_ncols=True, mininterval=0.25, smoothing=0.1,
    )
