"""ContextualEmbedding on a tiny random BERT: padding never changes a vector, freezing holds
the weights, the scalar mix learns, the word view and truncation are what they say."""

from __future__ import annotations

import pytest
import torch

from embedlayer.contextual import ContextualEmbedding
from embedlayer.contextual.module import PAD_ID, _pad, count_truncated, word_index, word_pool
from embedlayer.errors import ConfigError, MissingFileError
from embedlayer.nn.encoders import pool

from .tiny_bert import write_tiny_bert

TEXTS = ["the film was good", "a", "", "the acting was unbelievable and quite dull !",
         "plot"]


pytestmark = pytest.mark.usefixtures("one_torch_thread_module")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_bert(tmp_path_factory.mktemp("ckpt") / "tiny")


@pytest.fixture(scope="module")
def mixed(tiny):
    return ContextualEmbedding.from_checkpoint(tiny, layers="mix").eval()


@pytest.mark.parametrize("how", ["mean", "cls", "max"])
def test_a_padded_batch_gives_the_vectors_of_one_text_at_a_time(mixed, how):
    ids, cut = mixed.tokenize(TEXTS)
    assert cut == 0 and len(ids[2]) == 2  # an empty text is [CLS] [SEP]
    with torch.no_grad():
        batch = _pad(ids)
        assert (batch == PAD_ID).any()
        together = pool(mixed(batch), mixed.mask(batch), how)
        for i, x in enumerate(ids):
            alone = torch.from_numpy(x).unsqueeze(0)
            torch.testing.assert_close(pool(mixed(alone), mixed.mask(alone), how),
                                       together[i:i + 1], atol=1e-5, rtol=1e-4)
    embedded = mixed.embed(TEXTS, pooling=how, batch_size=2)  # other batch-mates, same answer
    torch.testing.assert_close(embedded, together, atol=1e-5, rtol=1e-4)
    assert torch.isfinite(embedded).all()


def test_normalized_vectors_have_unit_length(mixed):
    norms = mixed.embed(TEXTS, normalize=True).norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(len(TEXTS)))


def test_the_last_layer_is_transformers_own_output(tiny):
    from transformers import AutoModel

    emb = ContextualEmbedding.from_checkpoint(tiny).eval()
    reference = AutoModel.from_pretrained(str(tiny)).eval()
    ids, _ = emb.tokenize(["the plot was odd"])
    x = torch.from_numpy(ids[0]).unsqueeze(0)
    with torch.no_grad():
        torch.testing.assert_close(emb(x), reference(input_ids=x).last_hidden_state)


def test_the_scalar_mix_starts_as_the_mean_of_all_layers(mixed):
    ids, _ = mixed.tokenize(["the film"])
    x = torch.from_numpy(ids[0]).unsqueeze(0)
    with torch.no_grad():
        layers = mixed.model(input_ids=x, output_hidden_states=True).hidden_states
        torch.testing.assert_close(mixed(x), torch.stack(layers).mean(dim=0))
    assert len(layers) == mixed.n_layers + 1 == 3


def test_frozen_weights_get_no_gradient_and_no_dropout(tiny):
    emb = ContextualEmbedding.from_checkpoint(tiny, freeze=True, layers="mix").train()
    assert not emb.model.training  # a fixed feature extractor
    ids, _ = emb.tokenize(["the film was good"])
    out = emb(torch.from_numpy(ids[0]).unsqueeze(0)).sum()
    out.backward()
    assert all(p.grad is None for p in emb.model.parameters())
    assert emb.mix_weights.grad is not None and emb.gamma.grad is not None


def test_freezing_for_n_epochs_then_fine_tuning(tiny):
    emb = ContextualEmbedding.from_checkpoint(tiny, freeze=2)
    emb.on_epoch_start(1)
    assert emb.frozen and not any(p.requires_grad for p in emb.model.parameters())
    emb.on_epoch_start(2)
    emb.train()
    assert not emb.frozen and emb.model.training
    assert all(p.requires_grad for p in emb.model.parameters())


def test_words_are_their_first_or_mean_sub_token(mixed):
    text = "the acting was unbelievable"
    first, mean = mixed.words([text], how="first")[0], mixed.words([text], how="mean")[0]
    assert [text[a:b] for a, b in first.spans] == ["the", "acting", "was", "unbelievable"]
    assert first.vectors.shape == mean.vectors.shape == (4, 32) and not first.truncated
    ids, _ = mixed.tokenize([text])
    with torch.no_grad():
        # [CLS] the acting was un ##believ ##able [SEP]
        hidden = mixed(torch.from_numpy(ids[0]).unsqueeze(0))[0]
    assert len(ids[0]) == 8
    torch.testing.assert_close(first.vectors[3], hidden[4])
    torch.testing.assert_close(mean.vectors[3], hidden[4:7].mean(dim=0))
    torch.testing.assert_close(first.vectors[:3], mean.vectors[:3])  # one sub-token each
    assert mixed.words([""])[0].vectors.shape == (0, 32)


def test_long_texts_are_cut_and_counted_never_silently(tiny):
    emb = ContextualEmbedding.from_checkpoint(tiny, max_length=8)
    long_text = " ".join(["good"] * 50)
    ids, cut = emb.tokenize([long_text, "a film", long_text])
    assert cut == 2 and [len(x) for x in ids] == [8, 4, 8]
    assert ids[0][-1] == 3  # still ends with [SEP]
    words = emb.words([long_text])[0]
    assert words.truncated and len(words.spans) == 6
    from embedlayer.contextual import open_checkpoint

    assert count_truncated(open_checkpoint(tiny), [long_text, "a film"], 8) == 1
    assert count_truncated(open_checkpoint(tiny), [long_text], None) == 0  # 64 positions


@pytest.mark.parametrize(("settings", "message"), [
    ({"max_length": 65}, "max_length 65 is more than the checkpoint's max_position_embeddings"),
    ({"max_length": 1}, "max_length must be an int >= 2"),
    ({"layers": "all"}, "layers must be one of last, mix"),
    ({"freeze": -1}, "freeze must be True, False or a number of epochs"),
])
def test_bad_settings_name_the_field(tiny, settings, message):
    with pytest.raises(ConfigError, match=message):
        ContextualEmbedding.from_checkpoint(tiny, **settings)


def test_bad_pooling_is_refused(mixed):
    with pytest.raises(ConfigError, match="pooling must be one of mean, cls, max"):
        mixed.embed(["a"], pooling="sum")


def test_a_checkpoint_without_its_tokenizer_is_refused(tiny, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    (broken / "tokenizer.json").unlink()
    with pytest.raises(MissingFileError, match="has no tokenizer.json"):
        ContextualEmbedding.from_checkpoint(broken)


def test_a_checkpoint_transformers_cannot_build_is_one_clear_error(tiny, tmp_path):
    import json
    import shutil

    from embedlayer.errors import FormatError

    odd = tmp_path / "odd"
    shutil.copytree(tiny, odd)
    config = json.loads((odd / "config.json").read_text())
    (odd / "config.json").write_text(json.dumps({**config, "model_type": "no-such-model"}))
    with pytest.raises(FormatError, match="transformers cannot build a model"):
        ContextualEmbedding.from_checkpoint(odd)


@pytest.mark.parametrize("how", ["first", "mean"])
def test_word_pooling_of_a_padded_batch_is_differentiable_and_per_text(mixed, how):
    texts = ["the acting was unbelievable", "a", "", "unbelievable , odd"]
    encodings = mixed.encodings(texts)
    ids = _pad([e.ids for e in encodings])
    views = [word_index(e) for e in encodings]
    index = _pad([v[0] for v in views])
    hidden = mixed(ids).detach().requires_grad_(True)
    pooled, mask = word_pool(hidden, index, how)
    assert pooled.shape == (4, 4, 32) and mask.sum(dim=1).tolist() == [4, 1, 0, 3]
    assert (pooled[~mask] == 0).all()
    for row, (_, spans) in enumerate(views):  # a slow reference, word by word
        for w in range(len(spans)):
            at = (index[row] == w).nonzero().flatten()
            want = hidden[row, at[0]] if how == "first" else hidden[row, at].mean(dim=0)
            torch.testing.assert_close(pooled[row, w], want)
    pooled.sum().backward()
    # gradient only at word tokens: [CLS], [SEP] and padding get none
    assert (hidden.grad[index < 0] == 0).all() and (hidden.grad[index >= 0] != 0).any()
