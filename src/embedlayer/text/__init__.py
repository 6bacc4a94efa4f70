"""Text → tokens: normalizer → pre-tokenizer → model pipelines, saved as one JSON file.

Start with :func:`get_tokenizer` (``"whitespace"``, ``"regex"``, ``"jieba"``, ``"jieba-t2s"``
or the path of a saved pipeline) or :func:`train_subword` (BPE / WordPiece); both return a
:class:`TokenizerPipeline`, which follows the :class:`Tokenizer` protocol. The parts can be
used and tested alone: normalizers, pre-tokenizers (regex words, jieba), models (word-level,
BPE, WordPiece). :func:`segmentation_f1` scores a word segmentation.

Importing this package does not import ``tokenizers``, ``jieba`` or OpenCC; each is loaded by
the first function that needs it. Vocabularies (token ↔ id, counts) are ``embedlayer.vocab``.
"""

from __future__ import annotations

from embedlayer.text.base import Model, Normalizer, PreTokenizer, Tokenizer
from embedlayer.text.chinese import ChineseConversion, JiebaSegmenter, t2s_char_table
from embedlayer.text.factory import TOKENIZER_NAMES, SubwordKind, get_tokenizer, train_subword
from embedlayer.text.metrics import SegmentationScore, evaluate_segmenter, segmentation_f1
from embedlayer.text.models import BPE, BPEConfig, WordLevel, WordPiece, WordPieceConfig
from embedlayer.text.normalizers import (
    Lowercase,
    NormalizerSequence,
    NumberMode,
    NumberNormalizer,
    StripAccents,
    UnicodeForm,
    UnicodeNormalizer,
)
from embedlayer.text.pipeline import FORMAT_VERSION, TokenizerPipeline
from embedlayer.text.pre_tokenizers import RegexWords, WhitespaceSplit
from embedlayer.text.serialization import component_from_dict, load_tokenizer, pipeline_from_dict
from embedlayer.text.stream import TokenStream

__all__ = [
    "BPE",
    "FORMAT_VERSION",
    "TOKENIZER_NAMES",
    "BPEConfig",
    "ChineseConversion",
    "JiebaSegmenter",
    "Lowercase",
    "Model",
    "Normalizer",
    "NormalizerSequence",
    "NumberMode",
    "NumberNormalizer",
    "PreTokenizer",
    "RegexWords",
    "SegmentationScore",
    "StripAccents",
    "SubwordKind",
    "Tokenizer",
    "TokenStream",
    "TokenizerPipeline",
    "UnicodeForm",
    "UnicodeNormalizer",
    "WhitespaceSplit",
    "WordLevel",
    "WordPiece",
    "WordPieceConfig",
    "component_from_dict",
    "evaluate_segmenter",
    "get_tokenizer",
    "load_tokenizer",
    "pipeline_from_dict",
    "segmentation_f1",
    "t2s_char_table",
    "train_subword",
]
