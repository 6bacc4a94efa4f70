"""Tiny random transformer checkpoints written with ``transformers`` (no download), for tests.

Each helper saves a model with ``save_pretrained(safe_serialization=True)`` and a WordLevel
``tokenizer.json`` over :data:`WORDS` into a folder, and returns the model so a test can
compare the tables read back with the model's own parameters.
"""

from __future__ import annotations

from pathlib import Path

from embedlayer.contextual import offline

offline()  # before transformers is imported anywhere below

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
WORDS = ["the", "a", "cat", "dog", "king", "queen", "man", "woman", "car", "bus", "good", "bad",
         "big", "small", "run", "walk", "red", "blue", "house", "tree", "water", "fire", "day",
         "night", "sun", "moon", "food", "eat", "book", "read", "old", "new", ".", ","]
VOCAB = SPECIALS + WORDS  # 38 tokens, ids in this order


def write_tokenizer(folder: Path, vocab: list[str] = VOCAB) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([t for t in vocab if t.startswith("[")])
    tok.save(str(folder / "tokenizer.json"))


def _torch():
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    return torch


def bert(folder: Path, vocab_size: int = len(VOCAB)):
    _torch()
    from transformers import BertConfig, BertModel

    model = BertModel(BertConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1,
                                 num_attention_heads=2, intermediate_size=32,
                                 max_position_embeddings=24, type_vocab_size=2))
    return _save(model, folder)


def gpt2(folder: Path, vocab_size: int = 48):
    _torch()
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(vocab_size=vocab_size, n_embd=16, n_layer=1, n_head=2,
                                       n_positions=20, bos_token_id=0, eos_token_id=0))
    return _save(model, folder)


def llama(folder: Path, *, tied: bool, vocab_size: int = len(VOCAB)):
    _torch()
    from transformers import LlamaConfig, LlamaForCausalLM

    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=tied,
        rope_theta=5000.0, bos_token_id=0, eos_token_id=0, pad_token_id=0))
    return _save(model, folder)


def t5(folder: Path, vocab_size: int = len(VOCAB)):
    _torch()
    from transformers import T5Config, T5ForConditionalGeneration

    model = T5ForConditionalGeneration(T5Config(
        vocab_size=vocab_size, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=0))
    return _save(model, folder)


def _save(model, folder: Path):
    model.eval()
    model.save_pretrained(folder, safe_serialization=True)
    write_tokenizer(folder)
    return model
