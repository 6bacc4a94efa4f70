"""The dataset registry: it covers the shared mirror exactly, and lookups fail helpfully."""

from __future__ import annotations

import collections
import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import pytest

from embedlayer import data
from embedlayer.data import DataFile, Dataset
from embedlayer.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
REGISTRY_JSON = ROOT / "src" / "embedlayer" / "data" / "registry.json"


def _sums(data_dir: Path) -> dict[str, str]:
    pairs = (line.split(maxsplit=1) for line in (data_dir / "SHA256SUMS").read_text().splitlines())
    return {rel.strip(): digest for digest, rel in pairs}


def test_public_api_is_pinned():
    assert sorted(data.__all__) == sorted([
        "MIRROR_ENV", "DataFile", "Dataset", "DatasetCheck", "DatasetFormat", "FileCheck",
        "Location", "Presence", "VerifyReport", "download", "get", "list_datasets", "locate",
        "mirror_base", "path", "source_urls", "verify",
        "SystemResource", "get_system", "system_path", "system_resources",
        "LEXICON_NAMES", "Lexicon", "WordNetRelation", "load_lexicon", "open_wordnet",
        "read_lexicon", "wordnet_lexicon",
    ])
    for name in data.__all__:
        assert hasattr(data, name), name


def test_registry_covers_every_file_of_sha256sums_exactly_once(data_dir):
    sums = _sums(data_dir)
    listed = collections.Counter(f.path for ds in data.list_datasets() for f in ds.files)
    assert [p for p, n in listed.items() if n > 1] == []
    assert set(listed) == set(sums)
    by_path = {f.path: f for ds in data.list_datasets() for f in ds.files}
    for rel, digest in sums.items():
        assert by_path[rel].sha256 == digest, rel
        assert by_path[rel].size == (data_dir / rel).stat().st_size, rel


def test_registry_json_is_what_the_generator_makes(data_dir):
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "make_data_registry.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.render(gen.build(data_dir)) == REGISTRY_JSON.read_text("utf-8")


def test_names_are_short_stable_and_cover_every_group():
    names = [ds.name for ds in data.list_datasets()]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", n) for n in names)
    for expected in ("brown", "enwiki-sample", "sinica-segmented", "sinica-unsegmented",
                     "ws353-all", "simlex999", "google-analogy", "ca8-semantic", "mr", "trec",
                     "polarity2.0", "conll2002-esp", "lee-docsim", "wikiqa-test", "formats"):
        assert expected in names


def test_every_dataset_says_what_it_is_and_where_it_comes_from():
    for ds in data.list_datasets():
        assert ds.title and ds.citation and ds.licence, ds.name
        assert ds.origin.startswith("https://"), ds.name
        assert all(re.fullmatch(r"[0-9a-f]{64}", f.sha256) for f in ds.files)


def test_public_urls_are_https_and_pinned_where_the_host_allows():
    for ds in data.list_datasets():
        for f in ds.files:
            if f.url is None:
                assert not f.url_verified
                continue
            assert f.url.startswith("https://raw.githubusercontent.com/"), f.url
            if "/piskvorky/gensim/" in f.url:  # pinned to the release whose wheel was hashed
                assert "/gensim/4.4.0/" in f.url and f.url_verified


def test_derived_files_have_no_public_url():
    # Brown without tags, re-encoded corpora, extracted archives: only the mirror has them.
    for name in ("brown", "sinica-segmented", "mr", "trec", "polarity2.0", "wikiqa-test"):
        assert all(f.url is None for f in data.get(name).files), name


def test_records_are_frozen():
    ds = data.get("brown")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.files[0].size = 0  # type: ignore[misc]


def test_get_is_case_insensitive_and_passes_datasets_through():
    ds = data.get("SimLex999")
    assert ds.name == "simlex999"
    assert data.get(ds) is ds


def test_unknown_name_lists_close_matches():
    with pytest.raises(DataError, match=r"unknown dataset 'simlex'.*'simlex999'"):
        data.get("simlex")
    with pytest.raises(DataError, match=r"unknown dataset 'zzzz'; `embedlayer data list` shows all"):
        data.get("zzzz")


def test_single_file_dataset_targets_its_file_and_multi_file_its_folder():
    assert data.get("brown").target == "corpora/en/brown.txt"
    assert data.get("mr").target == "classify/mr"
    assert data.get("polarity2.0").target == "classify/polarity2.0"
    assert data.get("formats").folder == "formats"
    assert data.get("polarity2.0").size == sum(f.size for f in data.get("polarity2.0").files)


def test_file_lookup_by_mirror_path_inner_path_or_unique_name():
    ds = data.get("polarity2.0")
    f = ds.file("classify/polarity2.0/pos/cv000_29590.txt")
    assert ds.file("pos/cv000_29590.txt") == f == ds.file("cv000_29590.txt")
    with pytest.raises(DataError, match=r"dataset 'mr' has no file 'rt-polarity.po'.*rt-polarity"):
        data.get("mr").file("rt-polarity.po")


def test_registry_json_is_self_describing():
    raw = json.loads(REGISTRY_JSON.read_text("utf-8"))
    assert raw["format_version"] == 1
    assert raw["mirror"]["env"] == data.MIRROR_ENV
    assert ".invalid" in raw["mirror"]["default_base"]  # placeholder until a mirror is published
    assert isinstance(data.get("mr").files[0], DataFile) and isinstance(data.get("mr"), Dataset)
