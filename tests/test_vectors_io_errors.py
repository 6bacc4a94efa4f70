"""Bad vector files: each is a FormatError naming the file, the place and the problem."""

from __future__ import annotations

import re
import struct
import tracemalloc

import numpy as np
import pytest

from embedlayer.errors import FormatError
from embedlayer.vectors.io import load_vectors


def _bin_row(key: bytes, values, *, newline: bool = True) -> bytes:
    return key + b" " + struct.pack(f"<{len(values)}f", *values) + (b"\n" if newline else b"")


def _write(tmp_path, name: str, raw: bytes):
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def _fails(path, pattern: str, **kwargs) -> FormatError:
    with pytest.raises(FormatError) as info:
        load_vectors(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message  # names the file first
    assert re.search(pattern, message), message
    return info.value


# (file name, content, format or None to detect, expected message pattern)
CASES = [
    ("rows.txt", b"3 2\na 1 2\nb 3 4\n", None,
     r"line 4: the file ends after 2 rows but the header \(line 1\) promises 3.*limit=2"),
    ("rows.bin", b"3 2\n" + _bin_row(b"a", [1, 2]) + _bin_row(b"b", [3, 4]), "word2vec-binary",
     r"byte \d+: the file ends after 2 rows but the header promises 3.*limit=2"),
    ("dims.txt", b"2 3\na 1 2\nb 3 4\n", "word2vec-text",
     r"line 2: 2 values, expected 3 \(the header's"),  # detection refuses it: see test_vectors_io
    ("cut.bin", b"2 2\n" + _bin_row(b"a", [1, 2]) + _bin_row(b"bb", [3, 4])[:-3],
     "word2vec-binary", r"byte 15: row 2 \(b'bb'\) needs 8 bytes of floats but the file ends "
                        r"after 6; it is truncated"),
    ("change.txt", b"3 2\na 1 2\nb 3 4 5\nc 1 1\n", None,
     r"line 3: 3 values, expected 2 .*dimension changes"),
    ("change.glove", b"a 1 2\nb 3 4\nc 5\n", None,
     r"line 3: 1 values, expected 2 \(the number of values on line 1\)"),
    ("nonnum.txt", b"2 2\na 1 2\nb 3 x4\n", None, r"line 3: value 2 is 'x4', not a number"),
    ("comma.glove", b"a 1,5 2\n", "glove", r"line 1: 1 values, expected 2|value 1 is '1,5'"),
    ("nan.txt", b"2 2\na 1 2\nb nan 4\n", None, r"line 3: value 1 is nan; non-finite values "
                                                r"are refused \(pass allow_nonfinite=True"),
    ("inf.glove", b"a 1 2\nb 3 -inf\n", None, r"line 2: value 2 is -inf"),
    ("overflow.txt", b"1 2\na 1e39 2\n", None, r"line 2: value 1 is inf"),
    ("nan.bin", b"1 2\n" + _bin_row(b"a", [1, float("nan")]), None,
     r"byte 4 \(row 1\): value 2 is nan"),
    ("dup.txt", b"3 1\na 1\nb 2\na 3\n", None,
     r"line 4: duplicate key 'a': it is also the key of the row at line 2"),
    ("dup.bin", b"2 1\n" + _bin_row(b"a", [1]) + _bin_row(b"a", [2]), None,
     r"byte 11 \(row 2\): duplicate key 'a'.*byte 4 \(row 1\)"),
    ("dup.glove", b"a 1\nb 2\nb 3\n", "glove", r"line 3: duplicate key 'b'.*line 2"),
    ("utf8.txt", b"2 1\na 1\n\xff\xfe 2\n", None, r"line 3: key b'\\xff\\xfe' is not valid UTF-8"),
    ("empty.txt", b"", "word2vec-text", r"empty file"),
    ("empty.bin", b"", "word2vec-binary", r"empty file"),
    ("empty.glove", b"", "glove", r"empty file"),
    ("empty", b"", None, r"empty file"),
    ("negative.txt", b"-5 3\na 1 2 3\n", "word2vec-text", r"line 1: the header gives -5 rows"),
    ("zero.txt", b"1 0\na\n", "word2vec-text", r"line 1: the header gives dimension 0"),
    ("zero.bin", b"1 0\na \n", "word2vec-binary", r"line 1: the header gives dimension 0"),
    ("hugedim.txt", b"1 99999999999\na 1\n", "word2vec-text",
     r"line 1: the header gives dimension 99,999,999,999; more than 1,048,576 is not a plausible"),
    ("hugedim.bin", b"3 99999999\na 1\n", "word2vec-binary", r"dimension 99,999,999;"),
    ("noheader.txt", b"a 1 2\n", "word2vec-text",
     r"line 1: expected the word2vec text header 'N D'.*format='glove'"),
    ("header.glove", b"2 3\na 1 2 3\nb 4 5 6\n", "glove",
     r"line 1: '2 3' is a word2vec header.*'word2vec-text' or 'word2vec-binary'"),
    ("extra.txt", b"1 1\na 1\nb 2\n", None,
     r"line 3: data continues after the 1 row the header promises.*limit=1"),
    ("extra.bin", b"1 1\n" + _bin_row(b"a", [1]) + _bin_row(b"b", [2]), None,
     r"byte 10: data continues after the 1 row "),
    ("blank.glove", b"a 1\n\nb 2\n", "glove", r"line 2: no values after the key"),
    ("spacekey.txt", b"1 1\n 1\n", "word2vec-text", r"line 2: .*empty key"),
    ("novalues.txt", b"2 2\na 1 2\nb\n", None, r"line 3: no values after the key"),
    ("longkey.bin", b"1 1\n" + b"k" * 70000, "word2vec-binary",
     r"byte 4: row 1: no space ends the key within 65,536 bytes"),
]


@pytest.mark.parametrize(("name", "raw", "fmt", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_a_located_format_error(tmp_path, name, raw, fmt, pattern):
    _fails(_write(tmp_path, name, raw), pattern, format=fmt)


def test_a_line_without_end_is_refused_in_linear_time(tmp_path, monkeypatch):
    import embedlayer.vectors.io._text as text

    monkeypatch.setattr(text, "MAX_LINE_BYTES", 1 << 16)
    path = _write(tmp_path, "long.txt", b"1 2\na " + b"1 " * 100_000)
    _fails(path, r"line 2: a line longer than 65,536 bytes", format="word2vec-text")


def test_nonfinite_values_load_when_allowed(tmp_path):
    path = _write(tmp_path, "nan.txt", b"2 2\na 1 2\nb nan inf\n")
    loaded = load_vectors(path, allow_nonfinite=True)
    assert np.isnan(loaded["b"][0]) and np.isinf(loaded["b"][1])


def test_limit_stops_before_the_damage(tmp_path):
    path = _write(tmp_path, "v.txt", b"3 2\na 1 2\nb 3 4\nc broken\n")
    assert load_vectors(path, limit=2).keys == ["a", "b"]
    extra = _write(tmp_path, "e.bin", b"1 1\n" + _bin_row(b"a", [1]) + b"junk")
    assert load_vectors(extra, limit=1).keys == ["a"]


@pytest.mark.parametrize("raw", [
    b"999999999999 300\na 1\n",
    b"999999999999 300\n" + b"k " + b"\0" * 1200,
    b"3000000 1000\na 1\n",
])
@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary"])
def test_absurd_headers_fail_before_allocating(tmp_path, raw, fmt):
    path = _write(tmp_path, "huge", raw)
    tracemalloc.start()
    try:
        _fails(path, r"line 1: .*rows of dimension .* need at least .* bytes, but only "
                     r".* bytes follow; the file is truncated or the header is wrong", format=fmt)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # nothing near the 360 GB the header asks for


def test_a_long_first_glove_line_cannot_make_a_huge_matrix(tmp_path):
    first = b"a " + b" ".join([b"1"] * 5000) + b"\n"
    path = _write(tmp_path, "g.txt", first + b"b 1\n" * 200000)
    _fails(path, r"line 1: 200,001 rows of dimension 5,000 \(one per line, with line 1's "
                 r"dimension\) need at least", format="glove")


def test_binary_records_with_and_without_line_breaks(tmp_path):
    with_nl = _write(tmp_path, "c.bin", b"2 2\n" + _bin_row(b"a", [1, 2]) + _bin_row(b"b", [3, 4]))
    without = _write(tmp_path, "g.bin", b"2 2\n" + _bin_row(b"a", [1, 2], newline=False)
                     + _bin_row(b"b", [3, 4], newline=False))
    mixed = _write(tmp_path, "m.bin", b"2 2\n" + _bin_row(b"a", [1, 2]) + b"\n"
                   + _bin_row(b"b", [3, 4], newline=False))
    for path in (with_nl, without, mixed):
        loaded = load_vectors(path)
        assert loaded.keys == ["a", "b"]
        assert loaded.matrix.tolist() == [[1, 2], [3, 4]]


def test_windows_line_ends_and_a_byte_order_mark(tmp_path):
    path = _write(tmp_path, "w.txt", b"\xef\xbb\xbf2 2\r\na 1 2\r\nb 3 4\r\n")
    loaded = load_vectors(path)
    assert loaded.keys == ["a", "b"] and loaded.matrix.tolist() == [[1, 2], [3, 4]]
    glove = _write(tmp_path, "g.txt", b"\xef\xbb\xbfa 1 2\r\nb 3 4\r\n\r\n\n")
    assert load_vectors(glove).keys == ["a", "b"]


def test_unicode_policies_on_a_key_that_decodes_to_nothing(tmp_path):
    path = _write(tmp_path, "v.txt", b"2 1\n\xff 1\nb 2\n")
    assert load_vectors(path, unicode_errors="replace").keys == ["\ufffd", "b"]
    _fails(path, r"line 2: key '': expected a non-empty string", unicode_errors="ignore")


def test_a_folder_given_as_a_single_file_format(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    _fails(folder, r"a folder, but format 'glove' is a single file", format="glove")
