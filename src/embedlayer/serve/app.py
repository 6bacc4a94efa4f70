"""The FastAPI application: routes, limits, the API key, metrics and one error shape.

What it holds: :func:`create_app` (registry + settings -> a FastAPI app). Routes:
``GET /health`` (no key needed), ``GET /models``, ``GET /metrics`` (Prometheus text),
``POST /vectors``, ``/similar``, ``/analogy``, ``/similarity``, ``/map`` (2-D coordinates
of chosen words: PCA, or UMAP when umap-learn is installed) (with a vectors model),
``/encode`` (vectors or transformer), ``/search`` (an index of texts), ``/classify``,
``/tag`` and ``/admin/reload``; a model route exists only when a model of its kind is
loaded (asked anyway, it answers 404 ``no_model`` naming what is missing). OpenAPI at
``/openapi.json``, its pages at ``/docs``. ``/`` serves the explorer page (``static/index.html``, with
``static/explorer.js`` and ``.css``: neighbours, analogies, the map, texts to classify or
search) and ``/static/`` its files (no key needed: they hold no model data; the page's own
requests carry the key).

Every error is ``{"error": code, "detail": text}`` with a 4xx status, FastAPI's validation
errors (422, or 400 for a body that is not JSON) and unknown routes (404 / 405) included. The
model calls run in a bounded pool of worker threads (``settings.workers``), so the event
loop never waits on numba or torch; the pool is shut down with the app. What it leaves out:
the answers themselves (``serve.answers``), loading (``serve.models``), running uvicorn
(``serve.server``).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from embedlayer import __version__
from embedlayer.errors import EmbedlayerError, RequestError, UnknownTokenError
from embedlayer.serve import answers
from embedlayer.serve import schemas as S
from embedlayer.serve.metrics import Metrics
from embedlayer.serve.models import ModelRegistry
from embedlayer.serve.settings import ServeSettings

__all__ = ["STATIC_DIR", "create_app"]

STATIC_DIR = Path(__file__).with_name("static")
_OPEN = ("/health",)  # the only API route that needs no key
_MODEL_ROUTES = {  # route -> the kinds of model it needs, for "not loaded" answers
    "/vectors": "vectors", "/similar": "vectors", "/analogy": "vectors",
    "/similarity": "vectors", "/map": "vectors", "/encode": "vectors or encoder",
    "/search": "index of texts",
    "/classify": "classifier", "/tag": "tagger",
}


def _error(status: int, code: str, detail: str, request: Request | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    if request is not None:
        request.state.error_code = code  # read by the metrics middleware
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


class _Gate:
    """ASGI middleware: body size, API key, and the metrics of every HTTP request."""

    def __init__(self, app: Any, *, settings: ServeSettings, metrics: Metrics,
                 routes: Callable[[], Sequence[Any]]) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.routes = routes
        self.key = settings.api_key.encode() if settings.api_key else None

    def _template(self, scope: dict[str, Any]) -> str:
        for route in self.routes():
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return getattr(route, "path", "<unmatched>")
        return "<unmatched>"

    def _refusal(self, scope: dict[str, Any]) -> JSONResponse | None:
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        length = headers.get("content-length", b"")
        if length.isdigit() and int(length) > self.settings.max_body_bytes:
            return JSONResponse({"error": "body_too_large", "detail": (
                f"request body of {int(length):,} bytes; the limit is "
                f"{self.settings.max_body_bytes:,}")}, status_code=413)
        path = scope["path"]
        if self.key is None or path in _OPEN or path == "/" or path.startswith("/static/"):
            return None
        given = headers.get("x-api-key")
        auth = headers.get("authorization", b"")
        if given is None and auth[:7].lower() == b"bearer ":
            given = auth[7:].strip()
        if given is None:
            detail = "missing API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
        elif hmac.compare_digest(given, self.key):
            return None
        else:
            detail = "wrong API key"
        return JSONResponse({"error": "unauthorized", "detail": detail}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        self.metrics.start()
        status = [500]
        error: list[str | None] = [None]

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                error[0] = "unauthorized" if refusal.status_code == 401 else "body_too_large"
                await refusal(scope, receive, send_status)
            else:
                await self.app(scope, _limited(receive, self.settings.max_body_bytes),
                               send_status)
        finally:
            error[0] = error[0] or scope.get("state", {}).get("error_code")
            self.metrics.observe(self._template(scope), scope["method"], status[0],
                                 time.perf_counter() - start, error[0])


def _limited(receive: Any, limit: int) -> Any:
    """``receive`` that refuses a body (sent without Content-Length) past ``limit`` bytes."""
    seen = [0]

    async def wrapped() -> dict[str, Any]:
        message = await receive()
        if message["type"] == "http.request":
            seen[0] += len(message.get("body", b""))
            if seen[0] > limit:
                raise RequestError(413, "body_too_large",
                                   f"request body over {limit:,} bytes")
        return message

    return wrapped


class _Limits:
    """The startup limits, checked on the event loop before any work is queued."""

    def __init__(self, settings: ServeSettings) -> None:
        self.s = settings

    def batch(self, field: str, items: Sequence[Any] | int) -> None:
        n = items if isinstance(items, int) else len(items)
        if n > self.s.max_batch:
            raise RequestError(422, "batch_too_large",
                               f"{field}: {n} items; the limit is {self.s.max_batch} "
                               f"(--max-batch)")

    def text(self, field: str, values: Sequence[str]) -> None:
        for i, value in enumerate(values):
            if len(value) > self.s.max_text_length:
                raise RequestError(422, "text_too_long",
                                   f"{field}[{i}]: {len(value):,} characters; the limit is "
                                   f"{self.s.max_text_length:,} (--max-text-length)")

    def k(self, k: int) -> None:
        if k > self.s.max_k:
            raise RequestError(422, "k_too_large",
                               f"k: {k}; the limit is {self.s.max_k} (--max-k)")


def create_app(registry: ModelRegistry, settings: ServeSettings | None = None, *,
               metrics: Metrics | None = None) -> FastAPI:
    """The HTTP service over ``registry``'s models (see the module docstring)."""
    settings = (settings or ServeSettings()).check()
    metrics = metrics or Metrics()
    limits = _Limits(settings)
    pool: dict[str, ThreadPoolExecutor] = {}

    def executor() -> ThreadPoolExecutor:
        if "pool" not in pool:
            pool["pool"] = ThreadPoolExecutor(settings.workers,
                                              thread_name_prefix="embedlayer-serve")
        return pool["pool"]

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202 - FastAPI's lifespan protocol
        executor()
        try:
            yield
        finally:  # graceful shutdown: running calls finish, queued ones are dropped
            if "pool" in pool:
                pool.pop("pool").shutdown(wait=True, cancel_futures=True)

    async def run(fn: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> JSONResponse:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(executor(), functools.partial(fn, *args, **kwargs))
        return JSONResponse(result)

    app = FastAPI(title="embedlayer", version=__version__, lifespan=lifespan,
                  description="Word vectors, encoders, indexes, classifiers and taggers loaded "
                              "read-only by `embedlayer serve`. Every error is "
                              "{\"error\": code, \"detail\": text}.",
                  responses={400: {"model": S.ErrorBody}, 401: {"model": S.ErrorBody},
                             404: {"model": S.ErrorBody}, 422: {"model": S.ErrorBody}})
    app.state.registry = registry
    app.state.metrics = metrics
    app.state.settings = settings
    _install_errors(app, registry)

    kinds = registry.kinds()
    map_methods = answers.map_methods() if "vectors" in kinds else []
    texts_index = any(m.holds_texts for m in registry.models())

    @app.get("/health", summary="liveness (no API key needed)")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "models": len(registry)}

    @app.get("/models", response_model=S.ModelsResponse, summary="the loaded models")
    async def models() -> dict[str, Any]:
        return {"models": [m.describe() for m in registry.models()],
                "map_methods": map_methods}

    @app.get("/metrics", response_class=PlainTextResponse,
             summary="Prometheus metrics: requests, latencies, errors")
    async def metrics_text() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(models=len(registry)),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/admin/reload", response_model=S.ReloadResponse,
              summary="read models again from their paths and swap them in atomically")
    async def reload(req: S.ReloadRequest | None = None) -> JSONResponse:
        names = [req.model] if req is not None and req.model else None
        if names:
            registry.get(names[0])  # 404 before any work
        try:
            # not in the query pool: queries go on, on the old objects, while this reads
            done = await asyncio.to_thread(
                lambda: [registry.reload(n) for n in names] if names
                else registry.reload_all())
        except (EmbedlayerError, OSError) as exc:
            for name in names or [m.name for m in registry.models()]:
                metrics.reloaded(name, ok=False)
            raise RequestError(503, "reload_failed",
                               f"reload failed, the previous models stay: {exc}") from None
        for model in done:
            metrics.reloaded(model.name, ok=True)
        return JSONResponse({"reloaded": [m.describe() for m in done]})

    if "vectors" in kinds:
        _vector_routes(app, registry, limits, run)
    if kinds & {"vectors", "encoder"}:
        @app.post("/encode", response_model=S.EncodeResponse, summary="texts to vectors")
        async def encode(req: S.EncodeRequest) -> JSONResponse:
            limits.batch("texts", req.texts)
            limits.text("texts", req.texts)
            model = registry.pick(req.model, ("encoder", "vectors"), route="/encode")
            return await run(answers.encode, model, req.texts)
    if texts_index:
        @app.post("/search", response_model=S.SearchResponse,
                  summary="texts to the top-k ids and scores of an index of texts")
        async def search(req: S.SearchRequest) -> JSONResponse:
            limits.batch("texts", req.texts)
            limits.text("texts", req.texts)
            limits.k(req.k)
            model = registry.pick(req.model, ("index",), route="/search",
                                  accept=lambda m: m.holds_texts)
            return await run(answers.search, model, req.texts, req.k)
    if "classifier" in kinds:
        @app.post("/classify", response_model=S.ClassifyResponse,
                  summary="texts to labels and probabilities")
        async def classify(req: S.ClassifyRequest) -> JSONResponse:
            limits.batch("texts", req.texts)
            limits.text("texts", req.texts)
            model = registry.pick(req.model, ("classifier",), route="/classify")
            return await run(answers.classify, model, req.texts)
    if "tagger" in kinds:
        @app.post("/tag", response_model=S.TagResponse,
                  summary="sentences (tokens, or texts split on whitespace) to tags")
        async def tag(req: S.TagRequest) -> JSONResponse:
            if req.sentences is not None:
                limits.batch("sentences", req.sentences)
                sentences = req.sentences
                for i, s in enumerate(sentences):
                    limits.batch(f"sentences[{i}]", s)
                    limits.text("sentences", [" ".join(s)])
            else:
                limits.batch("texts", req.texts or [])
                limits.text("texts", req.texts or [])
                sentences = [t.split() for t in req.texts or []]
            model = registry.pick(req.model, ("tagger",), route="/tag")
            return await run(answers.tag, model, sentences)

    if (STATIC_DIR / "index.html").is_file():
        from fastapi.staticfiles import StaticFiles

        @app.get("/", include_in_schema=False)
        async def page() -> FileResponse:
            return FileResponse(STATIC_DIR / "index.html")

        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(_Gate, settings=settings, metrics=metrics, routes=lambda: app.routes)
    if settings.cors_origins:  # added last = outermost: preflights need no key
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    return app


def _vector_routes(app: FastAPI, registry: ModelRegistry, limits: _Limits,
                   run: Callable[..., Awaitable[JSONResponse]]) -> None:
    @app.post("/vectors", response_model=S.VectorsResponse,
              summary="batch lookup; an unknown word is null (or composed by a subword model)")
    async def vectors(req: S.VectorsRequest) -> JSONResponse:
        limits.batch("words", req.words)
        limits.text("words", req.words)
        model = registry.pick(req.model, ("vectors",), route="/vectors")
        return await run(answers.vectors, model, req.words)

    @app.post("/similar", response_model=S.NeighboursResponse,
              summary="nearest words to a word or a vector (through the word index if loaded)")
    async def similar(req: S.SimilarRequest) -> JSONResponse:
        limits.k(req.k)
        if req.word is not None:
            limits.text("word", [req.word])
        model = registry.pick(req.model, ("vectors",), route="/similar")
        index = registry.index_for(model.name) if req.use_index else None
        return await run(answers.similar, model, word=req.word, vector=req.vector, k=req.k,
                         index=index)

    @app.post("/analogy", response_model=S.NeighboursResponse,
              summary="a : b :: c : ? (question words excluded)")
    async def analogy(req: S.AnalogyRequest) -> JSONResponse:
        limits.k(req.k)
        limits.text("a, b, c", [req.a, req.b, req.c])
        model = registry.pick(req.model, ("vectors",), route="/analogy")
        return await run(answers.analogy, model, a=req.a, b=req.b, c=req.c, k=req.k,
                         method=req.method)

    @app.post("/similarity", response_model=S.SimilarityResponse,
              summary="cosine similarity of word pairs")
    async def similarity(req: S.SimilarityRequest) -> JSONResponse:
        limits.batch("pairs", req.pairs)
        limits.text("pairs", [w for pair in req.pairs for w in pair])
        model = registry.pick(req.model, ("vectors",), route="/similarity")
        return await run(answers.similarity, model, req.pairs)

    @app.post("/map", response_model=S.MapResponse,
              summary="2-D coordinates of words by name, a word's neighbourhood or the top N")
    async def word_map(req: S.MapRequest) -> JSONResponse:
        limits.batch("words", req.words)
        limits.text("words", req.words + ([req.neighbours_of] if req.neighbours_of else []))
        limits.k(req.topn)
        if req.top is not None:
            limits.batch("top", req.top)
        model = registry.pick(req.model, ("vectors",), route="/map")
        return await run(answers.word_map, model, words=req.words,
                         neighbours_of=req.neighbours_of, topn=req.topn, top=req.top,
                         method=req.method)


def _install_errors(app: FastAPI, registry: ModelRegistry) -> None:
    """One JSON error shape for every failure."""

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> JSONResponse:
        return _error(exc.status, exc.code, str(exc), request)

    @app.exception_handler(UnknownTokenError)
    async def unknown_word(request: Request, exc: UnknownTokenError) -> JSONResponse:
        return _error(422, "unknown_word", str(exc), request)

    @app.exception_handler(EmbedlayerError)
    async def bad_query(request: Request, exc: EmbedlayerError) -> JSONResponse:
        return _error(422, "invalid_query", str(exc), request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "invalid_json", "the request body is not valid JSON", request)
        parts = []
        for e in errors[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{loc}: {e.get('msg', 'invalid')}")
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return _error(422, "validation_error", "; ".join(parts) + more, request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.url.path
        if exc.status_code == 404 and path in _MODEL_ROUTES:
            loaded = ", ".join(f"{m.name} ({m.kind})" for m in registry.models())
            return _error(404, "no_model", f"{path}: no {_MODEL_ROUTES[path]} model is loaded "
                                           f"(loaded: {loaded}); start the server with one",
                          request)
        if exc.status_code == 404:
            return _error(404, "not_found", f"no route {request.method} {path}", request)
        if exc.status_code == 405:
            return _error(405, "method_not_allowed",
                          f"{request.method} is not allowed on {path}", request,
                          headers=dict(exc.headers or {}))
        return _error(exc.status_code, "http_error", str(exc.detail), request,
                      headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal_error", f"{type(exc).__name__}: the server failed to "
                                             "answer; see its log", request)
