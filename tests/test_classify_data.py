"""Readers for classification data: the shared sets, CSV/TSV/JSONL files, and their errors."""

from __future__ import annotations

import json

import pytest

from embedlayer.data.classify import (
    LabeledTexts,
    load_classification,
    read_labeled_file,
    read_trec,
)
from embedlayer.errors import ConfigError, DataError, FormatError, MissingFileError


def test_mr_has_5331_snippets_per_polarity_and_no_test_split():
    mr = load_classification("mr", progress=False)
    assert mr.test is None and len(mr.train) == 10_662
    assert mr.train.counts() == {"neg": 5331, "pos": 5331}
    assert mr.train.texts[0].startswith("the rock is destined")
    assert mr.all() is mr.train


def test_trec_has_the_standard_split_and_6_coarse_or_50_fine_labels():
    trec = load_classification("trec", progress=False)
    assert (len(trec.train), len(trec.test)) == (5452, 500)
    assert trec.train.classes == ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
    assert trec.train.texts[0] == "How did serfdom develop in and then leave Russia ?"
    assert len(trec.all()) == 5952
    fine = load_classification("trec", fine=True, progress=False)
    assert len(fine.train.classes) == 50 and fine.train.labels[0] == "DESC:manner"
    assert all("\ufffd" not in t for t in fine.train.texts)  # Latin-1 decoded, not mangled


@pytest.mark.slow
def test_polarity_documents_one_review_a_file():
    pol = load_classification("polarity", progress=False)  # alias of polarity2.0
    assert pol.name == "polarity2.0" and pol.train.counts() == {"neg": 1000, "pos": 1000}
    assert all("\n" not in t and len(t) > 100 for t in pol.train.texts[:20])


def test_csv_tsv_and_jsonl_round_trip(tmp_path):
    texts = ['a "quoted", text', "plain", "tab"]
    labels = ["x", "y", "x"]
    csv_path = tmp_path / "d.csv"
    csv_path.write_text('id,Label,text\n1,x,"a ""quoted"", text"\n2,y,plain\n\n3,x,tab\n')
    tsv_path = tmp_path / "d.tsv"
    rows = zip(texts, labels, strict=True)
    tsv_path.write_text("text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows))
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t, "label": y}) + "\n"
                             for t, y in zip(texts, labels, strict=True)) + "\n")
    for path in (csv_path, tsv_path, jsonl):
        got = read_labeled_file(path)
        assert (got.texts, got.labels) == (texts, labels), path.name
        data = load_classification(path)
        assert data.test is None and data.train.texts == texts
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufefftext,label\nhello,x\n".encode())
    assert read_labeled_file(bom).texts == ["hello"]
    ints = tmp_path / "i.jsonl"
    ints.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": 0}\n')
    assert read_labeled_file(ints).labels == ["1", "0"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", "", "empty file; expected a header row"),
    ("header.csv", "text,label\n", "no examples"),
    ("nolabel.csv", "text,category\na,b\n", "no column 'label'"),
    ("short.csv", "text,label\na,b\nc\n", "line 3: 1 fields, expected 2"),
    ("blanklabel.tsv", "text\tlabel\nfine\t \n", "line 2: empty label"),
    ("bad.jsonl", '{"text": "a", "label": "b"}\n{"text": "a"\n', "line 2: not JSON"),
    ("list.jsonl", "[1, 2]\n", "line 1: expected an object"),
    ("num.jsonl", '{"text": 3, "label": "b"}\n', "line 1: field 'text' is 3"),
    ("bool.jsonl", '{"text": "a", "label": true}\n', "line 1: field 'label' is True"),
    ("empty.jsonl", "\n\n", "no examples"),
])
def test_bad_files_name_the_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(FormatError, match=message) as info:
        read_labeled_file(path)
    assert name in str(info.value)


def test_bad_trec_lines_and_unknown_inputs(tmp_path):
    bad = tmp_path / "trec.txt"
    bad.write_text("DESC:manner How ?\nno label here\n")
    with pytest.raises(FormatError, match="line 2: expected 'COARSE:fine"):
        read_trec(bad)
    with pytest.raises(ConfigError, match="unknown suffix '.txt'"):
        read_labeled_file(bad)
    with pytest.raises(MissingFileError, match="nope.csv"):
        load_classification(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="is a folder"):
        load_classification(tmp_path)
    with pytest.raises(DataError, match="unknown classification dataset 'brown'"):
        load_classification("brown")


def test_labeled_texts_select_and_check_lengths():
    data = LabeledTexts(["a", "b", "c"], ["x", "y", "x"], "mem")
    assert data.select([2, 0]).texts == ["c", "a"] and data.classes == ("x", "y")
    with pytest.raises(ConfigError, match="3 texts but 2 labels"):
        LabeledTexts(["a", "b", "c"], ["x", "y"], "mem")


def test_named_columns_are_read_and_a_missing_one_lists_the_columns_found(tmp_path):
    csv_path = tmp_path / "reviews.csv"
    csv_path.write_text("id,Body,Verdict\n1,fine film,up\n2,dull film,down\n")
    got = read_labeled_file(csv_path, text_column="body", label_column="VERDICT")
    assert (got.texts, got.labels) == (["fine film", "dull film"], ["up", "down"])
    data = load_classification(csv_path, text_column="Body", label_column="Verdict")
    assert data.train.labels == ["up", "down"]
    with pytest.raises(FormatError, match=r"no column 'text' in the header; the columns found "
                                          r"are 'id', 'Body', 'Verdict'"):
        read_labeled_file(csv_path)
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"body": "fine", "verdict": "up"}\n')
    assert read_labeled_file(jsonl, text_column="body", label_column="verdict").labels == ["up"]
    with pytest.raises(FormatError, match=r"line 1: no field 'text'; the fields found are "
                                          r"'body', 'verdict'"):
        read_labeled_file(jsonl)
    with pytest.raises(ConfigError, match="both 'body'"):
        read_labeled_file(jsonl, text_column="body", label_column="body")
    with pytest.raises(ConfigError, match="apply to CSV/TSV/JSONL files"):
        load_classification("mr", text_column="body", progress=False)
