"""`embedlayer classify train | eval | predict` end to end on small files; errors in one line."""

from __future__ import annotations

import io
import json
import random

import pytest
import torch

from embedlayer.cli.main import main  # noqa: E402

POS = ["good", "great", "lovely", "superb"]
NEG = ["bad", "awful", "dull", "boring"]
QUICK = ["--epochs", "3", "--dim", "8", "--learning-rate", "0.02", "--quiet", "--workers", "1"]


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

    assert main(["classify", "eval", str(model), str(train), "--quiet", "-o",
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
    (["train", "{train}", "--seed", "-1", "-o", "{tmp}/m"], "--seed must be an int >= 0, got -1"),
    (["train", "{train}", "--embedding-learning-rate", "0", "-o", "{tmp}/m"],
     "--embedding-learning-rate must be a finite number > 0"),
    (["train", "{tmp}/cols.csv", "--text-column", "body", "-o", "{tmp}/m"],
     "no column 'body' in the header; the columns found are 'review', 'stars'"),
    (["train", "{tmp}/cols.csv", "-o", "{tmp}/m"],
     "choose others with --text-column / --label-column"),
    (["train", "mr", "--text-column", "body", "-o", "{tmp}/m"],
     "--text-column / --label-column apply to CSV/TSV/JSONL files"),
    (["train", "{train}", "--max-vocab", "0", "-o", "{tmp}/m"],
     "--max-vocab must be an int >= 1 (or leave it unset), got 0"),
    (["train", "{train}", "--encoder", "bag", "--bucket", "0", "-o", "{tmp}/m"],
     "--encoder bag: --bucket must be an int >= 1, got 0"),
    (["train", "{train}", "-o", "{tmp}/model"], "model exists; pass --force"),
    (["eval", "{tmp}/model", "{train}", "-o", "{tmp}/one.csv"], "one.csv exists; pass --force"),
    (["train", "{train}", "--force", "-o", "{tmp}/one.csv"], "one.csv is a file"),
    (["train", "{train}", "--force", "-o", "{train}"], "train.csv: is also an input"),
    (["eval", "{tmp}/model", "{tmp}/one.csv", "--force", "-o", "{tmp}/one.csv"],
     "one.csv: is also an input"),
    (["predict", "{tmp}/model", "{tmp}/one.csv", "--force", "-o", "{tmp}/one.csv"],
     "one.csv: is also an input"),
])
def test_bad_input_gives_one_line_and_no_traceback(files, capsys, argv, message):
    tmp, train = files
    (tmp / "empty.csv").write_text("")
    (tmp / "one.csv").write_text("text,label\na,pos\nb,pos\nc,pos\n")
    (tmp / "other.csv").write_text("text,label\ngood,pos\nso so,meh\n")
    (tmp / "cols.csv").write_text("review,stars\ngood,5\nbad,1\n")
    if argv[0] != "train" or "{tmp}/model" in argv:
        assert main(["classify", "train", str(train), "--encoder", "bag", *QUICK,
                     "-o", str(tmp / "model")]) == 0
        capsys.readouterr()
    args = [a.format(tmp=tmp, train=train) for a in argv]
    code = main(["classify", *args, *(["--quiet"] if args[0] != "train" else QUICK)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not (tmp / "m").exists()


def test_vectors_are_read_with_the_vector_reading_flags(files, capsys):
    tmp, train = files
    keys = POS + NEG + ["the", "film", "žluť"]
    rows = "".join(k + "".join(f" {(i * j) % 7 - 3}.5" for j in range(8)) + "\n"
                   for i, k in enumerate(keys))  # dim 8, as QUICK's --dim
    (tmp / "v.txt").write_bytes(f"{len(keys)} 8\n{rows}".encode("cp852"))
    base = ["classify", "train", str(train), "--encoder", "bag", "--vectors", str(tmp / "v.txt"),
            *QUICK]
    assert main([*base, "-o", str(tmp / "m")]) == 1  # cp852 is not UTF-8
    err = capsys.readouterr().err
    assert "--unicode-errors surrogateescape" in err and "--encoding cp1252" in err
    assert "unicode_errors=" not in err and "encoding=" not in err and err.count("\n") == 1
    assert main([*base, "--encoding", "cp852", "--vectors-from", "word2vec-text",
                 "-o", str(tmp / "m")]) == 0
    assert "embedding:" in capsys.readouterr().out
    assert main([*base, "--vectors-from", "glove", "-o", str(tmp / "m2")]) == 1
    assert "not a GloVe row" in capsys.readouterr().err  # read as --vectors-from said
    assert main([*base, "--encoding", "cp852", "--vectors-limit", "0",
                 "-o", str(tmp / "m3")]) == 1
    assert "--vectors-limit must be >= 1, got 0" in capsys.readouterr().err
    assert main([*base, "--encoding", "cp852", "--dim", "4", "-o", str(tmp / "m4")]) == 1
    assert "drop --dim to take the vectors' dim" in capsys.readouterr().err


def test_columns_are_named_by_flags(files, capsys):
    tmp, _ = files
    rows = "".join(f"{i},{t},{y}\n" for i, (t, y) in enumerate(
        [("good great film", "up"), ("bad dull film", "down")] * 30))
    (tmp / "reviews.csv").write_text("id,Body,Verdict\n" + rows)
    assert main(["classify", "train", str(tmp / "reviews.csv"), "--encoder", "bag",
                 "--text-column", "body", "--label-column", "verdict", *QUICK,
                 "-o", str(tmp / "m")]) == 0
    assert "2 classes" in capsys.readouterr().out
    assert main(["classify", "eval", str(tmp / "m"), str(tmp / "reviews.csv"), "--quiet",
                 "--text-column", "body", "--label-column", "verdict"]) == 0


def test_an_existing_output_is_refused_before_any_training_unless_forced(files, capsys):
    tmp, train = files
    args = ["classify", "train", str(train), "--encoder", "bag", *QUICK, "-o", str(tmp / "m")]
    assert main(args) == 0
    before = (tmp / "m" / "model.safetensors").read_bytes()
    capsys.readouterr()
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "pass --force" in err and out == ""  # refused before reading or training
    assert (tmp / "m" / "model.safetensors").read_bytes() == before
    assert main([*args, "--force", "--seed", "3"]) == 0
    assert (tmp / "m" / "model.safetensors").read_bytes() != before
    (tmp / "mine").mkdir()
    (tmp / "mine" / "notes.txt").write_text("keep me")
    assert main([*args[:-1], str(tmp / "mine"), "--force"]) == 1
    assert "refusing to replace" in capsys.readouterr().err
    assert (tmp / "mine" / "notes.txt").read_text() == "keep me"


def test_the_preset_settings_are_each_encoders_defaults(tmp_path):
    from embedlayer.cli._classify import _settings
    from embedlayer.cli.main import build_parser
    from embedlayer.nn.encoders import encoder_config
    from embedlayer.tasks.presets import recommended

    parser = build_parser()
    for kind in ("lstm", "bilstm", "cnn", "bag"):
        for vectors in ([], ["--vectors", str(tmp_path / "v")]):
            args = parser.parse_args(["classify", "train", "mr", "--encoder", kind, *vectors])
            encoder, options = _settings(args)
            enc, expected = recommended(kind, pretrained=bool(vectors))
            assert encoder == encoder_config(kind, enc)
            assert {k: options[k] for k in expected if k in options} == {
                k: v for k, v in expected.items() if not (vectors and k == "dim")}
    # The README's `--encoder cnn --vectors V` gets the benchmark's cnn/w2v settings.
    args = parser.parse_args(["classify", "train", "mr", "--encoder", "cnn", "--vectors", "v"])
    encoder, options = _settings(args)
    assert (encoder.widths, encoder.maps, encoder.dropout) == ((3, 4, 5), 100, 0.3)
    assert (options["batch_size"], options["patience"], options["refit"], options["freeze"],
            options["vocab_from_vectors"]) == (50, 2, True, 1, True)
    args = parser.parse_args(["classify", "train", "mr", "--encoder", "bag", "--epochs", "3",
                              "--no-refit", "--batch-size", "8"])
    _, options = _settings(args)
    assert (options["epochs"], options["refit"], options["batch_size"],
            options["learning_rate"]) == (3, False, 8, 2e-3)
    # The transformer: BERT's fine-tuning recipe over all-MiniLM-L6-v2, flags over it.
    args = parser.parse_args(["classify", "train", "mr", "--encoder", "transformer"])
    encoder, options = _settings(args)
    enc, expected = recommended("transformer", pretrained=False)
    assert encoder == encoder_config("transformer", enc)
    assert {k: options[k] for k in expected} == expected
    assert (encoder.checkpoint, options["embedding_learning_rate"], options["warmup"],
            options["decoupled_weight_decay"], options["max_length"]) == (
        "all-MiniLM-L6-v2", 5e-5, 0.1, True, 128)
    args = parser.parse_args(["classify", "train", "mr", "--encoder", "transformer",
                              "--freeze", "all", "--pooling", "cls", "--no-decoupled-weight-decay",
                              "--warmup", "0.2", "--checkpoint", "my-folder"])
    encoder, options = _settings(args)
    assert (encoder.pooling, encoder.checkpoint, options["freeze"], options["warmup"],
            options["decoupled_weight_decay"]) == ("cls", "my-folder", True, 0.2, False)


def test_predict_writes_json_lines_to_an_output_file(files, capsys):
    tmp, train = files
    assert main(["classify", "train", str(train), "--encoder", "bag", *QUICK,
                 "-o", str(tmp / "m")]) == 0
    (tmp / "texts.txt").write_text("superb film\nawful film\n")
    out = tmp / "labels.jsonl"
    assert main(["classify", "predict", str(tmp / "m"), str(tmp / "texts.txt"), "--quiet",
                 "-o", str(out)]) == 0
    assert [json.loads(x)["label"] for x in out.read_text().splitlines()] == ["pos", "neg"]
    capsys.readouterr()
    assert main(["classify", "predict", str(tmp / "m"), str(tmp / "texts.txt"), "--quiet",
                 "-o", str(out)]) == 1
    assert "labels.jsonl exists; pass --force" in capsys.readouterr().err
    assert main(["classify", "predict", str(tmp / "m"), str(tmp / "texts.txt"), "--quiet",
                 "-o", str(out), "--force"]) == 0
