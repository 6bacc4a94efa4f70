"""PyTorch modules for the embedding layer of a model (layer L3 of DESIGN.md; torch only here).

What it holds: ``EmbeddingLayer`` (a ``Vocab`` plus an optional pretrained ``VectorStore`` made
into one trainable matrix, with padding, masking, freezing, embedding dropout, resizing and
export back to ``Vectors``), its ``CoverageReport``, the positional encodings that compose
after it (sinusoidal, learned absolute, rotary) and ``TiedOutputProjection`` (an output layer
that shares the embedding matrix), a linear-chain ``CRF`` (``nn.crf``: forward algorithm,
Viterbi, transition constraints), character-level word encoders (``CharCNN``,
``CharBiLSTM``) and compressed layers that drop in for ``EmbeddingLayer`` (``nn.compressed``:
``QuantizedEmbedding``, ``PQEmbedding``, ``LowRankEmbedding``), and ``CausalTransformer``
(``nn.transformer``: a GPT-2-shaped decoder over the embedding layer, with its
``TransformerConfig``). What it leaves out: encoders
over the embedded sequence (``nn.encoders``), the task models (``embedlayer.tasks``) and
training codebooks (``embedlayer.compress``). ``import embedlayer`` never imports this package,
so torch stays an optional extra.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401 - fail here, once, with the line that fixes it
except ImportError as exc:  # pragma: no cover - the test environment has torch
    raise ImportError(
        "embedlayer.nn needs PyTorch, which is an optional extra: "
        "pip install 'embedlayer[torch]'"
    ) from exc

from embedlayer.nn._init import CoverageReport, OOVInit
from embedlayer.nn.chars import CharBiLSTM, CharCNN
from embedlayer.nn.compressed import LowRankEmbedding, PQEmbedding, QuantAxis, QuantizedEmbedding
from embedlayer.nn.crf import CRF
from embedlayer.nn.embedding import EmbeddingLayer
from embedlayer.nn.positional import (
    LearnedPositionalEncoding,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
)
from embedlayer.nn.transformer import CausalTransformer, TransformerConfig
from embedlayer.nn.tying import TiedOutputProjection

__all__ = [
    "CRF",
    "CausalTransformer",
    "CharBiLSTM",
    "CharCNN",
    "CoverageReport",
    "EmbeddingLayer",
    "LearnedPositionalEncoding",
    "LowRankEmbedding",
    "OOVInit",
    "PQEmbedding",
    "QuantAxis",
    "QuantizedEmbedding",
    "RotaryEmbedding",
    "SinusoidalPositionalEncoding",
    "TiedOutputProjection",
    "TransformerConfig",
]
