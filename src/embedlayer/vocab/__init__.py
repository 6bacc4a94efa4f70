"""Vocabulary: counting, the token <-> id mapping, sampling tables, Huffman codes, n-grams.

Layer L1 of DESIGN.md: depends on nothing but numpy and ``embedlayer.errors``. It takes
token streams (iterables of token lists) from ``embedlayer.text`` and hands a ``Vocab`` on.
"""

from embedlayer.vocab.counter import CountReport, TokenCounter, build_vocab
from embedlayer.vocab.huffman import HuffmanCodes, huffman_codes
from embedlayer.vocab.io import (
    VOCAB_FORMATS,
    VocabFormat,
    load_counter,
    load_vocab,
    save_counter,
    save_vocab,
)
from embedlayer.vocab.ngrams import char_ngrams, fnv1a_32, ngram_buckets
from embedlayer.vocab.sampling import (
    AliasTable,
    alias_table,
    fasttext_keep_probabilities,
    keep_probabilities,
    negative_cdf,
    unigram_probabilities,
)
from embedlayer.vocab.vocab import BOS, EOS, PAD, UNK, Coverage, OOVPolicy, Vocab

__all__ = [
    "AliasTable",
    "BOS",
    "EOS",
    "PAD",
    "UNK",
    "VOCAB_FORMATS",
    "CountReport",
    "Coverage",
    "HuffmanCodes",
    "OOVPolicy",
    "TokenCounter",
    "alias_table",
    "build_vocab",
    "Vocab",
    "VocabFormat",
    "char_ngrams",
    "fnv1a_32",
    "fasttext_keep_probabilities",
    "huffman_codes",
    "keep_probabilities",
    "load_counter",
    "load_vocab",
    "negative_cdf",
    "ngram_buckets",
    "save_counter",
    "save_vocab",
    "unigram_probabilities",
]
