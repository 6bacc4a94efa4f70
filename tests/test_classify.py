"""TextClassifier: it learns, repeats itself, saves and loads exactly, and answers odd input."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from embedlayer.data.classify import LabeledTexts  # noqa: E402
from embedlayer.errors import ConfigError, CorpusError, FormatError, MissingFileError  # noqa: E402
from embedlayer.nn.encoders import encoder_config  # noqa: E402
from embedlayer.tasks import (  # noqa: E402
    TextClassifier,
    cross_validate,
    stratified_folds,
)
from embedlayer.vectors import Vectors  # noqa: E402

WORDS = {
    "pos": ["good", "great", "lovely", "superb", "fine", "wonderful"],
    "neg": ["bad", "awful", "dull", "boring", "terrible", "poor"],
    "mix": ["odd", "strange", "weird", "curious", "peculiar", "bizarre"],
}
FILLER = ["the", "a", "film", "movie", "plot", "was", "and", "acting", "quite", "very"]
TINY = {"lstm": {"hidden": 8}, "bilstm": {"hidden": 6}, "cnn": {"maps": 6},
        "bag": {"bigrams": True, "bucket": 97}}
FAST = {"dim": 12, "epochs": 6, "batch_size": 16, "learning_rate": 0.01}


def synthetic(n: int, classes=("neg", "pos"), seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts of filler words plus two words of their class, of varied lengths."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = classes[i % len(classes)]
        words = rng.choices(FILLER, k=rng.randint(1, 9)) + rng.choices(WORDS[label], k=2)
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


pytestmark = pytest.mark.usefixtures("one_torch_thread_module")


@pytest.fixture(scope="module")
def binary():
    return synthetic(240), synthetic(60, seed=1)


@pytest.fixture(scope="module")
def trained(binary):
    (texts, labels), _ = binary
    return TextClassifier(encoder_config("bag", TINY["bag"]), **FAST).fit(texts, labels,
                                                                          progress=False)


@pytest.mark.parametrize("kind", ["lstm", "bilstm", "cnn", "bag"])
def test_every_encoder_learns_a_separable_task(kind, binary):
    (texts, labels), (test_t, test_l) = binary
    clf = TextClassifier(encoder_config(kind, TINY[kind]), **FAST).fit(texts, labels,
                                                                       progress=False)
    report = clf.evaluate(test_t, test_l)
    assert report.accuracy >= 0.9, (kind, clf.history_)
    assert clf.labels_ == ("neg", "pos") and report.loss < 0.6


def test_more_than_two_classes_use_a_softmax(tmp_path):
    texts, labels = synthetic(300, classes=("mix", "neg", "pos"))
    clf = TextClassifier(encoder_config("cnn", TINY["cnn"]), **FAST).fit(texts, labels,
                                                                         progress=False)
    test_t, test_l = synthetic(60, classes=("mix", "neg", "pos"), seed=2)
    assert clf.evaluate(test_t, test_l).accuracy >= 0.9
    proba = clf.predict_proba(test_t)
    assert proba.shape == (60, 3) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert clf.model_.head.out_features == 3
    assert set(clf.predict(test_t)) <= {"mix", "neg", "pos"}


def test_the_default_is_the_founding_example():
    clf = TextClassifier()
    assert clf.encoder == encoder_config("lstm", {"hidden": 64})
    assert (clf.config.epochs, clf.config.batch_size, clf.config.learning_rate) == (10, 32, 1e-3)


def test_training_is_repeatable_and_leaves_the_global_rng_alone(binary, trained):
    (texts, labels), (test_t, _) = binary
    state = torch.get_rng_state()
    again = TextClassifier(encoder_config("bag", TINY["bag"]), **FAST).fit(texts, labels,
                                                                           progress=False)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(again.predict_proba(test_t), trained.predict_proba(test_t))
    other = TextClassifier(encoder_config("bag", TINY["bag"]), **{**FAST, "seed": 5})
    other.fit(texts, labels, progress=False)
    assert not np.array_equal(other.predict_proba(test_t), trained.predict_proba(test_t))


@pytest.mark.parametrize("kind", ["lstm", "bag"])
def test_save_and_load_give_identical_predictions(tmp_path, binary, kind):
    (texts, labels), (test_t, test_l) = binary
    clf = TextClassifier(encoder_config(kind, TINY[kind]), **{**FAST, "epochs": 2})
    clf.fit(texts, labels, progress=False)
    folder = clf.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors",
                                                        "vocab.json"]
    doc = json.loads((folder / "config.json").read_text())
    assert (doc["format"], doc["format_version"], doc["labels"]) == (
        "embedlayer.text-classifier", 3, ["neg", "pos"])
    assert doc["encoder"]["kind"] == kind and doc["tokenizer"]["format"] == "embedlayer.tokenizer"
    loaded = TextClassifier.load(folder, progress=False)
    # The weights are the same bits, but a loaded tensor's memory layout may pick another
    # vectorized path: float32 tolerances.
    np.testing.assert_allclose(loaded.predict_proba(test_t + [""]),
                               clf.predict_proba(test_t + [""]), rtol=1e-5, atol=1e-6)
    assert loaded.evaluate(test_t, test_l).loss == pytest.approx(
        clf.evaluate(test_t, test_l).loss, rel=1e-5, abs=1e-6)
    assert loaded.vocab_ == clf.vocab_ and loaded.best_epoch_ == clf.best_epoch_
    clf.save(folder)  # replacing its own folder is allowed


def test_loading_a_damaged_folder_names_the_problem(tmp_path, trained):
    folder = trained.save(tmp_path / "m")
    config = folder / "config.json"
    doc = json.loads(config.read_text())
    config.write_text(json.dumps({**doc, "format_version": 99}))
    with pytest.raises(FormatError, match="format_version 99"):
        TextClassifier.load(folder)
    config.write_text(json.dumps({**doc, "encoder": {"kind": "bag", "bucket": 5}}))
    with pytest.raises(FormatError, match="do not fit"):
        TextClassifier.load(folder)
    config.write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        TextClassifier.load(folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(MissingFileError, match="model.safetensors is missing"):
        TextClassifier.load(folder)
    with pytest.raises(MissingFileError, match="no such model folder"):
        TextClassifier.load(tmp_path / "nothing")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="refusing to replace"):
        trained.save(tmp_path / "other")


def test_bad_training_input_gets_clear_errors(binary):
    with pytest.raises(CorpusError, match="no training examples"):
        TextClassifier(**FAST).fit([], [], progress=False)
    with pytest.raises(ConfigError, match="all 3 training examples have the label 'pos'"):
        TextClassifier(**FAST).fit(["a", "b", "c"], ["pos"] * 3, progress=False)
    with pytest.raises(ConfigError, match="3 texts but 2 labels"):
        TextClassifier(**FAST).fit(["a", "b", "c"], ["x", "y"], progress=False)
    with pytest.raises(ConfigError, match="one string"):
        TextClassifier(**FAST).fit("abc", ["x"], progress=False)
    with pytest.raises(ConfigError, match="text 1 is a int"):
        TextClassifier(**FAST).fit(["a", 3], ["x", "y"], progress=False)
    with pytest.raises(ConfigError, match="epochs must be an int >= 1"):
        TextClassifier(epochs=0)
    with pytest.raises(ConfigError, match="dev_split"):
        TextClassifier(dev_split=1.5)
    with pytest.raises(ConfigError, match="not trained"):
        TextClassifier().predict(["a"])


def test_unseen_labels_in_evaluate_are_an_error(trained):
    with pytest.raises(ConfigError, match=r"label\(s\) 'meh' were not seen in training; the "
                                          r"model knows \['neg', 'pos'\]"):
        trained.evaluate(["good", "so so"], ["pos", "meh"])
    with pytest.raises(CorpusError, match="no examples"):
        trained.evaluate([], [])


def test_empty_and_unknown_texts_get_the_unknown_word_answer(trained):
    proba = trained.predict_proba(["", "   ", "zzzz qqqq", "good great"])
    assert proba.shape == (4, 2) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    # The same input in batches of other shapes may take another BLAS path (thread count,
    # CPU): float32 results then differ by a rounding step or two, so compare with float32
    # tolerances, never bit for bit or with rtol=1e-7.
    np.testing.assert_allclose(proba[0], proba[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(proba[0], trained.predict_proba(["zzzz"])[0], rtol=1e-5,
                               atol=1e-6)
    assert trained.predict([]) == [] and trained.predict_proba([]).shape == (0, 2)


def test_empty_training_texts_are_kept_as_unknown_words():
    texts = ["good fine", "", "bad poor", "", "great", "awful"] * 4
    labels = ["pos", "pos", "neg", "neg", "pos", "neg"] * 4
    clf = TextClassifier("bag", **{**FAST, "dev_split": 0.0}).fit(texts, labels, progress=False)
    assert len(clf.history_) == FAST["epochs"] and clf.history_[0].val_accuracy is None


def test_frozen_embeddings_never_change_and_pretrained_rows_are_used(binary):
    (texts, labels), _ = binary
    words = ["good", "bad", "film"]
    rng = np.random.default_rng(0)
    vectors = Vectors(words, rng.normal(size=(3, 12)).astype(np.float32))
    clf = TextClassifier("bag", vectors=vectors, freeze=True, **{**FAST, "dim": None})
    clf.fit(texts, labels, progress=False)
    assert clf.coverage_.found == 3
    w = clf.model_.embedding.weight.detach().numpy()
    np.testing.assert_array_equal(w[clf.vocab_["good"]], vectors["good"])
    assert clf.model_.embedding.weight.grad is None  # never trained
    first = TextClassifier("bag", vectors=vectors, freeze=1, **{**FAST, "dim": None})
    first.fit(texts, labels, progress=False)
    assert not np.array_equal(first.model_.embedding.weight.detach().numpy()[
        first.vocab_["good"]], vectors["good"])  # fine-tuned after the first epoch


def test_vocab_from_vectors_gives_unseen_words_their_pretrained_rows(binary, tmp_path):
    (texts, labels), _ = binary
    rng = np.random.default_rng(1)
    vectors = Vectors(["good", "splendid", "<pad>"], rng.normal(size=(3, 12)).astype(np.float32))
    clf = TextClassifier("bag", vectors=vectors, vocab_from_vectors=True,
                         **{**FAST, "dim": None, "epochs": 2})
    clf.fit(texts, labels, progress=False)
    assert "splendid" in clf.vocab_ and "splendid" not in " ".join(texts)
    assert clf.vocab_.tokens[:2] == ["<pad>", "<unk>"] and clf.vocab_.tokens.count("<pad>") == 1
    row = clf.model_.embedding.weight.detach().numpy()[clf.vocab_["splendid"]]
    np.testing.assert_array_equal(row, vectors["splendid"])  # never in a batch: untouched
    assert clf.predict_proba(["splendid"])[0].tolist() != clf.predict_proba(["zzzz"])[0].tolist()
    loaded = TextClassifier.load(clf.save(tmp_path / "m"))
    assert loaded.vocab_ == clf.vocab_ and loaded.config.vocab_from_vectors


def test_the_embedding_can_learn_at_its_own_rate(binary):
    (texts, labels), _ = binary

    def moved(**settings) -> float:
        from embedlayer.nn import EmbeddingLayer

        clf = TextClassifier("bag", **{**FAST, "epochs": 2, **settings}).fit(texts, labels,
                                                                             progress=False)
        first = EmbeddingLayer(clf.vocab_, FAST["dim"], seed=0).weight.detach()  # same draw
        return float((clf.model_.embedding.weight.detach() - first).abs().max())

    assert moved(embedding_learning_rate=1e-9) < 1e-6 < 1e-3 < moved()
    with pytest.raises(ConfigError, match="embedding_learning_rate"):
        TextClassifier(embedding_learning_rate=0.0)


def test_early_stopping_keeps_the_best_held_out_epoch(binary):
    (texts, labels), (val_t, val_l) = binary
    noisy = [y if i % 3 else random.Random(i).choice(["neg", "pos"])
             for i, y in enumerate(labels)]
    clf = TextClassifier("cnn", **{**FAST, "epochs": 12, "patience": 2, "learning_rate": 0.05})
    clf.fit(texts, noisy, validation=(val_t, val_l), progress=False)
    best = clf.history_[clf.best_epoch_ - 1]
    assert best.val_accuracy == max(r.val_accuracy for r in clf.history_)
    assert len(clf.history_) <= 12
    assert clf.evaluate(val_t, val_l).accuracy == pytest.approx(best.val_accuracy)


def test_refit_trains_again_on_everything_for_the_chosen_epochs(binary):
    (texts, labels), (test_t, test_l) = binary
    plain = TextClassifier("cnn", **{**FAST, "epochs": 4}).fit(texts, labels, progress=False)
    refit = TextClassifier("cnn", refit=True, **{**FAST, "epochs": 4}).fit(texts, labels,
                                                                           progress=False)
    assert [(r.loss, r.val_accuracy) for r in refit.history_] == [
        (r.loss, r.val_accuracy) for r in plain.history_]
    assert refit.best_epoch_ == plain.best_epoch_
    assert not np.array_equal(refit.predict_proba(test_t), plain.predict_proba(test_t))
    assert refit.evaluate(test_t, test_l).accuracy >= 0.9


def test_stratified_folds_are_disjoint_balanced_and_seeded():
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 7
    folds = stratified_folds(labels, 5, seed=3)
    joined = np.sort(np.concatenate(folds))
    np.testing.assert_array_equal(joined, np.arange(87))
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1
    for f in folds:
        counts = {y: sum(labels[i] == y for i in f) for y in "abc"}
        assert counts["a"] == 10 and counts["b"] == 6 and counts["c"] in (1, 2)
    again = stratified_folds(labels, 5, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(folds, again, strict=True))
    with pytest.raises(ConfigError, match="k >= 2"):
        stratified_folds(labels, 1)
    with pytest.raises(ConfigError, match="cannot split 3 examples into 5"):
        stratified_folds(["a", "b", "a"], 5)


def test_cross_validation_reports_every_fold():
    texts, labels = synthetic(90)
    data = LabeledTexts(texts, labels, "synthetic")
    seen = []
    result = cross_validate(lambda: TextClassifier("bag", **FAST), data, folds=3, progress=False,
                            on_fold=lambda i, r: seen.append(i))
    assert seen == [0, 1, 2] and len(result.reports) == 3
    assert sum(r.n for r in result.reports) == 90
    mean, std = result.accuracy
    assert mean == pytest.approx(np.mean(result.accuracies)) and std >= 0
    assert len(result.seconds) == 3 and all(e >= 1 for e in result.epochs)


def test_sparse_and_dense_embedding_updates_both_learn_and_differ_as_documented(binary):
    (texts, labels), (test_t, test_l) = binary
    sparse = TextClassifier("bag", **FAST).fit(texts, labels, progress=False)
    dense = TextClassifier("bag", sparse=False, **FAST).fit(texts, labels, progress=False)
    assert sparse.model_.embedding.sparse and not dense.model_.embedding.sparse
    for clf in (sparse, dense):
        assert clf.evaluate(test_t, test_l).accuracy >= 0.9
    # Lazy (sparse) Adam moves only rows a batch used; dense Adam's momentum moves the rest too.
    from embedlayer.nn import EmbeddingLayer

    first = EmbeddingLayer(sparse.vocab_, FAST["dim"], seed=0).weight.detach()
    unused = sparse.vocab_["<unk>"]  # every training word is in the vocabulary
    np.testing.assert_array_equal(sparse.model_.embedding.weight.detach()[unused], first[unused])


def test_gradient_clipping_covers_sparse_and_dense_gradients():
    from embedlayer.nn import EmbeddingLayer
    from embedlayer.tasks._training import _clip
    from embedlayer.vocab import Vocab

    for sparse in (True, False):
        layer = EmbeddingLayer(Vocab(["<pad>", "a", "b", "c"], [0, 3, 2, 1], specials=["<pad>"]), 4,
                               sparse=sparse)
        net = torch.nn.Sequential()
        net.add_module("emb", layer)
        net.add_module("head", torch.nn.Linear(4, 1))
        ids = torch.tensor([[1, 2, 3, 1]])
        (net.head(layer(ids)).sum() * 1000).backward()
        assert layer.weight.grad.is_sparse == sparse
        _clip(net, 1.0)
        grads = [p.grad.coalesce().values() if p.grad.is_sparse else p.grad
                 for p in net.parameters()]
        total = float(torch.sqrt(sum((g ** 2).sum() for g in grads)))
        assert total == pytest.approx(1.0, rel=1e-4)


def _corrupt(folder, edit):
    """Rewrite config.json through ``edit(doc)`` (the digests still match the other files)."""
    path = folder / "config.json"
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def test_flipped_weight_bytes_are_refused_naming_the_file(tmp_path, trained):
    folder = trained.save(tmp_path / "m")
    doc = json.loads((folder / "config.json").read_text())
    assert set(doc["files"]) == {"model.safetensors", "vocab.json"}
    weights = folder / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-3] ^= 0xFF  # inside the last tensor's data: still a valid safetensors file
    weights.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=r"model\.safetensors: sha256 .* differs"):
        TextClassifier.load(folder)
    weights.write_bytes(bytes(raw[:-3]))
    with pytest.raises(FormatError, match=r"model\.safetensors: .* bytes, but config.json"):
        TextClassifier.load(folder)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.pop("classifier"), "field 'classifier' is missing"),
    (lambda d: d.pop("files"), "field 'files' is missing"),
    (lambda d: d["classifier"].pop("epochs"), "field 'classifier.epochs' is missing"),
    (lambda d: d["classifier"].update(epochs="ten"), "epochs must be an int >= 1, got 'ten'"),
    (lambda d: d["classifier"].update(bogus=1), "field 'classifier.bogus' is not a classifier"),
    (lambda d: d.update(classifier=[1, 2]), "field 'classifier' must be an object"),
    (lambda d: d.update(encoder={"kind": 3}), "field 'encoder' must be an object"),
    (lambda d: d["encoder"].update(bucket="many"), "field 'encoder'"),
    (lambda d: d.update(labels="neg,pos"), "field 'labels' must list at least 2"),
    (lambda d: d.update(labels=["neg", "neg"]), "field 'labels' must list at least 2 distinct"),
    (lambda d: d.update(tokenizer=None), "field 'tokenizer' must be an object"),
    (lambda d: d["embedding"].update(dim="wide"), "field 'embedding'"),
    (lambda d: d["embedding"].pop("seed"), "field 'embedding'"),
    (lambda d: d.update(training={"history": [{"epoch": 1}]}), "field 'training.history'"),
    (lambda d: d.update(training={"best_epoch": "2"}), "field 'training.best_epoch'"),
    (lambda d: d.update(files={"vocab.json": 1}), "field 'files' needs"),
])
def test_a_malformed_config_names_the_field(tmp_path, trained, edit, message):
    folder = trained.save(tmp_path / "m")
    _corrupt(folder, edit)
    with pytest.raises(FormatError, match=message) as info:
        TextClassifier.load(folder)
    assert "config.json" in str(info.value)


def test_a_folder_saved_with_the_old_buckets_name_still_loads(tmp_path, trained):
    folder = trained.save(tmp_path / "m")
    _corrupt(folder, lambda d: d["encoder"].update(buckets=d["encoder"].pop("bucket")))
    assert TextClassifier.load(folder).encoder == trained.encoder


def test_a_version_1_folder_still_loads(tmp_path, trained, binary):
    folder = trained.save(tmp_path / "m")

    def to_v1(doc):
        doc["format_version"] = 1
        del doc["files"]
        c = doc["classifier"]
        c["lr"], c["embedding_lr"] = c.pop("learning_rate"), c.pop("embedding_learning_rate")
    _corrupt(folder, to_v1)
    loaded = TextClassifier.load(folder)
    assert loaded.config == trained.config
    _, (test_t, _) = binary
    np.testing.assert_allclose(loaded.predict_proba(test_t), trained.predict_proba(test_t),
                               rtol=1e-5, atol=1e-6)


def test_a_version_2_folder_still_loads(tmp_path, trained, binary):
    """Version 2 predates the settings warmup and decoupled_weight_decay: their defaults."""
    folder = trained.save(tmp_path / "m")

    def to_v2(doc):
        doc["format_version"] = 2
        del doc["classifier"]["warmup"], doc["classifier"]["decoupled_weight_decay"]
    _corrupt(folder, to_v2)
    loaded = TextClassifier.load(folder)
    assert loaded.config == trained.config
    assert (loaded.config.warmup, loaded.config.decoupled_weight_decay) == (None, False)
    _, (test_t, _) = binary
    np.testing.assert_array_equal(loaded.predict_proba(test_t), trained.predict_proba(test_t))


def test_callbacks_see_every_epoch_like_the_trainers(binary):
    (texts, labels), _ = binary
    seen = []
    clf = TextClassifier("bag", **{**FAST, "epochs": 3, "patience": None})
    clf.fit(texts, labels, progress=False,
            callbacks=[lambda model, epoch, state: seen.append((model, epoch, state.epoch))])
    assert seen == [(clf, 0, 1), (clf, 1, 2), (clf, 2, 3)]


def test_seed_and_workers_are_validated_and_workers_leave_torch_as_it_was(binary):
    for seed in (-1, 1.5, True, "0"):
        with pytest.raises(ConfigError, match="seed must be an int >= 0"):
            TextClassifier(seed=seed)
    with pytest.raises(ConfigError, match="workers must be an int >= 1 or None, got 0"):
        TextClassifier(workers=0)
    with pytest.raises(ConfigError, match="seed must be an int >= 0, got -2"):
        stratified_folds(["a", "b"] * 3, 2, seed=-2)
    (texts, labels), _ = binary
    before = torch.get_num_threads()
    TextClassifier("bag", workers=2, **{**FAST, "epochs": 1}).fit(texts, labels, progress=False)
    assert torch.get_num_threads() == before
