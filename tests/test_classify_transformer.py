"""TextClassifier(encoder="transformer") on a tiny random BERT: it learns, repeats itself,
freezes when told, saves and reloads without the original checkpoint, refuses damaged
files; the CLI trains and predicts with it; and one short fine-tuning run of MiniLM."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from embedlayer.cli.main import main
from embedlayer.errors import ConfigError, FormatError
from embedlayer.nn.encoders import TransformerConfig
from embedlayer.tasks import TextClassifier
from embedlayer.tasks._training import linear_schedule

from .test_classify import synthetic
from .tiny_bert import write_tiny_bert

FAST = {"epochs": 6, "batch_size": 16, "learning_rate": 1e-2, "embedding_learning_rate": 1e-3,
        "weight_decay": 0.01, "decoupled_weight_decay": True, "warmup": 0.1}


pytestmark = pytest.mark.usefixtures("one_torch_thread_module")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_bert(tmp_path_factory.mktemp("ckpt") / "tiny")


@pytest.fixture(scope="module")
def data():
    return synthetic(240), synthetic(60, seed=1)


@pytest.fixture(scope="module")
def trained(tiny, data):
    (texts, labels), _ = data
    return TextClassifier(TransformerConfig(checkpoint=str(tiny), layers="mix"),
                          **FAST).fit(texts, labels, progress=False)


def test_fine_tuning_learns_a_separable_task(trained, data):
    _, (test_t, test_l) = data
    report = trained.evaluate(test_t, test_l)
    assert report.accuracy >= 0.95 and report.loss < 0.3, trained.history_
    assert trained.labels_ == ("neg", "pos") and trained.truncated_ == 0
    assert trained.vocab_ is None and trained.coverage_ is None


def test_the_scalar_mix_and_the_transformer_are_learned(trained, tiny):
    emb = trained.model_.embedding
    assert not torch.allclose(emb.mix_weights, torch.zeros_like(emb.mix_weights))
    assert float(emb.gamma.detach()) != 1.0
    fresh = TextClassifier(TransformerConfig(checkpoint=str(tiny)))._contextual_embedding()
    name = "embeddings.word_embeddings.weight"
    moved = emb.model.state_dict()[name] - fresh.model.state_dict()[name]
    assert moved.abs().max() > 1e-4


def test_freeze_keeps_the_transformer_as_it_was(tiny, data):
    (texts, labels), (test_t, test_l) = data
    clf = TextClassifier(TransformerConfig(checkpoint=str(tiny), layers="mix"), freeze=True,
                         **FAST).fit(texts, labels, progress=False)
    before = TextClassifier(TransformerConfig(checkpoint=str(tiny)))._contextual_embedding()
    after = clf.model_.embedding.model.state_dict()
    for name, value in before.model.state_dict().items():
        torch.testing.assert_close(after[name], value, rtol=0, atol=0, msg=name)
    assert not torch.allclose(clf.model_.embedding.mix_weights, torch.zeros(3))
    assert clf.evaluate(test_t, test_l).accuracy > 0.5  # the head still learned something


def test_the_same_seed_gives_the_same_model(tiny, data):
    (texts, labels), (test_t, _) = data
    settings = {**FAST, "epochs": 2}
    runs = [TextClassifier(TransformerConfig(checkpoint=str(tiny)), seed=seed,
                           **settings).fit(texts[:80], labels[:80], progress=False)
            .predict_proba(test_t) for seed in (3, 3, 4)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])  # the seed does reach the weights


def test_save_and_load_give_the_same_predictions_without_the_checkpoint(trained, data, tmp_path):
    _, (test_t, _) = data
    # the original checkpoint is not needed: load from a copy made after moving it away
    folder = trained.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors",
                                                        "transformer"]
    assert sorted(p.name for p in (folder / "transformer").iterdir()) == [
        "config.json", "model.safetensors", "tokenizer.json"]
    doc = json.loads((folder / "config.json").read_text())
    assert doc["format_version"] == 3 and doc["tokenizer"] is None
    assert set(doc["files"]) == {"model.safetensors", "transformer/config.json",
                                 "transformer/model.safetensors", "transformer/tokenizer.json"}
    loaded = TextClassifier.load(folder)
    np.testing.assert_array_equal(loaded.predict_proba(test_t), trained.predict_proba(test_t))
    assert loaded.predict(["", "good great film"]) == trained.predict(["", "good great film"])
    # transformer/ is a checkpoint folder of its own, which transformers reads as is
    from transformers import AutoModel

    from embedlayer.contextual import open_checkpoint

    ckpt = open_checkpoint(folder / "transformer")
    model = AutoModel.from_pretrained(str(ckpt.path))
    name = "encoder.layer.0.output.dense.weight"
    torch.testing.assert_close(model.state_dict()[name],
                               trained.model_.embedding.model.state_dict()[name])


@pytest.mark.parametrize("name", ["transformer/model.safetensors", "model.safetensors",
                                  "transformer/tokenizer.json"])
def test_a_flipped_byte_is_refused(trained, tmp_path, name):
    folder = trained.save(tmp_path / "model")
    path = folder / name
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=r"sha256 .* differs"):
        TextClassifier.load(folder)


def test_a_missing_transformer_file_is_named(trained, tmp_path):
    folder = trained.save(tmp_path / "model")
    (folder / "transformer" / "tokenizer.json").unlink()
    with pytest.raises(FileNotFoundError, match="transformer/tokenizer.json is missing"):
        TextClassifier.load(folder)


def test_the_encoder_field_must_match_the_folder(trained, tmp_path):
    folder = trained.save(tmp_path / "model")
    shutil.rmtree(folder / "transformer")
    for name in ("vocab.json",):
        (folder / name).write_text("{}")
    with pytest.raises(FormatError, match="lacks a transformer/ subfolder"):
        TextClassifier.load(folder)


def test_vectors_do_not_go_with_a_transformer(tiny):
    from embedlayer.vectors import Vectors

    vectors = Vectors(["good"], np.ones((1, 4), dtype=np.float32))
    with pytest.raises(ConfigError, match="brings its own token embeddings"):
        TextClassifier(TransformerConfig(checkpoint=str(tiny)), vectors=vectors)


def test_the_schedule_warms_up_then_decays_to_zero():
    f = linear_schedule(100, 0.1)
    assert f(0) == pytest.approx(1 / 11) and f(9) == pytest.approx(10 / 11)
    assert f(10) == 1.0 and f(55) == pytest.approx(0.5) and f(100) == 0.0
    assert linear_schedule(10, 0.0)(0) == 1.0


def test_cli_trains_and_predicts_with_a_transformer(tiny, tmp_path, capsys):
    texts, labels = synthetic(160)
    train = tmp_path / "train.tsv"
    train.write_text("text\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in zip(texts, labels,
                                                                             strict=True)))
    model = tmp_path / "model"
    quick = ["--epochs", "4", "--learning-rate", "0.01", "--embedding-learning-rate", "0.001",
             "--max-length", "12", "--quiet", "--workers", "1"]
    assert main(["classify", "train", str(train), "--encoder", "transformer", "--checkpoint",
                 str(tiny), "--layers", "mix", *quick,
                 "-o", str(model)]) == 0
    out = capsys.readouterr().out
    assert "trained transformer" in out and "texts cut at 12 sub-word tokens" in out
    assert "saved the classifier" in out
    doc = json.loads((model / "config.json").read_text())
    assert doc["encoder"]["layers"] == "mix" and doc["classifier"]["warmup"] == 0.1
    inputs = tmp_path / "texts.txt"
    inputs.write_text("a great superb film\n\nboring and awful\n")
    assert main(["classify", "predict", str(model), str(inputs), "--quiet"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["label"] for x in lines][::2] == ["pos", "neg"] and lines[1]["text"] == ""
    # and again over an existing model folder, with --force
    assert main(["classify", "train", str(train), "--encoder", "transformer", "--checkpoint",
                 str(tiny), *quick, "--epochs", "1", "--force", "-o", str(model)]) == 0
    capsys.readouterr()
    assert main(["classify", "train", str(train), "--encoder", "transformer", "--checkpoint",
                 str(tiny), *quick, "--max-length", "6", "--epochs", "1", "--cv", "2"]) == 0
    out = capsys.readouterr().out
    assert "2-fold cross-validation of transformer" in out and "fold  2: accuracy" in out
    cut = sum(len(t.split()) + 2 > 6 for t in texts)  # one sub-word a word in this vocabulary
    assert f"{cut:,} of 160 texts are longer than --max-length 6" in out


@pytest.mark.parametrize(("flags", "message"), [
    (["--encoder", "transformer", "--dim", "8"], "--dim does not apply to --encoder transformer"),
    (["--encoder", "bag", "--pooling", "max"], "--pooling applies to --encoder transformer only"),
    (["--encoder", "transformer", "--checkpoint", "/no/such/folder"], "no such folder"),
    (["--encoder", "transformer", "--warmup", "1.5"], "--warmup must be a number in"),
    (["--encoder", "transformer", "--checkpoint", "TINY"],
     "--max-length 128 is more than the checkpoint's max_position_embeddings (64)"),
])
def test_cli_errors_are_one_line(tiny, tmp_path, capsys, flags, message):
    flags = [str(tiny) if f == "TINY" else f for f in flags]
    train = tmp_path / "train.tsv"
    train.write_text("text\tlabel\ngood\tpos\nbad\tneg\n")
    code = main(["classify", "train", str(train), *flags, "--quiet", "-o", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1


def test_minilm_fine_tunes_on_a_handful_of_texts(tmp_path):
    """The real checkpoint (all-MiniLM-L6-v2, shipped in a package): a short end-to-end run."""
    pos = ["a wonderful, moving film", "great acting and a superb story", "i loved it",
           "beautifully made and deeply touching", "a delight from start to finish",
           "brilliant, funny and warm"]
    neg = ["a dull, boring mess", "awful acting and a terrible plot", "i hated it",
           "tedious and badly made", "a waste of two hours", "clumsy, flat and lifeless"]
    clf = TextClassifier("transformer", epochs=3, batch_size=4, learning_rate=1e-2,
                         embedding_learning_rate=5e-5, dev_split=0.0, max_length=32,
                         workers=1).fit(pos + neg, ["pos"] * 6 + ["neg"] * 6, progress=False)
    assert clf.model_.embedding.dim == 384 and clf.model_.embedding.name == "all-MiniLM-L6-v2"
    assert clf.history_[-1].accuracy >= clf.history_[0].accuracy
    assert clf.predict(["a superb, lovely film", "a boring, awful film"]) == ["pos", "neg"]
