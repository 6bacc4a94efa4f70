"""Fuzzing the readers: mutated files (cut, flipped, junk, absurd headers) raise only
embedlayer's own errors, never crash, hang or allocate for a lie. A few hundred examples in all,
kept to seconds."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedlayer.errors import EmbedlayerError
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import load_vectors, save_vectors

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HEADERS = [b"999999999999 300", b"-1 5", b"3 0", b"2 99999999", b"0 4", b"1 1", b"4", b"",
           b"18446744073709551617 4"]

EDIT = st.tuples(
    st.sampled_from(["truncate", "flip", "insert", "delete", "header"]),
    st.integers(min_value=0, max_value=1 << 20),
    st.binary(min_size=1, max_size=12),
    st.sampled_from(HEADERS),
)


def _mutate(raw: bytes, edits) -> bytes:
    for kind, where, junk, header in edits:
        pos = where % (len(raw) + 1)
        if kind == "truncate":
            raw = raw[:pos]
        elif kind == "flip" and raw:
            i = where % len(raw)
            raw = raw[:i] + bytes([raw[i] ^ (junk[0] or 1)]) + raw[i + 1:]
        elif kind == "insert":
            raw = raw[:pos] + junk + raw[pos:]
        elif kind == "delete":
            raw = raw[:pos] + raw[pos + len(junk):]
        elif kind == "header":
            raw = header + raw[raw.find(b"\n"):] if b"\n" in raw else header + raw
    return raw


def _only_our_errors(path: Path, **kwargs) -> None:
    try:
        vectors = load_vectors(path, **kwargs)
    except EmbedlayerError:
        return
    assert vectors.matrix.shape == (len(vectors), vectors.dim)  # a success is a sane result


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz-originals")
    rng = np.random.default_rng(0)
    vectors = Vectors(["the", "café", "東京", "x", "</s>"],
                      rng.standard_normal((5, 4)).astype(np.float32))
    return {fmt: save_vectors(vectors, root / name, format=fmt) for fmt, name in [
        ("word2vec-text", "v.txt"), ("word2vec-binary", "v.bin"), ("glove", "g.txt"),
        ("native", "native"), ("npy", "npy"), ("projector-tsv", "proj")]}


@pytest.fixture(scope="module")
def scratch():  # one folder for the module: every example overwrites the files it uses
    path = Path(tempfile.mkdtemp(prefix="embedlayer-fuzz-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary", "glove"])
@FUZZ
@given(edits=st.lists(EDIT, min_size=1, max_size=3))
def test_mutated_single_files(originals, scratch, fmt, edits):
    raw = _mutate(originals[fmt].read_bytes(), edits)
    path = scratch / f"m-{fmt}"
    path.write_bytes(raw)
    _only_our_errors(path, format=fmt)
    _only_our_errors(path)  # detection on garbage, too
    _only_our_errors(path, unicode_errors="replace", limit=2)


@pytest.mark.parametrize(("fmt", "files"), [
    ("native", ("vectors.safetensors", "keys.json", "meta.json")),
    ("npy", ("matrix.npy", "vocab.json")),
    ("projector-tsv", ("vectors.tsv", "metadata.tsv")),
])
@FUZZ
@given(data=st.data(), edits=st.lists(EDIT, min_size=1, max_size=3))
def test_mutated_folders(originals, scratch, fmt, files, data, edits):
    folder = scratch / f"m-{fmt}"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(originals[fmt], folder)
    victim = folder / data.draw(st.sampled_from(files))
    victim.write_bytes(_mutate(victim.read_bytes(), edits))
    _only_our_errors(folder, format=fmt)
    _only_our_errors(folder)
    if fmt == "native":
        for verify in ("none", "full"):
            _only_our_errors(folder, verify=verify)
        _only_our_errors(folder, mmap=False, verify="none", limit=3)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_random_bytes(scratch, raw):
    path = scratch / "random"
    path.write_bytes(raw)
    _only_our_errors(path)
    for fmt in ("word2vec-text", "word2vec-binary", "glove", "npy", "fasttext-bin"):
        _only_our_errors(path, format=fmt)
