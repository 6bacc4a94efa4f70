"""embedlayer.viz and transform.project: projections with known answers, labelled word
pictures, loss curves read from every place a trainer saves one, the report chart."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.transform import project
from embedlayer.viz import (
    draw_words,
    plot_loss,
    plot_report,
    plot_words,
    project_words,
    read_loss_history,
    select_words,
)

from ._plot_demo import demo_dir, png, w2v_model  # noqa: F401 - session fixtures

WORDS = ["god", "earth", "man", "woman", "day", "night", "good", "evil"]


# --- transform.project ------------------------------------------------------------------
def test_pca_of_points_on_a_line_is_their_centered_position():
    t = np.array([0.0, 1.0, 3.0, 6.0])
    rows = np.outer(t, [3.0, 4.0]) + [1.0, 2.0]  # along (3, 4), |(3, 4)| = 5
    coords = project(rows, "pca")
    assert coords.shape == (4, 2)
    np.testing.assert_allclose(coords[:, 0], 5 * (t - t.mean()), atol=1e-9)  # sign: max > 0
    np.testing.assert_allclose(coords[:, 1], 0.0, atol=1e-9)


def test_pca_sign_does_not_depend_on_the_rows_sign():
    rows = np.random.default_rng(0).normal(size=(10, 6))
    np.testing.assert_allclose(project(rows), project(rows[::-1])[::-1], atol=1e-9)


def test_tsne_is_seeded():
    rows = np.random.default_rng(1).normal(size=(12, 5))
    a, b = project(rows, "tsne", seed=3), project(rows, "tsne", seed=3)
    assert a.shape == (12, 2) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


def test_umap_without_umap_learn_names_the_pip_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # as if not installed
    with pytest.raises(ConfigError, match="pip install umap-learn"):
        project(np.eye(5), "umap")


@pytest.mark.parametrize(("rows", "kwargs", "message"), [
    (np.ones((1, 3)), {}, "at least 2 rows"),
    (np.ones((3, 3)), {"method": "tsne"}, "at least 4 rows"),
    (np.ones(3), {}, "2-D matrix"),
    (np.array([[1.0, math.nan], [0.0, 1.0]]), {}, "NaN"),
    (np.eye(3), {"method": "lda"}, "pca, tsne, umap"),
])
def test_project_refuses_bad_input(rows, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        project(rows, **kwargs)


# --- words ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vectors(demo_dir):  # noqa: F811
    from embedlayer.vectors.io import load_vectors

    return load_vectors(demo_dir / "vectors", progress=False)


def test_plot_words_draws_every_word_as_a_label(vectors, tmp_path):
    import matplotlib.pyplot as plt

    projection = project_words(vectors, WORDS)
    assert projection.words == WORDS and projection.coords.shape == (len(WORDS), 2)
    fig, ax = plt.subplots()
    texts = draw_words(projection, ax)
    assert [t.get_text() for t in texts] == WORDS
    assert [t.xy for t in texts] == [tuple(xy) for xy in projection.coords]
    plt.close(fig)
    out = plot_words(projection, tmp_path / "words.png")
    png(out)
    assert [p.name for p in tmp_path.iterdir()] == ["words.png"]  # no temporary file left


def test_select_words_top_skips_punctuation_and_neighbours_keep_their_group(vectors):
    chosen = select_words(vectors, words=["day"], top=5, neighbours=["god"], topn=3)
    top = [w for w in vectors.keys if any(c.isalnum() for c in w)][:5]
    assert list(chosen)[:1] == ["day"] and all(w in chosen for w in top)
    near = [w for w, g in chosen.items() if g == "god"]
    assert "god" in near and len(near) == 4 - ("day" in vectors.most_similar("god", topn=3))


def test_unknown_words_are_named_in_the_error(vectors):
    with pytest.raises(ConfigError, match=r"2 of 4 words .*'qqq', 'zzz'"):
        project_words(vectors, ["god", "qqq", "man", "zzz"])
    with pytest.raises(ConfigError, match="not in the vectors: 'qqq'"):
        select_words(vectors, neighbours=["qqq"])


@pytest.mark.parametrize(("words", "message"), [([], "no words to plot"),
                                                (["god"], "at least 2 words")])
def test_too_few_words_is_one_clear_error(vectors, words, message):
    with pytest.raises(ConfigError, match=message):
        project_words(vectors, words)


# --- loss curves --------------------------------------------------------------------------
def test_loss_of_the_demo_classifier_and_a_word2vec_model_on_one_chart(demo_dir, w2v_model,  # noqa: F811
                                                                       tmp_path):
    clf = read_loss_history(demo_dir / "classifier")
    history = json.loads((demo_dir / "classifier" / "config.json").read_text())["training"]
    assert clf.loss == [r["loss"] for r in history["history"]] and clf.unit == "epoch"
    assert clf.val_loss is not None and clf.label == "classifier"
    w2v = read_loss_history(w2v_model / "model.json", label="w2v")
    from embedlayer.train import Word2Vec

    assert w2v.loss == Word2Vec.load(w2v_model).loss_history_ and w2v.x == [1.0, 2.0, 3.0]
    assert w2v.val_loss is None and "word2vec model" in w2v.source
    png(plot_loss([clf, w2v], tmp_path / "loss.png", log_scale=True))


def _write(folder, name, doc):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    return folder


def test_loss_is_read_from_checkpoints_taggers_language_models_and_fine_tuned_encoders(tmp_path):
    ckpt = _write(tmp_path / "ckpt", "checkpoint.json", {
        "format": "embedlayer.fasttext-checkpoint", "format_version": 2,
        "history_before": [3.0], "loss_history": [2.5, 2.0]})
    assert read_loss_history(ckpt).loss == [3.0, 2.5, 2.0]
    tagger = _write(tmp_path / "ner", "config.json", {
        "format": "embedlayer.sequence-tagger", "format_version": 1, "training": {"history": [
            {"epoch": 1, "loss": 9.0, "val_loss": 8.0}, {"epoch": 2, "loss": 7.0,
                                                         "val_loss": None}]}})
    curve = read_loss_history(tagger)
    assert curve.loss == [9.0, 7.0] and curve.val_loss[0] == 8.0 and math.isnan(curve.val_loss[1])
    lm = _write(tmp_path / "lm", "config.json", {
        "model_type": "gpt2", "embedlayer": {
            "format": "embedlayer.causal-lm", "format_version": 1, "training": {"history": [
                {"step": 200, "loss": 5.0, "val_loss": 5.5},
                {"step": 400, "loss": 4.0, "val_loss": 4.8}]}}})
    curve = read_loss_history(lm)
    assert (curve.unit, curve.x, curve.val_loss) == ("step", [200.0, 400.0], [5.5, 4.8])
    tuned = _write(tmp_path / "enc", "config.json", {"model_type": "bert"})
    _write(tuned, "embedlayer_fine_tune.json", {"by": "fine_tune_retriever",
                                                "loss_per_epoch": [1.0, 0.5]})
    assert read_loss_history(tuned).loss == [1.0, 0.5]


def test_folders_without_a_loss_history_are_one_clear_error(tmp_path, demo_dir):  # noqa: F811
    with pytest.raises(MissingFileError, match="subfolder classifier/ may hold one"):
        read_loss_history(demo_dir)
    with pytest.raises(MissingFileError, match="no loss history here"):
        read_loss_history(tmp_path)
    with pytest.raises(FormatError, match="holds no loss history"):
        read_loss_history(demo_dir / "eval.json")
    empty = _write(tmp_path / "m", "model.json", {"format": "embedlayer.glove-model",
                                                  "format_version": 1, "loss_history": []})
    with pytest.raises(FormatError, match="empty loss history"):
        read_loss_history(empty)
    newer = _write(tmp_path / "n", "model.json", {"format": "embedlayer.glove-model",
                                                  "format_version": 9, "loss_history": [1.0]})
    with pytest.raises(FormatError, match="newer than this embedlayer reads"):
        read_loss_history(newer)


def test_known_formats_are_the_writers_current_versions():
    from embedlayer.tasks import classify, tag
    from embedlayer.tasks.lm import _folder as lm_folder
    from embedlayer.train import _estimator, glove
    from embedlayer.viz.curves import KNOWN_FORMATS

    writers = {classify.FORMAT: classify.FORMAT_VERSION, tag.FORMAT: tag.FORMAT_VERSION,
               lm_folder.FORMAT: lm_folder.FORMAT_VERSION,
               glove.MODEL_FORMAT: glove.MODEL_VERSION,
               glove.CHECKPOINT_FORMAT: glove.CHECKPOINT_VERSION}
    for name in ("Word2Vec", "FastText"):
        writers[_estimator._model_format(name)] = _estimator.MODEL_VERSION
        writers[_estimator._checkpoint_format(name)] = _estimator.CHECKPOINT_VERSION
    assert writers == KNOWN_FORMATS


# --- report -------------------------------------------------------------------------------
def test_the_report_chart_is_drawn_from_the_saved_json(demo_dir, tmp_path):  # noqa: F811
    from embedlayer.eval.report import _nan_to_none, read_json, to_json

    saved = json.loads((demo_dir / "eval.json").read_text())
    assert _nan_to_none(to_json(read_json(demo_dir / "eval.json")))["vectors"] == \
        saved["vectors"]
    png(plot_report(demo_dir, tmp_path / "report.png"))
    with pytest.raises(FormatError, match="expected 'embedlayer.eval-report'"):
        plot_report(demo_dir / "demo.json", tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
