"""embedlayer.compress: kernels against their numpy references, each codec against its own
rebuilt matrix (queries on codes = dense queries on the rebuilt rows), error bounds, files
round-tripping bit for bit, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embedlayer.compress import (
    CompressedSubwordVectors,
    CompressedVectors,
    LowRankCodec,
    PQCodec,
    ScalarCodec,
    compress,
    fit_lowrank,
    fit_pq,
    fit_scalar,
    kmeans,
    load_compressed,
    parse_steps,
    save_compressed,
)
from embedlayer.compress import _kernels as kernels
from embedlayer.compress import _reference as reference
from embedlayer.errors import ConfigError, FormatError, UnknownTokenError
from embedlayer.vectors import Vectors
from embedlayer.vectors.subword import SubwordVectors


@pytest.fixture(scope="module")
def vectors() -> Vectors:
    rng = np.random.default_rng(0)
    # clustered rows, like word vectors: a few directions plus noise
    centers = rng.standard_normal((20, 24)).astype(np.float32)
    rows = centers[rng.integers(0, 20, 1500)] + 0.3 * rng.standard_normal((1500, 24))
    return Vectors([f"w{i}" for i in range(1500)], rows.astype(np.float32))


SPECS = ["int8", "int4", "int8:axis=dim", "int4:axis=dim", "pq:m=6,k=32",
         "pq:m=4,k=16,opq=true,iters=8", "pq:m=6,k=32,normalize=true,opq=true,iters=5",
         "pq:m=4,k=32,rank=12", "pq:m=3,k=16,rank=12,opq=true,iters=5",
         "lowrank:rank=6", "lowrank:rank=6,svd=randomized"]


# --- kernels against references ----------------------------------------------------------
def test_assign_matches_reference():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 5)).astype(np.float32)
    c = rng.standard_normal((17, 5)).astype(np.float32)
    labels = np.empty(300, np.int32)
    dist = np.empty(300, np.float32)
    kernels.assign(x, np.ascontiguousarray(c.T), labels, dist)
    want_labels, want_dist = reference.assign(x, c)
    # a near-tie may resolve either way in float32: then both distances agree
    same = labels == want_labels
    assert same.mean() > 0.99
    np.testing.assert_allclose(dist, want_dist, rtol=1e-4, atol=1e-5)


def test_assign_ties_take_the_lowest_centroid():
    x = np.zeros((3, 2), np.float32)
    c = np.array([[1, 0], [0, 1], [-1, 0]], np.float32)  # all at distance 1
    labels = np.empty(3, np.int32)
    kernels.assign(x, np.ascontiguousarray(c.T), labels, np.empty(3, np.float32))
    assert labels.tolist() == [0, 0, 0] == reference.assign(x, c)[0].tolist()


def test_accumulate_matches_reference():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 3)).astype(np.float32)
    labels = rng.integers(0, 7, 200).astype(np.int32)
    sums = np.empty((7, 3), np.float64)
    counts = np.empty(7, np.int64)
    kernels.accumulate(x, labels, sums, counts)
    want_sums, want_counts = reference.accumulate(x, labels, 7)
    np.testing.assert_allclose(sums, want_sums, rtol=1e-9, atol=1e-9)
    assert counts.tolist() == want_counts.tolist()


@pytest.mark.parametrize("q", [1, 5, 40])
def test_adc_matches_reference(q: int):
    rng = np.random.default_rng(3)
    tables = rng.standard_normal((6, 32, q)).astype(np.float32)
    codes = rng.integers(0, 32, (400, 6)).astype(np.uint8)
    out = np.empty((400, q), np.float32)
    kernels.adc(tables, codes, out)
    np.testing.assert_allclose(out, reference.adc(tables, codes), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n", [400, 2051, 3])
def test_adc_one_matches_reference(n: int):
    rng = np.random.default_rng(9)
    table = rng.standard_normal((7, 32)).astype(np.float32)
    codes = rng.integers(0, 32, (n, 7)).astype(np.uint8)
    out = np.empty(n, np.float32)
    kernels.adc_one(table, codes, out)
    np.testing.assert_allclose(out, reference.adc_one(table, codes), rtol=1e-5, atol=1e-5)


def test_pq_decode_matches_reference():
    rng = np.random.default_rng(8)
    books = rng.standard_normal((5, 16, 3)).astype(np.float32)
    codes = rng.integers(0, 16, (50, 5)).astype(np.uint8)
    out = np.empty((50, 15), np.float32)
    kernels.pq_decode(codes, books, out)
    np.testing.assert_array_equal(out, reference.pq_decode(codes, books))


def test_kmeans_finds_separated_clusters():
    rng = np.random.default_rng(4)
    centers = np.array([[0, 0], [10, 0], [0, 10]], np.float32)
    x = centers[np.repeat(np.arange(3), 50)] + 0.1 * rng.standard_normal((150, 2)).astype(
        np.float32)
    found, labels = kmeans(x, 3, seed=0)
    assert len(set(labels.tolist())) == 3
    for c in centers:
        assert np.min(np.linalg.norm(found - c, axis=1)) < 0.1
    # each cluster of the data is one label
    for i in range(3):
        assert len(set(labels[i * 50:(i + 1) * 50].tolist())) == 1


def test_kmeans_with_as_many_rows_as_centroids_is_exact():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    found, labels = kmeans(x, 6, seed=1)
    np.testing.assert_array_equal(found[labels], x)


# --- codecs ------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS)
def test_queries_on_codes_equal_dense_queries_on_rebuilt_rows(vectors: Vectors, spec: str):
    c = compress(vectors, spec)
    assert isinstance(c, CompressedVectors)
    dense = Vectors(vectors.vocab, c.matrix)
    # block_dots (ADC for PQ) equals the dense product with the rebuilt rows
    rng = np.random.default_rng(5)
    # one query (adc_one), a few (adc), a batch (rows rebuilt in the coded space, BLAS)
    for count in (1, 7, 40):
        q = rng.standard_normal((count, vectors.dim)).astype(np.float32)
        np.testing.assert_allclose(c.block_dots(q, 100, 900), q @ c.matrix[100:900].T,
                                   rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(c.norms, dense.norms, rtol=1e-5, atol=1e-6)
    for word in ("w3", "w700"):
        got, want = c.most_similar(word, topn=8), dense.most_similar(word, topn=8)
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=2e-5)
        # words agree wherever the scores are not within rounding of each other
        gaps = np.diff([s for _, s in want])
        if np.all(np.abs(gaps) > 1e-5):
            assert [w for w, _ in got] == [w for w, _ in want]
    got = c.analogy("w1", "w2", "w3", topn=3)
    want = dense.analogy("w1", "w2", "w3", topn=3)
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=2e-5)
    np.testing.assert_allclose(c.distances("w9")[:50], dense.distances("w9")[:50], atol=2e-5)
    assert c.rank("w9", "w10") == dense.rank("w9", "w10")
    # a rotated PQ row goes through a matrix product: equal to float rounding
    np.testing.assert_allclose(c.lookup(["w0", "w1499"]), c.matrix[[0, 1499]], atol=1e-5)
    np.testing.assert_allclose(c["w42"], c.matrix[42], atol=1e-5)
    np.testing.assert_allclose(c.lookup_ids([5, 6]), c.matrix[[5, 6]], atol=1e-5)


def test_scalar_error_is_within_half_a_step(vectors: Vectors):
    for bits in (8, 4):
        for axis in ("row", "dim"):
            codec = fit_scalar(vectors.matrix, bits=bits, axis=axis)
            err = np.abs(codec.decode_range(0, codec.rows) - vectors.matrix)
            step = codec.scale[:, None] if axis == "row" else codec.scale[None, :]
            assert np.all(err <= step / 2 + 1e-5)


def test_scalar_constant_rows_are_exact():
    m = np.array([[1.5, 1.5, 1.5], [0, 1, 2]], np.float32)
    for bits in (4, 8):
        codec = fit_scalar(m, bits=bits)
        np.testing.assert_array_equal(codec.decode(np.array([0])), m[:1])


@pytest.mark.parametrize("dim", [5, 6])
def test_four_bit_packing_layout(dim: int):
    rng = np.random.default_rng(6)
    m = rng.standard_normal((4, dim)).astype(np.float32)
    codec = fit_scalar(m, bits=4, axis="row")
    assert codec.codes.shape == (4, (dim + 1) // 2)
    # rebuild by hand from the documented layout: low nibble = column 2j, high = 2j + 1
    low, high = codec.codes & 15, codec.codes >> 4
    values = np.stack([low, high], axis=2).reshape(4, -1)[:, :dim].astype(np.float32)
    want = codec.offset[:, None] + codec.scale[:, None] * values
    np.testing.assert_allclose(codec.decode_range(0, 4), want, rtol=1e-6, atol=1e-6)
    if dim % 2:
        assert np.all(high[:, -1] == 0)


def test_pq_rebuilds_from_the_documented_layout(vectors: Vectors):
    codec = fit_pq(vectors.matrix, m=4, k=16, iters=5, opq=True, opq_iters=2)
    sub = vectors.dim // 4
    y = np.concatenate([codec.codebooks[j][codec.codes[:, j]] for j in range(4)], axis=1)
    np.testing.assert_allclose(codec.decode_range(0, codec.rows), y @ codec.rotation.T,
                               rtol=1e-5, atol=1e-5)
    r = codec.rotation.astype(np.float64)
    np.testing.assert_allclose(r @ r.T, np.eye(vectors.dim), atol=1e-4)  # orthogonal
    assert codec.codebooks.shape == (4, 16, sub)


@pytest.mark.parametrize("opq", [False, True])
def test_pq_of_a_truncation_projects_on_the_top_singular_directions(vectors: Vectors,
                                                                   opq: bool):
    codec = fit_pq(vectors.matrix, m=4, k=16, iters=5, rank=8, opq=opq, opq_iters=2)
    assert (codec.dim, codec.rank, codec.codebooks.shape) == (24, 8, (4, 16, 2))
    p = codec.rotation.astype(np.float64)  # (D, r), orthonormal columns
    assert p.shape == (24, 8)
    np.testing.assert_allclose(p.T @ p, np.eye(8), atol=1e-4)
    # it spans the top 8 right singular vectors of the rows
    v = fit_lowrank(vectors.matrix, rank=8).b.T.astype(np.float64)
    np.testing.assert_allclose(np.linalg.svd(v.T @ p, compute_uv=False), np.ones(8), atol=1e-4)
    y = np.concatenate([codec.codebooks[j][codec.codes[:, j]] for j in range(4)], axis=1)
    np.testing.assert_allclose(codec.decode_range(0, codec.rows), y @ codec.rotation.T,
                               rtol=1e-5, atol=1e-5)
    # on rows near a rank-6 space, 4 bytes on the 8 columns that hold that energy rebuild the
    # rows closer than 4 bytes on all 24 columns
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((1500, 6)) @ rng.standard_normal((6, 24))
         + 0.05 * rng.standard_normal((1500, 24))).astype(np.float32)
    errors = [np.linalg.norm(c.decode_range(0, c.rows) - x) for c in (
        fit_pq(x, m=4, k=16, iters=5, rank=8, opq=opq), fit_pq(x, m=4, k=16, iters=5))]
    assert errors[0] < errors[1]


def test_pq_is_better_than_chance_and_improves_with_bytes(vectors: Vectors):
    small = compress(vectors, "pq:m=3,k=16")
    big = compress(vectors, "pq:m=12,k=64")
    assert big.stats.relative_error < small.stats.relative_error < 1.0
    assert big.stats.mean_cosine > 0.9


def test_normalized_pq_codes_directions_and_keeps_norms(vectors: Vectors):
    codec = fit_pq(vectors.matrix, m=6, k=32, iters=8, normalize=True)
    norms = np.linalg.norm(vectors.matrix, axis=1)
    np.testing.assert_allclose(codec.norms, norms, rtol=1e-6)
    # the codes rebuild unit directions: dividing the rows by the kept norms
    unit = codec.decode_range(0, codec.rows) / norms[:, None]
    books = np.concatenate([codec.codebooks[j][codec.codes[:, j]] for j in range(6)], axis=1)
    np.testing.assert_allclose(unit, books, rtol=1e-5, atol=1e-6)
    plain = fit_pq(vectors.matrix, m=6, k=32, iters=8)
    assert codec.nbytes == plain.nbytes + 4 * codec.rows
    with pytest.raises(ConfigError, match="norms"):
        PQCodec(codec.codes, codec.codebooks, norms=np.ones(3, np.float32))


def test_lowrank_full_rank_is_exact_and_truncation_is_optimal(vectors: Vectors):
    full = fit_lowrank(vectors.matrix, rank=vectors.dim)
    np.testing.assert_allclose(full.decode_range(0, full.rows), vectors.matrix, atol=1e-4)
    codec = fit_lowrank(vectors.matrix, rank=5)
    s = np.linalg.svd(vectors.matrix.astype(np.float64), compute_uv=False)
    err = np.linalg.norm(vectors.matrix - codec.decode_range(0, codec.rows))
    assert err == pytest.approx(np.sqrt((s[5:] ** 2).sum()), rel=1e-3)
    rand = fit_lowrank(vectors.matrix, rank=5, method="randomized", seed=0)
    err_rand = np.linalg.norm(vectors.matrix - rand.decode_range(0, rand.rows))
    assert err_rand <= err * 1.02


def test_deterministic(vectors: Vectors):
    a, b = (compress(vectors, "pq:m=6,k=32,opq=true,iters=5") for _ in range(2))
    assert np.array_equal(a.codec.codes, b.codec.codes)
    np.testing.assert_array_equal(a.matrix, b.matrix)


def test_stats_and_sizes(vectors: Vectors):
    c = compress(vectors, "pq:m=6,k=32")
    assert c.nbytes == 1500 * 6 + 6 * 32 * 4 * 4
    assert c.stats.dense_bytes == 1500 * 24 * 4
    assert c.stats.ratio == pytest.approx(c.stats.dense_bytes / c.nbytes)
    i8 = compress(vectors, "int8:axis=dim")
    assert i8.nbytes == 1500 * 24 + 2 * 24 * 4


# --- fastText --------------------------------------------------------------------------------
def _subword() -> SubwordVectors:
    rng = np.random.default_rng(7)
    words = [a + b for a in ("cat", "dog", "bird", "fish", "cow") for b in
             ("", "s", "alog", "house", "like", "ish", "ly", "ness")]  # 40 words
    return SubwordVectors(words, rng.standard_normal((40, 12)).astype(np.float32),
                          rng.standard_normal((64, 12)).astype(np.float32),
                          minn=2, maxn=4, bucket=64)


@pytest.mark.parametrize("spec", ["int8", "pq:m=3,k=16", "lowrank:rank=8"])
def test_compressed_fasttext_composes_as_fasttext_does(spec: str):
    sv = _subword()
    c = compress(sv, spec)
    assert isinstance(c, CompressedSubwordVectors)
    # the same composition over the rebuilt tables
    ref = SubwordVectors(sv.vocab, c.word_matrix, c.ngram_matrix, minn=2, maxn=4, bucket=64)
    for w in ("cat", "doghouse", "catdog", "zebra", "dogs"):  # known and unknown words
        np.testing.assert_allclose(c[w], ref[w], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.matrix, ref.matrix, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.lookup(["cats", "catz"]), ref.lookup(["cats", "catz"]),
                               rtol=1e-5, atol=1e-6)
    assert c.stats.dense_bytes == (40 + 64) * 12 * 4


def test_prune_step_passes_refine_to_prune_subword():
    from embedlayer.compress.prune import prune_subword

    sv = _subword()
    got = compress(sv, "prune:keep=20,buckets=16,refine=3")
    want = prune_subword(sv, keep_words=20, buckets=16, refine=3)
    assert got.keys == want.keys
    np.testing.assert_array_equal(got.ngram_matrix, want.ngram_matrix)
    plain = compress(sv, "prune:keep=20,buckets=16")  # refine defaults to 0
    np.testing.assert_array_equal(plain.ngram_matrix,
                                  prune_subword(sv, keep_words=20, buckets=16).ngram_matrix)
    assert not np.array_equal(plain.ngram_matrix, got.ngram_matrix)


# --- files -------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["int4:axis=dim", "pq:m=4,k=16,opq=true,iters=4",
                                  "pq:m=4,k=16,normalize=true", "pq:m=3,k=16,rank=12",
                                  "lowrank:rank=4"])
def test_save_load_bit_for_bit(vectors: Vectors, tmp_path: Path, spec: str):
    c = compress(vectors.with_oov("zeros"), spec)
    folder = save_compressed(c, tmp_path / "c")
    for mmap in (True, False):
        back = load_compressed(folder, mmap=mmap)
        for name, arr in c.codec.arrays().items():
            got = back.codec.arrays()[name]
            assert got.dtype == arr.dtype and np.array_equal(got, arr), name
        assert back.keys == c.keys and back.oov == "zeros"
        assert back.stats == c.stats and back.steps == c.steps
        np.testing.assert_array_equal(back.matrix, c.matrix)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["format"] == "embedlayer.compressed" and meta["format_version"] == 1


def test_save_load_fasttext(tmp_path: Path):
    c = compress(_subword(), "int4")
    back = load_compressed(save_compressed(c, tmp_path / "ft"))
    assert isinstance(back, CompressedSubwordVectors)
    np.testing.assert_array_equal(back["catalogue"], c["catalogue"])
    assert (back.minn, back.maxn, back.bucket) == (2, 4, 64)


def test_damaged_files_are_refused(vectors: Vectors, tmp_path: Path):
    folder = save_compressed(compress(vectors, "int8"), tmp_path / "c")
    arrays = folder / "codes.safetensors"
    data = bytearray(arrays.read_bytes())
    data[-1] ^= 0xFF
    arrays.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="sha256"):
        load_compressed(folder)
    arrays.write_bytes(bytes(data[:-10]))
    with pytest.raises(FormatError, match="bytes"):
        load_compressed(folder)
    (folder / "meta.json").write_text("{}")
    with pytest.raises(FormatError, match="format"):
        load_compressed(folder)


def test_save_refuses_to_clobber_foreign_folders(vectors: Vectors, tmp_path: Path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="thesis.tex"):
        save_compressed(compress(vectors, "int8"), tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


# --- steps and bad input -----------------------------------------------------------------
def test_parse_steps():
    assert parse_steps("prune:keep=20000,buckets=5000+pq:m=25,opq=true") == [
        {"method": "prune", "keep": 20000, "buckets": 5000},
        {"method": "pq", "m": 25, "opq": True}]


@pytest.mark.parametrize(("spec", "match"), [
    ("pq:m=5", "do not divide"),
    ("pq:m=5,rank=12", "do not divide the rank 12"),
    ("pq:m=5,rank=25", "rank 25 is above the dimension 24"),
    ("pq:m=5,rank=-1", "rank must be an int >= 0"),
    ("pq:m=6,k=300", "uint8"),
    ("lowrank:rank=25", "above"),
    ("lowrank:rank=0", "rank"),
    ("int3", "unknown method"),
    ("pq", "needs m"),
    ("pq:m=6,bogus=1", "unknown option"),
    ("int8+pq:m=6", "one codec"),
    ("int8+prune:keep=5", "prune may come once"),
    ("prune:keep=10,buckets=5", "n-gram"),
    ("prune:keep=10,refine=5", "refine option is for fastText"),
    ("pq:m", "key=value"),
    ("", "empty"),
])
def test_bad_steps(vectors: Vectors, spec: str, match: str):
    with pytest.raises(ConfigError, match=match):
        compress(vectors, spec)


def test_more_centroids_than_rows():
    v = Vectors(["a", "b", "c"], np.eye(3, dtype=np.float32))
    with pytest.raises(ConfigError, match="at least as many rows"):
        compress(v, "pq:m=3,k=8")


def test_nan_rows_and_empty_stores():
    m = np.ones((4, 4), np.float32)
    m[2, 1] = np.nan
    with pytest.raises(ConfigError, match="row 2"):
        fit_scalar(m)
    with pytest.raises(ConfigError, match="row 2"):
        compress(Vectors(list("abcd"), m), "pq:m=2,k=2")
    with pytest.raises(ConfigError, match="empty"):
        compress(Vectors([], np.zeros((0, 4), np.float32)), "int8")
    with pytest.raises(ConfigError, match="empty"):
        fit_lowrank(np.zeros((0, 3), np.float32), rank=1)


def test_codec_arrays_are_checked():
    with pytest.raises(ConfigError, match="uint8"):
        ScalarCodec(np.zeros((2, 3), np.int8), np.ones(2, np.float32), np.zeros(2, np.float32),
                    bits=8, axis="row", dim=3)
    with pytest.raises(ConfigError, match="columns"):
        ScalarCodec(np.zeros((2, 3), np.uint8), np.ones(2, np.float32), np.zeros(2, np.float32),
                    bits=4, axis="row", dim=3)
    with pytest.raises(ConfigError, match="shape"):
        ScalarCodec(np.zeros((2, 3), np.uint8), np.ones(3, np.float32), np.zeros(3, np.float32),
                    bits=8, axis="row", dim=3)
    with pytest.raises(ConfigError, match="centroids"):
        PQCodec(np.full((2, 1), 5, np.uint8), np.zeros((1, 4, 2), np.float32))
    with pytest.raises(ConfigError, match="rank"):
        LowRankCodec(np.zeros((3, 2), np.float32), np.zeros((3, 4), np.float32))


def test_unknown_words_follow_the_policy(vectors: Vectors):
    c = compress(vectors, "int8")
    with pytest.raises(UnknownTokenError):
        c["nope"]
    assert not c.with_oov("zeros")["nope"].any()
    with pytest.raises(UnknownTokenError):
        c.lookup_ids([1500])
