"""embedlayer serve: the real server on a free 127.0.0.1 port, called over HTTP with httpx —
every route, every 4xx case, the API key, metrics, and reload during traffic."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
import httpx  # noqa: E402

from embedlayer.serve import ModelRegistry, ServeSettings, create_app  # noqa: E402
from embedlayer.serve.models import detect_kind, parse_model_arg  # noqa: E402

from ._serve_models import TEXTS, LiveServer, build_models  # noqa: E402
from .conftest import ROOT  # noqa: E402

KEY = "s3cret-key"
SETTINGS = ServeSettings(api_key=KEY, max_batch=8, max_text_length=40, max_k=20, workers=2)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    return build_models(tmp_path_factory.mktemp("serve_models"))


@pytest.fixture(scope="module")
def server(paths):
    registry = ModelRegistry.load([(name, str(path)) for name, path in paths.items()])
    with LiveServer(create_app(registry, SETTINGS)) as live:
        yield live


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=20) as c:
        yield c


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == code, body
    return body["detail"]


# --- loading -------------------------------------------------------------------------------

def test_kinds_are_detected_from_the_files(paths):
    assert {name: detect_kind(str(p)) for name, p in paths.items()} == {
        "vec": "vectors", "small": "vectors", "words": "index", "docs": "index",
        "clf": "classifier", "tagger": "tagger"}
    assert detect_kind("minilm") == "encoder"
    assert parse_model_arg("a=/x/y.vec") == ("a", "/x/y.vec")
    assert parse_model_arg("/x/glove.6B.50d.txt") == ("glove", "/x/glove.6B.50d.txt")


# --- every route ---------------------------------------------------------------------------

def test_health_needs_no_key_and_models_lists_each_kind(server, client):
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok", "models": 6}
    models = {m["name"]: m for m in client.get("/models").json()["models"]}
    assert {n: m["kind"] for n, m in models.items()} == {
        "vec": "vectors", "small": "vectors", "words": "index", "docs": "index",
        "clf": "classifier", "tagger": "tagger"}
    assert models["words"]["holds"] == "words" and models["words"]["vectors_model"] == "vec"
    assert models["docs"]["holds"] == "texts"
    assert all("/" not in m["source"] for m in models.values())  # no server paths


def test_vectors_returns_null_for_unknown_words_and_states_the_policy(client):
    body = client.post("/vectors", json={"words": ["king", "qwerty"], "model": "vec"}).json()
    assert body["oov_policy"] == "null" and body["dim"] == 8
    king, unknown = body["vectors"]
    assert king["oov"] is False and len(king["vector"]) == 8
    assert unknown == {"word": "qwerty", "vector": None, "oov": True}


def test_similar_by_word_through_the_index_and_exactly_agree(client):
    via_index = client.post("/similar", json={"word": "king", "k": 3, "model": "vec"}).json()
    exact = client.post("/similar", json={"word": "king", "k": 3, "model": "vec",
                                          "use_index": False}).json()
    assert via_index["via"] == "index" and exact["via"] == "exact"
    assert [n["word"] for n in via_index["neighbours"]] == [n["word"] for n in
                                                            exact["neighbours"]]
    assert "king" not in [n["word"] for n in exact["neighbours"]]
    # the compressed store has no index: exact scan
    assert client.post("/similar", json={"word": "king", "model": "small"}).json()["via"] == \
        "exact"


def test_similar_by_vector_finds_the_word_itself(client):
    vec = client.post("/vectors", json={"words": ["paris"], "model": "vec"}).json()
    vector = vec["vectors"][0]["vector"]
    body = client.post("/similar", json={"vector": [v * 1e30 for v in vector], "k": 1,
                                         "model": "vec", "use_index": False}).json()
    assert body["neighbours"][0]["word"] == "paris"
    assert body["neighbours"][0]["score"] == pytest.approx(1.0, abs=1e-4)


def test_analogy_and_similarity_pairs(client):
    body = client.post("/analogy", json={"a": "man", "b": "king", "c": "woman", "k": 2,
                                         "model": "vec", "method": "3cosmul"}).json()
    assert len(body["answers"]) == 2
    assert not {"man", "king", "woman"} & {a["word"] for a in body["answers"]}
    sims = client.post("/similarity", json={"pairs": [["king", "king"], ["king", "qwerty"]],
                                            "model": "small"}).json()
    same, unknown = sims["similarities"]
    assert same["similarity"] == pytest.approx(1.0, abs=1e-5) and same["oov"] == []
    assert unknown["similarity"] is None and unknown["oov"] == ["qwerty"]


def test_map_places_a_neighbourhood_words_and_the_top_n(client):
    body = client.post("/map", json={"neighbours_of": "king", "topn": 4, "words": ["cat"],
                                     "model": "vec"}).json()
    assert body["method"] == "pca" and body["model"] == "vec"
    near = [n["word"] for n in client.post("/similar", json={
        "word": "king", "k": 4, "model": "vec", "use_index": False}).json()["neighbours"]]
    assert [(p["word"], p["group"]) for p in body["points"]] == \
        [("cat", ""), ("king", "king")] + [(w, "king") for w in near]
    xs = [p["x"] for p in body["points"]]
    assert all(isinstance(x, float) for x in xs) and max(xs) > min(xs)
    top = client.post("/map", json={"top": 5, "model": "small"}).json()["points"]
    assert [p["word"] for p in top] == ["king", "queen", "man", "woman", "prince"]
    assert client.get("/models").json()["map_methods"][0] == "pca"


def test_map_with_umap_works_or_names_the_missing_package(client):
    import importlib.util

    response = client.post("/map", json={"top": 8, "method": "umap", "model": "vec"})
    methods = client.get("/models").json()["map_methods"]
    if importlib.util.find_spec("umap") is None:
        assert methods == ["pca"]
        assert "pip install umap-learn" in _error(response, 422, "method_unavailable")
    else:
        assert methods == ["pca", "umap"]
        assert response.status_code == 200 and len(response.json()["points"]) == 8


def test_encode_search_classify_tag(client):
    enc = client.post("/encode", json={"texts": ["a cat", ""], "model": "vec"}).json()
    assert enc["dim"] == 8 and len(enc["vectors"]) == 2 and enc["vectors"][1] == [0.0] * 8
    hits = client.post("/search", json={"texts": [TEXTS[1]], "k": 2}).json()["results"][0]
    assert hits[0]["id"] == "d1" and hits[0]["text"] == TEXTS[1] and len(hits) == 2
    assert client.post("/search", json={"texts": ["cat"], "k": 20}).status_code == 200
    clf = client.post("/classify", json={"texts": ["the film was great", ""]}).json()
    assert all(set(r["probabilities"]) == {"neg", "pos"} for r in clf["results"])
    tag = client.post("/tag", json={"sentences": [["Ana", "vive", "en", "Lima"], []]}).json()
    assert [len(r["tags"]) for r in tag["results"]] == [4, 0]
    tag = client.post("/tag", json={"texts": ["Juan vive en Quito"]}).json()
    assert tag["results"][0]["tokens"] == ["Juan", "vive", "en", "Quito"]


def test_openapi_lists_the_routes_and_the_page_placeholder(server, client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/models", "/vectors", "/similar", "/analogy", "/similarity",
            "/map", "/encode", "/search", "/classify", "/tag", "/admin/reload"} <= set(paths)
    page = httpx.get(f"{server.url}/")  # the explorer's page: no key, no model data
    assert page.status_code == 200 and "embedlayer" in page.text


# --- every 4xx -----------------------------------------------------------------------------

def test_the_api_key_is_checked_on_every_route_but_health(server):
    for path in ("/models", "/metrics", "/openapi.json"):
        detail = _error(httpx.get(server.url + path), 401, "unauthorized")
        assert "missing" in detail
    _error(httpx.post(f"{server.url}/vectors", json={"words": ["king"]},
                      headers={"X-API-Key": "nope"}), 401, "unauthorized")
    ok = httpx.post(f"{server.url}/vectors", json={"words": ["king"], "model": "vec"},
                    headers={"Authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200


@pytest.mark.parametrize(("path", "body", "status", "code", "names"), [
    ("/vectors", b"{not json", 400, "invalid_json", "JSON"),
    ("/vectors", {}, 422, "validation_error", "words"),
    ("/vectors", {"words": ["a"], "extra": 1}, 422, "validation_error", "extra"),
    ("/similar", {"word": "king", "vector": [1.0]}, 422, "validation_error", "exactly one"),
    ("/similar", {"word": "king", "k": 0}, 422, "validation_error", "k"),
    ("/vectors", {"words": ["king"], "model": "nope"}, 404, "unknown_model", "nope"),
    ("/vectors", {"words": ["king"]}, 400, "model_required", "vec, small"),
    ("/vectors", {"words": ["king"], "model": "clf"}, 422, "wrong_model_kind", "classifier"),
    ("/vectors", {"words": ["w"] * 9, "model": "vec"}, 422, "batch_too_large", "--max-batch"),
    ("/encode", {"texts": ["x" * 41], "model": "vec"}, 422, "text_too_long",
     "--max-text-length"),
    ("/similar", {"word": "king", "k": 21, "model": "vec"}, 422, "k_too_large", "--max-k"),
    ("/search", {"texts": ["cat"], "k": 21}, 422, "k_too_large", "--max-k"),
    ("/similar", {"word": "qwerty", "model": "vec"}, 422, "unknown_word", "qwerty"),
    ("/analogy", {"a": "man", "b": "qwerty", "c": "woman", "model": "vec"}, 422,
     "unknown_word", "qwerty"),
    ("/similar", {"word": "zero", "model": "vec", "use_index": False}, 422, "invalid_query",
     "zero"),
    ("/similar", {"vector": [1.0] * 3, "model": "vec"}, 422, "wrong_dim", "8"),
    ("/similar", {"vector": [0.0] * 8, "model": "vec"}, 422, "zero_vector", "zeros"),
    ("/tag", {"sentences": [["a"] * 9]}, 422, "batch_too_large", "sentences[0]"),
    ("/admin/reload", {"model": "nope"}, 404, "unknown_model", "nope"),
    ("/map", {"model": "vec"}, 422, "validation_error", "neighbours_of"),
    ("/map", {"words": ["king", "qwerty"], "model": "vec"}, 422, "unknown_word", "qwerty"),
    ("/map", {"words": ["king"], "model": "vec"}, 422, "invalid_query", "at least 2"),
    ("/map", {"top": 9, "model": "vec"}, 422, "batch_too_large", "--max-batch"),
    ("/map", {"neighbours_of": "king", "topn": 21, "model": "vec"}, 422, "k_too_large",
     "--max-k"),
    ("/map", {"top": 3, "method": "tsne", "model": "vec"}, 422, "validation_error", "umap"),
    ("/nowhere", {}, 404, "not_found", "/nowhere"),
])
def test_each_bad_request_gets_a_json_error_naming_the_problem(client, path, body, status,
                                                               code, names):
    kwargs = {"content": body, "headers": {"Content-Type": "application/json"}} \
        if isinstance(body, bytes) else {"json": body}
    assert names in _error(client.post(path, **kwargs), status, code)


def test_wrong_method_and_oversized_body(client):
    _error(client.get("/vectors"), 405, "method_not_allowed")
    big = b'{"words": ["' + b"x" * (SETTINGS.max_body_bytes + 10) + b'"]}'
    _error(client.post("/vectors", content=big, headers={"Content-Type": "application/json"}),
           413, "body_too_large")


def test_a_route_whose_kind_is_not_loaded_says_what_is_missing(paths):
    registry = ModelRegistry.load([("vec", str(paths["vec"]))])
    with LiveServer(create_app(registry, ServeSettings(workers=1))) as live:
        for path, what in (("/classify", "classifier"), ("/tag", "tagger"),
                           ("/search", "index of texts")):
            detail = _error(httpx.post(live.url + path, json={"texts": ["a"]}), 404,
                            "no_model")
            assert what in detail and "vec (vectors)" in detail
        # with one vectors model it is the default; no key configured: open
        assert httpx.post(f"{live.url}/vectors", json={"words": ["cat"]}).status_code == 200
        paths_served = httpx.get(f"{live.url}/openapi.json").json()["paths"]
        assert "/classify" not in paths_served and "/similar" in paths_served


# --- metrics and reload --------------------------------------------------------------------

def test_metrics_count_requests_latencies_and_errors(client):
    client.post("/vectors", json={"words": ["king"], "model": "vec"})
    client.post("/vectors", json={"words": ["king"], "model": "nope"})
    text = client.get("/metrics").text
    assert 'embedlayer_requests_total{route="/vectors",method="POST",status="200"}' in text
    assert 'embedlayer_errors_total{route="/vectors",error="unknown_model"}' in text
    assert 'embedlayer_errors_total{route="/models",error="unauthorized"}' in text
    assert 'embedlayer_request_duration_seconds_bucket{route="/vectors",le="+Inf"}' in text
    assert "embedlayer_models_loaded 6" in text


def test_reload_during_traffic_fails_no_request(server):
    async def hammer(c: httpx.AsyncClient, stop: asyncio.Event, out: list[int]) -> None:
        while not stop.is_set():
            r = await c.post("/similar", json={"word": "queen", "k": 3, "model": "vec"})
            out.append(r.status_code)

    async def main() -> tuple[list[int], list[int]]:
        statuses: list[int] = []
        reloads: list[int] = []
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": KEY},
                                     timeout=30) as c:
            stop = asyncio.Event()
            tasks = [asyncio.create_task(hammer(c, stop, statuses)) for _ in range(4)]
            await asyncio.sleep(0.2)
            for body in ({"model": "vec"}, {"model": "words"}, None):
                r = await c.post("/admin/reload", json=body)
                reloads.append(r.status_code)
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.gather(*tasks)
        return statuses, reloads

    statuses, reloads = asyncio.run(main())
    assert reloads == [200, 200, 200]
    assert len(statuses) > 20 and set(statuses) == {200}
    models = httpx.get(f"{server.url}/models", headers={"X-API-Key": KEY}).json()["models"]
    assert {m["name"]: m["reloads"] for m in models}["vec"] == 2  # once alone, once in "all"
    text = httpx.get(f"{server.url}/metrics", headers={"X-API-Key": KEY}).text
    assert 'embedlayer_model_reloads_total{model="vec",outcome="ok"} 2' in text


# --- the command line ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_serves_reloads_on_sighup_and_shuts_down_gracefully(paths):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "EMBEDLAYER_API_KEY": KEY}
    proc = subprocess.Popen(
        [sys.executable, "-m", "embedlayer.cli.main", "serve", f"v={paths['vec']}",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        assert httpx.get(f"{url}/models").status_code == 401  # the key from the environment
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        reloaded = 'embedlayer_model_reloads_total{model="v",outcome="ok"} 1'
        while reloaded not in (text := httpx.get(f"{url}/metrics",
                                                 headers={"X-API-Key": KEY}).text):
            assert time.monotonic() < deadline, text
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "v: vectors" in err and "SIGHUP: reloaded" in err and "stopped" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_cli_refuses_a_missing_model_in_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-m", "embedlayer.cli.main", "serve",
                           str(tmp_path / "missing.vec")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "missing.vec" in proc.stderr and "Traceback" not in proc.stderr


def test_a_transformer_encoder_and_cors_when_configured(paths, tmp_path):
    from .tiny_bert import write_tiny_bert

    bert = write_tiny_bert(tmp_path / "bert")
    assert detect_kind(str(bert)) == "encoder"
    registry = ModelRegistry.load([("bert", str(bert)), ("vec", str(paths["vec"]))])
    settings = ServeSettings(workers=1, cors_origins=("http://localhost:3000",))
    with LiveServer(create_app(registry, settings)) as live:
        body = httpx.post(f"{live.url}/encode", json={"texts": ["a good film", ""]}).json()
        assert body["model"] == "bert" and body["dim"] == 32  # the encoder is /encode's default
        assert len(body["vectors"]) == 2
        allowed = httpx.options(f"{live.url}/vectors", headers={
            "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
        assert allowed.headers.get("access-control-allow-origin") == "http://localhost:3000"
        other = httpx.post(f"{live.url}/vectors", json={"words": ["cat"]},
                           headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
