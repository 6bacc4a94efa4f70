"""Shared fixtures: the data path points at ../shared/data (read-only), never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
_DEFAULT_DATA = ROOT.parent / "shared" / "data"

# Tests read the shared mirror through the same variable users set; the progress bars stay
# quiet so test logs stay readable.
os.environ.setdefault("EMBEDLAYER_DATA", str(_DEFAULT_DATA))
# Made absolute once, so tests that change the working folder still find the data.
os.environ["EMBEDLAYER_DATA"] = os.pathsep.join(
    str(Path(p).absolute()) for p in os.environ["EMBEDLAYER_DATA"].split(os.pathsep) if p
)
os.environ.setdefault("EMBEDLAYER_PROGRESS", "0")

# Hypothesis fails an example slower than 200 ms by default: a wall-clock assertion that a
# loaded or slower CI machine trips. Every property test runs without that deadline (the
# pytest timeout still catches a real hang).
settings.register_profile("embedlayer", deadline=None)
settings.load_profile("embedlayer")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ["EMBEDLAYER_DATA"].split(os.pathsep)[0]).absolute()
    if not (path / "SHA256SUMS").is_file():
        pytest.fail(f"EMBEDLAYER_DATA={path} is not the shared data mirror (no SHA256SUMS)")
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test writes into the user's real cache."""
    monkeypatch.setenv("EMBEDLAYER_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def one_torch_thread():
    """One torch thread for the test (``pytestmark = pytest.mark.usefixtures(...)``): tiny
    models gain nothing from a second thread, and with one the results are repeatable."""
    from embedlayer.nn._threads import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def one_torch_thread_module():
    """``one_torch_thread`` for a whole test file, module-scoped fixtures (trained models)
    included: ``pytestmark = pytest.mark.usefixtures("one_torch_thread_module")``."""
    from embedlayer.nn._threads import torch_threads

    with torch_threads(1):
        yield
