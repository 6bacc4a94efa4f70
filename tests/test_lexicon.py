"""Lexicons for retrofitting: the Lexicon graph, Faruqui's text format on the shared PPDB file,
WordNet 3.0 read by NLTK from Debian's folder (hand-checked synsets and relations), and the
errors for files in another format, a missing WordNet and a missing NLTK."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from embedlayer import data
from embedlayer.data.lexicons import (
    Lexicon,
    load_lexicon,
    open_wordnet,
    read_lexicon,
    wordnet_lexicon,
)
from embedlayer.errors import ConfigError, DataError, FormatError, MissingFileError


def test_from_dict_builds_csr_without_self_loops_or_repeats():
    lex = Lexicon.from_dict({"a": ["b", "a", "c", "b"], "c": ["a"], "d": []}, name="t")
    assert lex.words == ("a", "c", "d", "b")  # heads first, then neighbour-only words
    assert lex.indptr.tolist() == [0, 2, 3, 3, 3]
    assert lex.neighbours("a") == ["b", "c"] and lex.neighbours("c") == ["a"]
    assert lex.neighbours("b") == [] and lex.neighbours("zz") == []
    assert lex.num_edges == 3 and "b" in lex and "zz" not in lex
    assert lex.to_dict() == {"a": ["b", "c"], "c": ["a"]}
    assert lex.indices.dtype == np.int32 and lex.indptr.dtype == np.int64


# --- Faruqui's text format -------------------------------------------------------------------

def test_ppdb_reads_the_shared_file(data_dir):
    lex = read_lexicon(data_dir / "lexicons" / "ppdb-xl.txt")
    assert lex.name == "ppdb-xl"
    # first lines: "fawn crawl", "reallocations re-allocations ...", "heavily-fortified ..."
    assert lex.words[:3] == ("fawn", "reallocations", "heavily-fortified")
    assert lex.neighbours("fawn") == ["crawl"]
    assert lex.neighbours("reallocations") == [
        "re-allocations", "reassignments", "redeployments", "diversions", "overrides",
        "redistributions"]
    assert lex.neighbours("1,800") == ["1800", "1.8", "1.800", "1-800"]  # numbers are words
    # 102,902 lines; two heads repeat once lower-cased / split as Python's split() does,
    # and 5 self-loops or repeats go
    assert int(np.count_nonzero(lex.degrees)) == 102_897
    assert lex.num_edges == 374_550
    assert load_lexicon("ppdb").num_edges == lex.num_edges  # the registered name


def test_lexicon_file_lowercases_and_merges_repeated_heads(tmp_path):
    path = tmp_path / "lex.txt"
    path.write_text("Car auto Automobile\n\ncar motorcar\nlone\n", encoding="utf-8")
    lex = read_lexicon(path)
    assert lex.neighbours("car") == ["auto", "automobile", "motorcar"]
    assert lex.neighbours("lone") == [] and "lone" in lex
    assert read_lexicon(path, lowercase=False).neighbours("Car") == ["auto", "Automobile"]


@pytest.mark.parametrize(("content", "why"), [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00stuff", "binary"),
    (b"word,neighbour,other\ncar,auto,automobile\n", "CSV"),
    (b"2 3\ncar 0.1 0.2 0.3\nauto 0.4 0.5 0.6\n", "word-vector file"),
    (b"\xff\xfe\xfa not utf-8\n", "UTF-8"),
    (b"car\nauto\n", "no line lists a neighbour"),
])
def test_a_file_in_another_format_is_a_clear_error(tmp_path, content, why):
    path = tmp_path / "lexicon.bin"
    path.write_bytes(content)
    with pytest.raises(FormatError) as err:
        read_lexicon(path)
    message = str(err.value)
    assert str(path) in message and why in message
    assert "word neighbour neighbour" in message  # the expected format


def test_missing_lexicon_file_names_the_choices(tmp_path):
    with pytest.raises(MissingFileError, match="ppdb, wordnet"):
        load_lexicon(tmp_path / "nope.txt")


# --- WordNet ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wn():
    return open_wordnet()


def test_wordnet_is_found_where_debian_installs_it():
    assert data.system_path("wordnet").as_posix() == "/usr/share/wordnet"
    res = data.get_system("wordnet")
    assert res.package == "wordnet-base" and res.env == "EMBEDLAYER_WORDNET"


def test_wordnet_synsets_and_relations_of_hand_checked_words(wn):
    assert wn.get_version() == "3.0"
    dog = wn.synset("dog.n.01")
    assert dog.lemma_names() == ["dog", "domestic_dog", "Canis_familiaris"]
    assert {s.name() for s in dog.hypernyms()} == {"canine.n.02", "domestic_animal.n.01"}
    assert "puppy.n.01" in {s.name() for s in dog.hyponyms()}
    assert dog.lexname() == "noun.animal"  # served from the bridged lexnames list
    car = wn.synsets("car")[0]
    assert car.name() == "car.n.01"
    assert car.lemma_names() == ["car", "auto", "automobile", "machine", "motorcar"]
    good = wn.synset("good.a.01").lemmas()[0]
    assert [a.name() for a in good.antonyms()] == ["bad"]


@pytest.fixture(scope="module")
def wn_all():
    return wordnet_lexicon("synonyms,hypernyms,hyponyms")


def test_wordnet_lexicon_synonyms_hypernyms_hyponyms(wn_all):
    syn = wordnet_lexicon(["synonyms"], multiword=True)
    assert {"domestic_dog", "canis_familiaris"} <= set(syn.neighbours("dog"))
    assert {"auto", "automobile", "machine", "motorcar"} <= set(syn.neighbours("car"))
    assert "canine" not in syn.neighbours("dog")  # a hypernym, not a synonym
    dog = set(wn_all.neighbours("dog"))
    assert {"canine", "canid", "puppy"} <= dog  # up (canine.n.02) and down (puppy.n.01)
    assert "domestic_animal" not in dog and "domestic_dog" not in dog  # multiword dropped
    assert all("_" not in w for w in wn_all.words)
    assert all(w == w.lower() for w in wn_all.words)
    assert wn_all.num_edges > syn.num_edges


def test_wordnet_antonyms():
    ant = wordnet_lexicon("antonyms")
    assert "bad" in ant.neighbours("good") and "good" in ant.neighbours("bad")
    assert ant.neighbours("dog") == []


def test_unknown_relation_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="synonyms, hypernyms, hyponyms, antonyms"):
        wordnet_lexicon("synonyms,meronyms")


def test_missing_wordnet_names_the_package_to_install(tmp_path, monkeypatch):
    with pytest.raises(DataError) as err:
        open_wordnet(tmp_path / "no-wordnet")
    assert "apt-get install wordnet-base" in str(err.value)
    assert str(tmp_path / "no-wordnet") in str(err.value)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "data.noun").write_text("")
    monkeypatch.setenv("EMBEDLAYER_WORDNET", str(tmp_path / "half"))
    with pytest.raises(DataError, match=r"EMBEDLAYER_WORDNET\) lacks 11 of its 12 files.*"
                                        r"wordnet-base"):
        load_lexicon("wordnet")


def test_missing_nltk_names_the_extra(monkeypatch):
    import embedlayer.data.lexicons as lexicons

    lexicons._open_wordnet.cache_clear()
    for name in [m for m in sys.modules if m == "nltk" or m.startswith("nltk.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "nltk", None)
    try:
        with pytest.raises(ConfigError, match=r"pip install 'embedlayer\[knowledge\]'"):
            open_wordnet()
    finally:
        lexicons._open_wordnet.cache_clear()
