"""VectorIndex: exact search against numpy and faiss, ANN recall, removal, saving, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.tasks import _kernels_topk as K
from embedlayer.tasks.index import VectorIndex

faiss = pytest.importorskip("faiss")  # the test extra installs it: never skipped in CI


def _data(n=3000, d=24, q=40, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((30, d)).astype(np.float32) * 3
    x = centres[rng.integers(0, 30, n)] + rng.standard_normal((n, d)).astype(np.float32)
    queries = centres[rng.integers(0, 30, q)] + rng.standard_normal((q, d)).astype(np.float32)
    return x.astype(np.float32), queries.astype(np.float32)


def _reference(x, q, metric, k):
    if metric == "cosine":
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
    x64, q64 = x.astype(np.float64), q.astype(np.float64)
    s = -((q64[:, None, :] - x64[None]) ** 2).sum(-1) if metric == "l2" else q64 @ x64.T
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(s, order, axis=1)


# --- the top-k kernel against its reference -------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 10, 64])
def test_heap_kernel_matches_reference_with_ties(k):
    rng = np.random.default_rng(k)
    hs, hi = K.new_heaps(7, k)
    rs, ri = K.new_heaps(7, k)
    for start in (0, 50, 130):
        # few distinct values: many ties, which must go to the smaller row id
        block = rng.integers(0, 6, size=(7, 50 + start // 10)).astype(np.float32)
        K.heap_push_block(block, start, hs, hi)
        K.heap_push_block_reference(block, start, rs, ri)
    K.heap_sorted(hs, hi)
    K.heap_sorted_reference(rs, ri)
    np.testing.assert_array_equal(hi, ri)
    np.testing.assert_array_equal(hs, rs)


def test_heap_kernel_leaves_empty_slots_last():
    hs, hi = K.new_heaps(2, 5)
    K.heap_push_block(np.array([[1.0, 3.0], [2.0, 2.0]], np.float32), 10, hs, hi)
    K.heap_sorted(hs, hi)
    assert hi.tolist() == [[11, 10, -1, -1, -1], [10, 11, -1, -1, -1]]
    assert np.isneginf(hs[:, 2:]).all()


# --- exact search ---------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_exact_search_matches_numpy(metric):
    x, q = _data()
    index = VectorIndex(x.shape[1], metric=metric)
    index.add(np.arange(len(x)) * 7, x)
    res = index.search(q, k=10)
    ref_ids, ref_scores = _reference(x, q, metric, 10)
    np.testing.assert_allclose(res.scores, ref_scores, rtol=1e-4, atol=1e-3)
    # the same rows, apart from near-ties (float32 vs float64 rounding)
    agree = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(res.ids // 7, ref_ids, strict=True)])
    assert agree >= 0.99
    assert res.ids.dtype == np.int64 and res.scores.dtype == np.float32


def test_exact_search_agrees_with_faiss_flat_ip():
    x, q = _data(n=5000, d=32, q=100, seed=3)
    index = VectorIndex(32, metric="ip")
    index.add(np.arange(len(x)), x)
    flat = faiss.IndexFlatIP(32)
    flat.add(x)
    dist, ids = flat.search(q, 10)
    res = index.search(q, 10)
    np.testing.assert_allclose(res.scores, dist, rtol=1e-4, atol=1e-3)
    mismatch = res.ids != ids
    # where they differ the scores are tied to float precision
    assert np.allclose(res.scores[mismatch], dist[mismatch], rtol=1e-4, atol=1e-3)
    assert mismatch.mean() < 0.01


def test_exact_blocks_and_query_blocks_give_the_same_answer(monkeypatch):
    from embedlayer.tasks import index as mod

    x, q = _data(n=9000, d=16, q=30)
    whole = VectorIndex(16, metric="ip")
    whole.add(range(len(x)), x)
    expected = whole.search(q, 5)
    monkeypatch.setattr(mod, "_BLOCK_SCORES", 1)  # 4096-row blocks
    monkeypatch.setattr(mod, "_QUERY_BLOCK", 7)
    got = whole.search(q, 5)
    np.testing.assert_array_equal(got.ids, expected.ids)
    np.testing.assert_allclose(got.scores, expected.scores, rtol=1e-5, atol=1e-5)


def test_string_ids_remove_and_re_add():
    x, q = _data(n=200, d=8)
    index = VectorIndex(8, metric="cosine")
    names = [f"doc{i}" for i in range(200)]
    index.add(names, x)
    top = index.search(x[5], k=1)
    assert top.ids[0, 0] == "doc5" and top.scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    index.remove(["doc5"])
    assert "doc5" not in index and len(index) == 199
    assert index.search(x[5], k=1).ids[0, 0] != "doc5"
    index.add(["doc5"], x[5:6])
    assert index.search(x[5], k=1).ids[0, 0] == "doc5"


def test_add_does_not_change_the_callers_array():
    x, _ = _data(n=50, d=8)
    before = x.copy()
    VectorIndex(8, metric="cosine").add(range(50), x)
    np.testing.assert_array_equal(x, before)


# --- approximate kinds ----------------------------------------------------------------------


@pytest.mark.parametrize("kind,params", [("hnsw", {}), ("ivf", {"nprobe": 8}),
                                         ("ivf", {"nprobe": 8, "pq_m": 8})])
@pytest.mark.parametrize("metric", ["cosine", "l2"])
def test_ann_recall_removal_and_reload(tmp_path, kind, params, metric):
    x, q = _data(n=12000 if params.get("pq_m") else 4000, d=32, q=50, seed=1)
    index = VectorIndex(32, metric=metric, kind=kind, workers=1, **params)
    index.add(np.arange(len(x)), x)
    ref_ids, _ = _reference(x, q, metric, 10)
    res = index.search(q, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(res.ids, ref_ids, strict=True)])
    # 8-byte codes of 32 floats lose the order within a cluster; chance would be 0.0008
    assert recall >= (0.25 if params.get("pq_m") else 0.9), recall
    gone = ref_ids[:, 0][:5].tolist()
    index.remove(sorted(set(gone)))
    after = index.search(q, 10)
    assert not set(gone) & set(after.ids.ravel().tolist())
    index.save(tmp_path / "idx")
    again = VectorIndex.load(tmp_path / "idx", workers=1)
    same = again.search(q, 10)
    np.testing.assert_array_equal(same.ids, after.ids)
    np.testing.assert_allclose(same.scores, after.scores, rtol=1e-6)
    assert len(again) == len(index)


def test_exact_saved_index_is_memory_mapped_and_answers_identically(tmp_path):
    x, q = _data(n=500, d=12)
    index = VectorIndex(12, metric="l2", encoder={"kind": "static", "dim": 12})
    index.add(range(500), x)
    index.save(tmp_path / "i")
    loaded = VectorIndex.load(tmp_path / "i")
    assert isinstance(loaded._rows, np.memmap)
    a, b = index.search(q, 7), loaded.search(q, 7)
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.scores, b.scores)
    loaded.add([1000], x[:1] + 1)  # a loaded index still grows (the map is copied once)
    assert len(loaded) == 501
    meta = json.loads((tmp_path / "i" / "index.json").read_text())
    assert meta["format_version"] == 1 and meta["encoder"] == {"kind": "static", "dim": 12}
    assert not list((tmp_path / "i").glob("*.pkl"))


def test_vectors_neighbours_through_an_index():
    from embedlayer.vectors import Vectors
    from embedlayer.vectors.query import most_similar

    x, _ = _data(n=300, d=16)
    store = Vectors([f"w{i}" for i in range(300)], x)
    index = VectorIndex.from_vectors(store, metric="cosine")
    via_index = most_similar(store, "w3", topn=5, index=index)
    exact = most_similar(store, "w3", topn=5)
    assert [w for w, _ in via_index] == [w for w, _ in exact]
    np.testing.assert_allclose([s for _, s in via_index], [s for _, s in exact], atol=1e-5)
    hnsw = VectorIndex.from_vectors(store, kind="hnsw", workers=1)
    words = [w for w, _ in most_similar(store, "w3", topn=5, index=hnsw)]
    assert "w3" not in words and len(words) == 5


# --- bad input ------------------------------------------------------------------------------


def test_bad_input_is_a_clear_error(tmp_path):
    index = VectorIndex(4)
    with pytest.raises(ConfigError, match="empty"):
        index.search(np.ones(4), 1)
    index.add([1, 2, 3], np.eye(3, 4))
    with pytest.raises(ConfigError, match="larger than the index"):
        index.search(np.ones(4), 4)
    with pytest.raises(ConfigError, match="positive"):
        index.search(np.ones(4), 0)
    with pytest.raises(ConfigError, match="dimension 4"):
        index.search(np.ones(5), 1)
    with pytest.raises(ConfigError, match="NaN"):
        index.add([9], np.array([[1.0, np.nan, 0, 0]]))
    with pytest.raises(ConfigError, match="NaN"):
        index.search(np.array([np.inf, 0, 0, 0]), 1)
    with pytest.raises(ConfigError, match="duplicate id 2"):
        index.add([2], np.ones((1, 4)))
    with pytest.raises(ConfigError, match="duplicate id 7"):
        index.add([7, 7], np.ones((2, 4)))
    with pytest.raises(ConfigError, match="all int or all str"):
        index.add(["x"], np.ones((1, 4)))
    with pytest.raises(ConfigError, match="2 ids for 1 vectors"):
        index.add([8, 9], np.ones((1, 4)))
    with pytest.raises(ConfigError, match="not in the index"):
        index.remove([42])
    assert len(index) == 3  # nothing half-added
    with pytest.raises(ConfigError, match="metric"):
        VectorIndex(4, metric="dot")
    with pytest.raises(ConfigError, match="unknown parameter"):
        VectorIndex(4, kind="hnsw", nprobe=3)
    with pytest.raises(ConfigError, match="pq_m"):
        VectorIndex(10, kind="ivf", pq_m=3)
    with pytest.raises(ConfigError, match="needs at least"):
        VectorIndex(4, kind="ivf", nlist=50).add(range(10), np.ones((10, 4)))


def test_an_index_refuses_another_encoder(tmp_path):
    from embedlayer.vectors import Vectors
    from embedlayer.vectors.encoder import StaticEncoder

    a = Vectors(["x", "y"], np.eye(2, 3, dtype=np.float32))
    b = Vectors(["x", "z"], np.eye(2, 3, dtype=np.float32))
    enc_a, enc_b = StaticEncoder(a, str.split), StaticEncoder(b, str.split)
    index = VectorIndex(3, encoder=enc_a.identity())
    index.add(["d1", "d2"], enc_a.encode(["x", "y"]))
    index.save(tmp_path / "i")
    loaded = VectorIndex.load(tmp_path / "i")
    assert loaded.search_texts(enc_a, ["y"], k=1).ids[0, 0] == "d2"
    with pytest.raises(ConfigError, match="another encoder"):
        loaded.search_texts(enc_b, ["y"], k=1)


def test_truncated_or_foreign_files_are_refused(tmp_path):
    x, _ = _data(n=300, d=8)
    for kind in ("exact", "hnsw"):
        index = VectorIndex(8, kind=kind, workers=1)
        index.add(range(300), x)
        folder = index.save(tmp_path / kind)
        data = next(p for p in folder.iterdir() if p.name not in ("index.json", "ids.npy"))
        raw = data.read_bytes()
        data.write_bytes(raw[: len(raw) // 2])
        with pytest.raises(FormatError, match="truncated"):
            VectorIndex.load(folder)
        data.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
        with pytest.raises(FormatError, match="sha256"):
            VectorIndex.load(folder)
    with pytest.raises(MissingFileError, match="no such index"):
        VectorIndex.load(tmp_path / "nothing")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "index.json").write_text('{"format": "other"}')
    with pytest.raises(FormatError, match="not an embedlayer index"):
        VectorIndex.load(tmp_path / "junk")


def test_save_never_clobbers_a_foreign_folder_and_is_atomic(tmp_path, monkeypatch):
    index = VectorIndex(4)
    index.add([1], np.ones((1, 4)))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(ConfigError, match="did not write"):
        index.save(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
    index.save(tmp_path / "good")
    before = sorted(p.name for p in (tmp_path / "good").iterdir())

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dumps", boom)  # interrupted after the rows were written
    index.add([2], np.ones((1, 4)))
    with pytest.raises(KeyboardInterrupt):
        index.save(tmp_path / "good")
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "good").iterdir()) == before
    assert len(VectorIndex.load(tmp_path / "good")) == 1  # the old index, whole
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
