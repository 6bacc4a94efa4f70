"""verify(): sha256 of every local file against the registry; OK / MISMATCH / MISSING."""

from __future__ import annotations

import shutil

import pytest

from embedlayer import data
from embedlayer.errors import DataError


def test_the_whole_shared_mirror_verifies(data_dir):
    report = data.verify(progress=False)
    assert report.ok, [(d.name, [f.path for f in d.problems]) for d in report.datasets if d.status != "OK"]
    assert len(report.datasets) == len(data.list_datasets())
    assert {d.location.root for d in report.datasets} == {data_dir}


def test_a_changed_byte_is_a_mismatch_with_both_hashes(data_dir, tmp_path):
    f = data.get("trec").file("test.txt")
    target = tmp_path / f.path
    target.parent.mkdir(parents=True)
    raw = bytearray((data_dir / f.path).read_bytes())
    raw[100] ^= 0x01  # same size, one bit flipped: only the hash can tell
    target.write_bytes(bytes(raw))
    shutil.copyfile(data_dir / "classify/trec/train.txt", tmp_path / "classify/trec/train.txt")
    (check,) = data.verify("trec", root=tmp_path, progress=False).datasets
    assert check.status == "MISMATCH"
    (bad,) = check.problems
    assert (bad.path, bad.expected, bad.local) == (f.path, f.sha256, target)
    assert bad.actual != f.sha256 and len(bad.actual) == 64


def test_a_missing_file_is_reported_missing(data_dir, tmp_path):
    (tmp_path / "classify/mr").mkdir(parents=True)
    shutil.copyfile(data_dir / "classify/mr/rt-polarity.pos", tmp_path / "classify/mr/rt-polarity.pos")
    report = data.verify(["mr", "mc30"], root=tmp_path, progress=False)
    assert report.missing == ["mr", "mc30"] and not report.ok
    mr = report.datasets[0]
    assert [(f.path, f.status) for f in mr.files] == [
        ("classify/mr/rt-polarity.pos", "OK"), ("classify/mr/rt-polarity.neg", "MISSING")]
    assert report.datasets[1].location is None


def test_mismatch_outranks_missing(data_dir, tmp_path):
    (tmp_path / "classify/mr").mkdir(parents=True)
    (tmp_path / "classify/mr/rt-polarity.pos").write_text("not the file\n")
    (check,) = data.verify("mr", root=tmp_path, progress=False).datasets
    assert check.status == "MISMATCH"
    assert data.verify("mr", root=tmp_path, progress=False).mismatched == ["mr"]


def test_names_are_deduplicated_and_unknown_names_fail_early():
    assert [d.name for d in data.verify(["mc30", "MC30"], progress=False).datasets] == ["mc30"]
    with pytest.raises(DataError, match="did you mean 'rg65'"):
        data.verify(["mc30", "rg66"], progress=False)
