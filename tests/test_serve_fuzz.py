"""embedlayer serve under fuzzing: requests generated from the live server's own OpenAPI
schema (schemathesis), valid and invalid, never get a 5xx or a non-JSON error."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from embedlayer.serve import ModelRegistry, ServeSettings, create_app  # noqa: E402

from ._serve_models import LiveServer, build_models  # noqa: E402

KEY = "fuzz-key"
EXAMPLES = 25  # per operation and generation mode: about 15 s in all on two busy cores


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    paths = build_models(tmp_path_factory.mktemp("serve_fuzz"))
    # one model of each kind (the compressed store left out), so a request that names no
    # model reaches one: the fuzzing gets past model choice into the models themselves
    registry = ModelRegistry.load([(name, str(path)) for name, path in paths.items()
                                   if name != "small"])
    app = create_app(registry, ServeSettings(api_key=KEY, max_batch=16, max_text_length=200,
                                             max_k=20, workers=2))
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def operations(live):
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json",
                                           headers={"X-API-Key": KEY}, timeout=20)
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 12
    return ops


def _fuzz(op, strategy, url: str, failures: list[str]) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy)
        response = case.call(base_url=url, headers={"X-API-Key": KEY}, timeout=30)
        where = f"{op.method.upper()} {op.path} {case.body!r}"[:300]
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:  # one error shape, JSON
            assert set(response.json()) == {"error", "detail"}, f"{where}: {response.text}"

    run()


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_generated_requests_get_no_server_error(live, operations, mode):
    from schemathesis import GenerationMode

    failures: list[str] = []
    for op in operations:
        if mode == "negative" and op.method.upper() == "GET":
            continue  # no parameters or body: nothing invalid to send
        _fuzz(op, op.as_strategy(generation_mode=GenerationMode(mode)), live.url, failures)
    assert not failures, "\n".join(failures[:10])
