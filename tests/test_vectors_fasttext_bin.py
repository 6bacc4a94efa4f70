"""fastText .bin reader: parity with gensim and the .vec output, and corrupt files refused."""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import gensim.models.fasttext as gensim_fasttext
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedlayer.errors import ConfigError, EmbedlayerError, FormatError, MissingFileError
from embedlayer.vectors.io.fasttext_bin import (
    FASTTEXT_MAGIC,
    read_fasttext_bin,
    sniff_fasttext_bin,
)
from embedlayer.vectors.subword import SubwordVectors
from embedlayer.vocab import fnv1a_32

LEGACY = "lee_fasttext.bin"  # pre-2017 layout: no magic, no version
NEW = "lee_fasttext_new.bin"  # version 11
TOY = "toy-model.bin"  # version 12, cbow, no "</s>" in its vocabulary
OOV = ["helllo", "governmnet", "xyzzy", "naïve", "日本", "Ωmega", "</s>x", "x" * 30, "qq"]


@pytest.fixture(scope="module")
def formats(data_dir: Path) -> Path:
    return data_dir / "formats"


@pytest.fixture(scope="module")
def gensim_kv(formats: Path):
    logging.getLogger("gensim").setLevel(logging.ERROR)
    return {name: gensim_fasttext.load_facebook_vectors(str(formats / name))
            for name in (LEGACY, NEW, TOY)}


@pytest.fixture(scope="module")
def loaded(formats: Path) -> dict[str, SubwordVectors]:
    return {name: read_fasttext_bin(formats / name) for name in (LEGACY, NEW, TOY)}


def _write(tmp_path: Path, data: bytes, name: str = "m.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _put(data: bytes, offset: int, fmt: str, *values) -> bytes:
    buf = bytearray(data)
    struct.pack_into(fmt, buf, offset, *values)
    return bytes(buf)


def _new_layout(data: bytes) -> dict[str, int]:
    """Offsets in lee_fasttext_new.bin, found from the end (1,763 words, 1,000 buckets, dim 10)."""
    out_bytes, in_bytes = 1763 * 10 * 4, 2763 * 10 * 4
    qout = len(data) - out_bytes - 16 - 1
    quant = qout - in_bytes - 16 - 1
    assert struct.unpack_from("<2q", data, quant + 1) == (2763, 10)
    assert struct.unpack_from("<2q", data, qout + 1) == (1763, 10)
    return {"quant": quant, "in_shape": quant + 1, "qout": qout, "out_shape": qout + 1}


# --- parity ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [LEGACY, NEW, TOY])
def test_keys_counts_and_parameters_match_gensim(name, loaded, gensim_kv, formats):
    sv, kv = loaded[name], gensim_kv[name]
    assert sv.keys == kv.index_to_key and len(sv) in (1762, 1763, 22)
    assert (sv.dim, sv.minn, sv.maxn, sv.bucket) == (kv.vector_size, kv.min_n, kv.max_n, kv.bucket)
    from gensim.models import _fasttext_bin

    raw = _fasttext_bin.load(str(formats / name), full_model=False).raw_vocab
    assert sv.vocab.counts.tolist() == list(raw.values())
    np.testing.assert_array_equal(sv.word_matrix, kv.vectors_vocab)
    np.testing.assert_array_equal(sv.ngram_matrix, kv.vectors_ngrams)


@pytest.mark.parametrize("name", [LEGACY, TOY])
def test_every_vocabulary_vector_matches_gensim(name, loaded, gensim_kv):
    sv, kv = loaded[name], gensim_kv[name]
    np.testing.assert_allclose(sv.matrix, kv.vectors, rtol=0, atol=1e-6)
    assert all(np.allclose(sv[w], kv[w], rtol=0, atol=1e-6) for w in sv.keys[:30])


def test_version_11_matches_gensim_except_the_end_of_sentence_token(loaded, gensim_kv):
    sv, kv = loaded[NEW], gensim_kv[NEW]
    eos = sv.vocab["</s>"]
    others = np.arange(len(sv)) != eos
    np.testing.assert_allclose(sv.matrix[others], kv.vectors[others], rtol=0, atol=1e-6)
    # fastText >= v11 gives "</s>" no n-grams (Dictionary::initNgrams); gensim adds them anyway.
    np.testing.assert_array_equal(sv["</s>"], sv.word_matrix[eos])
    assert not np.allclose(kv["</s>"], sv.word_matrix[eos], atol=1e-3)


@pytest.mark.parametrize("name", [LEGACY, NEW, TOY])
def test_unknown_words_match_gensim(name, loaded, gensim_kv):
    sv, kv = loaded[name], gensim_kv[name]
    assert not any(w in sv or w in kv.key_to_index for w in OOV)
    for word in OOV:
        np.testing.assert_allclose(sv[word], kv[word], rtol=0, atol=1e-6, err_msg=word)
    np.testing.assert_allclose(sv.lookup([*OOV, "the"]), np.stack([kv[w] for w in [*OOV, "the"]]),
                               rtol=0, atol=1e-6)
    assert "a" in sv and np.allclose(sv["a"], kv["a"], rtol=0, atol=1e-6)


def _read_vec(path: Path) -> tuple[list[str], np.ndarray]:
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return [r.split(" ")[0] for r in rows], np.array([r.rstrip().split(" ")[1:] for r in rows],
                                                      dtype=np.float32)


@pytest.mark.parametrize(("name", "vec"), [(LEGACY, "lee_fasttext.vec"), (TOY, "toy-model.vec")])
def test_the_vec_file_fasttext_wrote_next_to_the_model_matches(name, vec, loaded, formats):
    keys, rows = _read_vec(formats / vec)
    assert keys == loaded[name].keys
    # fastText prints 5 significant digits; "</s>" in lee_fasttext.vec has its n-grams, as the
    # pre-2017 fastText composed it.
    np.testing.assert_allclose(loaded[name].matrix, rows, rtol=1e-4, atol=1e-6)


def test_lee_fasttext_vec_was_not_written_from_the_new_model(loaded, formats):
    keys, rows = _read_vec(formats / "lee_fasttext.vec")
    new = loaded[NEW]  # another training run: mostly the same words, other vectors
    common = [i for i, w in enumerate(keys) if w in new]
    assert len(common) == 1762 and len(new) == 1763
    assert np.abs(new.lookup([keys[i] for i in common]) - rows[common]).max() > 0.1


def _mapped(arr: np.ndarray) -> bool:
    base = arr
    while base is not None and not isinstance(base, np.memmap):
        base = base.base
    return base is not None


def _aligned_copy(data: bytes, tmp_path: Path) -> Path:
    """lee_fasttext_new.bin with word 0 lengthened so the input matrix is float32-aligned."""
    quant = _new_layout(data)["quant"]
    pad = (4 - (quant + 1 + 16) % 4) % 4 or 4  # matrix offset = quant flag + 1 + shape (16)
    return _write(tmp_path, data[:94] + b"q" * pad + data[94:], "aligned.bin")


@pytest.mark.parametrize("mmap", [True, False])
def test_loaded_matrices_are_aligned_and_contiguous(formats, mmap):
    # Both lee files put the input matrix at an offset that is not a multiple of 4.
    for name in (LEGACY, NEW, TOY):
        sv = read_fasttext_bin(formats / name, mmap=mmap)
        for m in (sv.word_matrix, sv.ngram_matrix):
            assert m.flags.aligned and m.flags.c_contiguous and not m.flags.writeable


def test_memory_mapped_reading_maps_an_aligned_matrix_and_gives_the_same_vectors(
        formats, loaded, tmp_path):
    path = _aligned_copy((formats / NEW).read_bytes(), tmp_path)
    sv = read_fasttext_bin(path, mmap=True)
    assert _mapped(sv.word_matrix) and _mapped(sv.ngram_matrix)  # no copy: rows live in the map
    assert sv.ngram_matrix.flags.aligned and not sv.ngram_matrix.flags.writeable
    np.testing.assert_array_equal(sv.ngram_matrix, loaded[NEW].ngram_matrix)
    np.testing.assert_array_equal(sv["governmnet"], loaded[NEW]["governmnet"])
    unaligned = read_fasttext_bin(formats / NEW, mmap=True)  # read once instead of mapped
    assert not _mapped(unaligned.ngram_matrix)
    np.testing.assert_array_equal(unaligned.matrix, loaded[NEW].matrix)


def test_a_lookup_never_copies_the_ngram_table(formats):
    import tracemalloc

    sv = read_fasttext_bin(formats / NEW, mmap=True)
    table = sv.ngram_matrix.nbytes + sv.word_matrix.nbytes  # 110 kB here
    tracemalloc.start()
    try:
        sv["governmnet"], sv["the"], sv.lookup(["helllo", "government"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < table / 4  # a few rows and hashes, not a copy of the table


def test_other_vector_files_are_not_taken_for_fasttext(formats):
    for name in (LEGACY, NEW, TOY):
        assert sniff_fasttext_bin((formats / name).read_bytes()[:64])
    assert sniff_fasttext_bin(struct.pack("<2i", FASTTEXT_MAGIC, 12))
    assert not sniff_fasttext_bin(struct.pack("<2i", FASTTEXT_MAGIC, 13))
    for name in ("euclidean_vectors.bin", "word2vec_pre_kv_c", "lee_fasttext.vec", "test_glove.txt",
                 "high_precision.kv.bin"):
        assert not sniff_fasttext_bin((formats / name).read_bytes()[:64])
        with pytest.raises(FormatError, match=f"{name}.*(not a fastText|ends)"):
            read_fasttext_bin(formats / name)


# --- corrupt and unsupported files ----------------------------------------------------------
@pytest.mark.parametrize("keep", [1, 7, 30, 63, 80, 100, 5_000, 28_000, 100_000, 209_606])
def test_truncated_files_name_the_file_and_offset(formats, tmp_path, keep):
    data = (formats / NEW).read_bytes()[:keep]
    with pytest.raises(FormatError, match=r"m\.bin: byte offset [\d,]+: .*(ends|bytes)"):
        read_fasttext_bin(_write(tmp_path, data))


def test_truncated_legacy_file(formats, tmp_path):
    data = (formats / LEGACY).read_bytes()
    for keep in (50, 60, 3_000, len(data) - 1):
        with pytest.raises(FormatError, match="byte offset"):
            read_fasttext_bin(_write(tmp_path, data[:keep]))


def test_wrong_magic_and_version(formats, tmp_path):
    data = (formats / NEW).read_bytes()
    with pytest.raises(FormatError, match="byte offset 0: not a fastText .bin model"):
        read_fasttext_bin(_write(tmp_path, _put(data, 0, "<i", 12345)))
    for version in (10, 13, -1):
        with pytest.raises(FormatError, match=f"byte offset 4: fastText format version {version} "):
            read_fasttext_bin(_write(tmp_path, _put(data, 4, "<i", version)))
    with pytest.raises(FormatError, match="empty file"):
        read_fasttext_bin(_write(tmp_path, b""))


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "match"),
    [
        (64, "<2i", (2**31 - 1, 2**31 - 1), "claims 2,147,483,647 words, but only"),  # size, nwords
        (64, "<i", -5, "dictionary sizes"),
        (8, "<i", 0, "dim=0"),
        (32, "<i", 9, "loss=9"),
        (40, "<i", 10**9, "input matrix is \\(2,763, 10\\), expected \\(1,000,001,763, 10\\)"),
        (44, "<i", -3, "minn=-3"),
        (84, "<q", -7, "pruneidx_size=-7"),
    ],
)
def test_impossible_counts_are_refused_before_allocating(formats, tmp_path, offset, fmt, value, match):
    data = _put((formats / NEW).read_bytes(), offset, fmt, *np.atleast_1d(value).tolist())
    with pytest.raises(FormatError, match=match):
        read_fasttext_bin(_write(tmp_path, data))


def test_huge_matrix_claims_do_not_allocate(formats, tmp_path):
    data = (formats / NEW).read_bytes()
    at = _new_layout(data)
    huge = _put(_put(data, 40, "<i", 2**31 - 1), at["in_shape"], "<q", 1763 + 2**31 - 1)
    with pytest.raises(FormatError, match=r"ends .* before the end of the input matrix"):
        read_fasttext_bin(_write(tmp_path, huge))
    rows = _put(data, at["out_shape"], "<q", 10**12)
    with pytest.raises(FormatError, match="output matrix"):
        read_fasttext_bin(_write(tmp_path, rows))
    with pytest.raises(FormatError, match="12 unexpected bytes after the output matrix"):
        read_fasttext_bin(_write(tmp_path, data + b"\0" * 12))


def test_supervised_and_quantized_models_are_refused(formats, tmp_path):
    data = (formats / NEW).read_bytes()
    at = _new_layout(data)
    cases = [  # (changed file, why the reader says it is refused)
        (_put(data, 36, "<i", 3), "supervised classifier"),  # Args.model = sup
        (_put(_put(data, 64, "<i", 1764), 72, "<i", 1), "holds 1 labels"),
        (_put(data, 92 + len(b"the\0") + 8, "<b", 1), "entry 0 is a label"),
        (_put(data, 84, "<q", 0), "pruned"),
        (_put(data, at["quant"], "<?", True), "input matrix is quantized"),
        (_put((formats / LEGACY).read_bytes(), 28, "<i", 3), "supervised classifier"),
    ]
    for bad, why in cases:
        with pytest.raises(FormatError, match="supervised/quantized fastText models are not word "
                                              f"vectors; .*{why}"):
            read_fasttext_bin(_write(tmp_path, bad))


def test_bad_flags_types_and_counts(formats, tmp_path):
    data = (formats / NEW).read_bytes()
    at = _new_layout(data)
    entry = 92 + len(b"the\0")
    for bad, match in [
        (_put(data, at["qout"], "<B", 7), "qout flag is byte 7"),
        (_put(data, entry + 8, "<b", 5), "type 5"),
        (_put(data, entry, "<q", -1), "count -1"),
        (data[:92] + b"\0" + data[92 + 3:], "entry 0 is an empty word"),
    ]:
        with pytest.raises(FormatError, match=match):
            read_fasttext_bin(_write(tmp_path, bad))


def test_invalid_utf8_words(formats, tmp_path, loaded):
    data = (formats / NEW).read_bytes()
    bad = data[:92] + b"th\xff" + data[95:]  # "the" -> 3 bytes that are not UTF-8
    path = _write(tmp_path, bad)
    with pytest.raises(FormatError, match="byte offset 92: word 0 is not valid UTF-8"):
        read_fasttext_bin(path)
    replaced = read_fasttext_bin(path, unicode_errors="replace")
    assert replaced.keys[0] == "th\ufffd" and replaced.keys[1:] == loaded[NEW].keys[1:]
    exact = read_fasttext_bin(path, unicode_errors="surrogateescape")
    assert exact.keys[0] == "th\udcff"
    # The n-grams hash the file's own bytes, as fastText does: < t h \xff > are 5 "characters".
    chars = [b"<", b"t", b"h", b"\xff", b">"]
    grams = [b"".join(chars[i:i + n]) for i in range(5) for n in range(3, 7) if i + n <= 5]
    rows = [exact.word_matrix[0], *(exact.ngram_matrix[fnv1a_32(g) % 1000] for g in grams)]
    expected = np.zeros(10, dtype=np.float32)
    for row in rows:
        expected += row
    np.testing.assert_array_equal(exact["th\udcff"], expected * np.float32(1 / len(rows)))
    # Two different byte strings that decode to the same key cannot both be keys.
    twice = data[:92] + b"\xe6\x97\xff" + data[95:105] + b"\xff\xff" + data[107:]  # "the", "to"
    with pytest.raises(FormatError, match="entries 0 and 1 are both .* after decoding"):
        read_fasttext_bin(_write(tmp_path, twice), unicode_errors="replace")
    with pytest.raises(FormatError, match="offset 92: dictionary entry 0 is empty once decoded with unicode_errors='ignore'"):
        read_fasttext_bin(_write(tmp_path, twice), unicode_errors="ignore")
    with pytest.raises(ConfigError, match="unicode_errors"):
        read_fasttext_bin(path, unicode_errors="xmlcharrefreplace")  # type: ignore[arg-type]


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(MissingFileError):
        read_fasttext_bin(tmp_path / "nope.bin")
    with pytest.raises(FormatError, match="not a regular file"):
        read_fasttext_bin(tmp_path)


_EXTREMES = [struct.pack("<i", v) for v in (0, -1, 1, 3, 2**31 - 1, -(2**31), 10**9)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.sampled_from([LEGACY, NEW, TOY]),
    edits=st.lists(st.tuples(st.one_of(st.integers(0, 140), st.integers(0, 209_000)),
                             st.one_of(st.binary(min_size=1, max_size=1), st.sampled_from(_EXTREMES))),
                   max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 209_600)),
    mmap=st.booleans(),
    errors=st.sampled_from(["strict", "replace", "ignore", "surrogateescape"]),
)
def test_mutated_files_raise_only_embedlayer_errors(formats, tmp_path_factory, which, edits, cut,
                                                    mmap, errors):
    data = bytearray((formats / which).read_bytes())
    for pos, chunk in edits:
        pos %= len(data)
        data[pos:pos + len(chunk)] = chunk[:len(data) - pos]
    if cut is not None:
        data = data[:cut]
    path = tmp_path_factory.getbasetemp() / "fuzz.bin"
    path.write_bytes(bytes(data))
    try:
        sv = read_fasttext_bin(path, mmap=mmap, unicode_errors=errors)
    except EmbedlayerError:
        return
    assert sv.matrix.shape == (len(sv), sv.dim)
    assert sv["xyzzy"].shape == (sv.dim,)


def test_a_model_in_another_encoding_reads_with_encoding(formats, tmp_path, loaded, gensim_kv):
    data = (formats / NEW).read_bytes()
    path = _write(tmp_path, data[:92] + "thé".encode("cp852") + data[95:], "cp852.bin")
    with pytest.raises(FormatError, match="word 0 is not valid UTF-8.*encoding="):
        read_fasttext_bin(path)
    sv = read_fasttext_bin(path, encoding="cp852")
    assert sv.keys[0] == "thé" and sv.keys[1:] == loaded[NEW].keys[1:] and sv.encoding == "cp852"
    # n-grams hash the file's bytes, as fastText does: the same vector as the exact bytes
    # kept with surrogateescape, and every other word unchanged.
    raw = read_fasttext_bin(path, unicode_errors="surrogateescape")
    np.testing.assert_array_equal(sv["thé"], raw["th\udc82"])
    np.testing.assert_array_equal(sv.matrix[1:], loaded[NEW].matrix[1:])
    kv = gensim_fasttext.load_facebook_vectors(str(path), encoding="cp852")
    assert kv.index_to_key[0] == "thé"
    np.testing.assert_allclose(sv.word_matrix, kv.vectors_vocab, rtol=1e-5, atol=1e-6)


def test_a_model_in_another_encoding_is_written_back_in_it(formats, tmp_path):
    from embedlayer.vectors.io.fasttext_bin_write import write_fasttext_bin

    data = (formats / NEW).read_bytes()
    path = _write(tmp_path, data[:92] + "thé".encode("cp852") + data[95:], "cp852.bin")
    sv = read_fasttext_bin(path, encoding="cp852")
    out = write_fasttext_bin(sv, tmp_path / "again.bin")
    assert "thé".encode("cp852") + b"\0" in out.read_bytes()
    back = read_fasttext_bin(out, encoding="cp852")
    assert back.keys == sv.keys
    np.testing.assert_array_equal(back.matrix, sv.matrix)
    np.testing.assert_array_equal(back["thée"], sv["thée"])  # unknown: same n-gram bytes
