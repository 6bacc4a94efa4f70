"""A tiny random BERT checkpoint folder (config.json, model.safetensors, tokenizer.json),
written with transformers and tokenizers in the tests themselves: no download."""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "a", "film", "movie", "plot", "was", "and", "acting", "quite", "very",
         "good", "great", "lovely", "superb", "fine", "wonderful",
         "bad", "awful", "dull", "boring", "terrible", "poor",
         "odd", "strange", "weird", "curious", "peculiar", "bizarre", "un", "##believ",
         "##able", ".", ",", "!", "?"]


def write_tiny_bert(folder: Path, *, seed: int = 0, layers: int = 2) -> Path:
    """A random BERT (hidden 32, ``layers`` layers, 2 heads) with a WordPiece tokenizer."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {t: i for i, t in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.save(str(folder / "tokenizer.json"))
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=64, pad_token_id=0)
    BertModel(config).save_pretrained(str(folder), safe_serialization=True)
    return folder
