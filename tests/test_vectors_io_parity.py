"""Parity with gensim: every shared vectors file, files each side wrote, key decoding policies."""

from __future__ import annotations

import logging

import gensim.models.keyedvectors as keyedvectors
import numpy as np
import pytest

from embedlayer.errors import FormatError
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import detect_format, load_vectors, save_vectors

KeyedVectors = keyedvectors.KeyedVectors
logging.getLogger("gensim").setLevel(logging.ERROR)

# file -> (gensim's binary flag, gensim's no_header flag)
WORD2VEC_FILES = {
    "euclidean_vectors.bin": (True, False),
    "high_precision.kv.bin": (True, False),
    "high_precision.kv.txt": (False, False),
    "word2vec_pre_kv_c": (False, False),
    "EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt": (False, False),
    "IT.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt": (False, False),
    "lee_fasttext.vec": (False, False),
    "toy-model.vec": (False, False),
    "test_glove.txt": (False, True),
}
FASTTEXT_BIN = ("lee_fasttext.bin", "lee_fasttext_new.bin", "toy-model.bin")


def _same(ours, theirs) -> None:
    assert ours.keys == theirs.index_to_key
    assert ours.matrix.shape == theirs.vectors.shape
    assert np.array_equal(ours.matrix, theirs.vectors)  # bit for bit, not just allclose


@pytest.mark.parametrize("name", sorted(WORD2VEC_FILES))
def test_shared_file_matches_gensim(data_dir, name):
    path = data_dir / "formats" / name
    binary, no_header = WORD2VEC_FILES[name]
    theirs = KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header)
    _same(load_vectors(path), theirs)
    head = load_vectors(path, limit=2)
    _same(head, KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=no_header,
                                                  limit=2))


def test_pretrained_vec_has_a_header_that_overstates_its_rows(data_dir):
    # The header says 3 rows, the file holds 1: gensim refuses it (EOFError), so do we, with
    # the reason and the way out; with limit=1 both read the one row.
    path = data_dir / "formats" / "pretrained.vec"
    with pytest.raises(EOFError):
        KeyedVectors.load_word2vec_format(str(path))
    with pytest.raises(FormatError, match=r"pretrained\.vec: line 3: the file ends after 1 row "
                                          r"but the header \(line 1\) promises 3.*limit=1"):
        load_vectors(path)
    _same(load_vectors(path, limit=1), KeyedVectors.load_word2vec_format(str(path), limit=1))


@pytest.mark.parametrize("name", FASTTEXT_BIN)
def test_fasttext_models_load_through_the_dispatcher(data_dir, name):
    from embedlayer.vectors.io.fasttext_bin import read_fasttext_bin

    path = data_dir / "formats" / name
    assert detect_format(path) == "fasttext-bin"
    loaded = load_vectors(path)
    direct = read_fasttext_bin(path)
    assert loaded.keys == direct.keys
    assert np.array_equal(loaded.matrix, direct.matrix)
    assert np.array_equal(load_vectors(path, format="fasttext-bin", mmap=False).matrix,
                          direct.matrix)


def test_every_vectors_file_in_the_shared_folder_loads(data_dir):
    loaded = {}
    for path in sorted((data_dir / "formats").iterdir()):
        if path.name == "OPUS_en_it_europarl_train_one2ten.txt":  # a bilingual dictionary
            continue
        limit = 1 if path.name == "pretrained.vec" else None
        loaded[path.name] = load_vectors(path, limit=limit)
    assert len(loaded) == 13
    assert all(len(v) > 0 and v.matrix.shape[1] == v.dim for v in loaded.values())


# --- files written by one side, read by the other ------------------------------------------
@pytest.fixture
def sample() -> Vectors:
    rng = np.random.default_rng(3)
    keys = ["the", "café", "東京", "</s>", "a" * 120, "ñandú", "ok"]
    return Vectors(keys, rng.standard_normal((len(keys), 9)).astype(np.float32) * 3)


@pytest.mark.parametrize(("fmt", "binary", "no_header"), [
    ("word2vec-binary", True, False),
    ("word2vec-text", False, False),
    ("fasttext-vec", False, False),
    ("glove", False, True),
])
def test_gensim_reads_what_we_write(tmp_path, sample, fmt, binary, no_header):
    path = save_vectors(sample, tmp_path / f"ours.{fmt}", format=fmt)
    _same(sample, KeyedVectors.load_word2vec_format(str(path), binary=binary,
                                                      no_header=no_header))


@pytest.mark.parametrize("binary", [True, False])
def test_we_read_what_gensim_writes(tmp_path, sample, binary):
    kv = KeyedVectors(sample.dim)
    kv.add_vectors(sample.keys, np.asarray(sample.matrix))
    path = tmp_path / ("gensim.bin" if binary else "gensim.txt")
    kv.save_word2vec_format(str(path), binary=binary)
    assert detect_format(path) == ("word2vec-binary" if binary else "word2vec-text")
    _same(load_vectors(path), kv)  # gensim's binary has no "\n" after each vector
    glove = tmp_path / "gensim-glove.txt"
    kv.save_word2vec_format(str(glove), write_header=False)
    assert detect_format(glove) == "glove"
    _same(load_vectors(glove), kv)


def test_word2vec_binary_round_trip_through_both_sides(tmp_path, data_dir):
    # C-tool file -> gensim -> gensim's binary -> ours -> our binary -> gensim
    source = data_dir / "formats" / "euclidean_vectors.bin"
    kv = KeyedVectors.load_word2vec_format(str(source), binary=True)
    kv.save_word2vec_format(str(tmp_path / "g.bin"), binary=True)
    ours = load_vectors(tmp_path / "g.bin")
    save_vectors(ours, tmp_path / "o.bin", format="word2vec-binary")
    _same(ours, KeyedVectors.load_word2vec_format(str(tmp_path / "o.bin"), binary=True))
    # the source (written by gensim) lacks the C tool's "\n" after each vector; ours has it
    original, written = source.read_bytes(), (tmp_path / "o.bin").read_bytes()
    assert len(written) == len(original) + len(ours)
    assert written.replace(b"\n", b"") == original.replace(b"\n", b"")


# --- keys cut in the middle of a UTF-8 character -------------------------------------------
def _cut_keys_files(tmp_path):
    """Files whose keys end mid-character, as the C tool's byte-count cut makes them."""
    keys = ["ありがとう".encode()[:-1], "どういたしまして".encode()[:-2], b"ok"]
    rows = np.array([[0.6, 0.6, 0.6], [0.1, 0.2, 0.3], [1.0, 2.0, 3.0]], dtype=np.float32)
    text = b"3 3\n" + b"".join(k + b" " + b" ".join(b"%r" % float(v) for v in r) + b"\n"
                               for k, r in zip(keys, rows, strict=True))
    binary = b"3 3\n" + b"".join(k + b" " + r.astype("<f4").tobytes() + b"\n"
                                 for k, r in zip(keys, rows, strict=True))
    (tmp_path / "cut.txt").write_bytes(text)
    (tmp_path / "cut.bin").write_bytes(binary)
    return {"cut.txt": False, "cut.bin": True}


@pytest.mark.parametrize("policy", ["replace", "ignore"])
def test_unicode_error_policies_match_gensim(tmp_path, policy):
    for name, binary in _cut_keys_files(tmp_path).items():
        path = tmp_path / name
        theirs = KeyedVectors.load_word2vec_format(str(path), binary=binary,
                                                   unicode_errors=policy)
        ours = load_vectors(path, unicode_errors=policy)
        _same(ours, theirs)
        expected = "ありがと\ufffd" if policy == "replace" else "ありがと"
        assert ours.keys[0] == expected


def test_strict_decoding_names_the_key(tmp_path):
    for name, binary in _cut_keys_files(tmp_path).items():
        path = tmp_path / name
        with pytest.raises(UnicodeDecodeError):
            KeyedVectors.load_word2vec_format(str(path), binary=binary)
        where = "line 2" if not binary else "byte 4 (row 1)"
        with pytest.raises(FormatError, match=f"{name}: {re_escape(where)}: key .* is not valid "
                                              f"UTF-8.*unicode_errors='replace'"):
            load_vectors(path)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)
