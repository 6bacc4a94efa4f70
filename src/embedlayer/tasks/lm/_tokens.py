"""The causal language model's tokens: its tokenizer, the encoded token stream, decoding.

What it holds: training the tokenizer, of one of two kinds (:data:`TOKENIZER_KINDS`):
``bpe``, the project's BPE (``text.train_subword``, with ``<unk>`` and ``<|endoftext|>`` as
special tokens and ``##`` marking the pieces after the first of a word; the ``Vocab`` is the
tokenizer's id order); or ``word``, the project's word tokenizer (the ``regex`` pipeline of
``text.get_tokenizer``: NFC, optional lower-casing, ``RegexWords``, the ``WordLevel`` model;
``<unk>`` and ``<|endoftext|>`` kept whole) with a ``Vocab`` counted on the corpus:
``<unk>``, ``<|endoftext|>``, then the most frequent words (count desc, then word), at most
``vocab_size`` tokens in all, each seen ``min_count`` times or more (``min_count`` 0 counts
as 1). The word pipeline has no vocabulary of its own, so the model folder keeps it beside
``tokenizer.json`` as ``vocab.json`` (``vocab.save_vocab``'s JSON). Then encoding lines into
one id stream
(``<|endoftext|>`` first and after every line, as GPT-2 separates documents) either in memory
or into a ``tokens.npy`` (uint16 below 65,536 tokens, else uint32) that is memory-mapped for
training, and :func:`decode`, the rule that turns tokens back into text.

The rules for odd text: characters never seen in training become ``<unk>`` (the BPE model's
unknown token; there is no byte fallback), and so do words outside a word-level vocabulary;
``<unk>`` decodes as the word ``<unk>``. The pipeline cuts words first, so decoding cannot
give the original spacing back: words are joined by one space, a ``##`` piece is glued to the
word before it (BPE only; a word-level token is always a word), ``<|endoftext|>`` becomes a
line break.
What it leaves out: the network, training and files (``tasks.lm.model``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer.errors import CorpusError, FormatError, VocabError
from embedlayer.text import TokenizerPipeline
from embedlayer.text.factory import get_tokenizer, train_subword
from embedlayer.text.models import BPE, WordLevel
from embedlayer.vocab import TokenCounter, Vocab

__all__ = ["EOS", "PREFIX", "TOKENIZER_KINDS", "UNK", "TokenizerKind", "check_tokenizer",
           "check_word_vocab", "decode", "encode_lines", "token_vocab", "train_tokenizer",
           "word_pipeline", "write_stream"]

TokenizerKind = Literal["bpe", "word"]
TOKENIZER_KINDS: tuple[str, ...] = ("bpe", "word")

UNK = "<unk>"
EOS = "<|endoftext|>"  # line (document) separator; also where generation starts
PREFIX = "##"  # marks a piece that continues the word before it
_BLOCK = 1 << 20  # ids written to disk at a time


def train_tokenizer(lines: Iterable[str], *, kind: TokenizerKind, vocab_size: int,
                    min_count: int, lowercase: bool, progress: bool) \
        -> tuple[TokenizerPipeline, Vocab]:
    """(the tokenizer, its ``Vocab``: row i = token id i) trained on ``lines``."""
    if kind == "bpe":
        tokenizer = train_subword(lines, model="bpe", vocab_size=vocab_size,
                                  min_count=min_count, special_tokens=(UNK, EOS), unk_token=UNK,
                                  lowercase=lowercase, continuing_subword_prefix=PREFIX,
                                  progress=progress)
        return tokenizer, token_vocab(tokenizer)
    tokenizer = word_pipeline(lowercase=lowercase)
    counter = TokenCounter()
    with progress_bar(desc="counting words", unit="lines", enabled=progress) as bar:
        for words in tokenizer.tokenize_many(lines):
            counter.update(words)
            bar.update(1)
    try:
        vocab = counter.to_vocab(min_count=max(1, min_count), max_vocab=vocab_size - 2,
                                 specials=(UNK, EOS), unk_token=UNK)
    except VocabError as exc:
        raise CorpusError(f"word vocabulary: {exc}") from None
    return tokenizer, vocab


def word_pipeline(*, lowercase: bool) -> TokenizerPipeline:
    """The project's ``regex`` word tokenizer, keeping ``<unk>`` and ``<|endoftext|>`` whole."""
    named = get_tokenizer("regex", lowercase=lowercase)
    return TokenizerPipeline(normalizer=named.normalizer, pre_tokenizer=named.pre_tokenizer,
                             model=WordLevel(), special_tokens=(UNK, EOS))


def check_tokenizer(tokenizer: object, where: str, kind: TokenizerKind) -> TokenizerPipeline:
    """``FormatError`` unless ``tokenizer`` is a pipeline of this model's ``kind``: a trained
    BPE one (``bpe``) or a word-level one (``word``), as ``CausalLM`` trains them."""
    model = getattr(tokenizer, "model", None)
    if kind == "word":
        if not (isinstance(tokenizer, TokenizerPipeline) and isinstance(model, WordLevel)
                and tokenizer.special_tokens[:2] == (UNK, EOS)):
            raise FormatError(f"{where}: expected a word-level tokenizer (model WordLevel) "
                              f"with special tokens {UNK}, {EOS} (as CausalLM trains with "
                              f"tokenizer='word')")
        return tokenizer
    if not (isinstance(tokenizer, TokenizerPipeline) and isinstance(model, BPE)
            and model.is_trained and model.config.continuing_subword_prefix == PREFIX
            and model.special_tokens[:2] == (UNK, EOS)):
        raise FormatError(f"{where}: expected a trained BPE tokenizer with "
                          f"continuing_subword_prefix {PREFIX!r} and special tokens {UNK}, "
                          f"{EOS} (as CausalLM trains)")
    return tokenizer


def check_word_vocab(vocab: Vocab, where: str) -> Vocab:
    """``FormatError`` unless ``vocab`` starts with ``<unk>``, ``<|endoftext|>`` (its
    specials) and maps unknown words to ``<unk>``."""
    if vocab.specials[:2] != (UNK, EOS) or vocab.unk_id != 0:
        raise FormatError(f"{where}: expected a vocabulary whose special tokens are {UNK}, "
                          f"{EOS} (ids 0, 1) with unk_token {UNK}; got specials "
                          f"{list(vocab.specials)}")
    return vocab


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
    """Per line: its ids followed by ``<|endoftext|>``'s; a token outside ``vocab`` (a word
    outside a word-level vocabulary) is ``<unk>``'s."""
    index, eos = dict(zip(vocab.tokens, range(len(vocab)), strict=True)), vocab[EOS]
    unk = vocab[UNK]
    for tokens in tokenizer.tokenize_many(lines):
        yield [index.get(t, unk) for t in tokens] + [eos]


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


def decode(tokens: Sequence[str], *, start_of_line: bool = True,
           kind: TokenizerKind = "bpe") -> str:
    """Tokens -> text: words joined by one space, ``##`` pieces glued to the word before (for
    ``kind="bpe"``; with ``"word"`` every token is a word), ``<|endoftext|>`` as a line break.
    ``start_of_line=False``: the text continues some earlier text, so a first word gets a
    leading space and a first ``##`` piece none."""
    out: list[str] = []
    fresh = start_of_line  # at the start of a line: no space before the next word
    pieces = kind == "bpe"
    for token in tokens:
        if token == EOS:
            out.append("\n")
            fresh = True
        elif not pieces:
            out.append(token if fresh else " " + token)
            fresh = False
        elif token.startswith(PREFIX) and len(token) > len(PREFIX) and not fresh:
            out.append(token[len(PREFIX):])
        else:
            piece = token[len(PREFIX):] if token.startswith(PREFIX) and len(token) > len(PREFIX) \
                else token
            out.append(piece if fresh else " " + piece)
            fresh = False
    return "".join(out)
