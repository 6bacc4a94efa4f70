"""`embedlayer.vectors.io`: round trips for every format, detection, native/npy details, atomicity."""

from __future__ import annotations

import json
import mmap
import os
import re
import struct
from pathlib import Path

import numpy as np
import pytest

import embedlayer.vectors.io as vio
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.vectors import Vectors
from embedlayer.vectors.io import FORMATS, detect_format, load_vectors, save_vectors
from embedlayer.vocab import Vocab, load_vocab, save_vocab

from .conftest import ROOT

WRITABLE = [f for f in FORMATS if f != "fasttext-bin"]
# Where each format is written in the round trips, and what detection says of it.
TARGETS = {
    "native": ("native-folder", "native"),
    "word2vec-text": ("vectors.txt", "word2vec-text"),
    "word2vec-binary": ("vectors.bin", "word2vec-binary"),
    "glove": ("glove.txt", "glove"),
    "fasttext-vec": ("vectors.vec", "fasttext-vec"),
    "projector-tsv": ("projector", "projector-tsv"),
    "npy": ("npy-folder", "npy"),
}
KEYS = ["the", "café", "東京", "</s>", "naïve", "x" * 100, "a\tb", "Ωmega", "1990", "nan"]


def _no_tab(keys):
    return [k.replace("\t", "_") for k in keys]


@pytest.fixture
def sample() -> Vectors:
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((len(KEYS), 6)).astype(np.float32)
    # values that only an exact float32 writer round-trips
    matrix[0] = [1e-45, -0.0, 3.4028235e38, -1.1754944e-38, 0.1, 1 / 3]
    return Vectors(KEYS, matrix)


def _equal(a: Vectors, b: Vectors) -> None:
    assert a.keys == b.keys
    assert a.matrix.dtype == np.float32 and a.matrix.shape == b.matrix.shape
    assert np.array_equal(a.matrix, b.matrix)


def _mmap_backed(arr: np.ndarray) -> bool:
    base = arr
    while base is not None:
        if isinstance(base, mmap.mmap | np.memmap):
            return True
        base = getattr(base, "base", None)
    return False


# --- the public surface -----------------------------------------------------------------
def test_public_api_is_pinned():
    assert sorted(vio.__all__) == ["FORMATS", "UnicodeErrors", "VectorFormat", "VerifyMode",
                                   "detect_format", "load_vectors", "save_vectors"]
    assert FORMATS == ("native", "word2vec-text", "word2vec-binary", "glove", "fasttext-vec",
                       "fasttext-bin", "projector-tsv", "npy")


def test_value_types_do_not_import_their_serializers():
    """STYLE.md rule 18: vectors/io imports the stores, never the reverse (no import circle)."""
    import ast

    root = Path(vio.__file__).parent.parent
    for module in ("vectors.py", "subword.py", "base.py", "methods.py", "query.py"):
        tree = ast.parse((root / module).read_text(encoding="utf-8"))
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m and "vectors.io" in m], module
    from embedlayer.vectors import Vectors

    assert not hasattr(Vectors, "save") and not hasattr(Vectors, "load")


def test_save_vectors_writes_any_format(tmp_path, sample):
    path = save_vectors(sample, tmp_path / "v.bin", format="word2vec-binary")
    _equal(load_vectors(path), sample)


def test_bad_options_are_config_errors(tmp_path, sample):
    path = save_vectors(sample, tmp_path / "v")
    with pytest.raises(ConfigError, match="format must be one of 'native'"):
        load_vectors(path, format="word2vec")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="limit"):
        load_vectors(path, limit=0)
    with pytest.raises(ConfigError, match="unicode_errors"):
        load_vectors(path, unicode_errors="xmlcharrefreplace")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="encoding 'klingon' is not a codec"):
        load_vectors(path, encoding="klingon")
    with pytest.raises(ConfigError, match="encoding 'utf-16' does not write spaces"):
        save_vectors(sample, tmp_path / "x.txt", format="glove", encoding="utf-16")
    with pytest.raises(ConfigError, match="verify"):
        load_vectors(path, verify="some")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="oov"):
        load_vectors(path, oov="unk")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="can be read but not written"):
        save_vectors(sample, tmp_path / "m.bin", format="fasttext-bin")
    with pytest.raises(MissingFileError, match="nothing-here"):
        load_vectors(tmp_path / "nothing-here")


# --- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", WRITABLE)
def test_round_trip_every_format(tmp_path, sample, fmt):
    name, detected = TARGETS[fmt]
    vectors = Vectors(_no_tab(KEYS), sample.matrix) if fmt == "projector-tsv" else sample
    path = tmp_path / name
    assert save_vectors(vectors, path, format=fmt) == path
    assert detect_format(path) == detected
    _equal(load_vectors(path, format=fmt), vectors)
    _equal(load_vectors(path), vectors)  # detected by content
    # a second save replaces the first in one piece
    save_vectors(Vectors(vectors.keys[:3], vectors.matrix[:3] * 0.5), path, format=fmt)
    _equal(load_vectors(path), Vectors(vectors.keys[:3], vectors.matrix[:3] * 0.5))


@pytest.mark.parametrize("fmt", WRITABLE)
def test_limit_reads_the_first_rows(tmp_path, sample, fmt):
    name, _ = TARGETS[fmt]
    vectors = Vectors(_no_tab(KEYS), sample.matrix)
    path = save_vectors(vectors, tmp_path / name, format=fmt)
    head = load_vectors(path, limit=4)
    assert head.keys == vectors.keys[:4]
    assert np.array_equal(head.matrix, vectors.matrix[:4])
    _equal(load_vectors(path, limit=1000), vectors)


@pytest.mark.parametrize("fmt", ["native", "word2vec-text", "word2vec-binary", "npy"])
def test_empty_vectors_round_trip(tmp_path, fmt):
    empty = Vectors([], np.zeros((0, 5), dtype=np.float32))
    path = save_vectors(empty, tmp_path / TARGETS[fmt][0], format=fmt)
    back = load_vectors(path, format=fmt)
    assert len(back) == 0 and back.dim == 5


def test_oov_policy_is_passed_on(tmp_path, sample):
    path = save_vectors(sample, tmp_path / "v.bin", format="word2vec-binary")
    assert load_vectors(path).oov == "raise"
    loaded = load_vectors(path, oov="zeros")
    assert loaded.oov == "zeros" and not loaded["unseen"].any()


@pytest.mark.parametrize("fmt", ["native", "npy"])
def test_counts_and_special_tokens_survive_native_and_npy(tmp_path, fmt):
    vocab = Vocab(["<pad>", "<unk>", "a", "b"], [0, 0, 9, 4], specials=["<pad>", "<unk>"])
    vectors = Vectors(vocab, np.arange(8, dtype=np.float32).reshape(4, 2))
    back = load_vectors(save_vectors(vectors, tmp_path / "f", format=fmt))
    assert back.vocab == vocab
    assert back.vocab.specials == ("<pad>", "<unk>") and back.vocab.unk_id == 1
    assert back.vocab.counts.tolist() == [0, 0, 9, 4]


def test_saving_any_vector_store(tmp_path, data_dir):
    subword = load_vectors(data_dir / "formats" / "toy-model.bin")
    path = save_vectors(subword, tmp_path / "toy.vec", format="fasttext-vec")
    back = load_vectors(path)
    assert back.keys == subword.keys
    assert np.array_equal(back.matrix, subword.matrix)


# --- byte layouts ------------------------------------------------------------------------
def test_word2vec_binary_is_byte_compatible_with_the_c_tool(tmp_path):
    vectors = Vectors(["a", "bé"], [[1.0, -2.0, 0.5], [0.25, 0.0, 3.0]])
    path = save_vectors(vectors, tmp_path / "v.bin", format="word2vec-binary")
    expected = (b"2 3\n" + b"a " + struct.pack("<3f", 1.0, -2.0, 0.5) + b"\n"
                + "bé ".encode() + struct.pack("<3f", 0.25, 0.0, 3.0) + b"\n")
    assert path.read_bytes() == expected


def test_text_layouts(tmp_path):
    vectors = Vectors(["a", "b"], [[1.0, 0.1], [-2.5, 1e-7]])
    w2v = save_vectors(vectors, tmp_path / "v.txt", format="word2vec-text").read_text()
    assert w2v == "2 2\na 1 0.100000001\nb -2.5 1.00000001e-07\n"
    glove = save_vectors(vectors, tmp_path / "g.txt", format="glove").read_text()
    assert glove == "a 1 0.100000001\nb -2.5 1.00000001e-07\n"
    folder = save_vectors(vectors, tmp_path / "proj", format="projector-tsv")
    assert (folder / "vectors.tsv").read_text() == "1\t0.100000001\n-2.5\t1.00000001e-07\n"
    assert (folder / "metadata.tsv").read_text() == "a\nb\n"


def test_keys_a_format_cannot_hold_are_refused_before_writing(tmp_path):
    spaced = Vectors(["new york", "b"], np.ones((2, 2), dtype=np.float32))
    for fmt in ("word2vec-text", "word2vec-binary", "glove", "fasttext-vec"):
        with pytest.raises(ConfigError, match="'new york'.*holds ' '.*native"):
            save_vectors(spaced, tmp_path / f"x.{fmt}", format=fmt)
    tabbed = Vectors(["a\tb", "c"], np.ones((2, 2), dtype=np.float32))
    with pytest.raises(ConfigError, match="holds '\\\\t'"):
        save_vectors(tabbed, tmp_path / "proj", format="projector-tsv")
    assert list(tmp_path.iterdir()) == []
    # native and npy store any key
    for fmt in ("native", "npy"):
        _equal(load_vectors(save_vectors(spaced, tmp_path / fmt, format=fmt)), spaced)


# --- native -------------------------------------------------------------------------------
def test_native_folder_layout(tmp_path, sample):
    from safetensors.numpy import load_file

    folder = save_vectors(sample, tmp_path / "v")
    assert sorted(p.name for p in folder.iterdir()) == ["keys.json", "meta.json",
                                                        "vectors.safetensors"]
    tensors = load_file(str(folder / "vectors.safetensors"))  # the reference reader agrees
    assert list(tensors) == ["vectors"]
    assert np.array_equal(tensors["vectors"], sample.matrix)
    assert load_vocab(folder / "keys.json").tokens == sample.keys  # plain vocab JSON
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["format"] == "embedlayer.vectors" and meta["format_version"] == 1
    assert meta["shape"] == [len(KEYS), 6] and meta["dtype"] == "float32"
    for name in ("vectors.safetensors", "keys.json"):
        raw = (folder / name).read_bytes()
        import hashlib

        assert meta["files"][name] == {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    header_len = int.from_bytes((folder / "vectors.safetensors").read_bytes()[:8], "little")
    assert (8 + header_len) % 8 == 0  # data aligned


def test_native_reads_files_written_by_the_safetensors_library(tmp_path, sample):
    from safetensors.numpy import save_file

    folder = save_vectors(sample, tmp_path / "v")
    save_file({"vectors": np.asarray(sample.matrix)}, str(folder / "vectors.safetensors"))
    _equal(load_vectors(folder, verify="none"), sample)
    with pytest.raises(FormatError, match="vectors.safetensors.*(bytes|sha256)"):
        load_vectors(folder, verify="full")  # not the file meta.json describes


def test_native_load_is_memory_mapped_and_read_only(tmp_path, sample):
    folder = save_vectors(sample, tmp_path / "v")
    mapped = load_vectors(folder)
    assert _mmap_backed(mapped.matrix)
    assert not mapped.matrix.flags.writeable
    with pytest.raises(ValueError):
        mapped.matrix[0, 0] = 1.0
    in_memory = load_vectors(folder, mmap=False)
    assert not _mmap_backed(in_memory.matrix)
    _equal(mapped, in_memory)
    # any of the folder's files names the folder
    _equal(load_vectors(folder / "vectors.safetensors"), sample)
    _equal(load_vectors(folder / "meta.json"), sample)


def test_native_verify_modes_catch_tampering(tmp_path, sample):
    folder = save_vectors(sample, tmp_path / "v")
    data = folder / "vectors.safetensors"
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 0x01  # one bit of the last float: size and header unchanged
    data.write_bytes(bytes(raw))
    load_vectors(folder, verify="metadata")  # O(keys): does not hash the matrix
    with pytest.raises(FormatError, match=r"vectors\.safetensors: sha256 .* differs"):
        load_vectors(folder, verify="full")
    with pytest.raises(FormatError, match="sha256"):
        load_vectors(folder, mmap=False)  # default without mmap: full

    keys = folder / "keys.json"
    keys.write_bytes(keys.read_bytes().replace(b'"the"', b'"thE"'))
    with pytest.raises(FormatError, match=r"keys\.json: sha256"):
        load_vectors(folder)
    assert load_vectors(folder, verify="none").keys[0] == "thE"


def test_native_structural_damage_is_caught_even_without_verification(tmp_path, sample):
    folder = save_vectors(sample, tmp_path / "v")
    data = folder / "vectors.safetensors"
    good = data.read_bytes()
    data.write_bytes(good[:-4])
    with pytest.raises(FormatError, match=r"vectors\.safetensors: .*bytes, but meta\.json"):
        load_vectors(folder)
    with pytest.raises(FormatError, match="truncated"):
        load_vectors(folder, verify="none")
    header = good[8:8 + int.from_bytes(good[:8], "little")]
    data.write_bytes(good.replace(header, header.replace(b'"F32"', b'"F16"')))
    with pytest.raises(FormatError, match="F16"):
        load_vectors(folder, verify="none")
    data.write_bytes((10**12).to_bytes(8, "little") + good[8:])
    with pytest.raises(FormatError, match="header length"):
        load_vectors(folder, verify="none")
    data.write_bytes(good)
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "format_version": 2}))
    with pytest.raises(FormatError, match="format_version.*2"):
        load_vectors(folder)
    (folder / "meta.json").unlink()
    with pytest.raises(FormatError, match="meta.json is missing"):
        load_vectors(folder, format="native")


# --- npy ----------------------------------------------------------------------------------
class _Sentinel:
    unpickled = False

    def __setstate__(self, state):
        _Sentinel.unpickled = True


def test_npy_never_unpickles(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    arr = np.empty((2, 2), dtype=object)
    arr[:] = _Sentinel()
    np.save(folder / "matrix.npy", arr, allow_pickle=True)
    save_vocab(Vocab(["a", "b"], unk_token=None), folder / "vocab.json")
    for fmt in ("npy", None):
        with pytest.raises(FormatError, match="object"):
            load_vectors(folder, format=fmt)
    assert not _Sentinel.unpickled


def test_npy_folders_made_by_hand(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    matrix = np.arange(6, dtype=np.float64).reshape(3, 2)
    np.save(folder / "matrix.npy", matrix)
    (folder / "keys.txt").write_bytes(b"a\r\nb\r\nc\r\n")
    loaded = load_vectors(folder)
    assert loaded.keys == ["a", "b", "c"] and loaded.matrix.dtype == np.float32
    assert np.array_equal(loaded.matrix, matrix) and not _mmap_backed(loaded.matrix)
    assert load_vectors(folder / "matrix.npy").keys == ["a", "b", "c"]
    np.save(folder / "matrix.npy", np.asfortranarray(matrix.astype(np.float32)))
    assert np.array_equal(load_vectors(folder).matrix, matrix)
    (folder / "keys.txt").write_text("a\nb\n")
    with pytest.raises(FormatError, match="2 keys for the 3 rows"):
        load_vectors(folder)
    (folder / "keys.txt").unlink()
    with pytest.raises(FormatError, match="vocab.json or keys.txt"):
        load_vectors(folder)


def test_npy_is_memory_mapped(tmp_path, sample):
    folder = save_vectors(sample, tmp_path / "f", format="npy")
    assert _mmap_backed(load_vectors(folder).matrix)
    assert not _mmap_backed(load_vectors(folder, mmap=False).matrix)


def test_npy_header_is_checked_before_loading(tmp_path, sample):
    folder = save_vectors(sample, tmp_path / "f", format="npy")
    path = folder / "matrix.npy"
    raw = path.read_bytes()
    path.write_bytes(raw.replace(f"({len(KEYS)}, 6)".encode(), b"(99999999999, 6)"))
    with pytest.raises(FormatError, match="99999999999.*truncated or the header is wrong"):
        load_vectors(folder, mmap=False)
    np.save(path, np.zeros((2, 2, 2), dtype=np.float32))
    with pytest.raises(FormatError, match="not 2-D"):
        load_vectors(folder)


def test_nonfinite_values_in_npy_are_refused_when_read(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    np.save(folder / "matrix.npy", np.array([[1.0, np.nan]], dtype=np.float32))
    (folder / "keys.txt").write_text("a\n")
    with pytest.raises(FormatError, match="row 1: value 2 is nan"):
        load_vectors(folder, mmap=False)
    assert np.isnan(load_vectors(folder, mmap=False, allow_nonfinite=True).matrix[0, 1])


# --- projector ----------------------------------------------------------------------------
def test_projector_metadata_with_several_columns(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "vectors.tsv").write_text("1\t2\n3\t4\n")
    (folder / "metadata.tsv").write_text("word\tcount\nhello\t5\nworld\t3\n")
    loaded = load_vectors(folder)
    assert loaded.keys == ["hello", "world"]
    assert load_vectors(folder / "vectors.tsv").keys == ["hello", "world"]
    (folder / "metadata.tsv").write_text("hello\n")
    with pytest.raises(FormatError, match="1 keys for the 2 rows"):
        load_vectors(folder)


# --- detection ----------------------------------------------------------------------------
def test_detection_of_the_shared_files(data_dir):
    formats = data_dir / "formats"
    expected = {
        "euclidean_vectors.bin": "word2vec-binary",
        "high_precision.kv.bin": "word2vec-binary",
        "high_precision.kv.txt": "word2vec-text",
        "word2vec_pre_kv_c": "word2vec-text",
        "EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt": "word2vec-text",
        "IT.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt": "word2vec-text",
        "lee_fasttext.vec": "fasttext-vec",
        "toy-model.vec": "fasttext-vec",
        "pretrained.vec": "fasttext-vec",
        "test_glove.txt": "glove",
        "lee_fasttext.bin": "fasttext-bin",  # pre-2017 layout, no magic
        "lee_fasttext_new.bin": "fasttext-bin",
        "toy-model.bin": "fasttext-bin",
    }
    for name, fmt in expected.items():
        assert detect_format(formats / name) == fmt, name
    with pytest.raises(FormatError, match="not a vectors file in any known format"):
        detect_format(formats / "OPUS_en_it_europarl_train_one2ten.txt")  # a dictionary


def test_detection_edge_cases(tmp_path):
    def detect(raw: bytes, name: str = "f") -> str:
        path = tmp_path / name
        path.write_bytes(raw)
        return detect_format(path)

    assert detect(b"2 3\na 1 2 3\nb 4 5 6\n") == "word2vec-text"
    assert detect(b"2 3\r\na 1 2 3\r\nb 4 5 6\r\n") == "word2vec-text"
    assert detect(b"\xef\xbb\xbf1 2\na 1 2\n") == "word2vec-text"
    assert detect(b"1 3\na " + struct.pack("<3f", 1, 2, 3)) == "word2vec-binary"
    assert detect(b"a 1990 5\nb 1991 6\n") == "glove"
    wide = b"1 300000\nk " + b" ".join([b"0.123456"] * 300_000) + b"\n"  # row > the peek
    assert detect(wide) == "word2vec-text"
    assert detect(b"0.5\t1.5\n2\t3\n") == "projector-tsv"
    assert detect(b"1\t2\n", "metadata.tsv") == "projector-tsv"
    assert detect(struct.pack("<ii", 793712314, 12) + b"\0" * 64) == "fasttext-bin"
    for raw, what in ((b"", "empty"), (b"\x1f\x8b\x08rest", "gzip"),
                      (b"hello world\n", "not a vectors file"), (b"\x00\x01\x02", "known format")):
        with pytest.raises(FormatError, match=what):
            detect(raw)
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    with pytest.raises(FormatError, match="no vectors in it"):
        detect_format(empty)
    with pytest.raises(MissingFileError):
        detect_format(tmp_path / "missing")


def test_a_first_line_the_rows_contradict_is_an_error_naming_both_readings(tmp_path):
    path = tmp_path / "v.txt"
    for raw, why in (
        (b"999999999999 300\na 1\n", "line 2 holds 1 value, not 300"),
        (b"1990 5\n1991 6\n", "line 2 holds 1 value, not 5"),
        (b"3 2\na 1 2 3\n", "line 2 holds 3 values, not 2"),
    ):
        path.write_bytes(raw)
        with pytest.raises(FormatError, match=f"reads as a word2vec header .*{why}.*GloVe rows.*"
                                              "format='glove' or format='word2vec-text'"):
            detect_format(path)
    # Named, either reading is taken as asked.
    path.write_bytes(b"1990 5\n1991 6\n")
    glove = load_vectors(path, format="glove")
    assert glove.keys == ["1990", "1991"] and glove.dim == 1
    path.write_bytes(b"999999999999 300\na 1\n")
    with pytest.raises(FormatError, match="line 1"):
        load_vectors(path, format="word2vec-text")


# --- atomic saves -------------------------------------------------------------------------
def _listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


@pytest.mark.parametrize("exc", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failed_file_save_keeps_the_old_file(tmp_path, sample, monkeypatch, exc):
    import embedlayer.vectors.io.word2vec as w2v

    path = save_vectors(sample, tmp_path / "v.txt", format="word2vec-text")
    before = path.read_bytes()

    def broken(fh, matrix, **kw):
        fh.write(b"half a row")
        raise exc

    monkeypatch.setattr(w2v, "write_rows", broken)
    with pytest.raises(type(exc)):
        save_vectors(Vectors(["z"], [[1.0]]), path, format="word2vec-text")
    assert path.read_bytes() == before
    assert _listing(tmp_path) == ["v.txt"]


@pytest.mark.parametrize("fmt", ["native", "npy"])
def test_a_failed_folder_save_keeps_the_old_folder(tmp_path, sample, monkeypatch, fmt):
    import embedlayer.vectors.io.native as native
    import embedlayer.vectors.io.npy as npy

    folder = save_vectors(sample, tmp_path / "v", format=fmt)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def broken(vocab, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(native if fmt == "native" else npy, "save_vocab", broken)
    with pytest.raises(KeyboardInterrupt):
        save_vectors(Vectors(["z"], [[1.0]]), folder, format=fmt)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert _listing(tmp_path) == ["v"]  # no temporary folder left behind


def test_saving_over_a_loaded_memory_mapped_folder(tmp_path, sample):
    folder = save_vectors(sample, tmp_path / "v")
    mapped = load_vectors(folder)
    save_vectors(mapped, folder)  # reads from the map while the new folder is written
    _equal(load_vectors(folder, verify="full"), sample)
    _equal(mapped, sample)


def test_folders_with_other_files_are_never_replaced(tmp_path, sample):
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(ConfigError, match="refusing to replace folder.*thesis.tex"):
        save_vectors(sample, precious)
    assert _listing(precious) == ["thesis.tex"]
    a_file = save_vectors(sample, tmp_path / "v.bin", format="word2vec-binary")
    with pytest.raises(ConfigError, match="is a file; the native format writes a folder"):
        save_vectors(sample, a_file)
    with pytest.raises(ConfigError, match="is a folder"):
        save_vectors(sample, precious, format="glove")
    # an empty folder, or one of another vectors format, is fine to replace
    empty = tmp_path / "empty"
    empty.mkdir()
    save_vectors(sample, empty)
    npy_folder = save_vectors(sample, tmp_path / "n", format="npy")
    save_vectors(sample, npy_folder, format="native")
    assert _listing(npy_folder) == ["keys.json", "meta.json", "vectors.safetensors"]


# --- safety of the code itself --------------------------------------------------------------
def test_no_pickle_anywhere_in_the_io_package():
    sources = (ROOT / "src" / "embedlayer" / "vectors" / "io").glob("*.py")
    for path in sources:
        text = path.read_text()
        assert not re.search(r"\bimport pickle\b|\bpickle\.load|\bjoblib\b", text), path.name
        for call in re.findall(r"np\.load\([^)]*\)", text, flags=re.S):
            assert "allow_pickle=False" in call, path.name


def test_readers_release_their_files(tmp_path, sample):
    # every reader closes what it opened: the fd count is stable over many loads
    paths = [save_vectors(sample, tmp_path / TARGETS[f][0], format=f) for f in
             ("word2vec-binary", "word2vec-text", "glove")]
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.exists():
        pytest.skip("needs /proc to count open files")
    before = len(os.listdir(fd_dir))
    for _ in range(20):
        for path in paths:
            load_vectors(path)
    assert len(os.listdir(fd_dir)) <= before + 1


def test_keys_in_another_encoding_read_with_encoding_and_match_gensim(tmp_path):
    from gensim.models import KeyedVectors

    path = tmp_path / "cp852.txt"
    path.write_bytes("2 2\nžluť 1 2\nčaj 3 4\n".encode("cp852"))
    with pytest.raises(FormatError, match="not valid UTF-8.*encoding="):
        load_vectors(path)
    v = load_vectors(path, encoding="cp852")
    kv = KeyedVectors.load_word2vec_format(str(path), encoding="cp852")
    assert v.keys == kv.index_to_key == ["žluť", "čaj"]
    np.testing.assert_array_equal(v.matrix, kv.vectors)
    out = save_vectors(v, tmp_path / "back.txt", format="word2vec-text", encoding="cp852")
    assert load_vectors(out, encoding="cp852") == v


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary", "glove"])
def test_surrogateescape_keeps_undecodable_keys_byte_for_byte(tmp_path, fmt):
    raw = Vectors(["ok", "x"], [[1.0, 2.0], [3.0, 4.0]])
    path = save_vectors(raw, tmp_path / "v", format=fmt)
    data = path.read_bytes().replace(b"x ", b"caf\xe9\xff ", 1)  # latin-1 bytes in a UTF-8 file
    path.write_bytes(data)
    v = load_vectors(path, format=fmt, unicode_errors="surrogateescape")
    assert v.keys == ["ok", "caf\udce9\udcff"]
    again = save_vectors(v, tmp_path / "again", format=fmt)
    assert again.read_bytes() == data  # lossless: the same bytes come back
    readable = load_vectors(path, format=fmt, unicode_errors="backslashreplace")
    assert readable.keys == ["ok", "caf\\xe9\\xff"]


def test_progress_false_silences_every_format_modules_bar(tmp_path, sample, capsys):
    from embedlayer.vectors.io._limits import progress_enabled, show_progress

    assert show_progress(True) and not show_progress(False)
    with progress_enabled(False):
        assert not show_progress(True)
    assert show_progress(True)  # restored after the block
    path = save_vectors(sample, tmp_path / "v.txt", format="word2vec-text", progress=False)
    assert load_vectors(path, progress=False) == sample
    assert capsys.readouterr().err == ""
