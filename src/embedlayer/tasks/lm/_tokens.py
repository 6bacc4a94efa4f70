"""The causal language model's tokens: its BPE tokenizer, the encoded token stream, decoding.

What it holds: training the tokenizer (the project's BPE, ``text.train_subword``, with
``<unk>`` and ``<|endoftext|>`` as special tokens and ``##`` marking the pieces after the
first of a word), the ``Vocab`` in the tokenizer's id order, encoding lines into one id stream
(``<|endoftext|>`` first and after every line, as GPT-2 separates documents) either in memory
or into a ``tokens.npy`` (uint16 below 65,536 tokens, else uint32) that is memory-mapped for
training, and :func:`decode`, the rule that turns tokens back into text.

The rules for odd text: characters never seen in training become ``<unk>`` (the BPE model's
unknown token; there is no byte fallback), and decode as the word ``<unk>``. The pipeline cuts
words first, so decoding cannot give the original spacing back: words are joined by one space,
a ``##`` piece is glued to the word before it, ``<|endoftext|>`` becomes a line break.
What it leaves out: the network, training and files (``tasks.lm.model``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.errors import CorpusError, FormatError
from embedlayer.text import TokenizerPipeline
from embedlayer.text.factory import train_subword
from embedlayer.text.models import BPE
from embedlayer.vocab import Vocab

__all__ = ["EOS", "PREFIX", "UNK", "check_tokenizer", "decode", "encode_lines", "token_vocab",
           "train_tokenizer", "write_stream"]

UNK = "<unk>"
EOS = "<|endoftext|>"  # line (document) separator; also where generation starts
PREFIX = "##"  # marks a piece that continues the word before it
_BLOCK = 1 << 20  # ids written to disk at a time


def train_tokenizer(lines: Iterable[str], *, vocab_size: int, min_count: int, lowercase: bool,
                    progress: bool) -> TokenizerPipeline:
    return train_subword(lines, model="bpe", vocab_size=vocab_size, min_count=min_count,
                         special_tokens=(UNK, EOS), unk_token=UNK, lowercase=lowercase,
                         continuing_subword_prefix=PREFIX, progress=progress)


def check_tokenizer(tokenizer: object, where: str) -> TokenizerPipeline:
    """``FormatError`` unless ``tokenizer`` is a trained BPE pipeline of this model's kind."""
    model = getattr(tokenizer, "model", None)
    if not (isinstance(tokenizer, TokenizerPipeline) and isinstance(model, BPE)
            and model.is_trained and model.config.continuing_subword_prefix == PREFIX
            and model.special_tokens[:2] == (UNK, EOS)):
        raise FormatError(f"{where}: expected a trained BPE tokenizer with "
                          f"continuing_subword_prefix {PREFIX!r} and special tokens {UNK}, "
                          f"{EOS} (as CausalLM trains)")
    return tokenizer


def token_vocab(tokenizer: TokenizerPipeline) -> Vocab:
    """The tokenizer's tokens as a ``Vocab``, row i = token id i."""
    index = tokenizer.model.vocab()  # type: ignore[attr-defined]
    tokens = [""] * len(index)
    for token, i in index.items():
        if not 0 <= i < len(tokens) or tokens[i]:
            raise FormatError(f"tokenizer ids are not 0..{len(index) - 1} (id {i}, {token!r})")
        tokens[i] = token
    return Vocab(tokens, specials=(UNK, EOS), unk_token=UNK)


def encode_lines(tokenizer: TokenizerPipeline, vocab: Vocab, lines: Iterable[str]) \
        -> Iterable[list[int]]:
    """Per line: its ids followed by ``<|endoftext|>``'s."""
    index, eos = dict(zip(vocab.tokens, range(len(vocab)), strict=True)), vocab[EOS]
    for tokens in tokenizer.tokenize_many(lines):
        yield [index[t] for t in tokens] + [eos]


def _dtype(vocab: Vocab) -> type[np.unsignedinteger]:
    return np.uint16 if len(vocab) <= 1 << 16 else np.uint32


def encode_text(tokenizer: TokenizerPipeline, vocab: Vocab, lines: Iterable[str]) -> np.ndarray:
    """The stream of ``lines`` in memory: ``<|endoftext|>``, then each line and its end."""
    out = [vocab[EOS]]
    for ids in encode_lines(tokenizer, vocab, lines):
        out += ids
    return np.asarray(out, dtype=_dtype(vocab))


def write_stream(tokenizer: TokenizerPipeline, vocab: Vocab, lines: Iterable[str], folder: Path,
                 *, progress: bool) -> np.ndarray:
    """Encode ``lines`` into ``folder/tokens.npy`` and return it memory-mapped (read-only).

    Memory stays bounded by one block: ids go to a raw file first, then into the ``.npy``
    (whose header needs the length up front).
    """
    dtype = _dtype(vocab)
    raw, final = folder / "tokens.bin", folder / "tokens.npy"
    n = 0
    with open(raw, "wb") as fh, progress_bar(desc="encoding", unit="tok",
                                             enabled=progress) as bar:
        pending = [vocab[EOS]]
        for ids in encode_lines(tokenizer, vocab, lines):
            pending += ids
            if len(pending) >= _BLOCK:
                fh.write(np.asarray(pending, dtype=dtype).tobytes())
                n += len(pending)
                bar.update(len(pending))
                pending = []
        fh.write(np.asarray(pending, dtype=dtype).tobytes())
        n += len(pending)
        bar.update(len(pending))
    if n < 2:
        raise CorpusError("the corpus encodes to no tokens")
    source = np.memmap(raw, dtype=dtype, mode="r", shape=(n,))
    out = np.lib.format.open_memmap(final, mode="w+", dtype=dtype, shape=(n,))
    for begin in range(0, n, _BLOCK):
        out[begin:begin + _BLOCK] = source[begin:begin + _BLOCK]
    out.flush()
    del out, source
    os.unlink(raw)
    return np.load(final, mmap_mode="r", allow_pickle=False)


def decode(tokens: Sequence[str], *, start_of_line: bool = True) -> str:
    """Tokens -> text: words joined by one space, ``##`` pieces glued to the word before,
    ``<|endoftext|>`` as a line break. ``start_of_line=False``: the text continues some earlier
    text, so a first word gets a leading space and a first ``##`` piece none."""
    out: list[str] = []
    fresh = start_of_line  # at the start of a line: no space before the next word
    for token in tokens:
        if token == EOS:
            out.append("\n")
            fresh = True
        elif token.startswith(PREFIX) and len(token) > len(PREFIX) and not fresh:
            out.append(token[len(PREFIX):])
        else:
            piece = token[len(PREFIX):] if token.startswith(PREFIX) and len(token) > len(PREFIX) \
                else token
            out.append(piece if fresh else " " + piece)
            fresh = False
    return "".join(out)
