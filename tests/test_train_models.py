"""Whole models: saved, loaded and trained further, equal to the model trained further in memory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.train import FastText, GloVe, Word2Vec


def _topics(n: int, groups: list[list[str]], seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[str(w) for w in rng.choice(groups[k % len(groups)], size=8)] for k in range(n)]


CORPUS = _topics(200, [[f"a{i}" for i in range(6)], [f"b{i}" for i in range(6)]])
CORPUS_VOCAB = sorted({w for s in CORPUS for w in s})
MORE = _topics(60, [[f"a{i}" for i in range(6)] + [f"c{i}" for i in range(3)]], seed=1)

W2V = {"dim": 8, "epochs": 2, "min_count": 1, "sample": 0.0, "workers": 1, "seed": 3,
       "chunk_words": 300}
FT = {**W2V, "bucket": 500}
GLOVE = {"dim": 8, "window": 4, "epochs": 3, "min_count": 1, "workers": 1, "seed": 3,
         "block": 64, "memory_mib": 300}

CASES = [(Word2Vec, W2V, ("syn0_", "syn1_")), (FastText, FT, ("wi_", "wo_")),
         (GloVe, GLOVE, ("W_", "C_", "bw_", "bc_"))]


@pytest.mark.parametrize(("cls", "settings", "arrays"), CASES, ids=["word2vec", "fasttext", "glove"])
@pytest.mark.parametrize("update_vocab", [False, True])
def test_saved_loaded_and_trained_further_equals_the_model_in_memory(
        tmp_path, cls, settings, arrays, update_vocab):
    model = cls(**settings).fit(CORPUS, progress=False)
    folder = model.save(tmp_path / "model")
    loaded = cls.load(folder)
    assert loaded.config == model.config and loaded.vocab_.tokens == model.vocab_.tokens
    assert loaded.loss_history_ == model.loss_history_
    for name in arrays:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    before = {name: getattr(model, name).copy() for name in arrays}
    model.partial_fit(MORE, update_vocab=update_vocab, epochs=2, progress=False)
    loaded.partial_fit(MORE, update_vocab=update_vocab, epochs=2, progress=False)
    for name, old in before.items():  # a partial_fit that trains nothing fails here
        rows = old.shape[0] if name != "wi_" else len(CORPUS_VOCAB)
        assert not np.array_equal(getattr(model, name)[:rows], old[:rows]), name
    for name in arrays:  # one worker: bit for bit
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name), err_msg=name)
    assert loaded.vocab_.tokens == model.vocab_.tokens
    assert ("c0" in loaded.vocab_) is update_vocab
    assert len(loaded.loss_history_) == settings["epochs"] + 2  # every epoch ever trained
    assert loaded.vectors_.matrix.shape[0] == len(loaded.vocab_)


def test_glove_continues_adagrad_from_the_saved_sums(tmp_path):
    model = GloVe(**GLOVE).fit(CORPUS, progress=False)
    sums = model._grads[0].copy()
    assert (sums > 1).any()  # AdaGrad accumulated something
    loaded = GloVe.load(model.save(tmp_path / "g"))
    np.testing.assert_array_equal(loaded._grads[0], sums)
    loaded.partial_fit(MORE, update_vocab=True, epochs=1, progress=False)
    old = len(model.vocab_)
    assert (loaded._grads[0][:old] >= sums).all()  # sums only grow, from where they were
    np.testing.assert_array_equal(loaded._grads[2][old:] >= 1, True)


def test_fasttext_subsamples_with_the_totals_of_the_merged_counts(monkeypatch):
    from embedlayer.train import fasttext as ft_module

    seen = []
    real = ft_module.fasttext_keep_probabilities

    def spy(counts, sample, *, tokens, lines):
        seen.append((int(np.asarray(counts).sum()), tokens, lines))
        return real(counts, sample, tokens=tokens, lines=lines)

    monkeypatch.setattr(ft_module, "fasttext_keep_probabilities", spy)
    model = FastText(**{**FT, "sample": 1e-3}).fit(CORPUS, progress=False)
    assert seen[-1] == (1600, 1600, 200)  # 200 lines of 8 tokens
    model.partial_fit(MORE, update_vocab=True, epochs=1, progress=False)
    # The counts are old and new text together: so are the totals they are divided by (not
    # the 480 tokens and 60 lines of the new text alone).
    assert seen[-1] == (1600 + 480, 1600 + 480, 200 + 60)


def test_word2vec_hs_cannot_extend_its_vocabulary():
    model = Word2Vec(**{**W2V, "loss": "hs"}).fit(CORPUS, progress=False)
    with pytest.raises(ConfigError, match="loss='ns'"):
        model.partial_fit(MORE, update_vocab=True, progress=False)
    model.partial_fit(MORE, progress=False, epochs=1)  # the same vocabulary: fine


def test_fasttext_new_words_go_between_the_words_and_the_buckets(tmp_path):
    model = FastText(**FT).fit(CORPUS, progress=False)
    buckets = model.wi_[len(model.vocab_):].copy()
    handed_out = model.vectors_
    before = handed_out["a1"].copy()
    model.partial_fit(MORE, update_vocab=True, epochs=1, progress=False)
    assert model.wi_.shape == (len(model.vocab_) + 500, 8) and "c2" in model.vocab_
    assert not np.array_equal(model.wi_[len(model.vocab_):], buckets)  # buckets trained on
    np.testing.assert_array_equal(handed_out["a1"], before)  # a store handed out never changes


@pytest.mark.parametrize(("cls", "settings"), [(Word2Vec, W2V), (GloVe, GLOVE)],
                         ids=["word2vec", "glove"])
def test_a_damaged_model_folder_is_refused_with_its_file_named(tmp_path, cls, settings):
    folder = cls(**settings).fit(CORPUS, progress=False).save(tmp_path / "m")
    doc = json.loads((folder / "model.json").read_text())
    assert doc["format_version"] == 1 and all(len(e["sha256"]) == 64
                                              for e in doc["arrays"].values())
    name = next(iter(doc["arrays"]))
    raw = bytearray((folder / f"{name}.npy").read_bytes())
    raw[-1] ^= 0xFF  # same size, one value changed
    (folder / f"{name}.npy").write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=f"{name}.npy: sha256 differs"):
        cls.load(folder)
    (folder / "model.json").write_text(json.dumps({**doc, "format_version": 99}))
    with pytest.raises(FormatError, match="format_version 99"):
        cls.load(folder)
    with pytest.raises(MissingFileError, match="no saved"):
        cls.load(tmp_path / "nowhere")


def test_save_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    model = Word2Vec(**W2V).fit(CORPUS, progress=False)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "me.jpg").write_bytes(b"jpg")
    with pytest.raises(ConfigError, match="refusing to replace"):
        model.save(tmp_path / "photos")
    assert (tmp_path / "photos" / "me.jpg").is_file()
    model.save(tmp_path / "m")
    model.save(tmp_path / "m")  # its own folder: replaced atomically


def test_vectors_are_written_by_save_vectors(tmp_path):
    model = Word2Vec(**W2V).fit(CORPUS, progress=False)
    from embedlayer.vectors.io import load_vectors

    path = model.save_vectors(tmp_path / "v.txt", format="word2vec-text")
    assert load_vectors(path).dim == 8
