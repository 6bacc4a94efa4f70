"""Starting a few ranks on 127.0.0.1 for the distributed tests, as torchrun would.

Each rank is a subprocess running ``tests/_dist_worker.py`` with torchrun's environment
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT`` on a free port),
one numba and torch thread each. Every run is bounded: ranks still alive after ``limit``
seconds are killed and the test fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).resolve().parent / "_dist_worker.py"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(spec: dict, out: Path, world: int = 2) -> list[subprocess.Popen]:
    """Start ``world`` ranks of ``spec`` (written to ``out``/spec.json); results go to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    spec = {**spec, "out": str(out)}
    path = out / "spec.json"
    path.write_text(json.dumps(spec))
    port = free_port()
    procs = []
    for rank in range(world):
        env = {**os.environ, "RANK": str(rank), "WORLD_SIZE": str(world),
               "LOCAL_RANK": str(rank), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
               "PYTHONPATH": str(ROOT / "src"), "NUMBA_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
        procs.append(subprocess.Popen([sys.executable, str(WORKER), str(path)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    return procs


def wait(procs: list[subprocess.Popen], limit: float) -> list[int]:
    """Wait for every rank, at most ``limit`` seconds in all; kill the ones left and fail."""
    deadline = time.monotonic() + limit
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            logs = "\n".join((q.communicate()[0] or b"").decode(errors="replace")[-2000:]
                             for q in procs)
            raise AssertionError(f"ranks still running after {limit} s:\n{logs}") from None
    return codes


def run(spec: dict, out: Path, world: int = 2,
        limit: float = 120) -> tuple[list[int], list[dict]]:
    """Start, wait, and read every rank's result (``{}`` for a rank that wrote none)."""
    procs = start(spec, out, world)
    codes = wait(procs, limit)
    results = []
    for rank, p in enumerate(procs):
        f = out / f"rank{rank}.json"
        results.append(json.loads(f.read_text()) if f.is_file() else {})
        log = (p.communicate()[0] or b"").decode(errors="replace")
        if codes[rank] not in (0, 1) and "crash" in results[rank].get("error", ""):
            print(log[-3000:])
    return codes, results
