"""The explorer page at `/`, driven in headless Chromium (Debian's `chromium` package through
Playwright; never a browser download): the API key, neighbours, an analogy, the map, and the
text box over an index of texts and a classifier.

The vectors are built by hand so every answer is known: with r(oyal), p(erson), m(ale),
f(emale) and two marks u, w, all orthonormal, king = r+m+u, man = p+m+u, woman = p+f+w,
queen = r+f+w (norm sqrt 3 each), so king - man + woman = queen exactly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from embedlayer.serve import ModelRegistry, ServeSettings, create_app  # noqa: E402

from ._serve_models import LiveServer, _classifier  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
KEY = "page-key"
AXES = ["r", "p", "m", "f", "u", "w", "y", "a", "s", "t", "c", "n", "g", "o", "q"]
WORDS = {  # word -> {axis: weight}
    "king": {"r": 1, "m": 1, "u": 1},
    "queen": {"r": 1, "f": 1, "w": 1},
    "man": {"p": 1, "m": 1, "u": 1},
    "woman": {"p": 1, "f": 1, "w": 1},
    "prince": {"r": 1, "m": 1, "u": 1, "y": 0.7},
    "princess": {"r": 1, "f": 1, "w": 1, "y": 0.7},
    "cat": {"a": 1, "s": 0.3},
    "dog": {"a": 1, "t": 0.5},
    "paris": {"c": 1, "n": 0.6, "g": 0.2},
    "france": {"n": 1, "c": 0.6, "o": 0.3},
    "rome": {"c": 1, "n": 0.5, "q": 0.4},
    "italy": {"n": 1, "c": 0.5, "q": 0.5},
}
# cosines with king: prince 3 / sqrt(3 * 3.49) = 0.927, man 2/3, queen 1/3,
# princess 1 / sqrt(3 * 3.49) = 0.309, the rest 0
KING_NEIGHBOURS = ["prince", "man", "queen", "princess"]
TEXTS = ["king queen", "cat dog", "paris france", "rome italy"]


def _vectors():
    from embedlayer.vectors import Vectors

    matrix = np.zeros((len(WORDS), len(AXES)), dtype=np.float32)
    for i, weights in enumerate(WORDS.values()):
        for axis, weight in weights.items():
            matrix[i, AXES.index(axis)] = weight
    return Vectors(list(WORDS), matrix)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from embedlayer.tasks.index import VectorIndex
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors.encoder import StaticEncoder
    from embedlayer.vectors.io import save_vectors

    root = tmp_path_factory.mktemp("explorer")
    store = _vectors()
    vec = save_vectors(store, root / "royal", progress=False)
    encoder = StaticEncoder(store, get_tokenizer("regex", lowercase=True), method="mean")
    docs = VectorIndex(store.dim, encoder=encoder.identity())
    docs.add([f"d{i}" for i in range(len(TEXTS))], encoder.encode(TEXTS), TEXTS)
    registry = ModelRegistry.load([("royal", str(vec)), ("docs", str(docs.save(root / "docs"))),
                                   ("reviews", str(_classifier().save(root / "clf")))])
    with LiveServer(create_app(registry, ServeSettings(api_key=KEY, workers=2))) as live:
        yield live


@pytest.fixture(scope="module")
def page(server):
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    f"(apt-get install chromium; .ci/run does it) — the explorer's browser test "
                    f"never downloads a browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox"])
        page = browser.new_page()
        page.set_default_timeout(20_000)
        outside: list[str] = []  # every request must stay on the server: no CDN
        page.on("request", lambda r: None if r.url.startswith(server.url) else
                outside.append(r.url))
        page.goto(server.url + "/")
        yield page
        browser.close()
        assert not outside, outside


def _column(page, table: str, col: int) -> list[str]:
    return page.locator(f"#{table} tbody tr td:nth-child({col})").all_inner_texts()


def test_1_without_the_key_the_page_says_so_and_with_it_loads_the_models(page):
    status = page.locator("#status")
    page.wait_for_function("document.body.dataset.models === 'failed'")
    assert "unauthorized" in status.inner_text() and "missing API key" in status.inner_text()
    page.fill("#api-key", KEY)
    page.click("#save-key")
    page.wait_for_function("document.body.dataset.models === 'loaded'")
    assert page.evaluate("sessionStorage.getItem('embedlayer.apiKey')") == KEY
    assert page.locator("#model option").all_inner_texts() == ["royal (12 × 15)"]
    assert page.locator("#text-section").is_visible()
    assert page.locator("#classify-go").is_visible() and page.locator("#search-go").is_visible()
    umap = page.locator('#map-method option[value="umap"]')
    assert umap.is_disabled() == (importlib.util.find_spec("umap") is None)


def test_2_typing_a_word_shows_its_neighbours_in_order(page):
    page.fill("#neighbours-word", "king")
    page.fill("#neighbours-k", "4")
    page.click("#neighbours-go")
    page.wait_for_selector("#neighbours-table:not([hidden])")
    assert _column(page, "neighbours-table", 2) == KING_NEIGHBOURS
    scores = [float(s) for s in _column(page, "neighbours-table", 3)]
    assert scores == pytest.approx([3 / (3 * 3.49) ** 0.5, 2 / 3, 1 / 3, 1 / (3 * 3.49) ** 0.5],
                                   abs=1e-4)
    page.click("#neighbours-table >> text=queen")  # a word in the table is a link
    page.wait_for_function("document.querySelector('#neighbours-table').dataset.word"
                           " === 'queen'")
    assert _column(page, "neighbours-table", 2)[:2] == ["princess", "woman"]


def test_3_an_api_error_shows_its_detail(page):
    page.fill("#neighbours-word", "qwerty")
    page.click("#neighbours-go")
    error = page.locator("#neighbours-error")
    error.filter(has_text="qwerty").wait_for()
    assert error.inner_text().startswith("unknown_word:")
    assert page.locator("#neighbours-table").is_hidden()


def test_4_an_analogy_answers_queen(page):
    for field, word in (("a", "man"), ("b", "king"), ("c", "woman")):
        page.fill(f"#analogy-{field}", word)
    page.click("#analogy-go")
    page.wait_for_selector("#analogy-table:not([hidden])")
    assert _column(page, "analogy-table", 2)[:2] == ["queen", "princess"]
    assert float(_column(page, "analogy-table", 3)[0]) == pytest.approx(1.0, abs=1e-4)


def _points(page) -> dict[str, dict[str, float]]:
    page.wait_for_selector("#map-svg")
    return page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#map-svg g.point')].map(g => {
            const c = g.querySelector('circle').getBoundingClientRect();
            return [g.querySelector('text').textContent,
                    {x: c.x, y: c.y, w: c.width, h: c.height, group: g.dataset.group}];
        }))""")


def test_5_the_map_draws_one_labelled_point_per_word(page):
    page.fill("#map-word", "king")
    page.fill("#map-count", "4")
    page.click("#map-go")
    points = _points(page)
    assert set(points) == {"king", *KING_NEIGHBOURS}
    assert {p["group"] for p in points.values()} == {"king"}
    assert all(p["w"] > 0 and p["h"] > 0 for p in points.values())
    xs = [p["x"] for p in points.values()]
    ys = [p["y"] for p in points.values()]
    assert max(xs) - min(xs) > 100 or max(ys) - min(ys) > 100  # spread over the picture
    box = page.locator("#map-svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    page.select_option("#map-mode", "top")
    page.fill("#map-count", "6")
    page.click("#map-go")
    page.wait_for_function("document.querySelectorAll('#map-svg g.point').length === 6")
    assert set(_points(page)) == set(list(WORDS)[:6])
    assert page.locator("#map-error").inner_text() == ""


def test_6_the_text_box_searches_and_classifies(page):
    page.fill("#text-input", "a dog")
    page.click("#search-go")
    first = page.locator("#search-hits li").first
    first.wait_for()
    assert first.inner_text().startswith("cat dog") and first.get_attribute("data-id") == "d1"
    page.fill("#text-input", "the film was great")
    page.click("#classify-go")
    page.locator("#classify-label").wait_for()
    assert page.locator("#classify-label").inner_text() in ("label: pos", "label: neg")
    probs = page.locator("#classify-probabilities li").all_inner_texts()
    assert sorted(p.split(":")[0] for p in probs) == ["neg", "pos"]
    assert page.locator("#text-error").inner_text() == ""
