"""The process group of a distributed run: setup from torchrun's environment, collectives that
never wait past a timeout, the settings check at start, teardown.

What it holds: :class:`Group` (this process's rank, the world size, the backend, the timeout),
:func:`setup` / :func:`teardown` / :func:`process_group` (``torch.distributed`` from the
variables ``torchrun`` sets: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT``; gloo on CPU, and ``cpu:gloo,cuda:nccl`` where CUDA exists, so CPU tensors
still go through gloo), and the few collectives the rest of ``dist/`` uses, each wrapped so
that a lost rank or a timeout becomes one :class:`~embedlayer.errors.DistributedError` naming
this rank, the operation and the timeout: :func:`exchange` (an all-gather of byte strings,
pickle-free), :func:`gather` (the same onto one rank), :func:`all_reduce_sum`,
:func:`broadcast`, :func:`agree` (every rank refuses
together when any rank found a problem) and :func:`check_same_settings` (all ranks must run
with the same settings: a canonical JSON of them is all-gathered and compared; the first
differing settings are named with each rank's value).
What it leaves out: what is synchronized and when (``vocab.py``, ``train.py``, ``ddp.py``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from embedlayer.errors import ConfigError, DistributedError

__all__ = ["DEFAULT_TIMEOUT", "Group", "agree", "all_reduce_sum", "broadcast",
           "check_same_settings", "exchange", "gather", "process_group", "setup", "teardown"]

DEFAULT_TIMEOUT = 300.0  # seconds any collective may wait for the slowest rank
_ENV = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class Group:
    """This process's place in the distributed run."""

    rank: int  # 0 .. world_size - 1; rank 0 writes the outputs
    world_size: int
    local_rank: int  # rank on this machine (which GPU, with CUDA)
    backend: str  # "gloo", or "cpu:gloo,cuda:nccl"
    timeout: float  # seconds a collective may wait before the run stops
    device: torch.device  # where torch models of this rank live

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def where(self) -> str:
        return f"rank {self.rank} of {self.world_size}"


def _env_int(name: str) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"environment variable {name}={value!r}: expected an integer "
                          "(torchrun sets it)") from None


def setup(*, timeout: float = DEFAULT_TIMEOUT, backend: str | None = None) -> Group:
    """Join the process group described by torchrun's environment variables.

    ``timeout`` (seconds) bounds the rendezvous and every collective: a rank that died or
    hangs makes the others stop with :class:`DistributedError` after at most that long.
    ``backend`` None: gloo on CPU; with CUDA, nccl for CUDA tensors and gloo for CPU ones.
    """
    missing = [name for name in _ENV if not os.environ.get(name)]
    if missing:
        raise ConfigError(f"distributed run: environment variable(s) {', '.join(missing)} not "
                          "set; launch with torchrun (e.g. torchrun --nproc-per-node 2 -m "
                          "embedlayer train word2vec ... --distributed)")
    if not timeout > 0:
        raise ConfigError(f"timeout must be > 0 seconds, got {timeout!r}")
    rank, world = _env_int("RANK"), _env_int("WORLD_SIZE")
    if world < 1 or not 0 <= rank < world:
        raise ConfigError(f"RANK={rank}, WORLD_SIZE={world}: expected 0 <= RANK < WORLD_SIZE")
    local_rank = _env_int("LOCAL_RANK") if os.environ.get("LOCAL_RANK") else 0
    cuda = torch.cuda.is_available()
    if backend is None:
        backend = "cpu:gloo,cuda:nccl" if cuda else "gloo"
    device = torch.device("cpu")
    if cuda and "nccl" in backend:
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        try:
            dist.init_process_group(backend, rank=rank, world_size=world,
                                    timeout=datetime.timedelta(seconds=timeout))
        except (RuntimeError, ValueError) as exc:
            raise DistributedError(
                f"rank {rank} of {world}: could not join the process group at "
                f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']} within {timeout:g} s "
                f"(backend {backend}): {_first_line(exc)}") from None
    return Group(rank, world, local_rank, backend, float(timeout), device)


def teardown() -> None:
    """Leave the process group (no-op when none is set up)."""
    if dist.is_available() and dist.is_initialized():
        with contextlib.suppress(RuntimeError, ValueError):
            dist.destroy_process_group()


@contextlib.contextmanager
def process_group(*, timeout: float = DEFAULT_TIMEOUT,
                  backend: str | None = None) -> Iterator[Group]:
    """:func:`setup` on entry, :func:`teardown` on exit (also on error)."""
    group = setup(timeout=timeout, backend=backend)
    try:
        yield group
    finally:
        teardown()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


@contextlib.contextmanager
def _collective(group: Group, what: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    except RuntimeError as exc:  # torch's DistBackendError / DistNetworkError included
        raise DistributedError(
            f"{group.where()}: {what} failed after {time.monotonic() - start:.1f} s (timeout "
            f"{group.timeout:g} s): another rank stopped, was killed or lost its connection, "
            f"so the run stops here ({_first_line(exc)})") from None


def _padded(group: Group, payload: bytes) -> tuple[torch.Tensor, list[torch.Tensor], int]:
    """(this rank's payload as uint8 padded to the longest, every rank's length, that width):
    all-gathers the lengths, so every rank must call it inside the same collective."""
    size = torch.tensor([len(payload)], dtype=torch.int64)
    sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(group.world_size)]
    dist.all_gather(sizes, size)
    width = max(1, max(int(s.item()) for s in sizes))
    mine = torch.zeros(width, dtype=torch.uint8)
    if payload:
        mine[:len(payload)] = torch.frombuffer(bytearray(payload), dtype=torch.uint8)
    return mine, sizes, width


def _unpadded(out: list[torch.Tensor], sizes: list[torch.Tensor]) -> list[bytes]:
    return [bytes(t[:int(s.item())].numpy().tobytes()) for t, s in zip(out, sizes, strict=True)]


def exchange(group: Group, payload: bytes, what: str) -> list[bytes]:
    """Every rank's ``payload``, in rank order (an all-gather of byte strings)."""
    if group.world_size == 1:
        return [payload]
    with _collective(group, what):
        mine, sizes, width = _padded(group, payload)
        out = [torch.zeros(width, dtype=torch.uint8) for _ in range(group.world_size)]
        dist.all_gather(out, mine)
    return _unpadded(out, sizes)


def gather(group: Group, payload: bytes, what: str, *, dest: int = 0) -> list[bytes] | None:
    """Every rank's ``payload`` in rank order on rank ``dest`` (None on the others): a gather
    of byte strings, pickle-free; only ``dest`` holds them all."""
    if group.world_size == 1:
        return [payload]
    with _collective(group, what):
        mine, sizes, width = _padded(group, payload)
        out = ([torch.zeros(width, dtype=torch.uint8) for _ in range(group.world_size)]
               if group.rank == dest else None)
        dist.gather(mine, out, dst=dest)
    return None if out is None else _unpadded(out, sizes)


def all_reduce_sum(group: Group, tensor: torch.Tensor, what: str) -> torch.Tensor:
    """Sum ``tensor`` over all ranks, in place; returns it."""
    if group.world_size > 1:
        with _collective(group, what):
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def broadcast(group: Group, array: np.ndarray, what: str, *, source: int = 0) -> np.ndarray:
    """Rank ``source``'s values of a C-contiguous ``array``, written into it on every rank."""
    if group.world_size > 1:
        with _collective(group, what):
            dist.broadcast(torch.from_numpy(array), src=source)
    return array


def agree(group: Group, problem: str | None, what: str) -> None:
    """Raise on every rank when any rank has a ``problem`` (a message), naming the ranks;
    so that no rank goes on alone into a collective the others never reach."""
    found = exchange(group, (problem or "").encode("utf-8"), what)
    bad = [(r, m.decode("utf-8")) for r, m in enumerate(found) if m]
    if not bad:
        return
    mine = [m for r, m in bad if r == group.rank]
    others = ", ".join(str(r) for r, _ in bad if r != group.rank)
    if mine:
        raise ConfigError(mine[0] + (f" (rank(s) {others} refused too)" if others else ""))
    raise ConfigError(f"{group.where()}: stopping because rank(s) {others} refused: {bad[0][1]}")


def _canonical(settings: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(settings), sort_keys=True, default=str,
                      separators=(",", ":")).encode("utf-8")


def check_same_settings(group: Group, settings: Mapping[str, Any]) -> None:
    """Refuse at start, on every rank, when the ranks' ``settings`` differ, naming the first
    differing settings and each rank's value."""
    docs = [json.loads(b) for b in exchange(group, _canonical(settings), "the settings check")]
    names = sorted(set().union(*docs))
    diffs = [n for n in names if len({json.dumps(d.get(n, "<unset>"), sort_keys=True)
                                      for d in docs}) > 1]
    if not diffs:
        return
    parts = []
    for name in diffs[:3]:
        values = ", ".join(f"rank {r} {json.dumps(d.get(name, '<unset>'))}"
                           for r, d in enumerate(docs))
        parts.append(f"{name}: {values}")
    more = f" (and {len(diffs) - 3} more)" if len(diffs) > 3 else ""
    raise ConfigError("the ranks were started with different settings; every rank must run "
                      f"the same command: {'; '.join(parts)}{more}")
