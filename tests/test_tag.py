"""SequenceTagger on a small synthetic NER task: it learns, saves and loads to identical
predictions, repeats itself, serves any tag set, and answers odd input in defined ways."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from embedlayer.errors import ConfigError, CorpusError, FormatError, MissingFileError
from embedlayer.tasks import SequenceTagger, TaggerConfig, read_tagged
from embedlayer.tasks.tagschemes import convert
from embedlayer.vectors import Vectors
from embedlayer.vocab import Vocab

FIRST = ["Juan", "María", "Pedro", "Ana", "Luis", "Carmen", "José", "Elena", "Raúl", "Sofía"]
LAST = ["García", "López", "Pérez", "Martín", "Sánchez", "Gómez", "Ruiz", "Díaz"]
CITIES = ["Madrid", "Barcelona", "Sevilla", "Lima", "Bogotá", "Quito", "Toledo", "Cádiz"]
ORGS = ["EFE", "ONU", "OTAN", "UE", "BBVA", "FIFA", "UGT", "CSIC"]


def _person(rng: random.Random) -> tuple[list[str], list[str]]:
    if rng.random() < 0.5:
        return [rng.choice(FIRST)], ["B-PER"]
    return [rng.choice(FIRST), rng.choice(LAST)], ["B-PER", "I-PER"]


def toy_ner(n: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """Sentences from a few templates, IOB2 tags (PER, LOC, ORG)."""
    rng = random.Random(seed)
    sentences, tags = [], []
    for _ in range(n):
        per, per_tags = _person(rng)
        city, org = rng.choice(CITIES), rng.choice(ORGS)
        kind = rng.randrange(3)
        if kind == 0:
            s = [*per, "vive", "en", city, "."]
            t = [*per_tags, "O", "O", "B-LOC", "O"]
        elif kind == 1:
            s = [*per, "trabaja", "para", "la", org, "en", city, "."]
            t = [*per_tags, "O", "O", "O", "B-ORG", "O", "B-LOC", "O"]
        else:
            s = ["La", org, "dijo", "que", *per, "viajó", "a", city, "ayer", "."]
            t = ["O", "B-ORG", "O", "O", *per_tags, "O", "O", "B-LOC", "O", "O"]
        sentences.append(s)
        tags.append(t)
    return sentences, tags


SMALL = TaggerConfig(dim=16, char_dim=8, char_hidden=8, case_dim=4, hidden=16, epochs=8,
                     batch_size=8, learning_rate=0.01, dropout=0.2, patience=3, seed=3)


def _fit(config: TaggerConfig = SMALL, data=None, **kwargs) -> SequenceTagger:
    train = data if data is not None else toy_ner(160, seed=1)
    dev = toy_ner(40, seed=2)
    return SequenceTagger(config, workers=1, **kwargs).fit(*train, validation=dev,
                                                           progress=False)


@pytest.fixture(scope="module")
def tagger() -> SequenceTagger:
    return _fit()


def test_learns_a_toy_ner_task(tagger):
    test = toy_ner(60, seed=3)
    report = tagger.evaluate(*test)
    assert report.f1 > 0.9, report.format()
    assert tagger.scheme_ == "iob2" and tagger.internal_scheme_ == "iobes"
    assert tagger.types_ == ("LOC", "ORG", "PER")
    assert tagger.history_[0].val_f1 is not None and tagger.best_epoch_ >= 1
    assert all(t.startswith(("B-", "I-", "O")) for s in tagger.predict(test[0]) for t in s)


def test_save_and_load_give_identical_predictions(tagger, tmp_path):
    folder = tagger.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == [
        "chars.json", "config.json", "model.safetensors", "vocab.json"]
    doc = json.loads((folder / "config.json").read_text())
    assert doc["format"] == "embedlayer.sequence-tagger" and doc["tags"][0] == "O"
    loaded = SequenceTagger.load(folder, workers=1)
    sentences = toy_ner(30, seed=4)[0] + [["Nadie", "vive", "en", "Zaragoza"]]
    assert loaded.predict(sentences) == tagger.predict(sentences)
    assert loaded.config == tagger.config and loaded.tags_ == tagger.tags_
    assert [r.to_dict() for r in loaded.history_] == [r.to_dict() for r in tagger.history_]
    for name, value in tagger.model_.state_dict().items():
        assert torch.equal(value, loaded.model_.state_dict()[name]), name


def test_a_damaged_folder_is_refused(tagger, tmp_path):
    folder = tagger.save(tmp_path / "model")
    (folder / "chars.json").write_text((folder / "chars.json").read_text() + " ")
    with pytest.raises(FormatError, match="chars.json"):
        SequenceTagger.load(folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(MissingFileError, match="model.safetensors is missing"):
        SequenceTagger.load(folder)


def test_the_same_seed_gives_the_same_model(tagger):
    again = _fit()
    assert [r.loss for r in again.history_] == [r.loss for r in tagger.history_]
    sentences = toy_ner(20, seed=5)[0]
    assert again.predict(sentences) == tagger.predict(sentences)


def test_softmax_head_without_characters_keeps_the_data_s_scheme():
    sentences, tags = toy_ner(120, seed=1)
    iob1 = [convert(t, "iob1") for t in tags]
    config = TaggerConfig(**{**SMALL.__dict__, "head": "softmax", "char_encoder": "none",
                             "internal_scheme": "same", "epochs": 4})
    model = _fit(config, data=(sentences, iob1))
    assert model.model_.crf is None and model.model_.chars is None
    assert model.scheme_ == "iob1" and model.internal_scheme_ == "iob1"
    predicted = model.predict(sentences[:20])
    assert all(t == "O" or t.startswith("I-") or t.startswith("B-") for s in predicted for t in s)
    assert all(convert(p, "iob1") == p for p in predicted)  # well-formed IOB1 out


def test_a_plain_tag_set_is_tagged_token_by_token():
    sentences, tags = toy_ner(100, seed=1)
    pos = [[{"vive": "VMI", "trabaja": "VMI", "dijo": "VMI", "viajó": "VMI", ".": "Fp"}.get(
        w, "NC") for w in s] for s in sentences]
    model = _fit(TaggerConfig(**{**SMALL.__dict__, "epochs": 3}), data=(sentences, pos))
    assert model.scheme_ == "none" and model.internal_scheme_ == "none"
    assert set(model.tags_) == {"NC", "VMI", "Fp"}
    report = model.evaluate(sentences[:30], pos[:30])
    assert report.scheme == "none" and report.f1 == pytest.approx(report.accuracy)


def test_pretrained_vectors_initialize_lower_cased_words():
    words = ["vive", "en", "madrid", "la", "efe"]
    rng = np.random.default_rng(0)
    vectors = Vectors(Vocab(words), rng.standard_normal((5, 16)).astype(np.float32))
    config = TaggerConfig(**{**SMALL.__dict__, "freeze": True, "dim": None, "epochs": 1})
    model = _fit(config, vectors=vectors)
    assert model.coverage_.found >= 4  # "Madrid" and "EFE" found lower-cased
    row = model.model_.embedding.weight[model.vocab_["madrid"]].detach().numpy()
    assert np.array_equal(row, vectors["madrid"])


def test_odd_sentences_get_defined_answers(tagger):
    long = (["Juan", "vive", "en", "Madrid", "."] * 1000)
    out = tagger.predict([[], ["New York", "es", "una ciudad"], long])
    assert out[0] == []
    assert len(out[1]) == 3
    assert len(out[2]) == 5000
    assert out[2][:4] == tagger.predict([long[:5]])[0][:4]  # the start of a long sentence
    with pytest.raises(ConfigError, match="sentence 1, token 2 is ''"):
        tagger.predict([["Juan", ""]])
    with pytest.raises(ConfigError, match="sentence 1 is a str"):
        tagger.predict(["Juan vive en Madrid"])


def test_unknown_gold_tags_are_scored_and_listed(tagger):
    sentences = [["Juan", "vive", "en", "Madrid", "desde", "2001"]]
    gold = [["B-PER", "O", "O", "B-LOC", "O", "B-DATE"]]
    report = tagger.evaluate(sentences, gold)
    assert report.unknown_tags == {"B-DATE": 1}
    assert report.per_type["DATE"].gold == 1 and report.per_type["DATE"].recall == 0.0
    with pytest.raises(FormatError, match="tag 6 is 'DATE'"):
        tagger.evaluate(sentences, [gold[0][:5] + ["DATE"]])


def test_bad_training_input_is_refused():
    sentences, tags = toy_ner(10, seed=1)
    with pytest.raises(ConfigError, match="sentence 1 has .* tokens but .* tags"):
        SequenceTagger(SMALL).fit([sentences[0]], [tags[0][:-1]])
    with pytest.raises(CorpusError, match="no training sentence"):
        SequenceTagger(SMALL).fit([[]], [[]])
    with pytest.raises(ConfigError, match="at least 2 tags"):
        SequenceTagger(SMALL).fit([["a", "b"]], [["O", "O"]])
    with pytest.raises(ConfigError, match="not trained"):
        SequenceTagger(SMALL).predict([["a"]])
    with pytest.raises(ConfigError, match="TaggerConfig: head must be one of crf, softmax"):
        SequenceTagger(TaggerConfig(head="mlp"))
    with pytest.raises(ConfigError, match="TaggerConfig: dropout must be a number in"):
        TaggerConfig(dropout=1.0).check()


def test_read_tagged_handles_the_conll_layout(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text("-DOCSTART- -X- O\n\nJuan NP B-PER\nvive VMI O\n\n\nMadrid NP B-LOC\n")
    sentences, tags = read_tagged(path)
    assert sentences == [["Juan", "vive"], ["Madrid"]]
    assert tags == [["B-PER", "O"], ["B-LOC"]]
    assert read_tagged(path, tag_column=1)[1] == [["NP", "VMI"], ["NP"]]
    empty = tmp_path / "empty.conll"
    empty.write_text("\n\n")
    with pytest.raises(CorpusError, match="empty"):
        read_tagged(empty)
    missing = tmp_path / "missing.conll"
    missing.write_text("Juan NP B-PER\nvive VMI\n")
    with pytest.raises(FormatError, match="line 2: 2 column"):
        read_tagged(missing)
    one = tmp_path / "one.conll"
    one.write_text("Juan\nvive\n")
    with pytest.raises(FormatError, match="tag column"):
        read_tagged(one)


def test_contextual_features_are_recorded_and_required(tmp_path):
    pytest.importorskip("transformers")
    from embedlayer.contextual import TransformerEncoder

    from .tiny_bert import write_tiny_bert

    encoder = TransformerEncoder(write_tiny_bert(tmp_path / "tiny"), workers=1)
    config = TaggerConfig(**{**SMALL.__dict__, "epochs": 2})
    model = _fit(config, data=toy_ner(60, seed=1), contextual=encoder)
    assert model.model_.lstm.input_size == 16 + 8 + 4 + encoder.dim
    folder = model.save(tmp_path / "model")
    with pytest.raises(ConfigError, match="pass contextual="):
        SequenceTagger.load(folder)
    loaded = SequenceTagger.load(folder, contextual=encoder)
    sentences = toy_ner(10, seed=6)[0]
    assert loaded.predict(sentences) == model.predict(sentences)


def test_sgd_with_decay_and_sparse_vectors_trains():
    config = TaggerConfig(**{**SMALL.__dict__, "optimizer": "sgd", "learning_rate": 0.05,
                             "lr_decay": 0.05, "sparse": True, "epochs": 2})
    model = _fit(config, data=toy_ner(60, seed=1))
    assert len(model.history_) == 2
    assert all(np.isfinite(r.loss) for r in model.history_)
    assert model.history_[1].loss < model.history_[0].loss


@pytest.mark.parametrize("method", ["int8", "pq:m=4,k=16", "lowrank:rank=4"])
def test_compressed_word_embedding_keeps_tagging_and_saves(tagger, tmp_path, method):
    from embedlayer.nn import LowRankEmbedding, PQEmbedding, QuantizedEmbedding

    test = toy_ner(60, seed=3)
    small = SequenceTagger.load(tagger.save(tmp_path / "dense"), workers=1)
    small.compress_embedding(method)
    kind = {"int8": QuantizedEmbedding, "pq": PQEmbedding, "lowrank": LowRankEmbedding}
    assert isinstance(small.model_.embedding, kind[method.split(":")[0]])
    if method == "int8":  # half a quantization step per value: the tags barely move
        assert small.evaluate(*test).f1 >= tagger.evaluate(*test).f1 - 0.05
    loaded = SequenceTagger.load(small.save(tmp_path / "small"), workers=1)
    assert loaded.predict(test[0]) == small.predict(test[0])
    with pytest.raises(ConfigError, match="only a trained full matrix"):
        loaded.compress_embedding("int8")
