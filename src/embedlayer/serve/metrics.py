"""Request metrics, rendered as Prometheus text by hand (no client library).

What it holds: :class:`Metrics` — request counts by route, method and status, a latency
histogram by route, error counts by route and error code, requests in flight, model reloads
— and ``render()``, the text format version 0.0.4 that Prometheus scrapes from ``/metrics``.
Routes are the app's route templates (``/similar``), never the raw path, so a scanner
probing random URLs cannot grow the label set; those count under ``<unmatched>``.
What it leaves out: recording itself (the middleware in ``serve.app`` calls ``observe``).
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

__all__ = ["LATENCY_BUCKETS", "Metrics"]

# seconds; from a cached lookup (~1 ms) to a transformer batch (seconds)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


class Metrics:
    """Counters and histograms of one app, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._errors: dict[tuple[str, str], int] = defaultdict(int)
        # route -> (bucket counts, sum of seconds, count); bucket i counts <= LATENCY_BUCKETS[i]
        self._latency: dict[str, list] = {}
        self._reloads: dict[tuple[str, str], int] = defaultdict(int)
        self.in_flight = 0

    def start(self) -> None:
        with self._lock:
            self.in_flight += 1

    def observe(self, route: str, method: str, status: int, seconds: float,
                error: str | None = None) -> None:
        """Record one finished request (``error``: the JSON error code it answered, if any)."""
        with self._lock:
            self.in_flight -= 1
            self._requests[(route, method, str(status))] += 1
            if error is not None or status >= 400:
                self._errors[(route, error or f"http_{status}")] += 1
            entry = self._latency.setdefault(route, [[0] * len(LATENCY_BUCKETS), 0.0, 0])
            i = bisect.bisect_left(LATENCY_BUCKETS, seconds)
            if i < len(LATENCY_BUCKETS):
                entry[0][i] += 1
            entry[1] += seconds
            entry[2] += 1

    def reloaded(self, model: str, *, ok: bool) -> None:
        with self._lock:
            self._reloads[(model, "ok" if ok else "failed")] += 1

    def requests(self, route: str, status: int | None = None) -> int:
        """Requests counted for ``route`` (with that status, or any)."""
        with self._lock:
            return sum(n for (r, _, s), n in self._requests.items()
                       if r == route and (status is None or s == str(status)))

    def render(self, *, models: int) -> str:
        """The Prometheus text exposition of every metric."""
        out: list[str] = []
        with self._lock:
            out += ["# HELP embedlayer_requests_total HTTP requests answered.",
                    "# TYPE embedlayer_requests_total counter"]
            for (route, method, status), n in sorted(self._requests.items()):
                out.append(f"embedlayer_requests_total"
                           f"{_labels(route=route, method=method, status=status)} {n}")
            out += ["# HELP embedlayer_errors_total Requests answered with an error, by code.",
                    "# TYPE embedlayer_errors_total counter"]
            for (route, error), n in sorted(self._errors.items()):
                out.append(f"embedlayer_errors_total{_labels(route=route, error=error)} {n}")
            out += ["# HELP embedlayer_request_duration_seconds Time to answer a request.",
                    "# TYPE embedlayer_request_duration_seconds histogram"]
            for route, (buckets, total, count) in sorted(self._latency.items()):
                running = 0
                for bound, n in zip(LATENCY_BUCKETS, buckets, strict=True):
                    running += n
                    out.append(f"embedlayer_request_duration_seconds_bucket"
                               f"{_labels(route=route, le=repr(bound))} {running}")
                out.append(f"embedlayer_request_duration_seconds_bucket"
                           f"{_labels(route=route, le='+Inf')} {count}")
                out.append(f"embedlayer_request_duration_seconds_sum{_labels(route=route)} "
                           f"{total:.6f}")
                out.append(f"embedlayer_request_duration_seconds_count{_labels(route=route)} "
                           f"{count}")
            out += ["# HELP embedlayer_requests_in_flight Requests being answered now.",
                    "# TYPE embedlayer_requests_in_flight gauge",
                    f"embedlayer_requests_in_flight {self.in_flight}",
                    "# HELP embedlayer_model_reloads_total Model reloads, by outcome.",
                    "# TYPE embedlayer_model_reloads_total counter"]
            for (model, outcome), n in sorted(self._reloads.items()):
                out.append(f"embedlayer_model_reloads_total"
                           f"{_labels(model=model, outcome=outcome)} {n}")
            out += ["# HELP embedlayer_models_loaded Models the server holds.",
                    "# TYPE embedlayer_models_loaded gauge",
                    f"embedlayer_models_loaded {models}"]
        return "\n".join(out) + "\n"
