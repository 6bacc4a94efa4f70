"""Atomic writes keep the user's umask; the checked .npy reader refuses lying headers early."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from embedlayer._atomic import atomic_folder, atomic_write, current_umask
from embedlayer._npyfile import read_npy
from embedlayer.errors import ConfigError, FormatError


@pytest.fixture(params=[0o022, 0o077])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_current_umask_reads_without_changing_it(umask):
    assert current_umask() == umask
    assert current_umask() == umask


def test_atomic_file_gets_the_mode_a_plain_open_would(tmp_path, umask):
    with atomic_write(tmp_path / "a.txt", "w") as fh:
        fh.write("x")
    (tmp_path / "plain.txt").write_text("x")
    assert _mode(tmp_path / "a.txt") == 0o666 & ~umask == _mode(tmp_path / "plain.txt")


def test_atomic_folder_gets_the_mode_a_plain_mkdir_would(tmp_path, umask):
    with atomic_folder(tmp_path / "out", fmt="test", allowed=frozenset({"f"})) as tmp:
        (tmp / "f").write_text("x")
    (tmp_path / "plain").mkdir()
    assert _mode(tmp_path / "out") == 0o777 & ~umask == _mode(tmp_path / "plain")
    assert _mode(tmp_path / "out" / "f") == 0o666 & ~umask


def test_atomic_folder_refuses_to_replace_unrelated_data(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.tex").write_text("keep me")
    folder = atomic_folder(tmp_path / "out", fmt="test", allowed=frozenset({"f"}))
    with pytest.raises(ConfigError, match="thesis.tex"), folder:
        pass
    assert (tmp_path / "out" / "thesis.tex").read_text() == "keep me"


def test_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as fh:
        fh.write("new")
        raise RuntimeError("boom")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def test_read_npy_checks_the_header_against_the_file_size_before_allocating(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header((600_000, 800_000)) + b"\0" * 16)  # claims 3.5 TiB
    with pytest.raises(FormatError, match=r"huge.npy: the header claims shape \(600000, 800000\)"
                                          r" of float64 \(3,840,000,000,000 bytes\), but 16"):
        read_npy(path, np.float64)


def test_read_npy_refuses_truncated_and_object_arrays(tmp_path):
    good = tmp_path / "good.npy"
    np.save(good, np.arange(6, dtype=np.float64).reshape(2, 3))
    np.testing.assert_array_equal(read_npy(good, np.float64, (2, 3)),
                                  np.arange(6.0).reshape(2, 3))
    cut = tmp_path / "cut.npy"
    cut.write_bytes(good.read_bytes()[:-8])
    with pytest.raises(FormatError, match="cut.npy: .* 40 bytes follow"):
        read_npy(cut, np.float64)
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match="obj.npy: holds Python objects"):
        read_npy(obj, np.float64)
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy at all")
    with pytest.raises(FormatError, match="junk.npy: not a plain .npy array"):
        read_npy(junk, np.float64)
