"""`embedlayer eval` end to end on vector files written by another tool (gensim)."""

from __future__ import annotations

import json

import pytest

from embedlayer.cli.main import main


@pytest.fixture(scope="module")
def vector_files(tmp_path_factory, data_dir):
    from gensim.models import Word2Vec

    from embedlayer.corpus import TextCorpus
    from embedlayer.text import get_tokenizer

    tok = get_tokenizer("regex", lowercase=True)
    sentences = list(tok.tokenize_many(TextCorpus(data_dir / "corpora" / "en" / "brown.txt")))
    folder = tmp_path_factory.mktemp("vecs")
    out = []
    for dim in (16, 32):
        model = Word2Vec(sentences, vector_size=dim, min_count=5, workers=1, epochs=1, seed=1)
        path = folder / f"brown{dim}.bin"
        model.wv.save_word2vec_format(str(path), binary=True)
        out.append(path)
    return out


def test_eval_prints_the_standard_suite_and_writes_reports(vector_files, tmp_path, capsys):
    code = main(["eval", *map(str, vector_files), "--json", str(tmp_path / "r.json"),
                 "--markdown", str(tmp_path / "r.md"), "--plot", str(tmp_path / "r.png")])
    assert code == 0
    out = capsys.readouterr().out
    for name in ("ws353-all", "simlex999", "men3k", "google-analogy", "lee-docsim", "brown16",
                 "brown32"):
        assert name in out
    doc = json.loads((tmp_path / "r.json").read_text())
    assert len(doc["vectors"]) == 2 and len(doc["vectors"][0]["wordsim"]) == 8
    assert doc["settings"]["restrict_vocab"] == 30000
    assert "| google-analogy |" in (tmp_path / "r.md").read_text()
    assert (tmp_path / "r.png").stat().st_size > 1000


def test_eval_selected_sets_only(vector_files, tmp_path, capsys, data_dir):
    code = main(["eval", str(vector_files[0]), "--wordsim", "simlex999", "--wordsim",
                 str(data_dir / "wordsim" / "EN-RG-65.txt"), "--oov", "zero",
                 "--json", str(tmp_path / "r.json")])
    assert code == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    names = [r["dataset"] for r in doc["vectors"][0]["wordsim"]]
    assert names == ["simlex999", "EN-RG-65"]
    assert doc["vectors"][0]["analogy"] == [] and doc["vectors"][0]["docsim"] == []
    assert doc["vectors"][0]["wordsim"][0]["oov"] == "zero"


def test_eval_quiet_resolves_datasets_without_a_progress_bar(vector_files, monkeypatch):
    import embedlayer.data as data

    asked = []
    real = data.path

    def spy(name, *args, **kwargs):  # the resolver a download would go through
        asked.append((name, kwargs.get("progress", True)))
        return real(name, *args, **kwargs)

    monkeypatch.setattr(data, "path", spy)
    assert main(["eval", str(vector_files[0]), "--wordsim", "simlex999", "--docsim", "lee",
                 "--quiet"]) == 0
    assert {name for name, _ in asked} == {"simlex999", "lee-docsim"}
    assert all(progress is False for _, progress in asked), asked


def test_eval_bad_input_is_one_line(tmp_path, capsys, vector_files):
    assert main(["eval", str(tmp_path / "nope.bin")]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["eval", str(vector_files[0]), "--wordsim", "simlex9999"]) == 1
    err = capsys.readouterr().err
    assert "simlex999" in err and err.count("\n") == 1


def test_eval_takes_comma_lists_and_compose_on_fasttext_models(tmp_path, data_dir, capsys):
    model = data_dir / "formats" / "lee_fasttext.bin"
    code = main(["eval", str(model), "--wordsim", "rg65,mc30", "--wordsim", "ws353-sim",
                 "--oov", "compose", "--quiet", "--json", str(tmp_path / "r.json")])
    assert code == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    ws = doc["vectors"][0]["wordsim"]
    assert [r["dataset"] for r in ws] == ["rg65", "mc30", "ws353-sim"]
    assert all(r["scored"] == r["pairs"] and r["oov"] == "compose" for r in ws)
    assert all(doc["datasets"][r["dataset"]]["verified"] for r in ws)
    capsys.readouterr()


def test_eval_compose_on_plain_vectors_names_the_flag(vector_files, capsys):
    assert main(["eval", str(vector_files[0]), "--wordsim", "rg65", "--oov", "compose"]) == 1
    err = capsys.readouterr().err
    assert "--oov compose builds unknown words" in err and "--oov skip" in err
    assert "oov='" not in err and err.count("\n") == 1


def test_eval_refuses_existing_reports_before_scoring(vector_files, tmp_path, capsys):
    report = tmp_path / "r.json"
    report.write_text("{}")
    assert main(["eval", str(vector_files[0]), "--wordsim", "rg65", "--json",
                 str(report)]) == 1
    assert "r.json: the output file exists; pass --force" in capsys.readouterr().err
    assert report.read_text() == "{}"
    assert main(["eval", str(vector_files[0]), "--wordsim", "rg65", "--json", str(report),
                 "--force"]) == 0
    assert json.loads(report.read_text())["format_version"] == 1
