"""TextClassifier with compressed embeddings: post-training compression (int8, 4-bit, PQ, low
rank) keeps the network and its padding contract, saves and loads; a low-rank embedding trains
from the start; the CLI's `classify compress`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedlayer.cli.main import main
from embedlayer.errors import ConfigError
from embedlayer.nn import EmbeddingLayer, LowRankEmbedding, PQEmbedding, QuantizedEmbedding
from embedlayer.nn.encoders import encoder_config
from embedlayer.tasks import TextClassifier

from .test_classify import FAST, TINY, synthetic

pytestmark = pytest.mark.usefixtures("one_torch_thread_module")


@pytest.fixture(scope="module")
def data():
    return synthetic(240), synthetic(60, seed=1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, data):
    (texts, labels), _ = data
    clf = TextClassifier(encoder_config("cnn", TINY["cnn"]), **FAST).fit(texts, labels,
                                                                         progress=False)
    return clf.save(tmp_path_factory.mktemp("clf") / "m")


@pytest.mark.parametrize(("method", "layer", "tol"), [
    ("int8", QuantizedEmbedding, 0.01), ("int4:axis=dim", QuantizedEmbedding, 0.2),
    ("pq:m=4,k=16", PQEmbedding, 0.7), ("pq:m=4,k=16,rank=8", PQEmbedding, 0.8),
    ("lowrank:rank=12", LowRankEmbedding, 1e-5)])
def test_post_training_compression(folder, data, tmp_path, method, layer, tol):
    _, (test_texts, test_labels) = data
    dense = TextClassifier.load(folder)
    weight = dense.model_.embedding.weight.detach().numpy().copy()
    clf = TextClassifier.load(folder).compress_embedding(method)
    emb = clf.model_.embedding
    assert isinstance(emb, layer)
    # the compressed layer looks rows up as EmbeddingLayer would over its rebuilt matrix
    ids = torch.tensor([[2, 5, 0, 0], [7, 1, 3, dense.vocab_.pad_id]])
    rebuilt = emb.reconstruct().detach()
    want = torch.nn.functional.embedding(ids, rebuilt)
    want[ids == dense.vocab_.pad_id] = 0.0
    torch.testing.assert_close(emb(ids), want)
    rows = [i for i in range(len(weight)) if i != dense.vocab_.pad_id]
    error = np.linalg.norm(rebuilt.numpy()[rows] - weight[rows]) / np.linalg.norm(weight[rows])
    assert error <= tol  # relative Frobenius error of the rebuilt matrix
    # same network otherwise; predictions close to the dense model's
    p0, p1 = dense.predict_proba(test_texts), clf.predict_proba(test_texts)
    assert np.mean(np.argmax(p0, 1) == np.argmax(p1, 1)) >= 0.9
    # saved and loaded: identical predictions
    again = TextClassifier.load(clf.save(tmp_path / "c"))
    assert isinstance(again.model_.embedding, layer)
    np.testing.assert_allclose(again.predict_proba(test_texts), p1, atol=1e-6)


def test_full_rank_lowrank_is_the_same_model(folder, data):
    _, (test_texts, _) = data
    dense = TextClassifier.load(folder)
    full = TextClassifier.load(folder).compress_embedding(
        f"lowrank:rank={dense.model_.embedding.dim}")
    np.testing.assert_allclose(full.predict_proba(test_texts), dense.predict_proba(test_texts),
                               atol=1e-4)


def test_low_rank_embedding_trains_from_the_start(data, tmp_path):
    (texts, labels), (test_texts, test_labels) = data
    clf = TextClassifier(encoder_config("cnn", TINY["cnn"]), **FAST, embedding_rank=3).fit(
        texts, labels, progress=False)
    emb = clf.model_.embedding
    assert isinstance(emb, LowRankEmbedding) and emb.rank == 3
    assert emb.parameter_count["n_parameters"] < emb.parameter_count["dense_n_parameters"]
    assert clf.evaluate(test_texts, test_labels).accuracy >= 0.9
    again = TextClassifier.load(clf.save(tmp_path / "r"))
    np.testing.assert_allclose(again.predict_proba(test_texts),
                               clf.predict_proba(test_texts), atol=1e-6)


def test_low_rank_freeze_schedule(data):
    (texts, labels), _ = data
    clf = TextClassifier(encoder_config("cnn", TINY["cnn"]), **{**FAST, "epochs": 2},
                         embedding_rank=3, freeze=1)
    seen = []
    clf.fit(texts, labels, progress=False,
            callbacks=[lambda m, e, r: seen.append(m.model_.embedding.A.requires_grad)])
    assert clf.model_.embedding.freeze == 1
    assert seen[0] is False  # epoch 0: fixed; from epoch 1 on: trained
    assert all(seen[1:])


def test_bad_compression_requests(folder):
    clf = TextClassifier.load(folder)
    with pytest.raises(ConfigError, match="one of int8"):
        clf.compress_embedding("prune:keep=3")
    with pytest.raises(ConfigError, match="needs m"):
        clf.compress_embedding("pq")
    with pytest.raises(ConfigError, match="do not divide"):
        clf.compress_embedding("pq:m=5")
    clf.compress_embedding("int8")
    with pytest.raises(ConfigError, match="only a trained full matrix"):
        clf.compress_embedding("int8")
    with pytest.raises(ConfigError, match="embedding_dropout"):
        TextClassifier("cnn", embedding_rank=4, embedding_dropout=0.2)
    assert isinstance(TextClassifier.load(folder).model_.embedding, EmbeddingLayer)


def test_cli_classify_compress(folder, tmp_path, capsys):
    out = tmp_path / "small"
    assert main(["classify", "compress", str(folder), "--method", "int8", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "smaller" in printed and out.is_dir()
    assert isinstance(TextClassifier.load(out).model_.embedding, QuantizedEmbedding)
    assert main(["classify", "compress", str(folder), "-o", str(out)]) == 1  # exists
    assert "exists" in capsys.readouterr().err
