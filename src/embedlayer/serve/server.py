"""Running the service: uvicorn on the settings' host and port, reload on SIGHUP.

What it holds: :func:`serve` (blocks until SIGINT / SIGTERM; uvicorn's graceful shutdown
lets running requests finish, then the app's lifespan shuts the worker pool down) and
:func:`set_torch_threads` (torch's intra-op threads, set once before serving, so no request
changes a process-wide setting). What it leaves out: the routes (``serve.app``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from embedlayer.serve.app import create_app
from embedlayer.serve.metrics import Metrics
from embedlayer.serve.models import ModelRegistry
from embedlayer.serve.settings import ServeSettings, is_loopback

__all__ = ["serve", "set_torch_threads"]

log = logging.getLogger("embedlayer.serve")


def set_torch_threads(workers: int) -> int | None:
    """Give each of ``workers`` threads an equal share of the cores for torch (when torch is
    loaded: a transformer, classifier or tagger); returns the threads set, or None."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    threads = max(1, cores // workers)
    torch.set_num_threads(threads)
    return threads


def _hangup(registry: ModelRegistry, metrics: Metrics) -> Any:
    """A SIGHUP handler for the event loop: reload every model in a thread."""
    def reload_all() -> None:
        try:
            for model in registry.reload_all():
                metrics.reloaded(model.name, ok=True)
            print("embedlayer serve: SIGHUP: reloaded every model", file=sys.stderr)
        except Exception as exc:  # the old models stay; say why and keep serving
            for model in registry.models():
                metrics.reloaded(model.name, ok=False)
            print(f"embedlayer serve: SIGHUP: reload failed, the previous models stay: {exc}",
                  file=sys.stderr)

    def handler() -> None:
        asyncio.get_running_loop().run_in_executor(None, reload_all)

    return handler


def serve(registry: ModelRegistry, settings: ServeSettings, *, log_level: str = "info",
          ) -> None:
    """Serve ``registry`` over HTTP until interrupted (uvicorn, one process)."""
    import uvicorn

    settings = settings.check()
    if not is_loopback(settings.host):
        print(f"embedlayer serve: warning: listening on {settings.host}, not loopback: other "
              f"machines can reach this server"
              f"{'' if settings.api_key else ' and it has no --api-key'}", file=sys.stderr)
    set_torch_threads(settings.workers)
    metrics = Metrics()
    app = create_app(registry, settings, metrics=metrics)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level,
                            lifespan="on", timeout_graceful_shutdown=30)
    server = _graceful_server(uvicorn)(config)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, _hangup(registry, metrics))
        await server.serve()

    asyncio.run(main())
    print("embedlayer serve: stopped (requests finished, worker threads shut down)",
          file=sys.stderr)


def _graceful_server(uvicorn: Any) -> Any:
    """uvicorn's server, except that SIGTERM, once the graceful shutdown is done, ends the
    command with status 0 instead of being raised again (SIGINT still is: status 130)."""
    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):  # noqa: ANN202 - uvicorn's own signature
            with super().capture_signals():
                try:
                    yield
                finally:
                    captured = getattr(self, "_captured_signals", None)
                    if isinstance(captured, list):
                        captured[:] = [s for s in captured if s != signal.SIGTERM]

    return Server
