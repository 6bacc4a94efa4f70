"""`embedlayer classify train | eval | predict` end to end on small files; errors in one line."""

from __future__ import annotations

import io
import json
import random

import pytest

torch = pytest.importorskip("torch")

from embedlayer.cli.main import main  # noqa: E402

POS = ["good", "great", "lovely", "superb"]
NEG = ["bad", "awful", "dull", "boring"]
QUICK = ["--epochs", "3", "--dim", "8", "--lr", "0.02", "--quiet", "--threads", "1"]


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def files(tmp_path):
    rng = random.Random(0)
    rows = []
    for i in range(120):
        label = "pos" if i % 2 else "neg"
        words = rng.choices(POS if label == "pos" else NEG, k=2) + rng.choices(["the", "film"], k=2)
        rows.append((" ".join(words), label))
    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows))
    return tmp_path, train


def test_train_eval_predict(files, capsys, monkeypatch):
    tmp, train = files
    model = tmp / "model"
    assert main(["classify", "train", str(train), "--encoder", "bag", "--bigrams", *QUICK,
                 "-o", str(model)]) == 0
    out = capsys.readouterr().out
    assert "trained bag" in out and "epoch  1" in out and "saved the classifier" in out
    assert (model / "model.safetensors").is_file()

    assert main(["classify", "eval", str(model), str(train), "--quiet", "--json",
                 str(tmp / "scores.json")]) == 0
    out = capsys.readouterr().out
    assert "accuracy:" in out and "macro" in out and "confusion" in out
    scores = json.loads((tmp / "scores.json").read_text())
    assert scores["n"] == 120 and scores["accuracy"] > 0.9

    texts = tmp / "texts.txt"
    texts.write_text("a great film\n\nboring and dull\n")
    assert main(["classify", "predict", str(model), str(texts), "--quiet"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["text"] for x in lines] == ["a great film", "", "boring and dull"]
    assert lines[0]["label"] == "pos" and lines[2]["label"] == "neg"
    assert sum(lines[1]["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)

    monkeypatch.setattr("sys.stdin", io.StringIO("superb\n"))
    assert main(["classify", "predict", str(model), "-", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "pos"


def test_cross_validation_prints_mean_and_std(files, capsys):
    _, train = files
    assert main(["classify", "train", str(train), "--encoder", "cnn", "--maps", "4",
                 "--cv", "3", *QUICK]) == 0
    out = capsys.readouterr().out
    assert "fold  3: accuracy" in out and "± " in out and "mean ± std over 3 folds" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "{tmp}/empty.csv", "-o", "{tmp}/m"], "empty.csv: empty file"),
    (["train", "{tmp}/one.csv", "-o", "{tmp}/m"], "have the label 'pos'"),
    (["train", "{train}"], "give -o MODEL_DIR"),
    (["train", "{train}", "--cv", "3", "-o", "{tmp}/m"], "--cv saves no model"),
    (["train", "{train}", "--encoder", "lstm", "--maps", "3", "-o", "{tmp}/m"],
     "--encoder lstm: encoder 'lstm' has no setting 'maps'"),
    (["train", "{train}", "--freeze", "later", "-o", "{tmp}/m"], "--freeze"),
    (["train", "nosuchset", "-o", "{tmp}/m"], "unknown classification dataset 'nosuchset'"),
    (["eval", "{tmp}/model", "{tmp}/other.csv"], "'meh' were not seen in training"),
    (["eval", "{tmp}/nowhere", "{train}"], "no such model folder"),
    (["predict", "{tmp}/model", "{tmp}/missing.txt"], "missing.txt: no such file"),
])
def test_bad_input_gives_one_line_and_no_traceback(files, capsys, argv, message):
    tmp, train = files
    (tmp / "empty.csv").write_text("")
    (tmp / "one.csv").write_text("text,label\na,pos\nb,pos\nc,pos\n")
    (tmp / "other.csv").write_text("text,label\ngood,pos\nso so,meh\n")
    if argv[0] != "train":
        assert main(["classify", "train", str(train), "--encoder", "bag", *QUICK,
                     "-o", str(tmp / "model")]) == 0
        capsys.readouterr()
    args = [a.format(tmp=tmp, train=train) for a in argv]
    code = main(["classify", *args, *(["--quiet"] if args[0] != "train" else QUICK)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not (tmp / "m").exists()
