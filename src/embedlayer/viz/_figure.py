"""matplotlib for the pictures: imported on first use with the Agg backend (no display
needed), figures saved as PNG atomically and always closed.

What it leaves out: what is drawn (the other modules of ``embedlayer.viz``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from embedlayer._atomic import atomic_write
from embedlayer._types import PathLike
from embedlayer.errors import ConfigError

__all__ = ["pyplot", "save_png"]

MISSING = "plotting needs matplotlib: pip install 'embedlayer[plot]'"


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend; ``ConfigError`` naming the extra if missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(MISSING) from None
    return plt


def save_png(fig: Any, path: PathLike, *, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` as PNG (a temporary file renamed into place), then close it."""
    plt = pyplot()
    path = Path(path)
    try:
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return path
