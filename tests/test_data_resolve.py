"""Resolution order: explicit root, then EMBEDLAYER_DATA (in order), then the cache.

Everything here is offline: no test reaches a download (see test_data_download.py for those).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from embedlayer import config, data
from embedlayer.errors import ChecksumError, DataError, DownloadError, MissingFileError


def _copy(data_dir: Path, dest_root: Path, name: str) -> Path:
    """A mirror-layout copy of one dataset under ``dest_root``."""
    for f in data.get(name).files:
        target = dest_root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir / f.path, target)
    return dest_root


@pytest.fixture
def no_data_path(monkeypatch):
    monkeypatch.setenv("EMBEDLAYER_DATA", "")
    monkeypatch.delenv("EMBEDLAYER_MIRROR", raising=False)


def test_data_path_resolves_to_the_shared_mirror(data_dir):
    assert data.path("brown") == data_dir / "corpora/en/brown.txt"
    assert data.path("mr") == data_dir / "classify/mr"
    assert data.path("trec", "test.txt") == data_dir / "classify/trec/test.txt"
    assert data.path("formats", "toy-model.bin").is_file()


def test_explicit_root_wins_over_the_data_path(data_dir, tmp_path):
    root = _copy(data_dir, tmp_path / "mine", "rg65")
    assert data.path("rg65", root=root) == root / "wordsim/EN-RG-65.txt"
    loc, state = data.locate("rg65", root=root)
    assert (loc.kind, loc.root, state) == ("root", root, data.Presence.COMPLETE)


def test_explicit_root_without_the_dataset_is_an_error_not_a_fallback(tmp_path):
    with pytest.raises(MissingFileError, match=r"'mc30' is not under .*wordsim/EN-MC-30.txt"):
        data.path("mc30", root=tmp_path)


def test_data_path_folders_are_searched_in_order(data_dir, tmp_path, monkeypatch):
    first = _copy(data_dir, tmp_path / "first", "mc30")
    monkeypatch.setenv("EMBEDLAYER_DATA", os.pathsep.join([str(first), str(data_dir)]))
    assert data.path("mc30") == first / "wordsim/EN-MC-30.txt"
    assert data.path("rg65") == data_dir / "wordsim/EN-RG-65.txt"  # not in `first`


def test_a_partial_copy_in_the_data_path_is_skipped(data_dir, tmp_path, monkeypatch):
    partial = tmp_path / "partial"
    (partial / "classify/mr").mkdir(parents=True)
    shutil.copyfile(data_dir / "classify/mr/rt-polarity.pos", partial / "classify/mr/rt-polarity.pos")
    monkeypatch.setenv("EMBEDLAYER_DATA", os.pathsep.join([str(partial), str(data_dir)]))
    assert data.path("mr") == data_dir / "classify/mr"
    assert data.path("mr", "rt-polarity.pos") == partial / "classify/mr/rt-polarity.pos"


def test_cache_is_used_when_the_data_path_lacks_the_dataset(data_dir, no_data_path):
    cache = config.cache_dir()
    _copy(data_dir, cache, "lee-docsim")
    assert data.path("lee-docsim") == cache / "docsim/lee"
    loc, _ = data.locate("lee-docsim")
    assert loc.kind == "cache"


def test_data_path_wins_over_the_cache(data_dir):
    _copy(data_dir, config.cache_dir(), "mc30")
    assert data.path("mc30") == data_dir / "wordsim/EN-MC-30.txt"


def test_wrong_size_in_the_data_path_is_reported_not_skipped(data_dir, tmp_path, monkeypatch):
    root = _copy(data_dir, tmp_path / "bad", "mc30")
    with (root / "wordsim/EN-MC-30.txt").open("ab") as fh:
        fh.write(b"extra\n")
    monkeypatch.setenv("EMBEDLAYER_DATA", os.pathsep.join([str(root), str(data_dir)]))
    with pytest.raises(ChecksumError, match=r"'mc30'.*EN-MC-30.txt in the data path is 549 bytes, "
                                            r"expected 543.*embedlayer data verify mc30"):
        data.path("mc30")
    assert data.locate("mc30")[1] is data.Presence.DAMAGED


def test_no_download_names_where_it_looked(no_data_path):
    with pytest.raises(DataError, match=r"'mr' is not available locally.*EMBEDLAYER_DATA is not "
                                        r"set.*cache.*downloading is off"):
        data.path("mr", download=False)


def test_without_a_mirror_a_derived_dataset_cannot_download(no_data_path):
    # 'brown' has no byte-identical public copy and the project mirror is a placeholder, so
    # nothing is even attempted on the network.
    assert data.mirror_base() is None
    with pytest.raises(DownloadError, match=r"'brown'.*no byte-identical public copy.*"
                                            r"EMBEDLAYER_DATA.*EMBEDLAYER_MIRROR"):
        data.path("brown", progress=False)


def test_source_urls_prefer_the_public_copy_unless_a_mirror_is_set(monkeypatch):
    mc30 = data.get("mc30").files[0]
    brown = data.get("brown").files[0]
    monkeypatch.delenv("EMBEDLAYER_MIRROR", raising=False)
    assert data.source_urls(mc30) == [mc30.url]
    assert data.source_urls(brown) == []
    monkeypatch.setenv("EMBEDLAYER_MIRROR", "http://127.0.0.1:9/m/")
    assert data.source_urls(mc30) == ["http://127.0.0.1:9/m/wordsim/EN-MC-30.txt"]
    assert data.source_urls(brown) == ["http://127.0.0.1:9/m/corpora/en/brown.txt"]


def test_unknown_file_of_a_dataset():
    with pytest.raises(DataError, match=r"dataset 'trec' has no file 'dev.txt'"):
        data.path("trec", "dev.txt")
