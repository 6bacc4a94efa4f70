"""The causal language model: masking, tying, positions, the loss by hand, resume, generation,
bad input, and its folder as a GPT-2 checkpoint."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from embedlayer.contextual.checkpoint import offline
from embedlayer.errors import ConfigError, FormatError
from embedlayer.nn.transformer import CausalTransformer, TransformerConfig, to_gpt2_tensors
from embedlayer.tasks.lm import EOS, MAX_NEW_TOKENS, CausalLM, LMConfig, decode
from embedlayer.tasks.lm._train import window_loss
from embedlayer.vocab import Vocab

WORDS = ["the", "cat", "dog", "sat", "on", "a", "mat", "and", "ran", "to", "big", "small",
         "red", "house"]
TINY = dict(vocab_size=60, min_count=1, context=16, dim=32, layers=2, heads=4, batch_size=8,
            warmup=2, learning_rate=3e-3)


def _lines(n=300, seed=0):
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(3, 9))) for _ in range(n)]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lm") / "model"
    torch.set_num_threads(1)
    lm = CausalLM(LMConfig(**TINY, steps=30, eval_every=10)).fit(_lines(), output=folder,
                                                                 progress=False)
    return lm, folder


def _vocab(n=40):
    return Vocab([f"t{i}" for i in range(n)], unk_token=None)


@pytest.mark.parametrize("positions", ["none", "sinusoidal", "learned", "rotary"])
def test_a_tokens_output_never_depends_on_later_tokens(positions):
    net = CausalTransformer(_vocab(), TransformerConfig(context=12, dim=32, layers=2, heads=4,
                                                        positions=positions)).eval()
    ids = torch.randint(0, 40, (2, 12), generator=torch.Generator().manual_seed(1))
    changed = ids.clone()
    changed[:, 7:] = (changed[:, 7:] + 5) % 40
    with torch.no_grad():
        a, b = net(ids), net(changed)
    assert torch.equal(a[:, :7], b[:, :7])
    assert not torch.allclose(a[:, 7:], b[:, 7:])  # the test can fail: later logits do change


def test_tied_head_is_one_parameter_with_gradients_from_both_uses():
    config = TransformerConfig(context=8, dim=16, layers=1, heads=2)
    tied = CausalTransformer(_vocab(), config)
    table = tied.transformer.wte.weight
    assert tied.head.weight is table
    assert sum(p is table for p in tied.parameters()) == 1
    assert sum(p.shape == table.shape for p in tied.parameters()) == 1
    assert "lm_head.weight" not in to_gpt2_tensors(tied)

    untied = CausalTransformer(_vocab(), TransformerConfig(context=8, dim=16, layers=1, heads=2,
                                                           tied=False))
    state = {k: v for k, v in tied.state_dict().items()}
    untied.load_state_dict({**state, "head.weight": table.detach().clone()})
    ids = torch.randint(0, 40, (3, 8), generator=torch.Generator().manual_seed(0))
    target = torch.randint(0, 40, (3, 8), generator=torch.Generator().manual_seed(1))
    for net in (tied, untied):
        F.cross_entropy(net(ids).flatten(0, 1), target.flatten()).backward()
    from_lookup = untied.transformer.wte.weight.grad
    from_head = untied.head.weight.grad
    assert from_lookup.abs().sum() > 0 and from_head.abs().sum() > 0
    torch.testing.assert_close(table.grad, from_lookup + from_head, rtol=1e-5, atol=1e-7)


def test_rotary_scores_inside_attention_depend_on_relative_position_only():
    net = CausalTransformer(_vocab(), TransformerConfig(context=32, dim=32, layers=1, heads=4,
                                                        positions="rotary"))
    attn = net.transformer.h[0].attn
    x = torch.randn(1, 2, 32, generator=torch.Generator().manual_seed(0))
    q, k, _ = attn.c_attn(x).split(32, dim=2)
    q = q[:, :1].view(1, 4, 8)  # (1, heads, hs): one query, one key
    k = k[:, 1:].view(1, 4, 8)

    def score(m, n):
        qm = attn.rotary.rotate(q.unsqueeze(-2), torch.tensor([m]))
        kn = attn.rotary.rotate(k.unsqueeze(-2), torch.tensor([n]))
        return (qm * kn).sum(-1)

    torch.testing.assert_close(score(5, 2), score(25, 22), rtol=1e-4, atol=1e-5)
    assert not torch.allclose(score(5, 2), score(5, 4), atol=1e-3)


def test_ntk_rope_scaling_changes_only_windows_past_the_context():
    net = CausalTransformer(_vocab(), TransformerConfig(context=8, dim=16, layers=1, heads=2,
                                                        positions="rotary"))
    net.eval()
    with torch.no_grad():  # sharper attention than at the 0.02-std start
        net.transformer.h[0].attn.c_attn.weight.mul_(50)
    short = torch.randint(0, 40, (2, 8), generator=torch.Generator().manual_seed(0))
    long = torch.randint(0, 40, (2, 20), generator=torch.Generator().manual_seed(1))
    plain_short, plain_long = net(short), net(long)
    net.rope_scaling = "ntk"
    torch.testing.assert_close(net(short), plain_short)  # within the context: the same
    assert not torch.allclose(net(long), plain_long, atol=1e-4)
    with pytest.raises(ConfigError, match="rope_scaling"):
        net.rope_scaling = "linear"
    learned = CausalTransformer(_vocab(), TransformerConfig(context=8, dim=16, layers=1, heads=2))
    with pytest.raises(ConfigError, match="needs rotary"):
        learned.rope_scaling = "ntk"


def test_learned_positions_refuse_windows_past_their_table():
    net = CausalTransformer(_vocab(), TransformerConfig(context=8, dim=16, layers=1, heads=2))
    net(torch.zeros((1, 8), dtype=torch.long))
    with pytest.raises(ConfigError, match="max_len=8"):
        net(torch.zeros((1, 9), dtype=torch.long))


def _layer_norm(x, ln):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + ln.eps) * ln.weight.double() + ln.bias.double()


def test_loss_equals_a_hand_computation():
    net = CausalTransformer(_vocab(12), TransformerConfig(context=6, dim=8, layers=1, heads=2))
    ids = [3, 7, 1, 1, 9, 4]
    with torch.no_grad():
        for p in net.parameters():  # move the biases and norms off their trivial start
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())) * 0.1)
        w = {k: v.double() for k, v in net.state_dict().items()}
        h0 = net.transformer.h[0]
        x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][:6]  # (T, D)
        a = _layer_norm(x, h0.ln_1)
        qkv = a @ w["transformer.h.0.attn.c_attn.weight"].T + w["transformer.h.0.attn.c_attn.bias"]
        heads = []
        for hd in range(2):
            q, k, v = (qkv[:, i * 8 + hd * 4: i * 8 + hd * 4 + 4] for i in range(3))
            s = q @ k.T / math.sqrt(4)
            s = s + torch.triu(torch.full((6, 6), float("-inf"), dtype=torch.double), 1)
            heads.append(torch.softmax(s, -1) @ v)
        y = torch.cat(heads, -1) @ w["transformer.h.0.attn.c_proj.weight"].T \
            + w["transformer.h.0.attn.c_proj.bias"]
        x = x + y
        m = _layer_norm(x, h0.ln_2) @ w["transformer.h.0.mlp.c_fc.weight"].T \
            + w["transformer.h.0.mlp.c_fc.bias"]
        m = 0.5 * m * (1 + torch.tanh(math.sqrt(2 / math.pi) * (m + 0.044715 * m ** 3)))
        x = x + m @ w["transformer.h.0.mlp.c_proj.weight"].T + w["transformer.h.0.mlp.c_proj.bias"]
        logits = _layer_norm(x, net.transformer.ln_f) @ w["transformer.wte.weight"].T  # (T, V)
        hand = sum(torch.logsumexp(logits[t], 0) - logits[t, ids[t + 1]] for t in range(5)) / 5
        total, count = window_loss(net, np.array(ids), 6, 4, torch.device("cpu"))
    assert count == 5
    assert total / count == pytest.approx(float(hand), rel=1e-5)


def test_resume_equals_an_unbroken_run(tmp_path):
    config = LMConfig(**TINY, steps=6, eval_every=3, dropout=0.1)
    lines = _lines(200)
    whole = CausalLM(config).fit(lines, output=tmp_path / "whole", progress=False)
    CausalLM(config).fit(lines, output=tmp_path / "split", until=3, progress=False)
    half = CausalLM.load(tmp_path / "split")
    assert half.steps_done_ == 3
    resumed = CausalLM(config).fit(lines, output=tmp_path / "split", resume=True,
                                   progress=False)
    a, b = whole.model_.state_dict(), resumed.model_.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["transformer.wte.weight"], half.model_.state_dict()
                           ["transformer.wte.weight"])  # steps 4-6 did change it
    assert [r.to_dict() | {"seconds": 0} for r in whole.history_] == \
        [r.to_dict() | {"seconds": 0} for r in resumed.history_]
    other = LMConfig(**{**TINY, "dim": 16}, steps=6, eval_every=3)
    with pytest.raises(ConfigError, match="dim=32"):
        CausalLM(other).fit(lines, output=tmp_path / "split", resume=True, progress=False)


def test_validation_perplexity_goes_down(trained):
    lm, _ = trained
    ppl = [r.val_perplexity for r in lm.history_]
    assert len(ppl) == 3 and ppl[-1] < ppl[0]
    score = lm.evaluate(_lines(50, seed=9))
    assert score.tokens > 0 and score.perplexity == pytest.approx(math.exp(score.loss))


def test_generation_is_repeatable_by_seed(trained):
    lm, _ = trained
    run = dict(strategy="sample", temperature=1.5, stop_at_end=False)
    a = lm.generate("the cat", 30, seed=1, **run)
    assert a == lm.generate("the cat", 30, seed=1, **run)
    assert len({lm.generate("the cat", 30, seed=s, **run) for s in range(4)}) > 1
    assert lm.generate("the", 10) == lm.generate("the", 10)  # greedy
    top1 = lm.generate("the", 10, strategy="sample", top_k=1, seed=5, temperature=3.0)
    assert top1 == lm.generate("the", 10)  # top-1 sampling is greedy
    assert a.startswith("the cat") and len(a) > len("the cat")


def test_generation_slides_past_the_context(trained):
    lm, _ = trained
    new = lm.generate_ids(lm.encode("the cat"), 40, stop_at_end=False)
    assert len(new) == 40  # more than the context of 16


def test_bad_prompts_and_lengths_have_defined_answers(trained):
    lm, _ = trained
    eos = lm.vocab_[EOS]
    assert lm.encode("") == [eos]  # an empty prompt starts a line
    assert isinstance(lm.generate("", 5), str)
    unk = lm.vocab_["<unk>"]
    assert set(lm.encode("ж€")[1:]) == {unk}  # never-seen characters: <unk>, no byte fallback
    assert lm.generate("ж€ the", 3).startswith("ж€ the")
    assert lm.generate("the cat", 0) == "the cat"
    for bad in (-1, MAX_NEW_TOKENS + 1, 2.5, True):
        with pytest.raises(ConfigError, match="max_new_tokens"):
            lm.generate("the", bad)
    with pytest.raises(ConfigError, match="temperature"):
        lm.generate("the", 3, strategy="sample", temperature=0)
    with pytest.raises(ConfigError, match="strategy"):
        lm.generate("the", 3, strategy="beam")
    with pytest.raises(ConfigError, match="prompt"):
        lm.generate(None, 3)


def test_decode_rule():
    assert decode(["the", "ca", "##t", EOS, "##s", "a"]) == "the cat\ns a"
    assert decode(["##s", "on"], start_of_line=False) == "s on"
    assert decode(["on"], start_of_line=False) == " on"


def test_folder_is_a_gpt2_checkpoint_with_the_same_logits(trained):
    offline()
    from transformers import GPT2LMHeadModel

    lm, folder = trained
    doc = json.loads((folder / "config.json").read_text())
    assert doc["model_type"] == "gpt2" and doc["n_layer"] == 2 and doc["embedlayer"]["tied"]
    hf = GPT2LMHeadModel.from_pretrained(folder).eval()
    ids = torch.tensor([lm.encode("the cat sat on the mat")])
    with torch.no_grad():
        torch.testing.assert_close(hf(ids).logits, lm.model_(ids), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(lm.to_transformers()(ids).logits, lm.model_(ids),
                                   rtol=1e-4, atol=1e-4)


def test_read_embedding_layer_reads_the_tables(trained, tmp_path):
    from embedlayer.contextual import read_embedding_layer

    lm, folder = trained
    tables = read_embedding_layer(folder)
    assert tables.layout == "gpt2" and tables.tied is True
    assert tables.position_kind == "learned"
    assert tables.tokens.vocab.tokens == lm.vocab_.tokens
    np.testing.assert_array_equal(tables.tokens.matrix,
                                  lm.model_.transformer.wte.weight.detach().numpy())
    np.testing.assert_array_equal(tables.positions,
                                  lm.model_.transformer.wpe.weight.detach().numpy())

    config = LMConfig(**{**TINY, "positions": "rotary", "tied": False}, steps=2, eval_every=2)
    other = CausalLM(config).fit(_lines(100), progress=False)
    other.save(tmp_path / "rotary")
    doc = json.loads((tmp_path / "rotary" / "config.json").read_text())
    assert doc["model_type"] != "gpt2" and not doc["embedlayer"]["transformers_compatible"]
    tables = read_embedding_layer(tmp_path / "rotary")
    assert tables.positions is None and tables.tied is False
    assert (tables.position_kind, tables.rope_theta) == ("rotary", 10000.0)
    np.testing.assert_array_equal(tables.output, other.model_.head.weight.detach().numpy())
    with pytest.raises(ConfigError, match="positions='rotary'"):
        other.to_transformers()
    again = CausalLM.load(tmp_path / "rotary")
    ids = torch.tensor([other.encode("the cat")])
    assert torch.equal(again.model_(ids), other.model_(ids))


def _edit(folder, tmp_path, **changes):
    import shutil

    copy = tmp_path / "edited"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy)
    doc = json.loads((copy / "config.json").read_text())
    doc.update(changes)
    (copy / "config.json").write_text(json.dumps(doc))
    return copy


def test_a_config_that_disagrees_with_the_tensors_is_a_format_error(trained, tmp_path):
    _, folder = trained
    with pytest.raises(FormatError, match=r"model.safetensors: tensor 'transformer.h.2"):
        CausalLM.load(_edit(folder, tmp_path, n_layer=3))
    with pytest.raises(FormatError, match=r"tensor 'transformer.h.1.* is not part"):
        CausalLM.load(_edit(folder, tmp_path, n_layer=1))
    with pytest.raises(FormatError, match=r"'transformer.wpe.weight' has shape \(16, 32\)"):
        CausalLM.load(_edit(folder, tmp_path, n_positions=32))
    with pytest.raises(FormatError, match="vocab_size"):
        CausalLM.load(_edit(folder, tmp_path, vocab_size=99))
    with pytest.raises(FormatError, match="tie_word_embeddings"):
        CausalLM.load(_edit(folder, tmp_path, tie_word_embeddings=False))
    with pytest.raises(FormatError, match="heads"):
        CausalLM.load(_edit(folder, tmp_path, n_head=5))
