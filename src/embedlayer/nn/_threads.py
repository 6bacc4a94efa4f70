"""A block run with a given number of torch CPU threads: ``with torch_threads(2): ...``.

Shared by the code that runs torch models for the caller (``tasks.classify``,
``contextual.encoder``): ``None`` leaves torch's setting alone; otherwise the caller's setting
comes back when the block ends, also on an exception.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["torch_threads"]


@contextlib.contextmanager
def torch_threads(workers: int | None) -> Iterator[None]:
    """Run the block with ``workers`` torch CPU threads, then restore the caller's setting."""
    if workers is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(workers)
    try:
        yield
    finally:
        torch.set_num_threads(before)
