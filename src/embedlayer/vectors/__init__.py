"""Word vectors: the embedding matrix with its keys, queries, composition and file formats.

Layer L2 of DESIGN.md (depends on ``embedlayer.vocab`` and L0 only). ``Vectors`` is the dense
store; ``vectors.query`` holds the similarity functions its methods call; ``vectors.io``
reads and writes every file format.
"""

from embedlayer.vectors.base import OOVVectorPolicy, VectorStore
from embedlayer.vectors.compose import (
    ComposeMethod,
    ComposeOOV,
    ComposeStats,
    compose,
    compose_many,
    frequency_weights,
    word_probabilities,
)
from embedlayer.vectors.query import (
    AnalogyMethod,
    Neighbours,
    analogy_batch,
    cosine,
    nearest,
    row_norms,
)
from embedlayer.vectors.sif import SIF, SIFConfig
from embedlayer.vectors.vectors import Vectors

__all__ = [
    "SIF",
    "AnalogyMethod",
    "ComposeMethod",
    "ComposeOOV",
    "ComposeStats",
    "SIFConfig",
    "Neighbours",
    "OOVVectorPolicy",
    "VectorStore",
    "Vectors",
    "analogy_batch",
    "compose",
    "compose_many",
    "cosine",
    "frequency_weights",
    "nearest",
    "row_norms",
    "word_probabilities",
]
